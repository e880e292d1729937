"""A workload whose pods cannot be created (over the team's quota, over its
LimitRange) says why in its list row and on its page, in the API server's
words, against the devcluster (the team namespaces get the portal's
ResourceQuota and LimitRange: 3 pods, at most 1 CPU per container)."""

import html
import re
from functools import partial

import pytest

from tests.support.wait import wait_for
from tests.workloads.addresses import api_url as url
from tests.workloads.addresses import page_client, page_url
from workloads.kinds import KINDS

pytestmark = pytest.mark.devcluster


def failed_row(api, user, namespace, plural, name):
    def check():
        (row,) = api.as_(user).get(url(namespace, plural), {"name": name}).json()["items"]
        return row if row["status"]["state"] == "failed" else None

    return wait_for(check, 90, 0.5, what=f"{plural} {name} to say why it has no pods")


def row_html(page: str, name: str) -> str:
    match = re.search(rf'<tr data-name="{re.escape(name)}">.*?</tr>', page, re.S)
    return html.unescape(match.group(0)) if match else ""


def test_a_deployment_over_the_quota_shows_the_quota_message_in_its_row_and_on_its_page(api, tenancy, ready_ns, unique):
    name = unique("overquota")
    manifest = KINDS["deployments"].template(name)
    manifest["spec"]["replicas"] = 5  # the plan allows 3 pods
    developer = partial(api.as_, tenancy.developer)
    assert developer().post(url(ready_ns, "deployments", "apply/"), manifest, format="json").status_code == 201

    row = failed_row(api, tenancy.developer, ready_ns, "deployments", name)
    message = row["status"]["message"]
    assert "exceeded quota" in message and "portal-quota" in message, row

    # The list page's row: the Failed badge with the same message; a viewer sees it too.
    for user in (tenancy.developer, tenancy.viewer):
        listed = page_client(user).get(page_url(ready_ns, "deployments"), {"name": name})
        cells = row_html(listed.content.decode(), name)
        assert "badge-failed" in cells and "exceeded quota" in cells, cells

    # Its page: the status in the summary, and the ReplicaFailure condition with its reason.
    page = page_client(tenancy.developer).get(page_url(ready_ns, "deployments", f"{name}/"))
    body = html.unescape(page.content.decode())
    summary = body[body.index('id="detail-status"') : body.index("</dd>", body.index('id="detail-status"'))]
    assert "badge-failed" in summary and "exceeded quota" in summary
    conditions = developer().get(url(ready_ns, "deployments", f"{name}/conditions/")).json()["conditions"]
    (failure,) = [c for c in conditions if c["type"] == "ReplicaFailure"]
    assert (failure["status"], failure["reason"]) == ("True", "FailedCreate")
    assert 'data-condition="ReplicaFailure"' in body

    assert developer().delete(url(ready_ns, "deployments", f"{name}/")).status_code == 204


def _over_the_limit_range(manifest: dict) -> dict:
    spec = manifest["spec"]
    pod = spec["jobTemplate"]["spec"]["template"] if "jobTemplate" in spec else spec["template"]
    pod["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "2"  # the LimitRange allows 1
    return manifest


@pytest.mark.parametrize("plural", ["statefulsets", "daemonsets", "jobs"])
def test_a_workload_its_limit_range_refuses_says_failed_create_from_its_events(api, tenancy, ready_ns, unique, plural):
    """These kinds carry no condition saying so: the row reads the controller's
    FailedCreate Warning events (one request for the whole page)."""
    kind = KINDS[plural]
    name = unique(plural[:8])
    developer = partial(api.as_, tenancy.developer)
    manifest = _over_the_limit_range(kind.template(name))
    response = developer().post(url(ready_ns, plural, "apply/"), manifest, format="json")
    assert response.status_code == 201, response.content

    row = failed_row(api, tenancy.viewer, ready_ns, plural, name)
    assert "maximum cpu usage per Container is 1" in row["status"]["message"], row
    detail = developer().get(url(ready_ns, plural, f"{name}/")).json()
    # Its page's status reads the same (the message names the latest pod it tried).
    assert detail["status"]["state"] == "failed"
    assert "maximum cpu usage per Container is 1" in detail["status"]["message"]

    # The events read has the Warning, newest first; the page shows it badged.
    events = developer().get(url(ready_ns, plural, f"{name}/events/")).json()["events"]
    assert any(e["reason"] == "FailedCreate" and e["warning"] for e in events), events
    page = html.unescape(page_client(tenancy.developer).get(page_url(ready_ns, plural, f"{name}/")).content.decode())
    assert 'data-reason="FailedCreate"' in page and "maximum cpu usage per Container is 1" in page
    listed = page_client(tenancy.developer).get(page_url(ready_ns, plural), {"name": name}).content.decode()
    assert "badge-failed" in row_html(listed, name)

    assert developer().delete(url(ready_ns, plural, f"{name}/")).status_code == 204
