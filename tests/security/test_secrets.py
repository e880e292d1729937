"""No endpoint, page, log line, audit row or job output ever contains a stored secret."""

import json
import logging

import pytest
from django.db import connection

from clusters.models import Cluster, Host, SSHCredential
from portal.crypto import Secret
from portal.models import AuditEvent
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


def test_it_planted_real_secrets(planted):
    # The fixture is only worth something if the secrets were stored as given.
    assert Cluster.objects.get(slug="tok").credential_kind == "token"
    assert Cluster.objects.get(slug="cert").credential_kind == "client-certificate"
    assert planted.values["token2"] in Cluster.objects.get(slug="tok").kubeconfig.reveal()
    assert SSHCredential.objects.get(name="pw").password.reveal() == planted.values["password2"]
    assert SSHCredential.objects.get(name="locked").public_key_fingerprint.startswith("SHA256:")


def test_create_and_update_responses_hold_no_secret(planted):
    for response in planted.responses:
        planted.assert_absent(response.content.decode(), f"response {response.status_code}")


def test_the_database_holds_only_ciphertext(planted):
    with connection.cursor() as cursor:
        cursor.execute("SELECT kubeconfig FROM clusters_cluster WHERE kubeconfig <> ''")
        rows = [r[0] for r in cursor.fetchall()]
        cursor.execute("SELECT private_key, passphrase, password FROM clusters_sshcredential")
        rows += [v for r in cursor.fetchall() for v in r if v]
    assert len(rows) == 2 + 3 + 1  # two kubeconfigs, two keys, one passphrase, one password
    for value in rows:
        assert value.startswith("gAAAAA"), "a Fernet token"
        planted.assert_absent(value, "a database column")
        assert "PRIVATE KEY" not in value and "apiVersion" not in value


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/clusters/",
        "/api/v1/clusters/tok/",
        "/api/v1/clusters/cert/",
        "/api/v1/ssh-credentials/",
        "/api/v1/hosts/",
        "/api/v1/nodes/",
        "/api/v1/jobs/",
        "/api/v1/audit-events/",
        "/api/schema/",
        "/api/schema/?format=json",
    ],
)
@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_no_api_response_holds_a_secret(planted, world, api, url, accept):
    if url.startswith("/api/schema/") and accept == "text/html":
        pytest.skip("the schema is served as OpenAPI only")
    client = api.as_(world.admin)
    response = client.get(url, HTTP_ACCEPT=accept)
    assert response.status_code == 200, response.content[:500]
    planted.assert_absent(response.content.decode(), f"GET {url} ({accept})")


def test_no_detail_or_options_response_holds_a_secret(planted, world, api):
    client = api.as_(world.admin)
    for cred in SSHCredential.objects.all():
        for method in ("get", "options"):
            response = getattr(client, method)(f"/api/v1/ssh-credentials/{cred.pk}/", HTTP_ACCEPT="text/html")
            planted.assert_absent(response.content.decode(), f"{method} credential {cred.name}")
    for host in Host.objects.all():
        planted.assert_absent(client.get(f"/api/v1/hosts/{host.pk}/").content.decode(), "host")
    planted.assert_absent(client.options("/api/v1/clusters/tok/").content.decode(), "OPTIONS cluster")


def test_team_members_see_no_secret_either(planted, world, api):
    world.team_a.allowed_clusters.add(Cluster.objects.get(slug="tok"))
    response = api.as_(world.owner).get("/api/v1/clusters/tok/")
    assert response.status_code == 200
    assert response.json()["has_credentials"] is True
    planted.assert_absent(response.content.decode(), "cluster seen by a team owner")


def test_error_responses_hold_no_secret(planted, world, api):
    client = api.as_(world.admin)
    token = planted.values["token"]
    responses = [
        # A wrong context: the kubeconfig with its token is refused.
        client.post(
            "/api/v1/clusters/",
            {"name": "X", "slug": "x", "kubeconfig": material.kubeconfig(user={"token": token}), "context": "nope"},
            format="json",
        ),
        # A duplicate name with a valid secret.
        client.post(
            "/api/v1/ssh-credentials/",
            {"name": "pw", "kind": "password", "password": planted.values["password"]},
            format="json",
        ),
        # A wrong passphrase.
        client.post(
            "/api/v1/ssh-credentials/",
            {"name": "p2", "kind": "private_key", "private_key": "x", "passphrase": planted.values["passphrase"]},
            format="json",
        ),
        # A secret where a short string belongs.
        client.post("/api/v1/teams/", {"name": token * 10, "slug": token}, format="json"),
    ]
    for response in responses:
        assert 400 <= response.status_code < 500, response.content
        planted.assert_absent(response.content.decode(), f"error response {response.status_code}")


def test_the_audit_trail_holds_no_secret(planted):
    events = list(AuditEvent.objects.all())
    assert len(events) >= len(planted.responses)
    for event in events:
        planted.assert_absent(json.dumps(event.request_summary), f"audit event {event.action}")
        planted.assert_absent(str(event) + event.target_name, f"audit event {event.action}")
    creates = [e for e in events if e.action == "sshcredential.create"]
    assert creates and all(e.request_summary.get("private_key", "[redacted]") == "[redacted]" for e in creates)
    assert {"kubeconfig": "[redacted]"}.items() <= next(
        e.request_summary for e in events if e.action == "cluster.create"
    ).items()


def test_the_logs_hold_no_secret(planted, world, api, caplog):
    # Errors too: a 404, a 400 carrying secrets, a 409.
    client = api.as_(world.admin)
    client.get("/api/v1/clusters/nope/")
    client.post(
        "/api/v1/ssh-credentials/",
        {"name": "pw", "kind": "password", "password": planted.values["password"]},
        format="json",
    )
    client.delete(f"/api/v1/ssh-credentials/{SSHCredential.objects.get(name='plain').pk}/")
    assert caplog.records, "DEBUG logging was captured"
    for record in caplog.records:
        planted.assert_absent(record.getMessage(), f"log record {record.name}")
        planted.assert_absent(caplog.text, "captured log output")


def test_the_field_value_is_masked_in_str_and_repr(planted):
    cluster = Cluster.objects.get(slug="tok")
    cred = SSHCredential.objects.get(name="locked")
    for secret in (
        cluster.kubeconfig,
        cred.private_key,
        cred.passphrase,
        SSHCredential.objects.get(name="pw").password,
    ):
        assert isinstance(secret, Secret)
        # "%s" is how logging formats its arguments.
        for shown in (str(secret), repr(secret), f"{secret}", "%s" % secret, json.dumps(str(secret))):  # noqa: UP031
            planted.assert_absent(shown, "a shown Secret")
            assert "********" in shown
    planted.assert_absent(repr(cluster.__dict__), "a model's __dict__")
    planted.assert_absent(repr(cred.__dict__), "a model's __dict__")


def test_dumpdata_carries_no_secret(planted):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("dumpdata", "clusters.cluster", "clusters.sshcredential", stdout=out)
    planted.assert_absent(out.getvalue(), "dumpdata")
