"""Encryption keys rotate: `manage.py rotate_encryption_keys` re-encrypts every
secret under the new primary key; a key set that cannot decrypt fails loudly."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from clusters.models import Cluster
from clusters.services import clusters as cluster_services
from hosts import services as host_services
from hosts.models import SSHCredential
from portal import crypto
from tests.support import credentials


def use_keys(settings, *keys):
    settings.PORTAL_ENCRYPTION_KEYS = list(keys)
    crypto._keyring.cache_clear()


@pytest.fixture
def keys(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    use_keys(settings, old)
    yield old, new
    crypto._keyring.cache_clear()


@pytest.fixture
def stored(db, keys):
    token = credentials.token_value()
    cluster_services.cluster_create(name="Tok", slug="tok", kubeconfig=credentials.kubeconfig(user={"token": token}))
    host_services.ssh_credential_create(name="pw", kind="password", password="rotate-me-please")
    key = credentials.ssh_private_key("phrase-1234")
    host_services.ssh_credential_create(name="key", kind="private_key", private_key=key, passphrase="phrase-1234")
    return {"token": token, "password": "rotate-me-please", "key": key}


def raw_values():
    with connection.cursor() as cursor:
        cursor.execute("SELECT kubeconfig FROM clusters_cluster WHERE kubeconfig <> ''")
        values = [r[0] for r in cursor.fetchall()]
        cursor.execute("SELECT private_key, passphrase, password FROM hosts_sshcredential")
        values += [v for r in cursor.fetchall() for v in r if v]
    return values


def test_rotation_re_encrypts_every_secret_under_the_new_key(settings, keys, stored):
    old, new = keys
    before = raw_values()
    assert len(before) == 4 and all(Fernet(old.encode()).decrypt(v.encode()) for v in before)

    use_keys(settings, new, old)
    out = StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "Re-encrypted secrets in 3 rows" in out.getvalue()

    after = raw_values()
    assert len(after) == 4 and set(after).isdisjoint(before)
    for value in after:
        Fernet(new.encode()).decrypt(value.encode())
        with pytest.raises(InvalidToken):
            Fernet(old.encode()).decrypt(value.encode())

    # The old key can now go: the new one alone reads everything.
    use_keys(settings, new)
    assert stored["token"] in Cluster.objects.get(slug="tok").kubeconfig.reveal()
    assert SSHCredential.objects.get(name="pw").password.reveal() == stored["password"]
    assert SSHCredential.objects.get(name="key").private_key.reveal() == stored["key"]


def test_rotation_twice_is_harmless(settings, keys, stored):
    old, new = keys
    use_keys(settings, new, old)
    call_command("rotate_encryption_keys", stdout=StringIO())
    call_command("rotate_encryption_keys", stdout=StringIO())
    use_keys(settings, new)
    assert SSHCredential.objects.get(name="pw").password.reveal() == stored["password"]


def test_reading_with_only_a_key_that_did_not_encrypt_fails_loudly(settings, keys, stored):
    old, new = keys
    use_keys(settings, new, old)
    call_command("rotate_encryption_keys", stdout=StringIO())
    # Someone deploys the old key set again.
    use_keys(settings, old)
    with pytest.raises(crypto.SecretDecryptionError, match="PORTAL_ENCRYPTION_KEYS"):
        Cluster.objects.get(slug="tok")


# Transactional: on PostgreSQL the command's failed iteration leaves its
# server-side cursor behind, which would poison a test-wide transaction.
@pytest.mark.django_db(transaction=True)
def test_rotation_with_a_key_set_that_cannot_decrypt_fails_loudly_and_changes_nothing(settings, keys, stored):
    before = raw_values()
    use_keys(settings, Fernet.generate_key().decode())
    with pytest.raises(CommandError, match=r"pk=\d+ field \w+: .*PORTAL_ENCRYPTION_KEYS"):
        call_command("rotate_encryption_keys", stdout=StringIO())
    assert raw_values() == before


def test_the_api_still_reads_after_rotation(settings, keys, stored, world, api):
    old, new = keys
    use_keys(settings, new, old)
    call_command("rotate_encryption_keys", stdout=StringIO())
    use_keys(settings, new)
    response = api.as_(world.admin).get("/api/v1/clusters/tok/")
    assert response.status_code == 200
    assert response.json()["has_credentials"] is True
    assert stored["token"] not in response.content.decode()
