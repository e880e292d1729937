"""The secrets planted through the API that every test here hunts for."""

import logging

import pytest

from clusters.models import SSHCredential
from tests.api import material


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


@pytest.fixture
def planted(world, api, caplog):
    """Clusters with a token and a client-certificate kubeconfig, SSH credentials with
    a plain key, a passphrase-protected key and a password, all created through the API."""
    caplog.set_level(logging.DEBUG)
    secrets = Planted()
    admin = api.as_(world.admin)
    responses = []

    token = material.token_value()
    secrets.add("token", token)
    responses.append(
        admin.post(
            "/api/v1/clusters/",
            {"name": "Tok", "slug": "tok", "kubeconfig": material.kubeconfig(user={"token": token})},
            format="json",
        )
    )
    cert_user, key_data = material.client_cert_user()
    secrets.add("client-key-data", key_data, chunks=True)
    responses.append(
        admin.post(
            "/api/v1/clusters/",
            {"name": "Cert", "slug": "cert", "kubeconfig": material.kubeconfig(user=cert_user)},
            format="json",
        )
    )
    plain_key = material.ssh_private_key()
    secrets.add("ssh-key", material.ssh_key_body(plain_key), chunks=True)
    responses.append(
        admin.post(
            "/api/v1/ssh-credentials/",
            {"name": "plain", "kind": "private_key", "private_key": plain_key},
            format="json",
        )
    )
    locked_key = material.ssh_private_key("tr0ub4dor&3-passphrase", kind="rsa")
    secrets.add("ssh-key-rsa", material.ssh_key_body(locked_key), chunks=True)
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
    # Rotations: new secrets replace old ones through updates.
    token2 = material.token_value()
    secrets.add("token2", token2)
    responses.append(
        admin.patch("/api/v1/clusters/tok/", {"kubeconfig": material.kubeconfig(user={"token": token2})}, format="json")
    )
    secrets.add("password2", "an0ther-Pa55word-for-ssh")
    pw = SSHCredential.objects.get(name="pw")
    responses.append(
        admin.patch(f"/api/v1/ssh-credentials/{pw.pk}/", {"password": "an0ther-Pa55word-for-ssh"}, format="json")
    )
    for response in responses:
        assert response.status_code in (200, 201), response.content
    secrets.responses = responses
    return secrets
