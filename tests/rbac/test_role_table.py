"""What each team role may do: one table, built from the code's rules, the
same in the docs, the management command and the API description, and true
of what the API actually allows."""

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from portal.permissions import MANAGERS, OWNER_ONLY
from portal.roles import TeamRole
from rbac.api import views as rbac_views
from rbac.api.reconcile import NamespaceReconcileViewSet
from rbac.role_table import RULES, role_table_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "api-quickstart.md"


def test_the_docs_hold_the_generated_table():
    text = DOC.read_text()
    match = re.search(r"<!-- role-table:start -->\n(.*)<!-- role-table:end -->", text, re.DOTALL)
    assert match, "docs/api-quickstart.md lost its role-table markers"
    assert match.group(1) == role_table_markdown(), "regenerate it: manage.py role_table"


def test_the_command_prints_it():
    out = io.StringIO()
    call_command("role_table", stdout=out)
    assert out.getvalue() == role_table_markdown()


def test_the_api_description_carries_it(db, api, world):
    schema = api.as_(world.viewer).get("/api/schema/", {"format": "json"}).json()
    assert role_table_markdown() in schema["info"]["description"]


def test_the_rows_are_the_role_sets_the_api_checks():
    allowed = dict(RULES)
    assert rbac_views.TeamViewSet.write_roles is OWNER_ONLY
    assert rbac_views.MembershipViewSet.write_roles is OWNER_ONLY
    assert allowed["Change the team's settings and its members"] is OWNER_ONLY
    for viewset in (rbac_views.TeamNamespaceViewSet, rbac_views.QuotaChangeViewSet, NamespaceReconcileViewSet):
        assert viewset.write_roles is MANAGERS, viewset
    assert allowed["Request namespaces; change, delete and reconcile them; ask for quota changes"] is MANAGERS


def _may(row: str, role: str) -> bool:
    return TeamRole(role) in dict(RULES)[row]


@pytest.mark.parametrize("role", [r.value for r in TeamRole])
def test_what_the_table_says_is_what_the_api_does(world, api, role, django_capture_on_commit_callbacks):
    client = api.as_(world.users[role])
    team = client.patch("/api/v1/teams/team-a/", {"description": "changed"}, format="json")
    assert (team.status_code == 200) == _may("Change the team's settings and its members", role), team.content
    namespaces = "Request namespaces; change, delete and reconcile them; ask for quota changes"
    changed = client.patch(f"/api/v1/namespaces/{world.ns_a.pk}/", {"network_isolated": False}, format="json")
    assert (changed.status_code == 200) == _may(namespaces, role), changed.content
    reconcile = client.post(f"/api/v1/namespaces/{world.ns_a.pk}/reconcile/")
    assert (reconcile.status_code == 202) == _may(namespaces, role), reconcile.content
    seen = client.get(f"/api/v1/namespaces/{world.ns_a.pk}/")
    assert (seen.status_code == 200) == _may("See the team, its members, namespaces, quotas and workloads", role)


def test_the_access_page_shows_the_same_table(world, client):
    """The Access page renders role_rows(): every rule with its yes/no per
    role, and each role's ClusterRole as code (it once held a stale copy)."""
    from html.parser import HTMLParser

    from rbac.role_table import role_rows

    class Cells(HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows, self.in_table, self.cell = [], False, None

        def handle_starttag(self, tag, attrs):
            if tag == "table" and ("id", "role-table") in attrs:
                self.in_table = True
            elif self.in_table and tag == "tr":
                self.rows.append([])
            elif self.in_table and tag in ("td", "th"):
                self.cell = ""

        def handle_endtag(self, tag):
            if tag == "table":
                self.in_table = False
            elif self.in_table and tag in ("td", "th") and self.cell is not None:
                self.rows[-1].append(self.cell.strip())
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell += data

    client.force_login(world.viewer)
    page = client.get("/rbac/")
    assert page.status_code == 200
    parsed = Cells()
    parsed.feed(page.content.decode())
    expected = [[cell.replace("`", "") for cell in row] for row in role_rows()]
    assert parsed.rows == expected
    assert "<code>kube-portal:team-admin</code>" in page.content.decode()
