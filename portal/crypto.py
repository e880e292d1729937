"""Encryption of secrets at rest with a dedicated, rotatable Fernet key set.

The first key in PORTAL_ENCRYPTION_KEYS encrypts; every key decrypts, so a new
key is put first, `manage.py rotate_encryption_keys` re-encrypts every stored
secret, and the old key is then removed. SECRET_KEY plays no part.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretDecryptionError(Exception):
    """A stored secret could not be decrypted by any configured key."""


@lru_cache(maxsize=4)
def _keyring(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys])


def keyring() -> MultiFernet:
    return _keyring(tuple(settings.PORTAL_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return keyring().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return keyring().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretDecryptionError(
            "A stored secret cannot be decrypted with the configured "
            "PORTAL_ENCRYPTION_KEYS; was a key removed before rotation?"
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt a token under the primary key."""
    try:
        return keyring().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretDecryptionError(
            "A stored secret cannot be rotated: no key in PORTAL_ENCRYPTION_KEYS decrypts it; "
            "keep the old key in the set until rotation is done."
        ) from exc


def reveal(value) -> str:
    """The plain text of an encrypted field's value: a Secret read from the
    database, or a str just assigned (not saved and read back yet)."""
    return value.reveal() if isinstance(value, Secret) else (value or "")


class Secret:
    """A decrypted secret that never shows itself by accident.

    `str()`, `repr()`, templates, logs and tracebacks see a mask; code that
    really needs the value calls `reveal()`.
    """

    __slots__ = ("_value",)
    MASK = "********"

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return self.MASK

    def __repr__(self) -> str:
        return f"Secret({self.MASK})"

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)
