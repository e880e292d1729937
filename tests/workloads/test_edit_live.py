"""Edit an object's YAML in place (workloads/actions/edit.py, workloads/views_edit.py)
against the devcluster: the edit is applied as the user at the version the
page showed; a change made meanwhile is a 409 that keeps the user's text and
offers the fresh YAML; fields another field manager set are named and taken
over on request; the API server's refusal applies nothing."""

import html
import re

import pytest
import yaml
from django.test import Client

from clusters import kube
from portal.models import AuditEvent
from tests.support.wait import wait_for
from workloads import objects, services
from workloads.actions import edit
from workloads.actions.edit import field_conflicts
from workloads.kinds import KINDS

pytestmark = [pytest.mark.devcluster, pytest.mark.django_db]


REVISION = "deployment.kubernetes.io/revision"


def as_(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(namespace, plural, name, tail) -> str:
    return f"/workloads/namespaces/{namespace.pk}/{plural}/{name}/{tail}"


def text(response) -> str:
    return html.unescape(response.content.decode())


def editor(page: str) -> tuple[str, dict]:
    """(the textarea's YAML, the hidden fields the form carries: the resourceVersion and fingerprint)."""
    manifest = re.search(r'<textarea id="edit-manifest" name="manifest"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    hidden = dict(re.findall(r'<input type="hidden" name="(resource_version|fingerprint)" value="([^"]*)"', page))
    return manifest.lstrip("\n"), hidden


def conflicts(page: str) -> list[tuple[str, list[str]]]:
    """The field-manager conflict the page names: (the manager's line, its fields)."""
    found = re.search(r'<div class="callout" id="edit-field-conflict">(.*?)</div>', page, re.S)
    assert found, "no field-manager conflict on the page"
    return [
        (item, re.findall(r'<code class="field">(.*?)</code>', item))
        for item in re.findall(r"<li data-manager=.*?</li>", found.group(1), re.S)
    ]


def apply_as(tenancy, namespace, plural, manager, manifest):
    """Server-side apply under another field manager (as another tool would)."""
    with kube.client_for(tenancy.cluster) as client:
        client.request_json(
            "PATCH",
            objects.object_path(KINDS[plural], namespace.name, manifest["metadata"]["name"]),
            query=[("fieldManager", manager), ("force", "true")],
            body=manifest,
            content_type="application/apply-patch+yaml",
        )


def live(tenancy, namespace, plural, name) -> dict:
    with kube.client_for(tenancy.cluster) as client:
        return objects.get_object(client, KINDS[plural], namespace.name, name)


def made(tenancy, namespace, plural, name, **spec) -> dict:
    manifest = KINDS[plural].template(name)
    manifest.update(spec)
    services.live_apply(user=tenancy.developer, namespace=namespace, documents=[manifest])
    return live(tenancy, namespace, plural, name)


def greeting_edited(tenancy, namespace, unique):
    """A ConfigMap greeting "hello", its edit page read by the developer, the
    text changed to greet "mine": (name, developer, text read, its version, text changed)."""
    name = unique("cm")
    made(tenancy, namespace, "configmaps", name, data={"greeting": "hello"})
    developer = as_(tenancy.developer)
    manifest, version = editor(text(developer.get(url(namespace, "configmaps", name, "edit/"))))
    return name, developer, manifest, version, manifest.replace("greeting: hello", "greeting: mine")


def unchanged(now: dict, before: dict) -> bool:
    """The same spec (its controller keeps changing the status, and so the resourceVersion)."""
    return now["metadata"]["generation"] == before["metadata"]["generation"] and now["spec"] == before["spec"]


def test_an_edit_is_applied_as_the_user(tenancy, ready_ns, unique):
    name = unique("web")
    made(tenancy, ready_ns, "deployments", name)
    developer = as_(tenancy.developer)
    # Someone scales it (another field manager owns replicas now).
    scaled = developer.post(url(ready_ns, "deployments", name, "scale/"), {"replicas": "2"})
    assert scaled.status_code == 302
    detail = text(developer.get(url(ready_ns, "deployments", name, "")))
    assert f'href="{url(ready_ns, "deployments", name, "edit/")}" id="page-edit"' in detail

    page = developer.get(url(ready_ns, "deployments", name, "edit/"))
    assert page.status_code == 200
    manifest, version = editor(text(page))
    obj = yaml.safe_load(manifest)
    assert "status" not in obj and "managedFields" not in obj["metadata"]
    assert obj["metadata"]["resourceVersion"] == version["resource_version"]
    # Only its status moves meanwhile (as its controller does): the edit still goes in.
    with kube.client_for(tenancy.cluster) as client:
        condition = {"type": "PortalTest", "status": "True", "reason": "Test", "message": "status only"}
        client.apps.patch_namespaced_deployment_status(name, ready_ns.name, {"status": {"conditions": [condition]}})
    assert live(tenancy, ready_ns, "deployments", name)["metadata"]["resourceVersion"] != version["resource_version"]
    obj["spec"]["replicas"] = 0
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    obj["metadata"]["labels"]["tier"] = "edited"
    edit = {"manifest": yaml.safe_dump(obj), **version}
    # The scale's manager set replicas: the page names it and the field, and applies nothing.
    refused = developer.post(url(ready_ns, "deployments", name, "edit/apply/"), {**edit, "apply": "1"})
    page = text(refused)
    assert refused.status_code == 409, page
    (conflict,) = conflicts(page)
    assert conflict[1] == [".spec.replicas"] and 'subresource "scale"' in conflict[0]
    assert 'id="edit-take-over"' in page and editor(page)[0] == edit["manifest"]
    assert live(tenancy, ready_ns, "deployments", name)["spec"]["replicas"] == 2
    edited = developer.post(url(ready_ns, "deployments", name, "edit/apply/"), {**edit, "force": "1"})
    assert edited.status_code == 302, text(edited)
    assert edited["Location"] == url(ready_ns, "deployments", name, "")
    now = live(tenancy, ready_ns, "deployments", name)
    assert now["spec"]["replicas"] == 0
    assert now["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert now["metadata"]["labels"]["tier"] == "edited"
    event = AuditEvent.objects.latest("pk")
    assert (event.action, event.result, event.target_kind, event.target_name) == (
        "deployment.edit",
        "success",
        "Deployment",
        name,
    )


def test_a_change_made_meanwhile_is_a_conflict_and_reload_keeps_the_users_text(tenancy, ready_ns, unique):
    name, developer, manifest, version, mine = greeting_edited(tenancy, ready_ns, unique)
    assert mine != manifest
    # Meanwhile someone else changes it.
    with kube.client_for(tenancy.cluster) as client:
        client.core.patch_namespaced_config_map(name, ready_ns.name, {"data": {"greeting": "theirs"}})

    conflict = developer.post(
        url(ready_ns, "configmaps", name, "edit/apply/"), {"manifest": mine, **version, "apply": "1"}
    )
    page = text(conflict)
    assert conflict.status_code == 409, page
    assert "Someone changed it meanwhile" in page and 'id="edit-reload"' in page
    assert editor(page)[0] == mine  # the user's text stays in the editor
    assert live(tenancy, ready_ns, "configmaps", name)["data"] == {"greeting": "theirs"}

    reloaded = developer.post(
        url(ready_ns, "configmaps", name, "edit/apply/"), {"manifest": mine, **version, "reload": "1"}
    )
    page = text(reloaded)
    assert reloaded.status_code == 200
    fresh, fresh_version = editor(page)
    assert "greeting: theirs" in fresh and fresh_version["resource_version"] != version["resource_version"]
    assert "greeting: mine" in re.search(r'<pre class="objectyaml" id="edit-mine">(.*?)</pre>', page, re.S).group(1)

    # Applied again from the fresh version, the value they set is theirs: named, then taken over.
    again = {"manifest": fresh.replace("greeting: theirs", "greeting: mine"), **fresh_version}
    named = developer.post(url(ready_ns, "configmaps", name, "edit/apply/"), again)
    assert named.status_code == 409 and [fields for _item, fields in conflicts(text(named))] == [[".data.greeting"]]
    applied = developer.post(url(ready_ns, "configmaps", name, "edit/apply/"), {**again, "force": "1"})
    assert applied.status_code == 302, text(applied)
    assert live(tenancy, ready_ns, "configmaps", name)["data"] == {"greeting": "mine"}


def test_an_invalid_edit_shows_the_api_servers_message_and_applies_nothing(tenancy, ready_ns, unique):
    name = unique("web")
    made(tenancy, ready_ns, "deployments", name)
    developer = as_(tenancy.developer)
    manifest, version = editor(text(developer.get(url(ready_ns, "deployments", name, "edit/"))))
    # What the deployment controller writes just after a create (its revision) is
    # no one's edit: the edit goes on, and the API server's answer is about the text.
    with kube.client_for(tenancy.cluster) as client:
        revision = {"metadata": {"annotations": {"deployment.kubernetes.io/revision": "99"}}}
        client.apps.patch_namespaced_deployment(name, ready_ns.name, revision)
    before = live(tenancy, ready_ns, "deployments", name)
    invalid = manifest.replace("replicas: 1", "replicas: -1")
    assert invalid != manifest
    refused = developer.post(url(ready_ns, "deployments", name, "edit/apply/"), {"manifest": invalid, **version})
    page = text(refused)
    assert refused.status_code == 400, page
    assert "spec.replicas" in page and "must be greater than or equal to 0" in page
    assert editor(page)[0] == invalid
    assert unchanged(live(tenancy, ready_ns, "deployments", name), before)

    # Another name or kind would be another object: refused before the API server is asked.
    for changed, field in (
        (manifest.replace(f"name: {name}\n", "name: someone-else\n", 1), "metadata.name"),
        (manifest.replace("kind: Deployment", "kind: StatefulSet"), "kind"),
    ):
        response = developer.post(url(ready_ns, "deployments", name, "edit/apply/"), {"manifest": changed, **version})
        assert response.status_code == 400 and f"The {field} cannot change in an edit" in text(response)
    assert unchanged(live(tenancy, ready_ns, "deployments", name), before)


def test_a_controller_busy_with_the_object_does_not_refuse_the_edit(tenancy, ready_ns, monkeypatch, unique):
    """A rollout's controller can move the version again between the re-read
    and the apply, several times: the edit goes on while the object is as the
    page showed it (CI once saw a 409 here when one retry was all there was)."""
    name = unique("web")
    made(tenancy, ready_ns, "deployments", name)
    developer = as_(tenancy.developer)
    manifest, version = editor(text(developer.get(url(ready_ns, "deployments", name, "edit/"))))
    real_apply, busy = edit._apply, iter(range(edit.STATUS_RETRIES - 1))

    def controller_writes_first(call, obj, *, dry_run):
        # Before each of the first attempts the version moves twice: someone
        # writes the revision, and the deployment controller writes its own back.
        if dry_run and next(busy, None) is not None:
            with kube.client_for(tenancy.cluster) as client:
                moved = {"metadata": {"annotations": {REVISION: unique("r")}}}
                client.apps.patch_namespaced_deployment(name, ready_ns.name, moved)
                wait_for(
                    lambda: live(tenancy, ready_ns, "deployments", name)["metadata"]["annotations"][REVISION] == "1"
                )
        return real_apply(call, obj, dry_run=dry_run)

    monkeypatch.setattr(edit, "_apply", controller_writes_first)
    applied = developer.post(
        url(ready_ns, "deployments", name, "edit/apply/"),
        {"manifest": manifest.replace("replicas: 1", "replicas: 2"), **version},
    )
    assert applied.status_code == 302, text(applied)
    assert next(busy, None) is None  # every attempt but the last met a moved version
    assert live(tenancy, ready_ns, "deployments", name)["spec"]["replicas"] == 2


def test_a_controllers_bookkeeping_moved_on_is_not_the_users_conflict(tenancy, ready_ns, unique):
    """The text carries a controller's annotation as the page showed it; when
    the controller has moved it on, the edit takes the value it has now instead
    of naming a field-manager conflict the user never made. (A ConfigMap holds
    the annotation here, so no deployment controller writes it back meanwhile.)"""
    name = unique("cm")
    made(tenancy, ready_ns, "configmaps", name, data={"greeting": "hello"})

    def rollout_tool(revision, **data):
        meta = {"name": name, "annotations": {REVISION: revision}}
        apply_as(
            tenancy,
            ready_ns,
            "configmaps",
            "rollout-tool",
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, **data},
        )

    rollout_tool("1")
    developer = as_(tenancy.developer)
    manifest, version = editor(text(developer.get(url(ready_ns, "configmaps", name, "edit/"))))
    rollout_tool("2")
    applied = developer.post(
        url(ready_ns, "configmaps", name, "edit/apply/"),
        {"manifest": manifest.replace("greeting: hello", "greeting: mine"), **version},
    )
    assert applied.status_code == 302, text(applied)
    now = live(tenancy, ready_ns, "configmaps", name)
    assert now["data"] == {"greeting": "mine"} and now["metadata"]["annotations"][REVISION] == "2"

    # A field the user changed that the tool also set stays the user's conflict,
    # named alone: the bookkeeping beside it is not.
    rollout_tool("2", data={"greeting": "mine"})
    manifest, version = editor(text(developer.get(url(ready_ns, "configmaps", name, "edit/"))))
    rollout_tool("3", data={"greeting": "mine"})
    named = developer.post(
        url(ready_ns, "configmaps", name, "edit/apply/"),
        {"manifest": manifest.replace("greeting: mine", "greeting: again"), **version},
    )
    assert named.status_code == 409, text(named)
    assert [fields for _item, fields in conflicts(text(named))] == [[".data.greeting"]]
    assert live(tenancy, ready_ns, "configmaps", name)["data"] == {"greeting": "mine"}


def test_viewers_cannot_edit_and_other_teams_find_nothing(tenancy, ready_ns, unique):
    name = unique("cm")
    made(tenancy, ready_ns, "configmaps", name, data={"greeting": "hello"})
    developer, viewer = as_(tenancy.developer), as_(tenancy.viewer)
    manifest, version = editor(text(developer.get(url(ready_ns, "configmaps", name, "edit/"))))
    changed = {"manifest": manifest.replace("hello", "viewer"), **version}

    page = viewer.get(url(ready_ns, "configmaps", name, "edit/"))
    assert page.status_code == 403 and 'id="edit-manifest"' not in text(page)
    forged = viewer.post(url(ready_ns, "configmaps", name, "edit/apply/"), changed)
    assert forged.status_code == 403 and "reads objects" in text(forged)
    other = as_(tenancy.users["b-owner"])
    assert other.get(url(ready_ns, "configmaps", name, "edit/")).status_code == 404
    assert other.post(url(ready_ns, "configmaps", name, "edit/apply/"), changed).status_code == 404
    assert live(tenancy, ready_ns, "configmaps", name)["data"] == {"greeting": "hello"}
    # Through the API the edit action reads the same YAML.
    api = Client()
    api.force_login(tenancy.developer)
    answer = api.get(f"/api/v1/namespaces/{ready_ns.pk}/kinds/configmaps/{name}/edit/")
    assert answer.status_code == 200 and answer.json()["resource_version"] == version["resource_version"]


def test_a_secret_is_not_edited_here_so_its_values_stay_hidden(tenancy, ready_ns, unique):
    name = unique("secret")
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name},
        "stringData": {"password": "s3cr3t-value"},
    }
    services.live_apply(user=tenancy.developer, namespace=ready_ns, documents=[secret])
    developer = as_(tenancy.developer)
    assert developer.get(url(ready_ns, "secrets", name, "edit/")).status_code == 405
    # Not through the edit's own address either (its reload would show the object).
    reload = developer.post(url(ready_ns, "secrets", name, "edit/apply/"), {"manifest": "", "reload": "1"})
    assert reload.status_code == 405
    assert "s3cr3t-value" not in text(reload) and "czNjcjN0LXZhbHVl" not in text(reload)


def test_fields_another_manager_set_are_named_and_taken_over_on_request(tenancy, ready_ns, unique):
    name = unique("cm")
    made(tenancy, ready_ns, "configmaps", name, data={"greeting": "hello"})
    # Another tool applies its own values first: it manages those fields now.
    theirs = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}
    apply_as(tenancy, ready_ns, "configmaps", "other-tool", {**theirs, "data": {"greeting": "theirs", "colour": "red"}})
    apply_as(
        tenancy, ready_ns, "configmaps", "third-tool", {**theirs, "metadata": {"name": name, "labels": {"x": "1"}}}
    )
    developer = as_(tenancy.developer)
    manifest, version = editor(text(developer.get(url(ready_ns, "configmaps", name, "edit/"))))
    mine = manifest.replace("greeting: theirs", "greeting: mine").replace("colour: red", "colour: blue")
    mine = mine.replace("x: '1'", "x: '2'")
    assert mine.count("mine") == 1 and "colour: blue" in mine and "x: '2'" in mine
    before = AuditEvent.objects.count()

    refused = developer.post(url(ready_ns, "configmaps", name, "edit/apply/"), {"manifest": mine, **version})
    page = text(refused)
    assert refused.status_code == 409, page
    by_manager = {
        re.search(r'data-manager="([^"]+)"', item).group(1): sorted(fields) for item, fields in conflicts(page)
    }
    assert by_manager == {"other-tool": [".data.colour", ".data.greeting"], "third-tool": [".metadata.labels.x"]}
    assert "Reload" not in page and editor(page)[0] == mine and 'id="edit-take-over"' in page
    assert live(tenancy, ready_ns, "configmaps", name)["data"] == {"greeting": "theirs", "colour": "red"}
    event = AuditEvent.objects.latest("pk")
    assert (event.action, event.result, event.target_name) == ("configmap.edit", "invalid", name)

    taken = developer.post(
        url(ready_ns, "configmaps", name, "edit/apply/"), {"manifest": mine, **version, "force": "1"}
    )
    assert taken.status_code == 302, text(taken)
    now = live(tenancy, ready_ns, "configmaps", name)
    assert now["data"] == {"greeting": "mine", "colour": "blue"} and now["metadata"]["labels"]["x"] == "2"
    owners = {entry["manager"] for entry in now["metadata"]["managedFields"] if "f:data" in entry.get("fieldsV1", {})}
    assert owners == {objects.FIELD_MANAGER}  # taken over: the other tool manages none of them now
    event = AuditEvent.objects.latest("pk")
    assert AuditEvent.objects.count() == before + 2
    assert (event.action, event.result, event.target_name) == ("configmap.edit", "success", name)
    assert event.request_summary.get("force") in ("1", ["1"])


def test_a_field_conflict_on_an_object_changed_meanwhile_offers_reload(tenancy, ready_ns, unique):
    name, developer, manifest, version, mine = greeting_edited(tenancy, ready_ns, unique)
    # Another tool sets the same field after the page was read: taking it over
    # would overwrite a value the user never saw, so the page says reload.
    theirs = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"greeting": "theirs"}}
    apply_as(tenancy, ready_ns, "configmaps", "other-tool", theirs)
    conflict = developer.post(url(ready_ns, "configmaps", name, "edit/apply/"), {"manifest": mine, **version})
    page = text(conflict)
    assert conflict.status_code == 409, page
    assert 'id="edit-reload"' in page and 'id="edit-take-over"' not in page and editor(page)[0] == mine
    assert live(tenancy, ready_ns, "configmaps", name)["data"] == {"greeting": "theirs"}


def test_the_api_servers_conflict_messages_read_as_managers_and_fields():
    one = (
        'Conflict: Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" '
        "using apps/v1 at 2026-12-03T23:53:08Z: .spec.replicas"
    )
    assert field_conflicts(one) == [
        {
            "manager": "kubectl",
            "detail": 'with subresource "scale" using apps/v1 at 2026-12-03T23:53:08Z',
            "fields": [".spec.replicas"],
        }
    ]
    several = (
        'Conflict: Apply failed with 3 conflicts: conflicts with "helm":\n- .data.a\n- .data.b\n'
        'conflicts with "a \\"quoted\\" tool" using v1 at 2026-12-03T23:53:08Z:\n'
        '- .spec.template.spec.containers[name="web"].image'
    )
    assert field_conflicts(several) == [
        {"manager": "helm", "detail": "", "fields": [".data.a", ".data.b"]},
        {
            "manager": 'a "quoted" tool',
            "detail": "using v1 at 2026-12-03T23:53:08Z",
            "fields": ['.spec.template.spec.containers[name="web"].image'],
        },
    ]
    moved_on = (
        'Conflict: Operation cannot be fulfilled on configmaps "x": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    assert field_conflicts(moved_on) is None
