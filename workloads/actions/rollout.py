"""Deployments' rollouts: set image, pause, resume, restart, status, history from ReplicaSets, rollback.

Each does what its `kubectl` command does (`set image`, `rollout pause`,
`resume`, `restart`, `status`, `history`, `undo`), as the impersonated user,
by patching the object: the controllers do the rolling. Set image and restart
apply to StatefulSets and DaemonSets too.
"""

import re
from datetime import UTC, datetime

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clusters import kube
from portal.errors import ConflictError
from workloads import columns, objects
from workloads.actions import replicasets as rs
from workloads.actions.base import Action, Call, register
from workloads.actions.fields import MAX_SURGE, MAX_UNAVAILABLE, IntOrPercentField, zero

STRATEGIC = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
ROLLED = ("Deployment", "StatefulSet", "DaemonSet")
# Where each kind keeps its rolling update's figures, and the API server's defaults for them.
STRATEGY_FIELD = {"Deployment": "strategy", "DaemonSet": "updateStrategy"}
STRATEGY_DEFAULTS = {
    "Deployment": {MAX_SURGE: "25%", MAX_UNAVAILABLE: "25%"},
    "DaemonSet": {MAX_SURGE: 0, MAX_UNAVAILABLE: 1},
}

# An image reference as the registry's grammar (distribution/reference) has it:
# [registry[:port]/]path[:tag][@digest].
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN = (
    r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*"
)
IMAGE = re.compile(
    rf"^(?:{_DOMAIN}(?::[0-9]+)?/)?{_COMPONENT}(?:/{_COMPONENT})*"
    r"(?::[\w][\w.-]{0,127})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$",
    re.ASCII,
)
MAX_IMAGE = 512


def image_reference(value: str) -> None:
    if len(value) > MAX_IMAGE or not IMAGE.match(value):
        raise forms.ValidationError(
            _("Not an image reference: [registry/]name[:tag][@digest], e.g. nginx:1.27 or registry.example.com/app:2.")
        )


class SetImageForm(forms.Form):
    container = forms.CharField(
        label=gettext_lazy("Container"), required=False, max_length=253, help_text=gettext_lazy("Empty: the first.")
    )
    image = forms.CharField(label=gettext_lazy("Image"), max_length=MAX_IMAGE, validators=[image_reference])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The object's page offers its containers (`_set_image_initial`); the
        # run checks the name against the live object whatever is sent.
        names = self.initial.get("containers") or []
        if names and not self.is_bound:
            self.fields["container"].widget = forms.Select(choices=[(name, name) for name in names])

    def clean(self):
        data = super().clean()
        # A StatefulSet's form has no rolling figures: say so rather than drop them unseen.
        for key in (MAX_SURGE, MAX_UNAVAILABLE):
            if key not in self.fields and self.data.get(key) not in (None, ""):
                self.add_error(None, _("%(field)s applies to Deployments and DaemonSets only.") % {"field": key})
        return data


class RollingSetImageForm(SetImageForm):
    maxSurge = IntOrPercentField(  # noqa: N815  (the API's field is Kubernetes' name)
        label=gettext_lazy("Max surge"),
        help_text=gettext_lazy("Pods above the desired count during the update: a number or a percentage."),
    )
    maxUnavailable = IntOrPercentField(  # noqa: N815
        at_most_100=True,
        label=gettext_lazy("Max unavailable"),
        help_text=gettext_lazy("Pods that may be unavailable during the update: a number or a percentage."),
    )

    def clean(self):
        data = super().clean()
        surge, unavailable = data.get(MAX_SURGE), data.get(MAX_UNAVAILABLE)
        if zero(surge) and zero(unavailable):
            self.add_error(MAX_UNAVAILABLE, _("Cannot be 0 when max surge is 0: the update could never start."))
        return data


def _containers(obj: dict) -> list[dict]:
    return columns.pod_spec(obj).get("containers") or []


def _set_image_initial(obj: dict) -> dict:
    containers = _containers(obj)
    first = containers[0] if containers else {}
    return {
        "container": first.get("name", ""),
        "image": first.get("image", ""),
        "containers": [c.get("name", "") for c in containers],
    }


def _by(call: Call) -> str:
    return call.user.get_username() if call.user is not None else "?"


def _patch(call: Call, body, content_type: str) -> dict:
    path = objects.object_path(call.kind, call.namespace, call.name)
    return call.client.request_json("PATCH", path, body=body, content_type=content_type)[1]


def _get(call: Call) -> dict:
    return objects.get_object(call.client, call.kind, call.namespace, call.name)


def _strategy_patch(call: Call, obj: dict) -> dict:
    """The rolling update's figures asked for, checked against the object's
    (the API server refuses a rolling update that could never start)."""
    given = {key: call.data.get(key) for key in (MAX_SURGE, MAX_UNAVAILABLE) if call.data.get(key) is not None}
    if not given:
        return {}
    field = STRATEGY_FIELD[call.kind.kind]
    current = columns.dig(obj, "spec", field, "rollingUpdate", default={}) or {}
    figures = STRATEGY_DEFAULTS[call.kind.kind] | current | given
    surge, unavailable = figures[MAX_SURGE], figures[MAX_UNAVAILABLE]
    if zero(surge) and zero(unavailable):
        message = _("Max surge and max unavailable cannot both be 0: the update could never start.")
        raise kube.KubeInvalid(message, field_errors={key: [message] for key in given})
    # Figures only mean something to a rolling update, so asking for them makes it one.
    return {field: {"type": "RollingUpdate", "rollingUpdate": given}}


def _set_image(call: Call) -> dict:
    obj = _get(call)
    names = [c.get("name", "") for c in _containers(obj)]
    container = call.data.get("container") or (names[0] if names else "")
    if container not in names:
        message = _("%(kind)s %(name)s has no container called %(container)s; it has: %(names)s.") % {
            "kind": call.kind.kind,
            "name": call.name,
            "container": container,
            "names": ", ".join(names) or _("none"),
        }
        raise kube.KubeInvalid(message, field_errors={"container": [message]})
    image = call.data["image"]
    spec = {"template": {"spec": {"containers": [{"name": container, "image": image}]}}}
    spec.update(_strategy_patch(call, obj))
    # The change cause is the cluster's record for everyone (kubectl shows it), so it is not translated.
    cause = f"set image {container}={image} via portal by {_by(call)}"
    answer = _patch(call, {"metadata": {"annotations": {rs.CHANGE_CAUSE: cause}}, "spec": spec}, STRATEGIC)
    previous = next((c.get("image", "") for c in _containers(obj) if c.get("name") == container), "")
    field = STRATEGY_FIELD.get(call.kind.kind)
    return {
        "container": container,
        "image": image,
        "previous_image": previous,
        "change_cause": cause,
        "strategy": columns.dig(answer, "spec", field, default={}) if field else {},
        "message": _("Set the image of %(container)s to %(image)s (it was %(previous)s).")
        % {"container": container, "image": image, "previous": previous},
    }


def _set_paused(call: Call, paused: bool) -> dict:
    obj = _get(call)
    values = {"kind": call.kind.kind, "name": call.name}
    if bool(columns.dig(obj, "spec", "paused", default=False)) == paused:
        message = _("%(kind)s %(name)s was already paused.") if paused else _("%(kind)s %(name)s was not paused.")
        return {"paused": paused, "changed": False, "message": message % values}
    _patch(call, {"spec": {"paused": paused}}, MERGE)
    if paused:
        message = _("Paused the rollout of %(kind)s %(name)s: changes to its template wait until it is resumed.")
    else:
        message = _("Resumed the rollout of %(kind)s %(name)s.")
    return {"paused": paused, "changed": True, "message": message % values}


def _refuse_paused(obj: dict, message: str) -> None:
    if columns.dig(obj, "spec", "paused", default=False):
        raise ConflictError(message)


def _restart(call: Call) -> dict:
    obj = _get(call)
    _refuse_paused(obj, _("A paused rollout does not restart: resume it first."))
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {
        "metadata": {"annotations": {rs.CHANGE_CAUSE: f"restart via portal by {_by(call)}"}},
        "spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}},
    }
    _patch(call, body, STRATEGIC)
    return {
        "restarted_at": now,
        "message": _("Restarting the pods of %(kind)s %(name)s, a few at a time.")
        % {"kind": call.kind.kind, "name": call.name},
    }


# --- status, history, rollback (Deployments) ------------------------------------------


def rollout_status(obj: dict) -> dict:
    """Where a Deployment's rollout is, as `kubectl rollout status` reads it."""
    status = obj.get("status") or {}
    desired = columns.dig(obj, "spec", "replicas", default=1)
    updated, total = status.get("updatedReplicas", 0), status.get("replicas", 0)
    available = status.get("availableReplicas", 0)
    paused = bool(columns.dig(obj, "spec", "paused", default=False))
    figures = {
        "paused": paused,
        "desired": desired,
        "updated": updated,
        "ready": status.get("readyReplicas", 0),
        "available": available,
        "replicas": total,
        "revision": rs.revision_of(obj),
        "generation": columns.dig(obj, "metadata", "generation", default=0),
        "observed_generation": status.get("observedGeneration", 0),
    }

    # Why pods are missing when the controller cannot make them (quota, LimitRange, admission).
    failure = columns.condition(obj, "ReplicaFailure")
    blocked = failure.get("message", "") if failure.get("status") == "True" else ""

    def state(name, message, done=False):
        message = str(message) if done or not blocked else f"{message} {blocked}"
        return {"state": name, "message": message, "done": done, "blocked": blocked, **figures}

    if figures["generation"] > figures["observed_generation"]:
        return state("progressing", _("Waiting for the controller to see the new spec."))
    progressing = columns.condition(obj, "Progressing")
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        return state("failed", progressing.get("message") or _("The rollout exceeded its progress deadline."))
    counts = {"updated": updated, "desired": desired, "old": total - updated, "available": available}
    if paused:
        return state("paused", _("Paused: %(updated)s of %(desired)s replicas updated; resume to go on.") % counts)
    if updated < desired:
        return state("progressing", _("%(updated)s of %(desired)s new replicas updated.") % counts)
    if total > updated:
        return state("progressing", _("%(old)s old replicas waiting to be stopped.") % counts)
    if available < updated:
        return state("progressing", _("%(available)s of %(updated)s updated replicas available.") % counts)
    return state("complete", _("Rolled out: %(desired)s of %(desired)s replicas updated and available.") % counts, True)


def _rollout(call: Call) -> dict:
    return rollout_status(_get(call))


def _history(call: Call) -> dict:
    obj = _get(call)
    owned = rs.owned_replicasets(call.client, call.namespace, obj)
    paused = bool(columns.dig(obj, "spec", "paused", default=False))
    return {"revision": rs.revision_of(obj), "paused": paused, "revisions": rs.history(obj, owned)}


class RollbackForm(forms.Form):
    revision = forms.IntegerField(
        label=gettext_lazy("Revision"),
        required=False,
        min_value=1,
        help_text=gettext_lazy("Empty: the previous one."),
    )


def _rollback(call: Call) -> dict:
    obj = _get(call)
    _refuse_paused(obj, _("A paused rollout does not roll back: resume it first."))
    owned = rs.owned_replicasets(call.client, call.namespace, obj)
    revision = call.data.get("revision") or rs.previous_revision(owned)
    target = rs.with_revision(owned, revision) if revision else None
    if target is None:
        known = ", ".join(str(row["revision"]) for row in rs.history(obj, owned)) or _("none")
        if revision:
            message = _("%(name)s has no revision %(revision)s; it has: %(known)s.")
        else:
            message = _("%(name)s has no earlier revision to roll back to (revisions: %(known)s).")
        message %= {"name": call.name, "revision": revision, "known": known}
        raise kube.KubeInvalid(message, field_errors={"revision": [message]})
    cause = columns.dig(target, "metadata", "annotations", rs.CHANGE_CAUSE, default="")
    if rs.same_template(target, obj):
        return {
            "revision": revision,
            "changed": False,
            "change_cause": cause,
            "message": _("%(name)s already runs revision %(revision)s; nothing changed.")
            % {"name": call.name, "revision": revision},
        }
    # What `kubectl rollout undo` sends: the revision's template and annotations, in one JSON
    # patch ("add" sets the annotations whether or not the Deployment has any yet).
    body = [
        {"op": "replace", "path": "/spec/template", "value": rs.template_of(target)},
        {"op": "add", "path": "/metadata/annotations", "value": rs.rollback_annotations(obj, target)},
    ]
    _patch(call, body, JSON_PATCH)
    images = [c.get("image", "") for c in _containers(target)]
    return {
        "revision": revision,
        "changed": True,
        "change_cause": cause,
        "images": images,
        "message": _("Rolling %(name)s back to revision %(revision)s (%(images)s).")
        % {"name": call.name, "revision": revision, "images": ", ".join(images)},
    }


def _partial(name: str) -> str:
    return f"workloads/actions/{name}.html"


def _for_deployments(name: str, label, run, **options) -> None:
    register(Action(name, label, kinds=("Deployment",), run=run, **options))


# A StatefulSet's rolling update has no surge: its form leaves the figures out.
for kinds, form in ((("Deployment", "DaemonSet"), RollingSetImageForm), (("StatefulSet",), SetImageForm)):
    register(Action("set-image", gettext_lazy("Set image"), kinds, _set_image, form=form, initial=_set_image_initial))
# Pause and resume share a partial that offers only the one that applies.
_for_deployments(
    "pause", gettext_lazy("Pause rollout"), lambda call: _set_paused(call, True), template=_partial("_rollout_pause")
)
_for_deployments(
    "resume", gettext_lazy("Resume rollout"), lambda call: _set_paused(call, False), template=_partial("_rollout_pause")
)
register(Action("restart", gettext_lazy("Restart"), kinds=ROLLED, run=_restart))
_for_deployments("rollout", gettext_lazy("Rollout"), _rollout, method="GET", template=_partial("_rollout_status"))
_for_deployments("history", gettext_lazy("Revision history"), _history, method="GET", template=_partial("_history"))
_for_deployments("rollback", gettext_lazy("Roll back"), _rollback, form=RollbackForm)
