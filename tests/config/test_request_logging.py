"""Expected refusals are logged at INFO in one line; real errors at ERROR with
their traceback (config/settings.py LOGGING, portal.log_filters.ExpectedRefusalFilter)."""

import logging

import pytest
from django.test import Client
from django.urls import include, path

pytestmark = pytest.mark.django_db


def boom(request):
    raise RuntimeError("a real bug")


urlpatterns = [path("boom/", boom), path("", include("config.urls"))]


def request_records(caplog):
    return [(r.levelname, r.status_code, r.exc_info is not None) for r in caplog.records if r.name == "django.request"]


def test_it_logs_refusals_at_info_without_a_traceback(world, client, api, caplog):
    caplog.set_level(logging.DEBUG)
    client.force_login(world.developer)
    assert client.post("/teams/team-a/edit/", {"name": "Mine", "slug": "team-a"}).status_code == 403
    assert client.get(f"/teams/namespaces/{world.ns_b.pk}/").status_code == 404  # team B's, hidden
    assert client.get("/no-such-page/").status_code == 404
    assert api.as_(None).get("/api/v1/teams/").status_code == 401
    assert api.as_(world.developer).patch("/api/v1/teams/team-a/", {"name": "x"}, format="json").status_code == 403
    assert api.as_(world.outsider).delete(f"/api/v1/namespaces/{world.ns_a.pk}/").status_code == 404
    assert request_records(caplog) == [
        ("INFO", 403, False),
        ("INFO", 404, False),
        ("INFO", 404, False),
        ("INFO", 401, False),
        ("INFO", 403, False),
        ("INFO", 404, False),
    ]
    assert "Traceback" not in caplog.text


@pytest.mark.urls(__name__)
def test_it_logs_a_server_error_at_error_with_its_traceback(world, caplog):
    caplog.set_level(logging.DEBUG)
    client = Client(raise_request_exception=False)
    client.force_login(world.admin)
    assert client.get("/boom/").status_code == 500
    assert request_records(caplog) == [("ERROR", 500, True)]
    assert "RuntimeError: a real bug" in caplog.text


def test_the_access_log_of_make_run_follows_the_same_rule(caplog):
    caplog.set_level(logging.DEBUG)
    server = logging.getLogger("django.server")
    server.warning('"GET /teams/x/ HTTP/1.1" 404 10', extra={"status_code": 404})
    server.error('"GET /boom/ HTTP/1.1" 500 10', extra={"status_code": 500})
    assert [(r.levelname, r.status_code) for r in caplog.records] == [("INFO", 404), ("ERROR", 500)]


def test_make_run_starts_without_a_static_files_warning(recwarn):
    """STATIC_ROOT does not exist before collectstatic; in development that is expected."""
    from django.conf import settings

    from config.static import StaticFilesMiddleware

    assert settings.WHITENOISE_USE_FINDERS
    settings_root = settings.STATIC_ROOT
    assert not settings_root.exists() or settings_root.is_dir()
    StaticFilesMiddleware(lambda request: None)
    assert [str(w.message) for w in recwarn if "No directory at" in str(w.message)] == []
