"""A team namespace's conditions and a grant's message are stored as reason
codes (or msgids) with parameters, and the page makes the sentence in the
reader's language. Rows written before, and reasons this code does not know,
show their stored message.

Tests that must not depend on the catalogue's wording replace the gettext
that stored text renders with: what the page shows must come through it,
with the stored parameters filled in."""

import pytest
from django.utils import translation

from clusters import kube
from portal import stored_text
from rbac import conditions
from rbac.conditions import Reason
from rbac.grants import ClusterGrant, GrantPhase
from rbac.reconcile import reconcile_cluster
from rbac.reconcile_grants import record
from tests.rbac.conftest import make_team_namespace


def _marked(monkeypatch):
    """Stored text renders through a gettext that marks what it translated."""
    monkeypatch.setattr(stored_text, "gettext", lambda msgid: f"译[{msgid}]")


def _page(client, tenancy, tn) -> str:
    client.force_login(tenancy.admin)
    client.cookies["django_language"] = "zh-hans"
    return client.get(f"/teams/namespaces/{tn.pk}/").content.decode()


@pytest.mark.devcluster
def test_a_reconciled_namespace_stores_reasons_and_the_page_translates_them(tenancy, unique, client, monkeypatch):
    tn = make_team_namespace(tenancy, tenancy.team_a, unique("a-i18n"))
    with translation.override("zh-hans"):  # the language of whoever triggered it changes nothing stored
        reconcile_cluster(cluster=tenancy.cluster)
    tn.refresh_from_db()
    first = tn.conditions[0]
    assert (first["type"], first["status"], first["reason"], first["params"]) == (
        "Reconciled",
        "True",
        "Provisioned",
        {},
    )
    assert first["message"] == "Provisioned."  # the English sentence stays for readers from before
    reconcile_cluster(cluster=tenancy.cluster)
    tn.refresh_from_db()
    assert (tn.conditions[0]["reason"], tn.conditions[0]["message"]) == ("InSync", "In sync.")
    _marked(monkeypatch)
    html = _page(client, tenancy, tn)
    assert "译[In sync.]" in html
    assert "Reconciled = True" not in html


@pytest.mark.devcluster
def test_a_namespace_that_is_not_ours_fails_with_nested_reasons(tenancy, make_namespace, client, monkeypatch):
    name = make_namespace("a-theirs")  # made by someone else: no owner annotation
    tn = make_team_namespace(tenancy, tenancy.team_a, name)
    reconcile_cluster(cluster=tenancy.cluster)
    tn.refresh_from_db()
    condition = tn.conditions[0]
    assert (condition["status"], condition["reason"]) == ("False", "ReconcileFailed")
    assert condition["params"]["object"] == f"Namespace//{name}"
    assert condition["params"]["error"] == {"msgid": conditions.SENTENCES["NotOwned"], "params": {"name": name}}
    (failed,) = [f for f in condition["failed"] if f["object"] == f"Namespace//{name}"]
    assert (failed["reason"], failed["params"]) == ("NotOwned", {"name": name})
    assert failed["message"].startswith(f"Namespace {name} already exists in the cluster")
    _marked(monkeypatch)
    html = _page(client, tenancy, tn)
    not_ours = conditions.SENTENCES["NotOwned"] % {"name": name}
    # The condition's sentence, translated, with its parameters (one a translated sentence) filled in.
    assert f"译[Namespace//{name}: 译[{not_ours}]]" in html
    # The failed object's own line.
    assert f"</code>: 译[{not_ours}]</li>" in html


def test_conditions_from_before_and_unknown_reasons_show_as_stored():
    shown = conditions.shown(
        [
            {"type": "Reconciled", "status": "True", "message": "In sync.", "at": "t"},
            {"type": "Custom", "status": "Unknown", "reason": "SomethingNew", "message": "Stored words."},
            {"type": "Rejected", "status": "True", "by": "ann", "message": "use team-a-dev"},
            "not a condition",
        ]
    )
    assert [(c["label"], c["sentence"]) for c in shown] == [
        ("Reconciled", "In sync."),
        ("Custom = Unknown", "Stored words."),
        ("Rejected", "use team-a-dev"),
    ]
    with translation.override("zh-hans"):
        assert conditions.label({"type": "Approved", "status": "True"}) == "已批准"


def test_a_reason_renders_its_sentence_through_gettext(monkeypatch):
    said = []
    monkeypatch.setattr(stored_text, "gettext", lambda msgid: said.append(msgid) or f"«{msgid}»")
    stored = conditions.stored(Reason("Terminating", name="team-a-dev"))
    assert stored == {
        "message": "Namespace team-a-dev is being deleted in the cluster.",
        "reason": "Terminating",
        "params": {"name": "team-a-dev"},
    }
    assert conditions.sentence(stored) == "«Namespace team-a-dev is being deleted in the cluster.»"
    assert said == [conditions.SENTENCES["Terminating"]]


@pytest.mark.django_db
def test_a_grants_message_is_stored_as_its_msgid_and_shown_translated(world):
    grant = ClusterGrant.objects.create(cluster=world.cluster, name="viewers", role="view")
    with translation.override("zh-hans"):
        record(grant, "ClusterRoleBinding//kube-portal:grant:viewers", drifted=True, failure="", actor=None)
    grant.refresh_from_db()
    assert (grant.phase, grant.message) == (GrantPhase.READY, "Applied.")
    with translation.override("zh-hans"):
        assert grant.message_display == "已应用。"
    record(grant, "ClusterRoleBinding//kube-portal:grant:viewers", drifted=False, failure="forbidden: no", actor=None)
    grant.refresh_from_db()
    with translation.override("zh-hans"):
        assert grant.message_display == "forbidden: no"  # the API server's words, as they are


def test_a_clusters_refusal_in_a_condition_keeps_its_message_id():
    refusal = kube.translate(TimeoutError("timed out"))
    stored = conditions.stored(refusal.text)
    assert stored["message"] == "the cluster did not answer in time."
    assert stored["message_i18n"]["msgid"] == "%(where)s did not answer in time."
    with translation.override("zh-hans"):
        assert conditions.sentence(stored) == "该集群 未能及时响应。"
        failed = conditions.stored(Reason("ReconcileFailed", object="Namespace//x", error=refusal.text))
        assert conditions.sentence(failed) == "Namespace//x：该集群 未能及时响应。"
