"""Bad input gets a 4xx in the one error shape with field messages, never a 500."""

import json

import pytest
import yaml
from django.contrib.auth import get_user_model

from clusters.models import Cluster
from hosts.models import Host, SSHCredential
from portal.roles import TeamRole
from portal.teams import Membership
from rbac.models import QuotaPlan, TeamNamespace
from tests.api.generic import assert_error_shape
from tests.support import credentials


@pytest.fixture
def admin_api(world, api):
    return api.as_(world.admin)


def assert_field_error(response, field, status_code=400, contains=None):
    body = assert_error_shape(response, status_code)
    # A nested field's messages are under its path: labels.a, taints[0].effect.
    paths = [path for path in body["errors"] if path == field or path.startswith((f"{field}.", f"{field}["))]
    assert paths, body
    messages = [message for path in paths for message in body["errors"][path]]
    assert messages and all(isinstance(m, str) and m for m in messages), body
    if contains:
        assert any(contains.lower() in m.lower() for m in messages), messages
    return body


# --- slugs, names, duplicates ----------------------------------------------------


@pytest.mark.parametrize("slug", ["Bad Slug", "UPPER", "-dash", "dash-", "a_b", "x" * 64, "é"])
@pytest.mark.parametrize("url", ["/api/v1/clusters/", "/api/v1/teams/", "/api/v1/quota-plans/"])
def test_it_refuses_invalid_slugs(admin_api, url, slug):
    assert_field_error(admin_api.post(url, {"name": "Valid name", "slug": slug}, format="json"), "slug")


def test_a_cluster_needs_its_slug(admin_api):
    assert_field_error(admin_api.post("/api/v1/clusters/", {"name": "Valid name", "slug": ""}, format="json"), "slug")


@pytest.mark.parametrize("url", ["/api/v1/teams/", "/api/v1/quota-plans/"])
def test_a_team_or_plan_slug_left_out_is_made_from_the_name(admin_api, url):
    made = admin_api.post(url, {"name": "Données Team 7"}, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["slug"] == "donnees-team-7"
    blank = admin_api.post(url, {"name": "Other one", "slug": ""}, format="json")
    assert blank.status_code == 201 and blank.json()["slug"] == "other-one"
    # A name that gives no slug, or one that clashes, is the slug field's error.
    assert_field_error(admin_api.post(url, {"name": "团队"}, format="json"), "slug", contains="enter a slug")
    assert_field_error(admin_api.post(url, {"name": "Données team 7!"}, format="json"), "slug")
    # Once made, a slug is not blanked.
    assert_field_error(admin_api.patch(f"{url}donnees-team-7/", {"slug": ""}, format="json"), "slug", contains="blank")


@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [
        ("/api/v1/clusters/", {"name": "Prod", "slug": "prod-2"}, "name"),
        ("/api/v1/clusters/", {"name": "Prod 2", "slug": "prod"}, "slug"),
        ("/api/v1/teams/", {"name": "Team A", "slug": "team-z"}, "name"),
        ("/api/v1/teams/", {"name": "Team Z", "slug": "team-a"}, "slug"),
        ("/api/v1/quota-plans/", {"name": "Small", "slug": "small-2"}, "name"),
        ("/api/v1/namespaces/", {"team": "team-a", "cluster": "prod", "name": "team-b-dev", "plan": "small"}, "name"),
    ],
)
def test_it_refuses_duplicate_names(admin_api, url, payload, field):
    response = admin_api.post(url, payload, format="json")
    body = assert_error_shape(response, 400)
    assert field in body["errors"] or "non_field_errors" in body["errors"], body


def test_it_refuses_a_duplicate_ssh_credential_and_host(admin_api):
    cred = SSHCredential.objects.create(name="cred", kind="password", password="pw")
    Host.objects.create(name="h1", address="10.0.0.1", credential=cred)
    assert_field_error(
        admin_api.post(
            "/api/v1/ssh-credentials/", {"name": "cred", "kind": "password", "password": "x"}, format="json"
        ),
        "name",
    )
    assert_field_error(
        admin_api.post("/api/v1/hosts/", {"name": "h1", "address": "10.0.0.9", "credential": "cred"}, format="json"),
        "name",
    )
    response = admin_api.post(
        "/api/v1/hosts/", {"name": "h2", "address": "10.0.0.1", "credential": "cred"}, format="json"
    )
    assert_error_shape(response, 400)


def test_it_refuses_a_duplicate_membership(world, api):
    response = api.as_(world.owner).post(
        "/api/v1/memberships/", {"team": "team-a", "user": "viewer", "role": "developer"}, format="json"
    )
    assert_field_error(response, "user")


# --- kubeconfigs ---------------------------------------------------------------------


def _doc_with(**changes):
    doc = credentials.kubeconfig_doc()
    for path, value in changes.items():
        target = doc
        *parents, last = path.split("__")
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[last] = value
    return yaml.safe_dump(doc)


def _without(section):
    doc = credentials.kubeconfig_doc()
    del doc[section]
    return yaml.safe_dump(doc)


BAD_KUBECONFIGS = {
    "not-yaml": ("clusters: [unclosed\n  - {", "YAML"),
    "not-a-mapping": ("- just\n- a list\n", "not a kubeconfig"),
    "wrong-kind": ("kind: Pod\napiVersion: v1\n", "not a kubeconfig"),
    "no-contexts": (_without("contexts"), "contexts"),
    "empty-contexts": (_doc_with(contexts=[]), "context"),
    "no-users": (_without("users"), "users"),
    "exec-plugin": (
        credentials.kubeconfig(user={"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "aws"}}),
        "exec plugin",
    ),
    "auth-provider": (credentials.kubeconfig(user={"auth-provider": {"name": "oidc"}}), "exec plugin"),
    "http-server": (credentials.kubeconfig(server="http://10.0.0.1:8080"), "https://"),
    "no-server": (_doc_with(clusters__0__cluster={"insecure-skip-tls-verify": True}), "https://"),
    "ca-file-path": (
        _doc_with(clusters__0__cluster={"server": "https://x", "certificate-authority": "/etc/ca"}),
        "file",
    ),
    "client-cert-paths": (
        credentials.kubeconfig(user={"client-certificate": "/home/me/.kube/c.crt", "client-key": "/home/me/k.key"}),
        "files",
    ),
    "token-file": (credentials.kubeconfig(user={"tokenFile": "/var/run/token"}), "files"),
    "no-credentials": (credentials.kubeconfig(user={"username": "admin"}), "credentials"),
    "bad-base64": (
        credentials.kubeconfig(user={"client-certificate-data": "!!!notbase64", "client-key-data": "AAAA"}),
        "base64",
    ),
    "context-not-a-mapping": (_doc_with(contexts__0__context="prod"), ""),
    "cluster-not-a-mapping": (_doc_with(clusters__0__cluster="https://10.0.0.1"), ""),
    "user-not-a-mapping": (_doc_with(users__0__user=["token"]), ""),
    "context-cluster-a-list": (_doc_with(contexts__0__context={"cluster": ["prod"], "user": "admin"}), ""),
    "unknown-cluster": (_doc_with(contexts__0__context={"cluster": "nope", "user": "admin"}), "cluster"),
    "unknown-user": (_doc_with(contexts__0__context={"cluster": "prod", "user": "nope"}), "user"),
    "entry-without-name": (_doc_with(users=[{"user": {"token": "x"}}]), "name"),
    "token-not-a-string": (credentials.kubeconfig(user={"token": {"nested": 1}}), ""),
    "deeply-nested": ("[" * 5000 + "]" * 5000, "nested"),
    "alias-bomb": (
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
        "kubeconfig",
    ),
    "server-not-a-string": (_doc_with(clusters__0__cluster={"server": ["https://x"]}), "https://"),
}


@pytest.mark.parametrize("case", sorted(BAD_KUBECONFIGS))
def test_it_refuses_malformed_kubeconfigs_with_a_clear_message(admin_api, case):
    text, words = BAD_KUBECONFIGS[case]
    response = admin_api.post("/api/v1/clusters/", {"name": "New", "slug": "fresh", "kubeconfig": text}, format="json")
    body = assert_field_error(response, "kubeconfig", contains=words)
    assert body["detail"] and body["detail"] != "Invalid input."
    assert not Cluster.objects.filter(slug="fresh").exists()


def test_it_names_the_contexts_when_the_chosen_one_is_missing(admin_api):
    text = credentials.kubeconfig(extra_contexts=["staging"])
    response = admin_api.post(
        "/api/v1/clusters/", {"name": "New", "slug": "fresh", "kubeconfig": text, "context": "nope"}, format="json"
    )
    assert_field_error(response, "context", contains="staging")


def test_it_asks_for_a_context_when_there_are_several_and_no_current_one(admin_api):
    doc = credentials.kubeconfig_doc(extra_contexts=["staging"])
    del doc["current-context"]
    response = admin_api.post(
        "/api/v1/clusters/", {"name": "New", "slug": "fresh", "kubeconfig": yaml.safe_dump(doc)}, format="json"
    )
    assert_field_error(response, "context")


def test_a_record_change_refuses_credentials_and_names_the_endpoint(admin_api):
    response = admin_api.patch("/api/v1/clusters/prod/", {"kubeconfig": credentials.kubeconfig()}, format="json")
    assert_field_error(response, "kubeconfig", contains="credentials/")
    assert not Cluster.objects.get(slug="prod").kubeconfig


@pytest.mark.parametrize(
    ("text", "words"),
    [("clusters: [unclosed\n  - {", "YAML"), (None, "Cannot connect"), ("", "blank")],
    ids=["malformed", "closed-port", "blank"],
)
def test_it_refuses_bad_new_credentials_and_keeps_the_old_ones(world, admin_api, text, words):
    from tests.support import live

    live.set_credentials(world.cluster, credentials.kubeconfig(server="https://127.0.0.1:1"))
    before = Cluster.objects.get(slug="prod").kubeconfig.reveal()
    text = live.unreachable_kubeconfig() if text is None else text
    response = admin_api.post("/api/v1/clusters/prod/credentials/", {"kubeconfig": text}, format="json")
    assert_field_error(response, "kubeconfig", contains=words)
    assert Cluster.objects.get(slug="prod").kubeconfig.reveal() == before


def test_an_import_that_cannot_connect_is_refused_and_nothing_is_saved(admin_api):
    from tests.support import live

    payload = {"name": "New", "slug": "fresh", "kubeconfig": live.unreachable_kubeconfig()}
    body = assert_field_error(admin_api.post("/api/v1/clusters/", payload, format="json"), "kubeconfig")
    assert "Cannot connect" in body["detail"]
    assert not Cluster.objects.filter(slug="fresh").exists()


def test_an_import_needs_a_kubeconfig(admin_api):
    assert_field_error(
        admin_api.post("/api/v1/clusters/", {"name": "New", "slug": "fresh"}, format="json"), "kubeconfig"
    )
    response = admin_api.post("/api/v1/clusters/", {"name": "New", "slug": "fresh", "kubeconfig": ""}, format="json")
    assert_field_error(response, "kubeconfig")


def test_it_refuses_a_kubeconfig_over_256_kib(admin_api):
    text = credentials.kubeconfig() + "#" * (257 * 1024)
    response = admin_api.post("/api/v1/clusters/", {"name": "New", "slug": "fresh", "kubeconfig": text}, format="json")
    assert_field_error(response, "kubeconfig")


# --- SSH keys ---------------------------------------------------------------------------


def _credential(admin_api, **payload):
    return admin_api.post("/api/v1/ssh-credentials/", {"name": "key", "kind": "private_key", **payload}, format="json")


@pytest.mark.parametrize(
    "key",
    [
        "not a key",
        "-----BEGIN OPENSSH PRIVATE KEY-----\ngarbage\n-----END OPENSSH PRIVATE KEY-----\n",
        "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake user@host",
    ],
)
def test_it_refuses_malformed_ssh_keys(admin_api, key):
    assert_field_error(_credential(admin_api, private_key=key), "private_key")


def test_it_asks_for_the_passphrase_of_an_encrypted_key(admin_api):
    key = credentials.ssh_private_key("right horse")
    assert_field_error(_credential(admin_api, private_key=key), "passphrase", contains="passphrase")


@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
def test_it_refuses_a_wrong_passphrase(admin_api, kind):
    key = credentials.ssh_private_key("right horse", kind=kind)
    assert_field_error(_credential(admin_api, private_key=key, passphrase="wrong"), "passphrase", contains="passphrase")


def test_it_accepts_the_right_passphrase(admin_api):
    key = credentials.ssh_private_key("right horse")
    response = _credential(admin_api, private_key=key, passphrase="right horse")
    assert response.status_code == 201, response.content
    assert response.json()["public_key_fingerprint"].startswith("SHA256:")


def test_it_needs_the_secret_of_the_chosen_kind(admin_api):
    assert_field_error(_credential(admin_api), "private_key")
    response = admin_api.post("/api/v1/ssh-credentials/", {"name": "pw", "kind": "password"}, format="json")
    assert_field_error(response, "password")
    response = admin_api.post("/api/v1/ssh-credentials/", {"name": "pw", "kind": "magic"}, format="json")
    assert_field_error(response, "kind")


# --- wrong JSON types -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [
        ("/api/v1/teams/", {"name": "T", "slug": "t", "max_namespaces": "five"}, "max_namespaces"),
        ("/api/v1/teams/", {"name": "T", "slug": "t", "max_namespaces": -1}, "max_namespaces"),
        ("/api/v1/teams/", {"name": "T", "slug": "t", "allowed_clusters": "prod"}, "allowed_clusters"),
        ("/api/v1/teams/", {"name": "T", "slug": "t", "allowed_clusters": ["nope"]}, "allowed_clusters"),
        ("/api/v1/teams/", {"name": {"a": 1}, "slug": "t"}, "name"),
        ("/api/v1/teams/", {"name": None, "slug": "t"}, "name"),
        ("/api/v1/teams/", {"name": "T", "slug": "t", "auto_approve_namespaces": "perhaps"}, "auto_approve_namespaces"),
        ("/api/v1/clusters/", {"name": "N", "slug": "n", "kubeconfig": {"apiVersion": "v1"}}, "kubeconfig"),
        ("/api/v1/clusters/", {"name": "N", "slug": "n", "kubeconfig": ["a", "b"]}, "kubeconfig"),
        ("/api/v1/clusters/", {"name": "N", "slug": "n", "health_checks_enabled": []}, "health_checks_enabled"),
        ("/api/v1/quota-plans/", {"name": "Q", "slug": "q", "pods": "many"}, "pods"),
        ("/api/v1/quota-plans/", {"name": "Q", "slug": "q", "pods": -3}, "pods"),
        ("/api/v1/quota-plans/", {"name": "Q", "slug": "q", "pods": [1]}, "pods"),
        ("/api/v1/quota-plans/", {"name": "Q", "slug": "q", "requests_cpu": "lots"}, "requests_cpu"),
        ("/api/v1/quota-plans/", {"name": "Q", "slug": "q", "limits_memory": "8 GB"}, "limits_memory"),
        ("/api/v1/quota-plans/", {"name": "Q", "slug": "q", "max_cpu": {"cpu": 1}}, "max_cpu"),
        ("/api/v1/hosts/", {"name": "h", "address": "not a host!", "credential": "c"}, "address"),
        ("/api/v1/hosts/", {"name": "h", "address": "10.0.0.5", "port": "ssh", "credential": "c"}, "port"),
        ("/api/v1/hosts/", {"name": "h", "address": "10.0.0.5", "port": 70000, "credential": "c"}, "port"),
        ("/api/v1/hosts/", {"name": "h", "address": "10.0.0.5", "credential": "missing"}, "credential"),
        ("/api/v1/hosts/", {"name": "h", "address": "10.0.0.5", "credential": "c", "cluster": "nope"}, "cluster"),
        ("/api/v1/hosts/", {"name": "h", "address": "10.0.0.5", "credential": "c", "sudo_mode": "yes"}, "sudo_mode"),
        ("/api/v1/ssh-credentials/", {"name": "k", "kind": "private_key", "private_key": ["x"]}, "private_key"),
        (
            "/api/v1/namespaces/",
            {"team": "team-a", "cluster": "prod", "name": "ns", "plan": "small", "labels": []},
            "labels",
        ),
        (
            "/api/v1/namespaces/",
            {"team": "team-a", "cluster": "prod", "name": "ns", "plan": "small", "labels": {"a": {"b": 1}}},
            "labels",
        ),
        ("/api/v1/namespaces/", {"team": "team-a", "cluster": "prod", "name": "Bad_NS", "plan": "small"}, "name"),
        ("/api/v1/namespaces/", {"team": "team-a", "cluster": "prod", "name": "ns", "plan": "huge"}, "plan"),
        ("/api/v1/namespaces/", {"team": ["team-a"], "cluster": "prod", "name": "ns", "plan": "small"}, "team"),
        ("/api/v1/memberships/", {"team": "team-a", "user": "viewer2", "role": "developer"}, "user"),
        ("/api/v1/memberships/", {"team": "team-a", "user": "admin", "role": "god"}, "role"),
        ("/api/v1/tokens/", {"name": "t", "expires_in_days": "soon"}, "expires_in_days"),
        ("/api/v1/tokens/", {"name": "t", "expires_in_days": 0}, "expires_in_days"),
        ("/api/v1/tokens/", {"name": "", "expires_in_days": 1}, "name"),
    ],
)
def test_it_refuses_wrong_types_with_field_messages(admin_api, url, payload, field):
    SSHCredential.objects.create(name="c", kind="password", password="pw")
    assert_field_error(admin_api.post(url, payload, format="json"), field)


@pytest.mark.parametrize(
    "labels",
    [
        {"bad key!": "v"},
        {"ok": "bad value!"},
        {"ok": "v" * 64},
        {"x" * 64: "v"},
        {"portal.kube/team": "team-b"},
        {"app.kubernetes.io/managed-by": "someone"},
        {"pod-security.kubernetes.io/enforce": "privileged"},
        {"": "v"},
    ],
)
def test_it_refuses_label_keys_and_values_kubernetes_or_the_portal_would_refuse(world, api, labels):
    payload = {"team": "team-a", "cluster": "prod", "name": "ns-labels", "plan": "small", "labels": labels}
    assert_field_error(api.as_(world.owner).post("/api/v1/namespaces/", payload, format="json"), "labels")


def test_it_accepts_ordinary_labels(world, api):
    payload = {
        "team": "team-a",
        "cluster": "prod",
        "name": "ns-labels",
        "plan": "small",
        "labels": {"env": "dev", "example.com/cost-center": "4_2.a", "empty": ""},
    }
    response = api.as_(world.owner).post("/api/v1/namespaces/", payload, format="json")
    assert response.status_code == 201, response.content


def test_it_refuses_a_quota_plan_update_with_an_unknown_quantity(admin_api):
    response = admin_api.patch("/api/v1/quota-plans/small/", {"requests_memory": "lots"}, format="json")
    assert_field_error(response, "requests_memory", contains="quantity")
    assert QuotaPlan.objects.get(slug="small").requests_memory == "4Gi"


def test_a_team_owner_cannot_change_the_namespace_policy(world, api):
    response = api.as_(world.owner).patch("/api/v1/teams/team-a/", {"max_namespaces": 100}, format="json")
    assert_field_error(response, "max_namespaces")


def test_a_namespace_cannot_move_to_another_team_or_cluster(world, api):
    response = api.as_(world.admin).patch(f"/api/v1/namespaces/{world.ns_a.pk}/", {"team": "team-b"}, format="json")
    assert_field_error(response, "team")
    response = api.as_(world.admin).patch(f"/api/v1/namespaces/{world.ns_a.pk}/", {"name": "renamed"}, format="json")
    assert_field_error(response, "name")


def test_a_membership_cannot_move_to_another_user(world, api):
    membership = Membership.objects.get(team=world.team_a, user=world.viewer)
    response = api.as_(world.owner).patch(f"/api/v1/memberships/{membership.pk}/", {"user": "owner"}, format="json")
    assert_field_error(response, "user")


def test_put_without_required_fields_names_them(admin_api):
    response = admin_api.put("/api/v1/teams/team-a/", {}, format="json")
    body = assert_field_error(response, "name")
    # The slug may be left out (made from the name on creation, kept on a change).
    assert "slug" not in body["errors"]
    response = admin_api.put("/api/v1/teams/team-a/", {"name": "Team A"}, format="json")
    assert response.status_code == 200 and response.json()["slug"] == "team-a"


# --- request bodies ---------------------------------------------------------------------


@pytest.mark.parametrize("body", ["{not json", '{"name": "x",}', "\x00\x01", '"just a string"', "[1, 2]", "null", "42"])
def test_it_refuses_malformed_or_non_object_json(admin_api, body):
    response = admin_api.generic("POST", "/api/v1/teams/", body, content_type="application/json")
    assert_error_shape(response, 400)


def test_it_refuses_an_unsupported_content_type(admin_api):
    response = admin_api.generic("POST", "/api/v1/teams/", "name=x", content_type="text/plain")
    assert_error_shape(response, 415)


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_it_refuses_oversized_payloads(world, api, content_type):
    client = api.as_(world.admin)
    filler = "x" * (1024 * 1024 + 10)
    if content_type == "application/json":
        body = json.dumps({"name": "Big", "slug": "big", "description": filler})
    else:
        body = f"name=Big&slug=big&description={filler}"
    response = client.generic("POST", "/api/v1/teams/", body, content_type=content_type)
    assert response.status_code in (400, 413), response.content
    assert_error_shape(response)
    from portal.models import AuditEvent

    assert AuditEvent.objects.latest("pk").status_code == response.status_code


def test_it_refuses_a_nul_character_in_text(admin_api):
    response = admin_api.post("/api/v1/teams/", {"name": "T\x00", "slug": "t"}, format="json")
    assert_field_error(response, "name")


# --- query parameters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=0",
        "page=-1",
        "page=99999",
        "page_size=abc",
        "page_size=-5",
        "page_size=100000",
        "ordering=nope",
        "ordering=-kubeconfig",
        "ordering=credential__private_key",
        "ordering=,,,",
        "phase=nonsense",
        "search=%00",
        "search=" + "x" * 5000,
        "provider=%00",
    ],
)
def test_it_answers_bad_query_parameters_without_a_500(admin_api, query):
    response = admin_api.get(f"/api/v1/clusters/?{query}")
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert_error_shape(response)


@pytest.mark.parametrize(
    ("url", "status_code"),
    [
        ("/api/v1/audit-events/?since=yesterday", 400),
        ("/api/v1/audit-events/?channel=carrier-pigeon", 400),
        ("/api/v1/audit-events/?result=%00", 400),
        ("/api/v1/nodes/?cluster=%00", 400),
        ("/api/v1/jobs/?status=sleeping", 400),
        ("/api/v1/jobs/abc/", 404),
        ("/api/v1/jobs/99999999999999999999999/", 404),
        ("/api/v1/clusters/%00/", 404),
        ("/api/v1/namespaces/?team__slug=%00", 400),
    ],
)
def test_it_answers_bad_filters_and_lookups_in_the_error_shape(admin_api, url, status_code):
    assert_error_shape(admin_api.get(url), status_code)


def test_job_events_refuse_a_non_integer_counter(world, api):
    from jobs.models import Job

    job = Job.objects.create(kind="noop", title="J", team=world.team_a)
    response = api.as_(world.owner).get(f"/api/v1/jobs/{job.pk}/events/?after=abc")
    assert_field_error(response, "after")


# --- conflicts ----------------------------------------------------------------------------


def test_deleting_a_credential_used_by_a_host_is_a_conflict(admin_api):
    cred = SSHCredential.objects.create(name="cred", kind="password", password="pw")
    Host.objects.create(name="h1", address="10.0.0.1", credential=cred)
    body = assert_error_shape(admin_api.delete(f"/api/v1/ssh-credentials/{cred.pk}/"), 409)
    assert "h1" in body["detail"]
    assert SSHCredential.objects.filter(pk=cred.pk).exists()


def test_deleting_a_plan_used_by_a_namespace_is_a_conflict(world, admin_api):
    assert_error_shape(admin_api.delete("/api/v1/quota-plans/small/"), 409)
    assert QuotaPlan.objects.filter(slug="small").exists()


def test_deleting_a_cluster_with_namespaces_is_a_conflict(world, admin_api):
    body = assert_error_shape(admin_api.delete("/api/v1/clusters/prod/"), 409)
    assert body["type"] == "conflict"
    assert Cluster.objects.filter(slug="prod").exists()


def test_deleting_a_team_with_namespaces_is_a_conflict(world, admin_api):
    assert_error_shape(admin_api.delete("/api/v1/teams/team-a/"), 409)


def test_deleting_a_namespace_that_exists_in_the_cluster_is_a_conflict(world, api):
    assert_error_shape(api.as_(world.owner).delete(f"/api/v1/namespaces/{world.ns_a.pk}/"), 409)
    assert TeamNamespace.objects.filter(pk=world.ns_a.pk).exists()


def test_the_last_owner_cannot_be_demoted_or_removed(world, api):
    mine = Membership.objects.get(team=world.team_b, user=world.outsider)
    client = api.as_(world.outsider)
    body = assert_error_shape(client.patch(f"/api/v1/memberships/{mine.pk}/", {"role": "viewer"}, format="json"), 409)
    assert "owner" in body["detail"]
    assert_error_shape(client.delete(f"/api/v1/memberships/{mine.pk}/"), 409)
    assert_error_shape(api.as_(world.admin).delete(f"/api/v1/memberships/{mine.pk}/"), 409)
    mine.refresh_from_db()
    assert mine.role == TeamRole.OWNER


def test_an_owner_can_step_down_once_there_is_another_owner(world, api):
    other = get_user_model().objects.create_user("second")
    Membership.objects.create(team=world.team_b, user=other, role=TeamRole.OWNER)
    mine = Membership.objects.get(team=world.team_b, user=world.outsider)
    response = api.as_(world.outsider).patch(f"/api/v1/memberships/{mine.pk}/", {"role": "viewer"}, format="json")
    assert response.status_code == 200, response.content


def test_namespace_limit_is_a_field_error(world, api):
    world.team_a.max_namespaces = 1
    world.team_a.save()
    payload = {"team": "team-a", "cluster": "prod", "name": "one-too-many", "plan": "small"}
    assert_field_error(api.as_(world.owner).post("/api/v1/namespaces/", payload, format="json"), "name")


def test_canceling_a_finished_job_is_a_conflict(world, api):
    from jobs.models import Job

    job = Job.objects.create(kind="noop", title="J", team=world.team_a, status="succeeded")
    assert_error_shape(api.as_(world.owner).post(f"/api/v1/jobs/{job.pk}/cancel/"), 409)
    assert_error_shape(api.as_(world.owner).post(f"/api/v1/jobs/{job.pk}/resume/"), 409)


def test_a_nul_character_in_a_write_is_answered_and_audited(admin_api):
    from portal.models import AuditEvent

    response = admin_api.delete("/api/v1/clusters/%00/")
    assert_error_shape(response, 404)
    assert AuditEvent.objects.latest("pk").status_code == 404
    response = admin_api.patch("/api/v1/teams/team-a/", {"description\x00": "x\x00y"}, format="json")
    assert response.status_code < 500
    assert AuditEvent.objects.latest("pk").status_code == response.status_code


def test_a_team_member_cannot_switch_a_namespace_to_another_plan(world, api):
    QuotaPlan.objects.create(name="Huge", slug="huge", requests_cpu="64")
    url = f"/api/v1/namespaces/{world.ns_a.pk}/"
    assert_field_error(
        api.as_(world.owner).patch(url, {"plan": "huge"}, format="json"), "plan", contains="quota change"
    )
    assert TeamNamespace.objects.get(pk=world.ns_a.pk).plan.slug == "small"
    # Repeating the current plan (a PUT does) is not a change.
    assert api.as_(world.owner).patch(url, {"plan": "small"}, format="json").status_code == 200
    assert api.as_(world.admin).patch(url, {"plan": "huge"}, format="json").status_code == 200


def test_a_team_owner_may_put_the_policy_back_unchanged(world, api):
    current = api.as_(world.owner).get("/api/v1/teams/team-a/").json()
    payload = {k: current[k] for k in ("name", "slug", "max_namespaces", "allowed_clusters", "auto_approve_namespaces")}
    response = api.as_(world.owner).put("/api/v1/teams/team-a/", {**payload, "description": "put"}, format="json")
    assert response.status_code == 200, response.content


def test_a_new_team_requests_its_first_namespace_once_a_cluster_is_allowed_for_it(world, api, make_user):
    from portal.teams import Team

    team = Team.objects.create(name="Fresh", slug="fresh")
    owner = make_user("fresh-owner")
    Membership.objects.create(team=team, user=owner, role=TeamRole.OWNER)
    payload = {"team": "fresh", "cluster": "prod", "name": "fresh-dev", "plan": "small"}
    # With no allowed-cluster list and no namespace yet, the team sees no cluster: it cannot ask on one.
    assert api.as_(owner).get("/api/v1/clusters/prod/").status_code == 404
    response = api.as_(owner).post("/api/v1/namespaces/", payload, format="json")
    assert response.status_code == 400 and "cluster" in response.json()["errors"], response.content
    team.allowed_clusters.set([world.cluster])
    response = api.as_(owner).post("/api/v1/namespaces/", payload, format="json")
    assert response.status_code == 201, response.content


def test_naming_a_cluster_one_cannot_see_does_not_tell_it_exists(world, api):
    from clusters.models import Cluster

    Cluster.objects.create(name="Hidden", slug="hidden")
    world.team_a.allowed_clusters.add(world.cluster)  # a restricted team sees only its clusters
    client = api.as_(world.owner)
    hidden = client.patch("/api/v1/teams/team-a/", {"allowed_clusters": ["hidden"]}, format="json").json()
    missing = client.patch("/api/v1/teams/team-a/", {"allowed_clusters": ["no-such"]}, format="json").json()
    assert hidden["errors"]["allowed_clusters"] == [
        m.replace("no-such", "hidden") for m in missing["errors"]["allowed_clusters"]
    ]


def test_terminating_a_namespace_needs_its_name_typed_again(world, api):
    url = f"/api/v1/namespaces/{world.ns_a.pk}/terminate/"
    client = api.as_(world.owner)
    assert_field_error(client.post(url, {}, format="json"), "confirm")
    assert_field_error(client.post(url, {"confirm": "team-b-dev"}, format="json"), "confirm")
    response = client.post(url, {"confirm": "team-a-dev"}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["kind"] == "namespace.delete"
    assert TeamNamespace.objects.get(pk=world.ns_a.pk).phase == "terminating"
    assert_error_shape(client.post(url, {"confirm": "team-a-dev"}, format="json"), 409)


def test_approving_twice_is_a_conflict(world, api):
    ns = TeamNamespace.objects.create(team=world.team_a, cluster=world.cluster, name="waiting", plan=world.plan)
    client = api.as_(world.admin)
    assert client.post(f"/api/v1/namespaces/{ns.pk}/approve/").json()["phase"] == "provisioning"
    assert_error_shape(client.post(f"/api/v1/namespaces/{ns.pk}/approve/"), 409)
    assert_error_shape(client.post(f"/api/v1/namespaces/{ns.pk}/reject/", {"reason": "x"}, format="json"), 409)


def test_a_team_owner_cannot_change_the_teams_slug(world, api):
    assert_field_error(api.as_(world.owner).patch("/api/v1/teams/team-a/", {"slug": "renamed"}, format="json"), "slug")
    assert api.as_(world.owner).patch("/api/v1/teams/team-a/", {"name": "Team Alpha"}, format="json").status_code == 200
    assert api.as_(world.admin).patch("/api/v1/teams/team-a/", {"slug": "renamed"}, format="json").status_code == 200


def test_a_restricted_team_cannot_request_on_another_cluster(world, api):
    from clusters.models import Cluster

    Cluster.objects.create(name="Elsewhere", slug="elsewhere")
    world.team_a.allowed_clusters.add(world.cluster)
    payload = {"team": "team-a", "cluster": "elsewhere", "name": "team-a-x", "plan": "small"}
    assert_field_error(api.as_(world.owner).post("/api/v1/namespaces/", payload, format="json"), "cluster")


def test_a_cluster_whose_namespaces_are_all_gone_can_be_deleted(world, admin_api):
    TeamNamespace.objects.filter(cluster=world.cluster).update(phase="deleted")
    TeamNamespace.objects.filter(pk=world.ns_b.pk).update(phase="rejected")
    assert admin_api.delete("/api/v1/clusters/prod/").status_code == 204
    assert not Cluster.objects.filter(slug="prod").exists()


# --- the cluster, node and tenancy actions ------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "method", "payload", "field"),
    [
        ("drain/", "post", {"timeout_seconds": "soon"}, "timeout_seconds"),
        ("drain/", "post", {"timeout_seconds": 5}, "timeout_seconds"),
        ("labels/", "put", {}, "labels"),
        ("labels/", "put", {"labels": ["a=b"]}, "labels"),
        ("labels/", "put", {"labels": {"a": {"b": 1}}}, "labels"),
        ("taints/", "put", {"taints": "dedicated=gpu:NoSchedule"}, "taints"),
        ("taints/", "put", {"taints": [{"key": "x", "effect": "Sometimes"}]}, "taints"),
        ("taints/", "put", {"taints": [{"effect": "NoSchedule"}]}, "taints"),
    ],
)
def test_node_actions_refuse_bad_input_before_reaching_the_cluster(world, admin_api, suffix, method, payload, field):
    from clusters.models import Node

    node = Node.objects.create(cluster=world.cluster, name="n1")
    response = getattr(admin_api, method)(f"/api/v1/nodes/{node.pk}/{suffix}", payload, format="json")
    assert_field_error(response, field)


def test_cluster_credentials_need_a_kubeconfig(world, admin_api):
    assert_field_error(admin_api.post("/api/v1/clusters/prod/credentials/", {}, format="json"), "kubeconfig")
    response = admin_api.post("/api/v1/clusters/prod/credentials/", {"kubeconfig": ["x"]}, format="json")
    assert_field_error(response, "kubeconfig")


def test_the_quota_of_a_namespace_not_in_its_cluster_is_a_conflict(world, api):
    ns = TeamNamespace.objects.create(team=world.team_a, cluster=world.cluster, name="waiting", plan=world.plan)
    body = assert_error_shape(api.as_(world.owner).get(f"/api/v1/namespaces/{ns.pk}/quota/"), 409)
    assert "no quota" in body["detail"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"plan": "bigger"}, "namespace"),
        ({"namespace": "abc", "plan": "bigger"}, "namespace"),
        ({"namespace": 999999, "plan": "bigger"}, "namespace"),
        ({"namespace": "OTHER", "plan": "bigger"}, "namespace"),
        ({"namespace": "A", "plan": "nope"}, "plan"),
        ({"namespace": "A", "plan": "small"}, "plan"),
        ({"namespace": "A", "plan": ["bigger"]}, "plan"),
        ({"namespace": "A", "plan": "bigger", "reason": "x" * 2001}, "reason"),
        ({"namespace": "GONE", "plan": "bigger"}, "namespace"),
    ],
)
def test_quota_change_requests_refuse_bad_input(world, api, payload, field):
    QuotaPlan.objects.create(name="Bigger", slug="bigger", requests_cpu="8")
    gone = TeamNamespace.objects.create(
        team=world.team_a, cluster=world.cluster, name="gone", plan=world.plan, phase="deleted"
    )
    ids = {"A": world.ns_a.pk, "OTHER": world.ns_b.pk, "GONE": gone.pk}
    payload = {k: ids.get(v, v) if k == "namespace" else v for k, v in payload.items()}
    assert_field_error(api.as_(world.owner).post("/api/v1/quota-changes/", payload, format="json"), field)
    from rbac.models import QuotaChangeRequest

    assert not QuotaChangeRequest.objects.exists()
