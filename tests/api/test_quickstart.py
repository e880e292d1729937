"""docs/api-quickstart.md's API calls, run as written: every POST with a
body it shows, in order, with the token its step 2 obtains."""

import json
import re
from pathlib import Path

from rest_framework.test import APIClient

from clusters.models import Cluster
from rbac.models import TeamNamespace
from tests.conftest import PASSWORD

DOC = Path(__file__).resolve().parents[2] / "docs" / "api-quickstart.md"
# `auth -X POST $PORTAL/api/v1/... \` or `curl -s -X POST $PORTAL/...`, then (after headers) `-d '<json>'`.
CALL = re.compile(r"-X POST \$PORTAL(/api/v1/\S+)\s*(?:\\\n)?(?:\s*-H '[^']*'\s*\\\n)*\s*-d '([^']*)'")


def documented_posts() -> list[tuple[str, dict]]:
    return [(path, json.loads(body)) for path, body in CALL.findall(DOC.read_text())]


def test_the_documented_calls_work_in_order(db, make_user):
    make_user("admin", staff=True)
    Cluster.objects.create(name="Demo", slug="demo")  # what `make run` registers (no credentials needed here)
    calls = documented_posts()
    assert [path for path, _ in calls] == [
        "/api/v1/auth/token/",
        "/api/v1/users/",
        "/api/v1/teams/",
        "/api/v1/memberships/",
        "/api/v1/quota-plans/",
        "/api/v1/namespaces/",
    ]
    (token_path, credentials), *rest = calls
    credentials["password"] = PASSWORD
    obtained = APIClient().post(token_path, credentials, format="json")
    assert obtained.status_code == 201, obtained.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {obtained.json()['token']}")
    assert client.get("/api/v1/users/me/").json()["username"] == "admin"
    assert client.get("/api/v1/clusters/").json()["results"][0]["slug"] == "demo"
    for path, body in rest:
        response = client.post(path, body, format="json")
        assert response.status_code == 201, (path, response.content)
    assert client.get("/api/v1/users/", {"active": "true", "staff": "false"}).json()["count"] == 1
    namespace = TeamNamespace.objects.get(name="payments-dev")
    assert (namespace.team.slug, namespace.cluster.slug, namespace.plan.slug) == ("payments", "demo", "small")
