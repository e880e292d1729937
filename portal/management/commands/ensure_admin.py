"""Create the first platform admin for a local portal, once.

The generated password is printed that one time and kept nowhere: change it
after logging in (or set a new one with `manage.py changepassword admin`).
A password file left by earlier versions (var/admin-password) is removed.
"""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from portal.env import VAR_DIR

# Where earlier versions kept the generated password in clear.
OLD_PASSWORD_FILE = "admin-password"


class Command(BaseCommand):
    help = "Create an 'admin' superuser with a generated password if no superuser exists."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        old_file = VAR_DIR / OLD_PASSWORD_FILE
        if old_file.exists():
            old_file.unlink()
            self.stdout.write(
                f"Removed {old_file}: the admin password is no longer kept in a file. "
                f"If you do not know it, set a new one: python manage.py changepassword {username}"
            )
        users = get_user_model()
        if users.objects.filter(is_superuser=True).exists():
            return
        password = secrets.token_urlsafe(12)
        users.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            f"Created platform admin '{username}'.\n"
            f"Log in as: {username} / {password}  (shown this once, stored nowhere; change it after logging in)"
        )
