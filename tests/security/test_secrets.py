"""No endpoint, page, log line, audit row or job output ever contains a stored secret."""

import json

import pytest
from django.db import connection

from clusters.models import Cluster
from hosts.models import Host, SSHCredential
from portal.crypto import Secret
from portal.models import AuditEvent
from tests.support import credentials

# The planted clusters are imported from the devcluster: an import must connect.
pytestmark = pytest.mark.devcluster


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
        cursor.execute("SELECT private_key, passphrase, password FROM hosts_sshcredential")
        rows += [v for r in cursor.fetchall() for v in r if v]
    assert len(rows) == 2 + 3 + 1  # two kubeconfigs, two keys, one passphrase, one password
    for value in rows:
        assert value.startswith("gAAAAA"), "a Fernet token"
        planted.assert_absent(value, "a database column")
        assert "PRIVATE KEY" not in value and "apiVersion" not in value


API_URLS = [
    "/api/v1/clusters/",
    "/api/v1/clusters/tok/",
    "/api/v1/clusters/cert/",
    "/api/v1/ssh-credentials/",
    "/api/v1/hosts/",
    "/api/v1/nodes/",
    "/api/v1/jobs/",
    "/api/v1/audit-events/",
]


# The API answers JSON and its browsable HTML; the schema is served as OpenAPI only.
@pytest.mark.parametrize(
    ("url", "accept"),
    [(url, accept) for url in API_URLS for accept in ("application/json", "text/html")]
    + [("/api/schema/", "application/json"), ("/api/schema/?format=json", "application/json")],
)
def test_no_api_response_holds_a_secret(planted, world, api, url, accept):
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
            {"name": "X", "slug": "x", "kubeconfig": credentials.kubeconfig(user={"token": token}), "context": "nope"},
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
    call_command("dumpdata", "clusters.cluster", "hosts.sshcredential", stdout=out)
    planted.assert_absent(out.getvalue(), "dumpdata")
