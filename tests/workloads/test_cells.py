"""What a list or detail page shows in a kind's columns (workloads/pages.py
`cells`), next to what the API answers for the same object: the API keeps the
cluster's values, a page shows states as badges and code words in the reader's
language."""

from django.utils import translation

from workloads.kinds import KINDS
from workloads.pages import cells

POD = {
    "metadata": {"name": "web-1", "namespace": "shop"},
    "spec": {"nodeName": "node-1"},
    "status": {"phase": "Running", "containerStatuses": [{"ready": True, "restartCount": 2}]},
}
BINDING = {
    "metadata": {"name": "kube-portal:team", "labels": {"app.kubernetes.io/managed-by": "kube-portal"}},
    "roleRef": {"kind": "ClusterRole", "name": "view"},
}


def test_a_pods_phase_is_a_badge_on_the_page_and_the_word_in_the_api():
    kind = KINDS["pods"]
    row = {"columns": kind.row(POD)}
    assert row["columns"]["phase"] == "Running"
    with translation.override("zh-hans"):
        phase = dict(zip((c.name for c in kind.columns), cells(kind, row), strict=True))["phase"]
    assert phase == '<span class="badge badge-ok" data-state="Running">运行中</span>'


def test_who_made_an_rbac_object_is_said_in_the_readers_language():
    kind = KINDS["rolebindings"]
    row = {"columns": kind.row(BINDING)}
    assert row["columns"]["origin"] == "portal"
    with translation.override("zh-hans"):
        shown = dict(zip((c.name for c in kind.columns), cells(kind, row), strict=True))["origin"]
    assert shown == "门户"
