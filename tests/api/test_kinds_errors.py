"""What the API server says becomes one clear API answer (workloads/errors.py),
and manifests are refused before any request when they cannot be applied
(workloads/objects.py). No cluster needed: the API server's answers are the
Status bodies it sends, written out."""

import json

import pytest
from urllib3.exceptions import NewConnectionError

from clusters import kube
from portal.errors import api_exception_handler
from workloads import objects
from workloads.errors import mapped, portal_error
from workloads.kinds import KINDS, UnknownKind, kind_for


def api_answer(status: int, message: str, **details) -> kube.KubeError:
    body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "code": status}
    if details:
        body["details"] = details
    return kube.translate(kube.ApiException(status=status, reason="", body=json.dumps(body)))


def answered(exc: Exception):
    """The portal's HTTP answer for an error raised in a view: (status, body)."""
    response = api_exception_handler(exc, {})
    return response.status_code, response.data


INVALID = api_answer(
    422,
    'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    name="web",
    kind="Deployment",
    causes=[
        {
            "reason": "FieldValueInvalid",
            "message": "Invalid value: -1: must be greater than or equal to 0",
            "field": "spec.replicas",
        }
    ],
)


def test_an_invalid_object_is_a_400_with_the_api_servers_message_on_its_field():
    status, body = answered(portal_error(INVALID))
    assert status == 400 and body["type"] == "invalid"
    assert body["errors"] == {"spec.replicas": ["Invalid value: -1: must be greater than or equal to 0"]}


def test_of_several_documents_the_field_names_its_document():
    status, body = answered(portal_error(INVALID, document=2, name="Deployment web"))
    assert status == 400
    assert body["errors"] == {"documents[2].spec.replicas": ["Invalid value: -1: must be greater than or equal to 0"]}
    assert body["detail"].startswith("Deployment web: ")


def test_an_invalid_answer_without_causes_still_says_what_failed():
    exc = api_answer(400, "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas")
    status, body = answered(portal_error(exc))
    assert status == 400
    assert body["errors"] == {"non_field_errors": [exc.message]}


@pytest.mark.parametrize(
    ("status", "message", "expected", "error_type"),
    [
        (403, 'deployments.apps is forbidden: User "portal:v" cannot create', 403, "forbidden"),
        (403, 'pods "p" is forbidden: exceeded quota: portal-quota, requested: pods=1', 403, "quota_exceeded"),
        (404, 'deployments.apps "web" not found', 404, "not_found"),
        (409, 'deployments.apps "web" already exists', 409, "conflict"),
        (410, "The provided continue parameter is too old", 410, "expired"),
        (500, "etcdserver: request timed out", 502, "cluster_error"),
    ],
)
def test_each_refusal_of_the_api_server_has_its_own_answer_never_a_500(status, message, expected, error_type):
    answer_status, body = answered(portal_error(api_answer(status, message)))
    assert (answer_status, body["type"]) == (expected, error_type)
    assert body["detail"]


def test_a_conflict_says_to_reload():
    exc = api_answer(409, 'Apply failed with 1 conflict: conflict with "kubectl": .data.greeting')
    _status, body = answered(portal_error(exc))
    assert "reload it and apply your change again" in body["detail"]
    assert ".data.greeting" in body["detail"]


def test_an_unreachable_cluster_is_a_503():
    exc = kube.translate(NewConnectionError(None, "Connection refused"), server="https://10.0.0.1:6443")
    with pytest.raises(kube.ClusterUnreachable) as raised, mapped(name="web"):
        raise exc
    status, body = answered(raised.value)
    assert status == 503 and body["type"] == "cluster_unreachable"
    assert body["detail"].startswith("web: Cannot connect")


# --- manifests refused before any request ---------------------------------------------


def test_manifests_are_placed_in_the_namespace_asked_for():
    manifest = KINDS["deployments"].template("web")
    ((kind, obj),) = objects.checked_manifests([manifest], namespace="team-a-dev")
    assert kind is KINDS["deployments"] and obj["metadata"]["namespace"] == "team-a-dev"
    assert "namespace" not in manifest["metadata"], "the caller's document is left as it was"


@pytest.mark.parametrize(
    ("document", "field", "words"),
    [
        # A kind the portal does not register.
        (
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "s"}},
            "kind",
            "not a kind the portal applies",
        ),
        (KINDS["replicasets"].template("rs"), "kind", "read-only"),
        (KINDS["configmaps"].template("../../secrets/x"), "metadata.name", "lower-case letters"),
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, "metadata.name", "needs metadata.name"),
        (
            KINDS["configmaps"].template("c") | {"metadata": {"name": "c", "namespace": "team-b-prod"}},
            "metadata.namespace",
            "team-b-prod",
        ),
        ("just text", "non_field_errors", "mapping"),
    ],
)
def test_a_manifest_that_cannot_be_applied_is_refused_on_its_field(document, field, words):
    with pytest.raises(objects.ManifestError) as raised:
        objects.checked_manifests([document], namespace="team-a-dev")
    status, body = answered(raised.value)
    assert status == 400
    assert words in body["errors"][field][0]


def test_every_refusal_among_several_documents_is_named_by_its_index():
    good = KINDS["configmaps"].template("good")
    unregistered = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "s"}}
    with pytest.raises(objects.ManifestError) as raised:
        objects.checked_manifests([good, unregistered, "text"], namespace="team-a-dev")
    assert set(raised.value.field_errors) == {"documents[1].kind", "documents[2]"}


def test_yaml_that_cannot_be_read_names_its_line():
    with pytest.raises(objects.ManifestError) as raised:
        objects.parse_yaml("kind: ConfigMap\nmetadata:\n  name: [unclosed\n")
    assert "line" in raised.value.message
    assert objects.parse_yaml("---\nkind: A\n---\n---\nkind: B\n") == [{"kind": "A"}, {"kind": "B"}]


def test_yaml_aliases_are_refused_before_anything_walks_them():
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b]\n"
    with pytest.raises(objects.ManifestError) as raised:
        objects.parse_yaml(laughs)
    assert "aliases" in raised.value.message and "line 2" in raised.value.message


@pytest.mark.parametrize("plural", sorted(KINDS))
def test_every_template_reads_back_as_the_manifest_it_is(plural):
    kind = KINDS[plural]
    (document,) = objects.parse_yaml(kind.template_yaml("web"))
    assert document == kind.template("web")
    if not kind.read_only:
        namespace = "team-a-dev" if kind.namespaced else ""  # cluster-scoped kinds: at a cluster's address
        ((checked, obj),) = objects.checked_manifests([document], namespace=namespace)
        assert checked is kind and obj["metadata"].get("namespace", "") == namespace


def test_an_unknown_plural_is_a_404_naming_the_known_ones():
    with pytest.raises(UnknownKind) as raised:
        kind_for("serviceaccounts")
    status, body = answered(raised.value)
    assert status == 404 and "deployments" in body["detail"]
