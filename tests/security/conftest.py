"""The secrets planted through the API that every test here hunts for."""

import logging

import pytest
import yaml

from hosts.models import SSHCredential
from tests.support import credentials, live


class Planted:
    """Secrets planted through the API, and everything that would give one away."""

    def __init__(self):
        self.values: dict[str, str] = {}

    def add(self, name: str, value: str, *, chunks: bool = False):
        self.values[name] = value
        if chunks:
            # A leak of part of a long secret (a key body re-wrapped, say) is still a leak.
            for i, start in enumerate(range(40, len(value) - 40, 200)):
                self.values[f"{name}[{i}]"] = value[start : start + 32]

    def assert_absent(self, text: str, where: str):
        found = [name for name, value in self.values.items() if value in text]
        assert not found, f"{where} contains {found}"


@pytest.fixture(scope="session")
def devcluster_credentials(devcluster):
    """Working credentials of each kind, made once a session: an import is saved
    only when the cluster answers. Two cluster-admin service-account tokens (the
    second replaces the first), deleted when the session ends, and a client
    certificate in system:masters."""
    names = [live.unique("planted-token"), live.unique("planted-token")]
    first, token = live.token_kubeconfig(devcluster, names[0])
    second, token2 = live.token_kubeconfig(devcluster, names[1])
    cert = live.cert_kubeconfig(devcluster, user="planted-cert")
    key_data = yaml.safe_load(cert)["users"][0]["user"]["client-key-data"]
    yield {"token": (first, token), "token2": (second, token2), "cert": (cert, key_data)}
    for name in names:
        live.delete_token_identity(devcluster, name)


@pytest.fixture
def planted(world, api, caplog, devcluster_credentials):
    """Clusters imported (for real, from the devcluster) with a token and a
    client-certificate kubeconfig, SSH credentials with a plain key, a
    passphrase-protected key and a password, all created through the API."""
    caplog.set_level(logging.DEBUG)
    secrets = Planted()
    admin = api.as_(world.admin)
    responses = []

    text, token = devcluster_credentials["token"]
    secrets.add("token", token)
    responses.append(admin.post("/api/v1/clusters/", {"name": "Tok", "slug": "tok", "kubeconfig": text}, format="json"))
    text, key_data = devcluster_credentials["cert"]
    secrets.add("client-key-data", key_data, chunks=True)
    responses.append(
        admin.post("/api/v1/clusters/", {"name": "Cert", "slug": "cert", "kubeconfig": text}, format="json")
    )
    plain_key = credentials.ssh_private_key()
    secrets.add("ssh-key", credentials.ssh_key_body(plain_key), chunks=True)
    responses.append(
        admin.post(
            "/api/v1/ssh-credentials/",
            {"name": "plain", "kind": "private_key", "private_key": plain_key},
            format="json",
        )
    )
    locked_key = credentials.ssh_private_key("tr0ub4dor&3-passphrase", kind="rsa")
    secrets.add("ssh-key-rsa", credentials.ssh_key_body(locked_key), chunks=True)
    secrets.add("passphrase", "tr0ub4dor&3-passphrase")
    responses.append(
        admin.post(
            "/api/v1/ssh-credentials/",
            {
                "name": "locked",
                "kind": "private_key",
                "private_key": locked_key,
                "passphrase": "tr0ub4dor&3-passphrase",
            },
            format="json",
        )
    )
    secrets.add("password", "s3cr3t-Pa55word-for-ssh")
    responses.append(
        admin.post(
            "/api/v1/ssh-credentials/",
            {"name": "pw", "kind": "password", "password": "s3cr3t-Pa55word-for-ssh"},
            format="json",
        )
    )
    responses.append(
        admin.post("/api/v1/hosts/", {"name": "node-1", "address": "10.0.0.10", "credential": "plain"}, format="json")
    )
    # Rotations: new secrets replace old ones (credentials checked first).
    text, token2 = devcluster_credentials["token2"]
    secrets.add("token2", token2)
    responses.append(admin.post("/api/v1/clusters/tok/credentials/", {"kubeconfig": text}, format="json"))
    secrets.add("password2", "an0ther-Pa55word-for-ssh")
    pw = SSHCredential.objects.get(name="pw")
    responses.append(
        admin.patch(f"/api/v1/ssh-credentials/{pw.pk}/", {"password": "an0ther-Pa55word-for-ssh"}, format="json")
    )
    for response in responses:
        assert response.status_code in (200, 201), response.content
    secrets.responses = responses
    return secrets
