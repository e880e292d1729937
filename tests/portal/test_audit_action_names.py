"""Every audit action reads `<resource>.<verb>`: one style in the trail, so
one filter (`action=team.`) finds everything done to a kind of object."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from portal.models import AuditEvent
from tests.api.test_audit_completeness import BODY, operations

pytestmark = pytest.mark.django_db

ACTION = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")


def recorded_since(before: int) -> list[str]:
    return list(AuditEvent.objects.filter(pk__gt=before).values_list("action", flat=True))


def last_pk() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_every_action_recorded_for_the_apis_writes_has_one_style(world, api):
    client = api.as_(world.admin)
    misnamed = []
    for method, path in operations():
        before = last_pk()
        getattr(client, method)(path, BODY, format="json")
        misnamed += [(method, path, action) for action in recorded_since(before) if not ACTION.match(action)]
    assert misnamed == []


def page_routes(resolver=None, prefix=""):
    """Every route of the pages (not the API, not Django's admin), its
    parameters filled with values nothing has."""
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(("api/", "admin/")):
            continue
        if isinstance(pattern, URLResolver):
            yield from page_routes(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield "/" + re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "9999" if m[1] == "int" else "nothing", route)


@pytest.mark.parametrize("who", ["anonymous", "outsider", "admin"])
def test_every_write_to_a_page_is_named_in_one_style(world, client, who):
    """Refused at the door, not found, or invalid: the trail still names the
    request by what it tried, never by method and URL name."""
    if who != "anonymous":
        client.force_login(getattr(world, who))
    routes = list(page_routes())
    assert len(routes) > 60
    misnamed = []
    for path in routes:
        before = last_pk()
        client.post(path, {"name": "x"})
        misnamed += [(path, action) for action in recorded_since(before) if not ACTION.match(action)]
    assert misnamed == []


def test_it_names_a_refused_edit_like_the_edit_it_tried(world, client):
    client.force_login(world.outsider)
    assert client.post("/teams/team-a/edit/", {"name": "Mine", "slug": "team-a"}).status_code == 404
    assert client.post(f"/teams/namespaces/{world.ns_a.pk}/edit/", {"plan": "small"}).status_code == 404
    client.post("/i18n/setlang/", {"language": "zh-hans"})
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["team.update", "teamnamespace.update", "session.language"]
