"""Secrets at rest: the encrypted field, the Secret wrapper, the key ring."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from hosts.models import SSHCredential
from portal import crypto
from portal.fields import EncryptedTextField


@pytest.fixture
def fresh_keys(settings):
    settings.PORTAL_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    crypto._keyring.cache_clear()
    yield settings.PORTAL_ENCRYPTION_KEYS
    crypto._keyring.cache_clear()


def test_a_secret_round_trips_and_is_stored_encrypted(db, fresh_keys):
    cred = SSHCredential.objects.create(name="c", kind="password", password="plain-Text-123")
    with connection.cursor() as cursor:
        cursor.execute("SELECT password, private_key FROM hosts_sshcredential WHERE id = %s", [cred.pk])
        raw_password, raw_key = cursor.fetchone()
    assert raw_password != "plain-Text-123" and raw_password.startswith("gAAAAA")
    assert raw_key == ""  # blank stays blank: nothing to hide
    loaded = SSHCredential.objects.get(pk=cred.pk)
    assert isinstance(loaded.password, crypto.Secret)
    assert loaded.password.reveal() == "plain-Text-123"
    assert loaded.private_key == ""


def test_the_same_secret_encrypts_differently_each_time(db, fresh_keys):
    assert crypto.encrypt("same") != crypto.encrypt("same")


def test_a_secret_shows_only_its_mask():
    secret = crypto.Secret("hunter2")
    assert str(secret) == "********" and "hunter2" not in repr(secret) and f"{secret}" == "********"
    assert secret == crypto.Secret("hunter2") and secret != crypto.Secret("other")
    assert bool(secret) and not bool(crypto.Secret(""))
    assert len({secret, crypto.Secret("hunter2")}) == 1


def test_dumpdata_value_is_blank():
    field = EncryptedTextField()
    field.attname = "x"
    assert field.value_to_string(object()) == ""


def test_a_token_from_another_key_set_fails_with_a_clear_message(db, fresh_keys):
    foreign = Fernet(Fernet.generate_key()).encrypt(b"x").decode()
    with pytest.raises(crypto.SecretDecryptionError, match="PORTAL_ENCRYPTION_KEYS"):
        crypto.decrypt(foreign)
    with pytest.raises(crypto.SecretDecryptionError):
        crypto.rotate(foreign)


def test_every_key_decrypts_and_the_first_encrypts(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PORTAL_ENCRYPTION_KEYS = [old]
    crypto._keyring.cache_clear()
    token = crypto.encrypt("v")
    settings.PORTAL_ENCRYPTION_KEYS = [new, old]
    assert crypto.decrypt(token) == "v"
    rotated = crypto.rotate(token)
    settings.PORTAL_ENCRYPTION_KEYS = [new]
    assert crypto.decrypt(rotated) == "v"
    crypto._keyring.cache_clear()
