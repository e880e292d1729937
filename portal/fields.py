"""Model fields shared by the apps."""

from django.db import models

from portal import crypto


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token; read back as a `crypto.Secret`.

    Assign a plain `str` (or a Secret); the database only ever sees ciphertext.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.Secret(crypto.decrypt(value))

    def to_python(self, value):
        if value is None or isinstance(value, crypto.Secret):
            return value
        return crypto.Secret(str(value)) if value != "" else value

    def get_prep_value(self, value):
        if value is None or value == "":
            return value
        if isinstance(value, crypto.Secret):
            value = value.reveal()
        return crypto.encrypt(str(value))

    def value_to_string(self, obj):
        # Fixtures and dumpdata never carry the secret.
        return ""
