"""Workload writes, made as the requesting user (impersonated), so the API
server's RBAC and quota admission decide, not only the portal; see
`workloads.selectors.client_as`."""

from django.utils.translation import gettext as _

from clusters import kube
from portal.roles import EDITING_ROLES
from rbac.models import TeamNamespace
from workloads import bindings, objects, places
from workloads.actions import Action, Call
from workloads.errors import NotAllowed, document_field, mapped
from workloads.kinds import Kind
from workloads.selectors import client_as


def _resources(cpu: str, memory: str):
    values = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    return kube.k8s.V1ResourceRequirements(requests=values, limits=values) if values else None


def deployment_create(
    *, user, namespace: TeamNamespace, name: str, image: str, replicas: int = 1, cpu: str = "", memory: str = ""
) -> dict:
    """Create a Deployment in a team namespace on behalf of `user`."""
    k = kube.k8s
    labels = {"app.kubernetes.io/name": name}
    body = k.V1Deployment(
        metadata=k.V1ObjectMeta(name=name, labels=labels),
        spec=k.V1DeploymentSpec(
            replicas=replicas,
            selector=k.V1LabelSelector(match_labels=labels),
            template=k.V1PodTemplateSpec(
                metadata=k.V1ObjectMeta(labels=labels),
                spec=k.V1PodSpec(containers=[k.V1Container(name=name, image=image, resources=_resources(cpu, memory))]),
            ),
        ),
    )
    with client_as(user, namespace) as client:
        created = client.apps.create_namespaced_deployment(namespace.name, body)
        return client.to_dict(created)


# --- any registered kind (workloads.kinds) -------------------------------------------------


def require_editor(user, namespace) -> None:
    """The portal's own answer for roles that only read; the API server would
    refuse them too (impersonation), but with a message about RBAC verbs."""
    role = places.role_in(user, namespace)
    if role in EDITING_ROLES or places.as_platform(user, namespace):
        return
    if namespace.team is None:
        raise NotAllowed(_("Only platform admins act outside team namespaces."))
    raise NotAllowed(
        _("Your role in team %(team)s (%(role)s) reads objects; it does not change them.")
        % {"team": namespace.team.slug, "role": role or _("none")}
    )


def refuse_locked(client, kind: Kind, namespace: str, name: str, *, field: str = "") -> None:
    """Refuse to change an object the portal leaves alone (`Kind.locked`: a
    built-in ClusterRole, one the portal's reconciler owns); one that does not
    exist yet is not locked."""
    if kind.locked is None:
        return
    try:
        current = objects.get_object(client, kind, namespace, name)
    except kube.KubeNotFound:
        return
    reason = kind.lock_reason(current)
    if reason:
        raise NotAllowed(reason, field_errors={field: [reason]} if field else None)


def live_apply(*, user, namespace, documents: list, dry_run: bool = False) -> list[dict]:
    """Server-side apply of manifests in a team namespace, as `user`.

    Every document is first applied with the API server's dry run, so one that
    would be refused (invalid, forbidden, over quota) stops them all before
    any is applied; with `dry_run` that is all that happens.
    """
    require_editor(user, namespace)
    checked = objects.checked_manifests(documents, namespace=namespace.name)
    several = len(checked) > 1
    foreign = {}
    for index, (kind, obj) in enumerate(checked):
        foreign.update(bindings.check_subjects(user, namespace, kind, obj, document=index if several else None))
    if foreign:
        raise objects.ManifestError(
            _("A team binds only its own groups, members and ServiceAccounts."), field_errors=foreign
        )
    with client_as(user, namespace) as client:
        for index, (kind, obj) in enumerate(checked):
            where = document_field("metadata.name", index if several else None)
            refuse_locked(client, kind, namespace.name, obj["metadata"]["name"], field=where)
        for run in (True,) if dry_run else (True, False):
            results = []
            for index, (kind, obj) in enumerate(checked):
                created, answer = objects.apply_object(
                    client, kind, obj, dry_run=run, document=index if several else None
                )
                results.append(
                    {
                        "kind": kind.kind,
                        "name": obj["metadata"]["name"],
                        "namespace": namespace.name,
                        "result": "created" if created else "configured",
                        "dry_run": run,
                        "object": kind.shown(answer),  # a Secret's values stay hidden
                    }
                )
    return results


def live_delete(*, user, namespace, kind: Kind, name: str, propagation: str = "background") -> None:
    """Delete one object as `user`; its dependents go as `propagation` says."""
    require_editor(user, namespace)
    if kind.read_only:
        raise NotAllowed(
            _("%(kind)s objects are made by their controller; they are read-only here.") % {"kind": kind.kind}
        )
    with client_as(user, namespace) as client:
        refuse_locked(client, kind, namespace.name, name)
        objects.delete_object(client, kind, namespace.name, name, propagation=propagation)


def live_action(*, user, namespace, kind: Kind, name: str, action: Action, data=None) -> dict:
    """Run one of the kind's special actions on an object, as `user`; `data`
    is the request's input, checked by the action's form (400 per field)."""
    if action.for_editors:
        require_editor(user, namespace)
    cleaned = {}
    if action.form is not None:
        form = action.form(data or {})
        if not form.is_valid():
            raise ActionInvalid(form)
        cleaned = form.cleaned_data
    with client_as(user, namespace) as client, mapped(name=name):
        if action.changes:
            refuse_locked(client, kind, namespace.name, name)
        return action.run(
            Call(
                client=client,
                kind=kind,
                namespace=namespace.name,
                name=name,
                data=cleaned,
                user=user,
                team_namespace=namespace,
            )
        )


class ActionInvalid(kube.KubeInvalid):
    """An action's input its form refused: a 400 naming each field."""

    def __init__(self, form):
        self.form = form
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
        super().__init__(_("Check the values given."), field_errors=errors)
