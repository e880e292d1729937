"""Workload reads. Team members read as themselves (impersonated), so the API
server decides what they may see; a platform admin outside the team reads
with the portal's own credential (admin pages are platform work)."""

from urllib.parse import quote

from django.utils.translation import gettext as _

from clusters import kube
from portal.errors import PortalError
from rbac import live
from workloads import columns, objects
from workloads.errors import NotAllowed, mapped
from workloads.kinds import Kind


def client_as(user, namespace) -> kube.KubeClient:
    """A client acting for `user` in `namespace` (a team namespace, or for a
    platform admin any namespace: workloads/places.py)."""
    if namespace.team is None:  # places.place_for gives these to platform admins only
        if not user.is_staff:
            raise NotAllowed(_("Only platform admins act outside team namespaces."))
        return kube.client_for(namespace.cluster)
    return live.client_as(user, namespace)


# --- any registered kind (workloads.kinds) -------------------------------------------------


# Kinds whose controllers say they cannot make pods only in Warning events
# (FailedCreate); Deployments and ReplicaSets say it in a condition of their own.
FAILED_CREATE_KINDS = frozenset({"StatefulSet", "DaemonSet", "Job"})
EVENTS_LIMIT = 500


def events(client: kube.KubeClient, namespace: str, *, field_selector: str, limit: int = EVENTS_LIMIT) -> dict:
    """One page of the namespace's events (all namespaces' for "") that
    `field_selector` picks (the API server filters: never all the events)."""
    path = f"/api/v1/namespaces/{quote(namespace, safe='')}/events" if namespace else "/api/v1/events"
    query = [("fieldSelector", field_selector), ("limit", str(limit))]
    with mapped():
        return client.request_json("GET", path, query=query)[1]


def failed_creates(client: kube.KubeClient, kind: Kind, namespace: str, name: str = "") -> dict[str, str]:
    """uid -> the last FailedCreate message of the kind's objects (one of them
    with `name`): one request for a whole page, none for kinds that carry a
    condition. Someone who may not read events just sees no such reason."""
    if kind.kind not in FAILED_CREATE_KINDS:
        return {}
    picked = [f"involvedObject.kind={kind.kind}", f"reason={columns.FAILED_CREATE}", "type=Warning"]
    if name:
        picked.append(f"involvedObject.name={name}")
    try:
        answer = events(client, namespace, field_selector=",".join(picked))
    except PortalError:
        return {}
    found: dict[str, tuple[str, str]] = {}
    for event in answer.get("items") or []:
        uid = columns.dig(event, "involvedObject", "uid", default="")
        seen = event_time(event)
        if uid and seen >= found.get(uid, ("", ""))[0]:
            found[uid] = (seen, event.get("message") or "")
    return {uid: message for uid, (_seen, message) in found.items()}


def event_time(event: dict) -> str:
    """When an event was last seen (RFC 3339 strings sort as times)."""
    return (
        event.get("lastTimestamp")
        or columns.dig(event, "series", "lastObservedTime", default="")
        or event.get("eventTime")
        or event.get("firstTimestamp")
        or columns.dig(event, "metadata", "creationTimestamp", default="")
    )


def live_row(kind: Kind, obj: dict, failures: dict | None = None) -> dict:
    """What a list shows of one object: its name, columns and status (failed,
    with the controller's message, when `failures` names it)."""
    meta = obj.get("metadata") or {}
    status = kind.status(obj)
    if failures:
        status = columns.with_failed_create(status, failures.get(meta.get("uid", ""), ""))
    return {
        "name": meta.get("name", ""),
        "namespace": meta.get("namespace", ""),
        "created": meta.get("creationTimestamp", ""),
        "labels": meta.get("labels") or {},
        "columns": kind.row(obj),
        "status": status,
    }


def live_list(
    *,
    user,
    namespace,
    kind: Kind,
    limit: int,
    continue_token="",
    label_selector="",
    field_selector="",
    name="",
) -> dict:
    """One page of `kind` in a namespace (every namespace of the cluster for
    an admin's `<cluster>:*`), read as `user`; `name` is an exact name.

    A refused parameter is named: when only one of the continue token and the
    selectors was given, the API server's 400 can only be about that one."""
    given = {"continue": continue_token, "labelSelector": label_selector, "fieldSelector": field_selector}
    field_selector = ",".join(filter(None, (f"metadata.name={name}" if name else "", field_selector)))
    try:
        with client_as(user, namespace) as client:
            page = objects.list_page(
                client,
                kind,
                namespace.name,
                limit=limit,
                continue_token=continue_token,
                label_selector=label_selector,
                field_selector=field_selector,
            )
            failures = failed_creates(client, kind, namespace.name, name) if page["items"] else {}
    except kube.KubeInvalid as exc:
        named = [parameter for parameter, value in given.items() if value]
        if len(named) != 1:
            raise
        raise kube.KubeInvalid(exc.message, field_errors={named[0]: [exc.message]}) from exc
    return {
        "items": [live_row(kind, obj, failures) for obj in page["items"]],
        **{k: page[k] for k in ("continue", "remaining")},
    }


def live_get(*, user, namespace, kind: Kind, name: str) -> dict:
    """One object of `kind`, read as `user`: its row and the object itself
    (as it may be shown: a Secret's values hidden)."""
    with client_as(user, namespace) as client:
        obj = objects.get_object(client, kind, namespace.name, name)
        failures = failed_creates(client, kind, namespace.name, name)
    return {**live_row(kind, obj, failures), "object": kind.shown(obj)}
