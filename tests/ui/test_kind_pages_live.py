"""The generic pages of live objects (workloads/views_kinds.py) against the
devcluster: every registered kind listed, shown and applied through the same
pages, then paging, filters, bad input, roles and deletion on ConfigMaps.
Each test works in a namespace of its own that the `tenancy` fixture deletes
afterwards, with everything the test made in it."""

import html
import re

import pytest
import yaml
from django.test import Client

from clusters import kube
from portal.models import AuditEvent
from tests.api.conftest import ready_ns  # noqa: F401
from tests.rbac.conftest import tenancy, unique  # noqa: F401
from tests.support.wait import wait_for
from tests.workloads.addresses import author_of, delete_cluster_object, place_of, team_template
from workloads import objects
from workloads.actions import actions_for
from workloads.actions.scale import SCALE
from workloads.kinds import KINDS

pytestmark = [pytest.mark.devcluster, pytest.mark.django_db]


@pytest.fixture
def as_():
    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


def url(namespace, plural, tail=""):
    return f"/workloads/namespaces/{namespace.pk}/{plural}/{tail}"


def text(response) -> str:
    return response.content.decode()


def row_names(page: str) -> list[str]:
    return re.findall(r'<tr data-name="([^"]+)"', page)


def link(page: str, anchor_id: str) -> str:
    match = re.search(rf'<a href="([^"]*)" id="{anchor_id}"', page)
    return html.unescape(match.group(1)) if match else ""


def last_event():
    return AuditEvent.objects.latest("pk")


def _exists(tenancy, namespace, kind, name) -> bool:  # noqa: F811
    with kube.client_for(tenancy.cluster) as client:
        try:
            objects.get_object(client, kind, namespace.name, name)
        except kube.KubeNotFound:
            return False
    return True


@pytest.mark.parametrize("plural", sorted(KINDS))
def test_every_kind_is_listed_applied_and_shown_through_the_same_pages(
    tenancy,  # noqa: F811
    ready_ns,  # noqa: F811
    unique,  # noqa: F811
    as_,
    plural,
    request,
):
    kind = KINDS[plural]
    name = unique(kind.kind.lower()[:20])
    if not kind.namespaced:
        request.addfinalizer(lambda: delete_cluster_object(tenancy, kind, name))
    developer = as_(author_of(kind, tenancy))
    ready_ns = place_of(kind, tenancy, ready_ns)

    empty = developer.get(url(ready_ns, plural), {"name": name})
    assert empty.status_code == 200
    assert row_names(text(empty)) == []
    for column in kind.columns:
        assert f"<th>{html.escape(str(column.label))}</th>" in text(empty)

    form = developer.get(url(ready_ns, plural, "new/"))
    assert form.status_code == 200
    if kind.read_only:
        assert "read-only here" in text(form)
        manifest = kind.template(name)
        manifest["metadata"]["namespace"] = ready_ns.name
        with kube.client_for(tenancy.cluster) as client:
            objects.apply_object(client, kind, manifest)
    else:
        assert html.escape(kind.template_yaml("example")) in text(form)
        manifest = yaml.safe_dump(team_template(kind, name, tenancy.team_a), sort_keys=False)
        dry = developer.post(url(ready_ns, plural, "new/"), {"manifest": manifest, "dry_run": "1"})
        assert dry.status_code == 200
        assert "Dry run: nothing was applied" in text(dry) and name in text(dry)
        assert html.escape(manifest) in text(dry)  # the text stays for the real apply
        assert not _exists(tenancy, ready_ns, kind, name)

        applied = developer.post(url(ready_ns, plural, "new/"), {"manifest": manifest, "apply": "1"})
        assert applied.status_code == 302, text(applied)
        assert applied["Location"] == url(ready_ns, plural, f"{name}/")
        event = last_event()
        assert (event.action, event.result, event.target_kind, event.target_name, event.target_namespace) == (
            f"{kind.kind.lower()}.apply",
            "success",
            kind.kind,
            name,
            ready_ns.name,
        )

    listed = text(developer.get(url(ready_ns, plural)))
    assert name in row_names(listed)
    assert 'class="badge badge-' in listed  # the row's status badge

    detail = developer.get(url(ready_ns, plural, f"{name}/"))
    assert detail.status_code == 200
    page = text(detail)
    assert f"name: {name}" in page and f"kind: {kind.kind}" in page
    assert "managedFields" not in page
    assert ('id="delete-form"' in page) is not kind.read_only
    assert ('id="scale-form"' in page) is (SCALE in [a.name for a in actions_for(kind)])

    if SCALE in [a.name for a in actions_for(kind)]:
        viewer = as_(tenancy.viewer)
        refused = viewer.post(url(ready_ns, plural, f"{name}/scale/"), {"replicas": "2"})
        assert refused.status_code == 403 and "reads objects" in text(refused)
        scaled = developer.post(url(ready_ns, plural, f"{name}/scale/"), {"replicas": "2"})
        assert scaled.status_code == 302
        assert (last_event().action, last_event().target_name) == (f"{kind.kind.lower()}.scale", name)
        assert "replicas: 2" in text(developer.get(url(ready_ns, plural, f"{name}/")))
        bad = developer.post(url(ready_ns, plural, f"{name}/scale/"), {"replicas": "-1"})
        assert bad.status_code == 400


def test_lists_page_and_filter_and_bad_input_stays_on_the_page(tenancy, ready_ns, unique, as_):  # noqa: F811
    developer = as_(tenancy.developer)
    label = unique("pager")
    names = [f"{label}-{index}" for index in range(5)]
    documents = [KINDS["configmaps"].template(name) for name in names]
    for document in documents:
        document["metadata"]["labels"] = {"pager": label}
    several = yaml.safe_dump_all(documents, sort_keys=False)  # one apply, five documents
    applied = developer.post(url(ready_ns, "configmaps", "new/"), {"manifest": several, "apply": "1"})
    assert applied.status_code == 302, text(applied)
    assert applied["Location"] == url(ready_ns, "configmaps")

    # Pages of two, by label: "Next page" carries the continue token, "First page" goes back.
    seen, next_url = [], url(ready_ns, "configmaps") + f"?limit=2&selector=pager%3D{label}"
    first_page = ""
    while next_url:
        page = text(developer.get(next_url))
        rows = row_names(page)
        assert 1 <= len(rows) <= 2, page
        seen += rows
        if len(seen) > 2:
            first_page = link(page, "first-page")
            assert first_page and "continue" not in first_page
            first_page = url(ready_ns, "configmaps") + first_page
        next_url = link(page, "next-page")
        assert not next_url or next_url.startswith("?continue=") or "&continue=" in next_url, next_url
        next_url = next_url and url(ready_ns, "configmaps") + next_url
    assert seen == names
    assert row_names(text(developer.get(first_page))) == names[:2]

    by_name = text(developer.get(url(ready_ns, "configmaps"), {"name": f"{label}-3"}))
    assert row_names(by_name) == [f"{label}-3"]
    assert row_names(text(developer.get(url(ready_ns, "configmaps"), {"selector": "pager=nobody"}))) == []

    # A bad selector and a made-up continue token are messages on the page.
    bad = developer.get(url(ready_ns, "configmaps"), {"selector": "pager in (("})
    assert bad.status_code == 200 and 'id="list-error"' in text(bad)
    assert "label selector is not valid" in text(bad)
    expired = developer.get(url(ready_ns, "configmaps"), {"continue": "not-a-token"})
    assert expired.status_code == 200 and "next-page link has expired" in text(expired)

    # YAML that does not parse, and a field the API server refuses: the message, the text kept, nothing applied.
    broken = "kind: [\nmetadata: {"
    response = developer.post(url(ready_ns, "configmaps", "new/"), {"manifest": broken, "apply": "1"})
    assert response.status_code == 400 and html.escape(broken) in text(response)
    assert 'class="errors"' in text(response)
    invalid = (
        KINDS["configmaps"].template_yaml(f"{label}-bad").replace("app.kubernetes.io/name:", "'not a label key!':", 1)
    )
    response = developer.post(url(ready_ns, "configmaps", "new/"), {"manifest": invalid, "apply": "1"})
    assert response.status_code == 400
    assert "name part must consist of alphanumeric characters" in html.unescape(text(response))
    # The API server's words are marked as its own, in the sentence and beside the field.
    errors = re.findall(
        r"<li>(.*?)</li>", re.search(r'<ul class="errorlist nonfield">(.*?)</ul>', text(response), re.S)[1]
    )
    assert errors[0].startswith(f'<span translate="no">ConfigMap {label}-bad</span>: Invalid: <span translate="no">')
    assert errors[1].startswith('<span translate="no">metadata.labels</span>: <span translate="no">Invalid value: ')
    assert html.escape(invalid) in text(response)
    assert not _exists(tenancy, ready_ns, KINDS["configmaps"], f"{label}-bad")


def test_viewers_read_only_other_teams_find_nothing_and_delete_asks_for_the_name(tenancy, ready_ns, unique, as_):  # noqa: F811
    kind = KINDS["configmaps"]
    name = unique("cm")
    developer, viewer = as_(tenancy.developer), as_(tenancy.viewer)
    applied = developer.post(url(ready_ns, "configmaps", "new/"), {"manifest": kind.template_yaml(name), "apply": "1"})
    assert applied.status_code == 302, text(applied)

    # The namespace page links every namespaced kind's list (ClusterRoles are no namespace's).
    namespace_page = text(developer.get(f"/teams/namespaces/{ready_ns.pk}/"))
    for plural, listed_kind in KINDS.items():
        assert (url(ready_ns, plural) in namespace_page) is listed_kind.namespaced, plural

    # A viewer reads, sees no write controls, and a forged POST is refused with a message.
    listed = text(viewer.get(url(ready_ns, "configmaps")))
    assert name in row_names(listed) and 'id="kind-apply"' not in listed
    detail = text(viewer.get(url(ready_ns, "configmaps", f"{name}/")))
    assert f"name: {name}" in detail
    assert 'id="delete-form"' not in detail and 'id="scale-form"' not in detail
    forged = viewer.post(url(ready_ns, "configmaps", f"{name}/delete/"), {"confirm": name})
    assert forged.status_code == 403 and "reads objects" in text(forged)
    assert (last_event().action, last_event().result) == ("configmap.delete", "denied")
    forged = viewer.post(url(ready_ns, "configmaps", "new/"), {"manifest": kind.template_yaml(name), "apply": "1"})
    assert forged.status_code == 403 and "reads objects" in text(forged)
    assert _exists(tenancy, ready_ns, kind, name)

    # A kind the team role does not grant (the built-in view role leaves out
    # Roles): said in the reader's language, the API server's words as they are.
    viewer.cookies["django_language"] = "zh-hans"
    refused = viewer.get(url(ready_ns, "roles"))
    assert refused.status_code == 200 and "您的账号不能" in text(refused)
    said = re.search(r'<small class="cluster-said" translate="no">([^<]*)</small>', text(refused))
    assert said and "cannot list resource" in html.unescape(said[1])
    # So is a refused read of one object: the sentence translated, the API
    # server's words inside it marked as its own (the crawl skips them).
    refused = viewer.get(url(ready_ns, "roles", "any-role/"))
    error = re.search(r'<p class="error" role="alert" id="detail-error">(.*?)</p>', text(refused), re.S)
    assert refused.status_code == 403 and error, text(refused)
    said = re.fullmatch(
        r'<span translate="no">any-role</span>：被集群禁止：<span translate="no">([^<]*)</span>', error[1].strip()
    )
    assert said and "cannot get resource" in html.unescape(said[1])

    # A member of another team finds no such namespace.
    other = as_(tenancy.users["b-owner"])
    for response in (
        other.get(url(ready_ns, "configmaps")),
        other.get(url(ready_ns, "configmaps", f"{name}/")),
        other.get(url(ready_ns, "configmaps", "new/")),
        other.post(url(ready_ns, "configmaps", f"{name}/delete/"), {"confirm": name}),
    ):
        assert response.status_code == 404
    assert developer.get(url(ready_ns, "nosuchkinds")).status_code == 404

    # Delete asks for the name; then the object goes, audited with its own kind and name.
    wrong = developer.post(url(ready_ns, "configmaps", f"{name}/delete/"), {"confirm": "something-else"})
    assert wrong.status_code == 400 and "to confirm the deletion" in text(wrong)
    assert _exists(tenancy, ready_ns, kind, name)
    deleted = developer.post(url(ready_ns, "configmaps", f"{name}/delete/"), {"confirm": name})
    assert deleted.status_code == 302 and deleted["Location"] == url(ready_ns, "configmaps")
    event = last_event()
    assert (event.action, event.result, event.target_kind, event.target_name, event.actor) == (
        "configmap.delete",
        "success",
        "ConfigMap",
        name,
        tenancy.developer,
    )
    wait_for(lambda: not _exists(tenancy, ready_ns, kind, name) or None, 30, 0.5, what=f"{name} to be deleted")
    gone = developer.get(url(ready_ns, "configmaps", f"{name}/"))
    assert gone.status_code == 404 and 'id="detail-error"' in text(gone)
