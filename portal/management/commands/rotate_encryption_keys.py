"""Re-encrypt every stored secret under the primary key.

Rotation: put a new key first in PORTAL_ENCRYPTION_KEYS (keep the old ones
after it), run this command, then drop the old keys.

The command works on ciphertext: it reads each stored token as text (the
field's decryption never runs), asks the key ring to re-encrypt it under the
primary key, and writes the new token back as is. A token no key can decrypt
stops the command and names the row.
"""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.db.models.functions import Cast

from portal import crypto
from portal.fields import EncryptedTextField


class Command(BaseCommand):
    help = "Re-encrypt all encrypted fields with the first key of PORTAL_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        total = 0
        with transaction.atomic():
            for model in apps.get_models():
                names = [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
                if not names:
                    continue
                total += self._rotate_model(model, names)
                self.stdout.write(f"{model._meta.label}: {', '.join(names)}")
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted secrets in {total} rows."))

    def _rotate_model(self, model, names) -> int:
        raw = {f"raw_{name}": Cast(name, output_field=models.TextField()) for name in names}
        rows = list(model._base_manager.select_for_update().annotate(**raw).values_list("pk", *raw))
        rotated = 0
        for pk, *tokens in rows:
            changes = {}
            for name, token in zip(names, tokens, strict=True):
                if not token:
                    continue
                try:
                    # A Value expression is written as is: the field must not encrypt it again.
                    changes[name] = models.Value(crypto.rotate(token), output_field=models.TextField())
                except crypto.SecretDecryptionError as exc:
                    raise CommandError(f"{model._meta.label} pk={pk} field {name}: {exc}") from None
            if changes:
                model._base_manager.filter(pk=pk).update(**changes)
                rotated += 1
        return rotated
