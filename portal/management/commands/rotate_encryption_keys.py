"""Re-encrypt every stored secret under the primary key.

Rotation: put a new key first in PORTAL_ENCRYPTION_KEYS (keep the old ones
after it), run this command, then drop the old keys.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from portal.fields import EncryptedTextField


class Command(BaseCommand):
    help = "Re-encrypt all encrypted fields with the first key of PORTAL_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            names = [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not names:
                continue
            with transaction.atomic():
                # Reading decrypts with any key of the set; writing encrypts with the first.
                rows = model._base_manager.select_for_update().values_list("pk", *names)
                for pk, *secrets in rows.iterator():
                    changes = {name: value for name, value in zip(names, secrets, strict=True) if value}
                    if changes:
                        model._base_manager.filter(pk=pk).update(**changes)
                        total += 1
            self.stdout.write(f"{model._meta.label}: {', '.join(names)}")
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted secrets in {total} rows."))
