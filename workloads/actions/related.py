"""What every object's page shows besides itself: conditions, owned objects, events.

Three reads (GET), run when the object's page renders and offered in the API
(`.../<name>/conditions/`, `owned/`, `events/`). Each asks the API server as
the user, and each is bounded: owned objects are listed with the owner's own
selector and a limit, events with a field selector, so that none reads a whole
namespace of 5,000 pods.
"""

from django.utils.translation import gettext_lazy

from workloads import columns, objects, selectors
from workloads.actions.base import Action, Call, register
from workloads.kinds import KINDS

CONDITIONS, OWNED, EVENTS = "conditions", "owned", "events"
EVERY_KIND = tuple(kind.kind for kind in KINDS.values())
# Owner kind -> the plural of the kind of what its controller makes. StatefulSets'
# and DaemonSets' pods (with their revisions and nodes) and CronJobs' Jobs (their
# history) are reads of their own: workloads/actions/revisions.py and batch.py.
OWNED_PLURAL = {
    "Deployment": "replicasets",
    "ReplicaSet": "pods",
    "ReplicationController": "pods",
    "Job": "pods",
}
OWNED_SHOWN = 100
EVENTS_SHOWN = 50
# One page read per owner: what its selector picks, then kept if it names the owner.
SCAN_LIMIT = objects.LIST_LIMIT_MAX


def _conditions(call: Call) -> dict:
    obj = objects.get_object(call.client, call.kind, call.namespace, call.name)
    return {
        "conditions": [
            {
                "type": cond.get("type", ""),
                "status": cond.get("status", ""),
                "reason": cond.get("reason", ""),
                "message": cond.get("message", ""),
                "last_transition": cond.get("lastTransitionTime") or cond.get("lastUpdateTime") or "",
            }
            for cond in columns.dig(obj, "status", "conditions", default=[]) or []
            if isinstance(cond, dict)
        ]
    }


def _owned(call: Call) -> dict:
    """The objects whose ownerReferences name this one (by uid)."""
    owner = objects.get_object(call.client, call.kind, call.namespace, call.name)
    uid = columns.dig(owner, "metadata", "uid", default="")
    kind = KINDS[OWNED_PLURAL[call.kind.kind]]
    page = objects.list_page(
        call.client,
        kind,
        call.namespace,
        limit=SCAN_LIMIT,
        label_selector=columns.selector_text(columns.dig(owner, "spec", "selector")),
    )
    owned = [
        obj
        for obj in page["items"]
        if any(ref.get("uid") == uid for ref in columns.dig(obj, "metadata", "ownerReferences", default=[]) or [])
    ]
    owned.sort(key=lambda obj: columns.dig(obj, "metadata", "creationTimestamp", default=""), reverse=True)
    rows = [{**selectors.live_row(kind, obj), "age": columns.age(obj)} for obj in owned[:OWNED_SHOWN]]
    return {
        # Named apart from the answer's own "kind" (the owner's, in the API).
        "owned_kind": kind.kind,
        "owned_plural": kind.plural,
        "owned_label": str(kind.label),
        "items": rows,
        # More owned than shown, or more objects under the selector than one page read.
        "more": len(owned) > OWNED_SHOWN or bool(page["continue"]),
    }


def _age_of(timestamp: str) -> str:
    return columns.age({"metadata": {"creationTimestamp": timestamp}}) if timestamp else ""


def _events(call: Call) -> dict:
    """The object's recent events, newest first."""
    picked = f"involvedObject.kind={call.kind.kind},involvedObject.name={call.name}"
    answer = selectors.events(call.client, call.namespace, field_selector=picked)
    found = sorted(answer.get("items") or [], key=selectors.event_time, reverse=True)
    return {
        "events": [
            {
                "type": event.get("type", ""),
                "reason": event.get("reason", ""),
                "message": event.get("message", ""),
                "count": event.get("count") or columns.dig(event, "series", "count", default=1),
                "last_seen": selectors.event_time(event),
                "age": _age_of(selectors.event_time(event)),
                "warning": event.get("type") == "Warning",
            }
            for event in found[:EVENTS_SHOWN]
        ],
        "more": len(found) > EVENTS_SHOWN or bool(columns.dig(answer, "metadata", "continue")),
    }


register(
    Action(
        CONDITIONS,
        gettext_lazy("Conditions"),
        kinds=EVERY_KIND,
        run=_conditions,
        method="GET",
        template="workloads/actions/_conditions.html",
    )
)
register(
    Action(
        OWNED,
        gettext_lazy("Owned objects"),
        kinds=tuple(OWNED_PLURAL),
        run=_owned,
        method="GET",
        template="workloads/actions/_owned.html",
    )
)
register(
    Action(
        EVENTS,
        gettext_lazy("Events"),
        kinds=EVERY_KIND,
        run=_events,
        method="GET",
        template="workloads/actions/_events.html",
    )
)
