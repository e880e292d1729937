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


def answered_and_shown(plural: str, obj: dict, column: str) -> tuple:
    """The column's value in the API's row, and on a Chinese page."""
    kind = KINDS[plural]
    row = {"columns": kind.row(obj)}
    with translation.override("zh-hans"):
        shown = dict(zip((c.name for c in kind.columns), cells(kind, row), strict=True))
    return row["columns"][column], shown[column]


def test_a_pods_phase_is_a_badge_on_the_page_and_the_word_in_the_api():
    answered, shown = answered_and_shown("pods", POD, "phase")
    assert answered == "Running"
    assert shown == '<span class="badge badge-ok" data-state="Running">运行中</span>'


def test_who_made_an_rbac_object_is_said_in_the_readers_language():
    assert answered_and_shown("rolebindings", BINDING, "origin") == ("portal", "门户")
