"""StatefulSets' and DaemonSets' revisions (ControllerRevisions), update strategy, their pods and claims.

Their controllers keep each pod template they have run as a ControllerRevision
whose `data` is a strategic merge patch of spec.template; a rollback applies
that patch to the object, as `kubectl rollout undo --to-revision` does, and the
controller then renumbers that revision as the newest.
"""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from clusters import kube
from workloads import columns as c
from workloads import objects
from workloads.actions import controllerrevisions as owned
from workloads.actions.base import Action, Call, register
from workloads.actions.fields import INT32, MAX_SURGE, MAX_UNAVAILABLE, IntOrPercentField, zero
from workloads.errors import mapped

STATEFUL, DAEMON = "StatefulSet", "DaemonSet"
ROLLING, ON_DELETE = "RollingUpdate", "OnDelete"
# The field manager of these changes, named as kubectl's "kubectl-rollout": a
# later server-side apply of a different value conflicts with it by name.
ROLLOUT_MANAGER = "kube-portal-rollout"
STRATEGIES = [(ROLLING, gettext_lazy("Rolling update")), (ON_DELETE, gettext_lazy("On delete"))]


def _object(call: Call) -> dict:
    return objects.get_object(call.client, call.kind, call.namespace, call.name)


def _pods_by_hash(pods: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for pod in pods:
        counts[owned.pod_hash(pod)] = counts.get(owned.pod_hash(pod), 0) + 1
    return counts


# --- revisions -----------------------------------------------------------------------------


def _revisions(call: Call) -> dict:
    obj = _object(call)
    revisions = owned.owned_revisions(call.client, call.namespace, obj)
    on_pods = _pods_by_hash(owned.owned_pods(call.client, call.namespace, obj))
    rows = []
    for revision in revisions:
        name = c.dig(revision, "metadata", "name", default="")
        # A StatefulSet's pods carry the revision's name, a DaemonSet's its hash.
        pods = on_pods.get(name, 0) + on_pods.get(owned.revision_hash(revision), 0)
        rows.append(
            {
                "revision": revision.get("revision"),
                "name": name,
                "images": owned.revision_images(revision),
                "created": c.dig(revision, "metadata", "creationTimestamp", default=""),
                "pods": pods,
            }
        )
    for row in rows:
        row["current"], row["target"] = _markers(call.kind.kind, obj, row, rows)
    return {"kind": call.kind.kind, "name": call.name, "revisions": rows}


def _markers(kind: str, obj: dict, row: dict, rows: list[dict]) -> tuple[bool, bool]:
    """(current, target) of one revision: what the pods run, and what the spec asks for."""
    newest = row is rows[0]
    if kind == STATEFUL:
        current = row["name"] == c.dig(obj, "status", "currentRevision", default="")
        target = row["name"] == c.dig(obj, "status", "updateRevision", default="")
        return current, target
    # A DaemonSet's status names no revision: its pods' hashes say which runs,
    # and the newest revision is always its spec's template.
    current = row["pods"] > 0 or (newest and not any(r["pods"] for r in rows))
    return current, newest


# Reads, in the order the object's page shows them.
register(
    Action(
        "revisions",
        gettext_lazy("Revisions"),
        kinds=(STATEFUL, DAEMON),
        run=_revisions,
        method="GET",
        template="workloads/actions/_revisions.html",
    )
)
register(
    Action(
        "pods",
        pgettext_lazy("Kubernetes kind", "Pods"),  # the section listing them, not a count
        kinds=(STATEFUL, DAEMON),
        run=owned.pods_read,
        method="GET",
        template="workloads/actions/_pods.html",
    )
)
register(
    Action(
        "claims",
        gettext_lazy("Claims"),
        kinds=(STATEFUL,),
        run=owned.claims_read,
        method="GET",
        template="workloads/actions/_claims.html",
    )
)


# --- rollback ------------------------------------------------------------------------------


class RollbackForm(forms.Form):
    def __init__(self, *args, **kwargs):
        # Its own ids: the object's page shows several actions' forms at once.
        super().__init__(*args, **{"auto_id": "rollback-%s", **kwargs})

    revision = forms.IntegerField(
        label=gettext_lazy("Revision"),
        min_value=1,
        required=False,
        help_text=gettext_lazy("Empty: the one before the newest, as kubectl rollout undo does."),
    )


def _refused(message: str) -> kube.KubeInvalid:
    return kube.KubeInvalid(message, field_errors={"revision": [message]})


def _chosen(revisions: list[dict], wanted: int | None) -> dict:
    if not wanted:
        if len(revisions) < 2:
            raise _refused(_("There is no earlier revision to roll back to."))
        return revisions[1]
    for revision in revisions:
        if revision.get("revision") == wanted:
            return revision
    known = ", ".join(str(r.get("revision")) for r in revisions) or _("none")
    raise _refused(_("There is no revision %(revision)s; there are: %(known)s.") % {"revision": wanted, "known": known})


def _rollback(call: Call) -> dict:
    obj = _object(call)
    revisions = owned.owned_revisions(call.client, call.namespace, obj)
    revision = _chosen(revisions, call.data.get("revision"))
    number, images = revision.get("revision"), owned.revision_images(revision)
    answer = {"kind": call.kind.kind, "name": call.name, "revision": number, "images": images}
    if revision is revisions[0]:
        message = _("%(kind)s %(name)s already runs revision %(revision)s's template: nothing to roll back.")
        return {**answer, "rolled_back": False, "message": message % {**answer, "revision": number}}
    with mapped(name=call.name):
        call.client.request_json(
            "PATCH",
            objects.object_path(call.kind, call.namespace, call.name),
            query=[("fieldManager", ROLLOUT_MANAGER)],
            body=revision.get("data") or {},
            content_type="application/strategic-merge-patch+json",
        )
    message = _("Rolled %(kind)s %(name)s back to revision %(revision)s (%(images)s).")
    return {**answer, "rolled_back": True, "message": message % {**answer, "images": ", ".join(images)}}


register(
    Action(
        "rollback",
        gettext_lazy("Roll back"),
        kinds=(STATEFUL, DAEMON),
        run=_rollback,
        form=RollbackForm,
    )
)


# --- update strategy -----------------------------------------------------------------------


def _bound(value) -> str:
    return "" if value is None else str(value)


class _StrategyForm(forms.Form):
    """Field names are Kubernetes' own (as set-image's), checked as the API
    server checks them (apps validation), so its refusals name these fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{"auto_id": "update-strategy-%s", **kwargs})

    type = forms.ChoiceField(label=gettext_lazy("Type"), choices=STRATEGIES)
    maxUnavailable = IntOrPercentField(  # noqa: N815  (Kubernetes' name, as the API takes it)
        at_most_100=True,
        label=gettext_lazy("Max unavailable"),
        help_text=gettext_lazy("Pods that may be unavailable during the update: a number or a percentage (25%)."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("type") == ON_DELETE:
            for name in self.rolling_fields:
                if cleaned.get(name) not in (None, ""):
                    self.add_error(name, _("Only with a rolling update."))
        return cleaned


class StatefulSetStrategyForm(_StrategyForm):
    partition = forms.IntegerField(
        label=gettext_lazy("Partition"),
        min_value=0,
        max_value=INT32,
        required=False,
        help_text=gettext_lazy(
            "Pods with an ordinal at or above it are updated; at most the replicas is advisable "
            "(above it, no pod is updated)."
        ),
    )
    field_order = ["type", "partition", MAX_UNAVAILABLE]
    rolling_fields = ("partition", MAX_UNAVAILABLE)

    def clean(self):
        cleaned = super().clean()
        if zero(cleaned.get(MAX_UNAVAILABLE)):  # the API server's rule for StatefulSets
            self.add_error(MAX_UNAVAILABLE, _("Cannot be 0."))
        return cleaned


class DaemonSetStrategyForm(_StrategyForm):
    maxSurge = IntOrPercentField(  # noqa: N815
        at_most_100=True,
        label=gettext_lazy("Max surge"),
        help_text=gettext_lazy(
            "New pods started beside the old ones: a number or a percentage. "
            "With a surge, max unavailable must be 0 (empty: 0 then)."
        ),
    )
    rolling_fields = (MAX_UNAVAILABLE, MAX_SURGE)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("type") != ROLLING or self.errors:
            return cleaned
        surge, unavailable = cleaned.get(MAX_SURGE), cleaned.get(MAX_UNAVAILABLE)
        # Exactly one of them is non-zero (the API server's rule); empty ones
        # default to maxSurge 0 and maxUnavailable 1, or 0 beside a surge.
        if surge is not None and not zero(surge):
            if unavailable is None:
                cleaned[MAX_UNAVAILABLE] = 0
            elif not zero(unavailable):
                self.add_error(MAX_SURGE, _("Only with max unavailable 0: one of them is not 0, not both."))
        elif zero(unavailable):
            self.add_error(MAX_UNAVAILABLE, _("Cannot be 0 when max surge is 0: the update could never start."))
        return cleaned


def _strategy_initial(obj: dict) -> dict:
    strategy = c.dig(obj, "spec", "updateStrategy", default={}) or {}
    rolling = strategy.get("rollingUpdate") or {}
    return {
        "type": strategy.get("type") or ROLLING,
        "partition": rolling.get("partition"),
        MAX_UNAVAILABLE: _bound(rolling.get(MAX_UNAVAILABLE)),
        MAX_SURGE: _bound(rolling.get(MAX_SURGE)),
    }


def _update_strategy(call: Call) -> dict:
    data = call.data
    if data["type"] == ON_DELETE:
        strategy = {"type": ON_DELETE, "rollingUpdate": None}  # null: a merge patch removes it
    elif call.kind.kind == STATEFUL:
        rolling = {"partition": data.get("partition") or 0, MAX_UNAVAILABLE: data.get(MAX_UNAVAILABLE)}
        strategy = {"type": ROLLING, "rollingUpdate": rolling}
    else:
        rolling = {MAX_UNAVAILABLE: data.get(MAX_UNAVAILABLE), MAX_SURGE: data.get(MAX_SURGE)}
        strategy = {"type": ROLLING, "rollingUpdate": rolling}
    with mapped(name=call.name):
        _status, answer = call.client.request_json(
            "PATCH",
            objects.object_path(call.kind, call.namespace, call.name),
            query=[("fieldManager", ROLLOUT_MANAGER)],
            body={"spec": {"updateStrategy": strategy}},
            content_type="application/merge-patch+json",
        )
    live = c.dig(answer, "spec", "updateStrategy", default={}) or {}
    result = {"kind": call.kind.kind, "name": call.name, "update_strategy": live}
    message = _("%(kind)s %(name)s now updates its pods: %(type)s.") % {
        "kind": call.kind.kind,
        "name": call.name,
        "type": live.get("type", data["type"]),
    }
    partition = c.dig(live, "rollingUpdate", "partition")
    replicas = c.dig(answer, "spec", "replicas", default=1)
    if partition is not None:
        message += " " + _("Partition %(partition)s: pods %(partition)s and above are updated.") % {
            "partition": partition
        }
        if partition > replicas:
            warning = _("The partition is above the %(replicas)s replicas: no pod will be updated.")
            result["warning"] = warning % {"replicas": replicas}
            message += " " + result["warning"]
    return {**result, "message": message}


for _kind, _form in ((STATEFUL, StatefulSetStrategyForm), (DAEMON, DaemonSetStrategyForm)):
    register(
        Action(
            "update-strategy",
            gettext_lazy("Update strategy"),
            kinds=(_kind,),
            run=_update_strategy,
            form=_form,
            initial=_strategy_initial,
        )
    )
