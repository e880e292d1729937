"""Create the first platform admin for a local portal, once.

The generated password is kept in var/admin-password (mode 0600) so `make run`
can print the login every time; change it after logging in.
"""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from portal.env import VAR_DIR


class Command(BaseCommand):
    help = "Create an 'admin' superuser with a generated password if no superuser exists."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        users = get_user_model()
        password_file = VAR_DIR / "admin-password"
        if not users.objects.filter(is_superuser=True).exists():
            password = secrets.token_urlsafe(12)
            users.objects.create_superuser(username=username, email="", password=password)
            VAR_DIR.mkdir(parents=True, exist_ok=True)
            password_file.touch(mode=0o600)
            password_file.write_text(password + "\n")
            self.stdout.write(f"Created platform admin '{username}'.")
        if password_file.exists():
            self.stdout.write(f"Log in as: {username} / {password_file.read_text().strip()}  (as first generated)")
        else:
            self.stdout.write("A superuser already exists; log in with its password.")
