"""What schemathesis's coverage phase (`st run --phases coverage`) found against a
running portal, each kept fixed: a body that is not an object, a page size that
is not a number, request bodies documented in encodings that cannot carry the
schema's values, and a required list the schema let be empty."""

import pytest
import yaml

from tests.api.generic import assert_error_shape


@pytest.fixture
def admin_api(world, api):
    return api.as_(world.admin)


@pytest.fixture
def schema(admin_api):
    response = admin_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == 200, response.content
    return yaml.safe_load(response.content)


def _posts_without_parameters(schema):
    return [path for path, operations in schema["paths"].items() if "post" in operations and "{" not in path]


@pytest.mark.parametrize("body", ["[null, null]", "0", '"text"', "true"])
def test_a_json_body_that_is_not_an_object_is_refused_in_the_error_shape(admin_api, schema, body):
    # POST /clusters/bootstrap/ answered 500 to `[null, null]`: it read the slug for the audit trail first.
    paths = _posts_without_parameters(schema)
    assert "/api/v1/clusters/bootstrap/" in paths
    for path in paths:
        response = admin_api.generic("POST", path, body, content_type="application/json")
        assert 400 <= response.status_code < 500, (path, response.status_code, response.content[:300])
        assert_error_shape(response)


@pytest.mark.parametrize("asked", ["abc", "0", "-5", "", "1.5", "null"])
def test_a_page_size_that_is_not_a_whole_number_of_one_or_more_is_refused(admin_api, asked):
    # DRF quietly used the default page size instead.
    body = assert_error_shape(admin_api.get(f"/api/v1/teams/?page_size={asked}"), 400)
    assert list(body["errors"]) == ["page_size"], body


def test_a_good_page_size_is_used_and_the_schema_says_which_are_good(admin_api, schema):
    body = admin_api.get("/api/v1/teams/?page_size=1").json()
    assert body["count"] == 2 and len(body["results"]) == 1
    parameters = schema["paths"]["/api/v1/teams/"]["get"]["parameters"]
    (page_size,) = [parameter for parameter in parameters if parameter["name"] == "page_size"]
    assert page_size["schema"] == {"type": "integer", "minimum": 1}


def test_request_bodies_are_documented_as_json_only(schema, admin_api):
    # Form encodings cannot say null, an empty list or a nested object; they are
    # still accepted, for the browsable API's forms, but they are not the contract.
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            media = set((operation.get("requestBody") or {}).get("content", {}))
            assert not media & {"multipart/form-data", "application/x-www-form-urlencoded"}, (path, method, media)
    assert set(schema["paths"]["/api/v1/teams/"]["post"]["requestBody"]["content"]) == {"application/json"}
    form = admin_api.post("/api/v1/teams/", {"name": "Team Form", "slug": "team-form"})
    assert form.status_code == 201, form.content


def test_a_plan_needs_a_control_plane_host_and_the_schema_says_so(admin_api, schema):
    components = schema["components"]["schemas"]
    for component in ("PreflightPlanRequest", "ClusterSpecRequest", "BootstrapStartRequest"):
        assert components[component]["properties"]["control_plane"]["minItems"] == 1, component
    for path in ("/api/v1/hosts/preflight/", "/api/v1/clusters/bootstrap/preview/"):
        response = admin_api.post(path, {"control_plane": []}, format="json")
        body = assert_error_shape(response, 400)
        assert body["errors"]["control_plane"] == ["A cluster needs at least one control-plane host."], body


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/api/v1/cluster-grants/",
            {"cluster": "p\x00rod", "name": "g", "role": "view", "teams": ["team-a"]},
            "cluster",
        ),
        ("/api/v1/cluster-grants/", {"cluster": "prod", "name": "g", "role": "view", "teams": ["team\x00-a"]}, "teams"),
        ("/api/v1/memberships/", {"team": "team\x00-a", "user": "viewer", "role": "viewer"}, "team"),
        ("/api/v1/namespaces/", {"team": "team-a", "cluster": "pr\x00od", "name": "x", "plan": "small"}, "cluster"),
    ],
)
def test_a_nul_character_in_a_related_slug_is_the_field_s_400_not_a_500(admin_api, path, body, field):
    # PostgreSQL text cannot hold NUL: the lookup failed in the database (psycopg.DataError, a 500).
    body = assert_error_shape(admin_api.post(path, body, format="json"), 400)
    assert field in body["errors"] or any(key.startswith(f"{field}[") for key in body["errors"]), body
