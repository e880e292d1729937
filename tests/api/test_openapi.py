"""The OpenAPI 3 schema is valid and complete; the docs are served without a CDN."""

import re
from io import StringIO

import pytest
import yaml
from django.core.management import call_command

RESOURCES = [
    "clusters",
    "nodes",
    "hosts",
    "ssh-credentials",
    "teams",
    "memberships",
    "quota-plans",
    "namespaces",
    "jobs",
    "audit-events",
    "tokens",
    "quota-changes",
]


@pytest.fixture
def schema(world, api):
    response = api.as_(world.viewer).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == 200, response.content
    return yaml.safe_load(response.content)


def test_the_schema_passes_drf_spectacular_validation_without_warnings(db, tmp_path):
    # --validate checks the document against the OpenAPI 3 JSON schema;
    # --fail-on-warn turns every unresolved serializer, field or authenticator into a failure.
    out = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(out), stdout=StringIO(), stderr=StringIO()
    )
    assert yaml.safe_load(out.read_text())["openapi"].startswith("3.")


def test_the_schema_describes_every_resource(schema):
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for resource in RESOURCES:
        assert f"/api/v1/{resource}/" in paths, resource
    assert "post" in paths["/api/v1/jobs/{id}/cancel/"]
    assert "post" in paths["/api/v1/jobs/{id}/resume/"]
    assert "get" in paths["/api/v1/jobs/{id}/events/"]
    for path, method in [
        ("/api/v1/clusters/{slug}/credentials/", "post"),
        ("/api/v1/clusters/{slug}/check/", "post"),
        ("/api/v1/clusters/{slug}/health/", "get"),
        ("/api/v1/nodes/{id}/cordon/", "post"),
        ("/api/v1/nodes/{id}/uncordon/", "post"),
        ("/api/v1/nodes/{id}/drain/", "post"),
        ("/api/v1/nodes/{id}/labels/", "put"),
        ("/api/v1/nodes/{id}/taints/", "put"),
        ("/api/v1/nodes/{id}/pods/", "get"),
        ("/api/v1/namespaces/{id}/quota/", "get"),
        ("/api/v1/teams/{slug}/quota/", "get"),
        ("/api/v1/teams/{slug}/kubeconfig/", "post"),
        ("/api/v1/quota-changes/{id}/approve/", "post"),
        ("/api/v1/quota-changes/{id}/reject/", "post"),
    ]:
        assert method in paths[path], (path, method)
    # Live objects of every registered kind (workloads/kinds.py).
    kinds = "/api/v1/namespaces/{namespace_pk}/kinds/{plural}/"
    assert set(paths[kinds]) == {"get"} and set(paths[kinds + "{name}/"]) == {"get", "delete"}
    assert "application/yaml" in paths[kinds + "apply/"]["post"]["requestBody"]["content"]
    assert set(paths[kinds + "{name}/{action_name}/"]) == {"get", "post"}
    assert "application/yaml" in paths["/api/v1/teams/{slug}/kubeconfig/"]["post"]["responses"]["200"]["content"]
    # Read-only resources offer no writes.
    for resource in ("nodes", "audit-events"):
        assert set(paths[f"/api/v1/{resource}/"]) == {"get"}
    assert set(paths["/api/v1/quota-changes/{id}/"]) == {"get"}


def test_the_schema_documents_token_auth(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["apiToken"]["description"],
    }
    assert {"apiToken": []} in schema["paths"]["/api/v1/clusters/"]["get"]["security"]


def test_secrets_are_write_only_in_the_schema(schema):
    components = schema["components"]["schemas"]
    for name, secret_fields in (("SSHCredential", ["private_key", "passphrase", "password"]),):
        assert not set(secret_fields) & set(components[name]["properties"]), name
        assert set(secret_fields) <= set(components[f"{name}Request"]["properties"]), name
    # An import answers with ClusterConnected.
    assert "kubeconfig" in components["ClusterImportRequest"]["properties"]
    assert "ClusterImport" not in components
    # Credentials are written through their own endpoint only, and never read back.
    assert "kubeconfig" in components["ClusterCredentialsRequest"]["properties"]
    for name in ("Cluster", "ClusterConnected", "ClusterHealth", "ClusterCheck"):
        assert "kubeconfig" not in components[name]["properties"], name
    assert "kubeconfig" not in components["PatchedClusterRequest"]["properties"]
    assert "token" not in components["ApiToken"]["properties"]
    assert "token" in components["ApiTokenCreated"]["properties"]


def test_the_schema_needs_no_login_but_the_api_does(db, api):
    # The schema describes the API; it holds no data. Reading data needs a login.
    assert api.get("/api/schema/").status_code == 200
    assert api.get("/api/v1/clusters/").status_code == 401


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_the_docs_render_from_local_static_files(world, client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/schema/" in html
    assert not re.search(r"https?://(cdn|unpkg|fonts\.googleapis|cdnjs)", html), "no CDN"
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert assets, "assets come from our static files"
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_every_operation_documents_its_errors_in_the_one_error_shape(schema):
    error = {"$ref": "#/components/schemas/Error"}
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"type", "detail", "errors"}
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        expected = {"401", "403", "429"} | ({"400", "409"} if method in ("post", "put", "patch", "delete") else set())
        expected |= {"404"} if "{" in path else set()
        assert expected <= set(responses), (path, method, sorted(responses))
        for code in expected:
            assert responses[code]["content"]["application/json"]["schema"] == error, (path, method, code)


def test_operations_are_grouped_by_resource_and_described_by_their_own_docs(schema):
    tags = {tag for _path, _method, operation in _operations(schema) for tag in operation["tags"]}
    assert set(RESOURCES) | {"kinds"} <= tags and "v1" not in tags
    assert schema["paths"]["/api/v1/namespaces/{namespace_pk}/kinds/{plural}/"]["get"]["tags"] == ["kinds"]
    # The portal's base viewset's docstring (about the audit trail) is nobody's operation description.
    base = "Names each mutation for the audit trail"
    descriptions = [op.get("description", "") for _p, _m, op in _operations(schema)]
    assert not [d for d in descriptions if d.startswith(base)]
    assert schema["paths"]["/api/v1/teams/"]["get"]["description"].startswith("A page of the teams")


def test_the_schema_says_what_may_be_null_and_how_job_events_are_listed(schema):
    components = schema["components"]["schemas"]
    assert components["AuditEvent"]["properties"]["team"].get("nullable") is True
    for field in ("team", "cluster", "host", "created_by"):
        assert components["Job"]["properties"][field].get("nullable") is True, field
    assert "format" not in components["Cluster"]["properties"]["api_server_url"]
    events = schema["paths"]["/api/v1/jobs/{id}/events/"]["get"]
    assert events["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
    assert "after" in {parameter["name"] for parameter in events["parameters"]}
