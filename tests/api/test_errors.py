"""The one error shape everywhere under /api/, and CSRF for session writes."""

import pytest
from rest_framework.test import APIClient

from clusters.api.views import ClusterViewSet
from tests.api.generic import assert_error_shape
from tests.conftest import PASSWORD


def test_an_unknown_api_url_answers_json(world, api):
    body = assert_error_shape(api.as_(world.admin).get("/api/v1/no-such-thing/"), 404)
    assert body["type"] == "not_found"


def test_a_method_not_allowed_answers_the_error_shape(world, api):
    body = assert_error_shape(api.as_(world.admin).delete("/api/v1/clusters/"), 405)
    assert body["type"] == "method_not_allowed"


def test_an_unacceptable_accept_header_answers_the_error_shape(world, api):
    response = api.as_(world.admin).get("/api/v1/clusters/", HTTP_ACCEPT="application/xml")
    assert response.status_code == 406


def test_a_server_error_answers_the_error_shape_without_details(world, monkeypatch):
    def boom(self, request, *args, **kwargs):
        raise RuntimeError("database password is hunter2-secret")

    monkeypatch.setattr(ClusterViewSet, "list", boom)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(world.admin)
    response = client.get("/api/v1/clusters/")
    body = assert_error_shape(response, 500)
    assert body["type"] == "server_error"
    assert "hunter2" not in response.content.decode()


@pytest.fixture
def session_client(world):
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="owner", password=PASSWORD)
    return client


def test_a_session_write_needs_the_csrf_token(session_client):
    response = session_client.patch("/api/v1/teams/team-a/", {"description": "x"}, format="json")
    body = assert_error_shape(response, 403)
    assert "CSRF" in body["detail"]


def test_a_session_write_with_the_csrf_token_passes(session_client):
    session_client.get("/accounts/login/")  # sets the csrftoken cookie
    token = session_client.cookies["csrftoken"].value
    response = session_client.patch(
        "/api/v1/teams/team-a/", {"description": "x"}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200, response.content


def test_a_session_read_needs_no_csrf_token(session_client):
    assert session_client.get("/api/v1/teams/").status_code == 200
