"""Workload reads. Team members read as themselves (impersonated), so the API
server decides what they may see; a platform admin outside the team reads
with the portal's own credential (admin pages are platform work)."""

from clusters import kube
from rbac import provisioning as p
from rbac.identity import identity_for
from rbac.models import TeamNamespace
from workloads import objects
from workloads.kinds import Kind

QUOTA_RESOURCES = ("requests.cpu", "limits.cpu", "requests.memory", "limits.memory", "pods", "requests.storage")
PODS_LIMIT = 500


def client_as(user, namespace: TeamNamespace) -> kube.KubeClient:
    """A client acting for `user` in `namespace`."""
    if user.is_staff and namespace.team.role_of(user) is None:
        return kube.client_for(namespace.cluster)
    return kube.client_for(namespace.cluster, identity=identity_for(user))


def namespace_quota(*, user, namespace: TeamNamespace) -> dict:
    """Hard vs used of the namespace's portal quota, read live."""
    with client_as(user, namespace) as client:
        quota = client.core.read_namespaced_resource_quota(p.QUOTA_NAME, namespace.name)
    hard, used = quota.status.hard or {}, quota.status.used or {}
    return {
        resource: {"hard": hard[resource], "used": used.get(resource, "0")}
        for resource in QUOTA_RESOURCES
        if resource in hard
    }


def pods_list(*, user, namespace: TeamNamespace, limit: int = PODS_LIMIT) -> list[dict]:
    with client_as(user, namespace) as client:
        items = client.core.list_namespaced_pod(namespace.name, limit=limit).items
    return [{"name": pod.metadata.name, "phase": pod.status.phase, "node": pod.spec.node_name or ""} for pod in items]


# --- any registered kind (workloads.kinds) -------------------------------------------------


def live_row(kind: Kind, obj: dict) -> dict:
    """What a list shows of one object: its name, columns and status."""
    meta = obj.get("metadata") or {}
    return {
        "name": meta.get("name", ""),
        "namespace": meta.get("namespace", ""),
        "created": meta.get("creationTimestamp", ""),
        "labels": meta.get("labels") or {},
        "columns": kind.row(obj),
        "status": kind.status(obj),
    }


def live_list(
    *,
    user,
    namespace: TeamNamespace,
    kind: Kind,
    limit: int,
    continue_token="",
    label_selector="",
    field_selector="",
    name="",
) -> dict:
    """One page of `kind` in a team namespace, read as `user`; `name` is an exact name.

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
    except kube.KubeInvalid as exc:
        named = [parameter for parameter, value in given.items() if value]
        if len(named) != 1:
            raise
        raise kube.KubeInvalid(exc.message, field_errors={named[0]: [exc.message]}) from exc
    return {"items": [live_row(kind, obj) for obj in page["items"]], **{k: page[k] for k in ("continue", "remaining")}}


def live_get(*, user, namespace: TeamNamespace, kind: Kind, name: str) -> dict:
    """One object of `kind`, read as `user`: its row and the object itself."""
    with client_as(user, namespace) as client:
        obj = objects.get_object(client, kind, namespace.name, name)
    return {**live_row(kind, obj), "object": obj}
