"""What a list row shows of a live object, and its one-line status.

Every function takes the object as the API server sent it (a dict with
camelCase keys) and never fails on a missing field: a list row must render
for an object that is half created, or whose controller has not caught up.
"""

from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

READY, PROGRESSING, FAILED, PENDING = "ready", "progressing", "failed", "pending"


def dig(obj: dict, *path, default=None):
    """obj[a][b]..., or `default` where any step is missing."""
    for key in path:
        if not isinstance(obj, dict) or key not in obj or obj[key] is None:
            return default
        obj = obj[key]
    return obj


def age(obj: dict, *, now: datetime | None = None) -> str:
    """kubectl's compact age ("42s", "5m", "3h", "2d4h") of the object."""
    created = parse_datetime(dig(obj, "metadata", "creationTimestamp", default="") or "")
    if created is None:
        return ""
    seconds = max(0, int(((now or datetime.now(UTC)) - created).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h"
    days, hours = seconds // 86400, seconds % 86400 // 3600
    return f"{days}d{hours}h" if hours and days < 8 else f"{days}d"


def pod_spec(obj: dict) -> dict:
    """The pod template's spec of any workload (a CronJob's is one level deeper)."""
    if obj.get("kind") == "Pod":
        return obj.get("spec") or {}
    if obj.get("kind") == "CronJob":
        return dig(obj, "spec", "jobTemplate", "spec", "template", "spec", default={})
    if obj.get("kind") == "PodTemplate":
        return dig(obj, "template", "spec", default={})
    return dig(obj, "spec", "template", "spec", default={})


def images(obj: dict) -> str:
    return ", ".join(c.get("image", "") for c in pod_spec(obj).get("containers") or [])


def selector_text(selector) -> str:
    """A LabelSelector (or a ReplicationController's plain map) as the
    `labelSelector` query parameter says it; "" for none."""
    if not isinstance(selector, dict):
        return ""
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        return ",".join(f"{key}={value}" for key, value in selector.items())
    parts = [f"{key}={value}" for key, value in (selector.get("matchLabels") or {}).items()]
    for expression in selector.get("matchExpressions") or []:
        key, values = expression.get("key", ""), ",".join(expression.get("values") or [])
        parts.append(
            {
                "In": f"{key} in ({values})",
                "NotIn": f"{key} notin ({values})",
                "Exists": key,
                "DoesNotExist": f"!{key}",
            }.get(expression.get("operator"), "")
        )
    return ",".join(filter(None, parts))


def condition(obj: dict, kind: str) -> dict:
    for cond in dig(obj, "status", "conditions", default=[]) or []:
        if cond.get("type") == kind:
            return cond
    return {}


def summary(state: str, message="") -> dict:
    return {"state": state, "message": str(message)}


def _failure(obj: dict) -> dict | None:
    """A controller's own word that it cannot make pods (quota, LimitRange,
    admission): `ReplicaFailure` on Deployments and ReplicaSets."""
    failure = condition(obj, "ReplicaFailure")
    if failure.get("status") == "True":
        return summary(FAILED, failure.get("message") or failure.get("reason", ""))
    return None


# Why a controller cannot make pods: its Warning events (StatefulSets, DaemonSets
# and Jobs carry no condition saying so; Deployments and ReplicaSets do).
FAILED_CREATE = "FailedCreate"


def with_failed_create(status: dict, message: str) -> dict:
    """`status`, unless the workload is not yet ready and its controller said
    it failed to create a pod (quota, LimitRange, admission): then failed, with
    the API server's own message. Once it is ready, an old event no longer counts."""
    if message and status.get("state") not in (READY, FAILED):
        return summary(FAILED, message)
    return status


# --- workloads that keep replicas ----------------------------------------------------


def replicas_status(obj: dict) -> dict:
    """Deployments, StatefulSets and ReplicaSets: failing, rolling or ready."""
    failed = _failure(obj)
    if failed:
        return failed
    progressing = condition(obj, "Progressing")
    if progressing.get("status") == "False":
        return summary(FAILED, progressing.get("message", ""))
    desired = dig(obj, "spec", "replicas", default=1)
    status = obj.get("status") or {}
    ready = status.get("readyReplicas") or 0
    observed = status.get("observedGeneration", 0) >= dig(obj, "metadata", "generation", default=0)
    if observed and ready >= desired and (status.get("updatedReplicas", desired) or 0) >= desired:
        return summary(READY)
    return summary(PROGRESSING, _("%(ready)s of %(desired)s ready") % {"ready": ready, "desired": desired})


def daemonset_status(obj: dict) -> dict:
    status = obj.get("status") or {}
    desired, ready = status.get("desiredNumberScheduled", 0), status.get("numberReady", 0)
    if ready >= desired and status.get("updatedNumberScheduled", 0) >= desired:
        return summary(READY)
    return summary(PROGRESSING, _("%(ready)s of %(desired)s ready") % {"ready": ready, "desired": desired})


# --- pods ----------------------------------------------------------------------------


def pod_ready(obj: dict) -> str:
    statuses = dig(obj, "status", "containerStatuses", default=[]) or []
    total = len(pod_spec(obj).get("containers") or []) or len(statuses)
    return f"{sum(1 for s in statuses if s.get('ready'))}/{total}"


def pod_restarts(obj: dict) -> int:
    return sum(s.get("restartCount", 0) for s in dig(obj, "status", "containerStatuses", default=[]) or [])


def pod_status(obj: dict) -> dict:
    phase = dig(obj, "status", "phase", default="Pending")
    for container in dig(obj, "status", "containerStatuses", default=[]) or []:
        waiting = dig(container, "state", "waiting", default={})
        if waiting.get("reason") in ("CrashLoopBackOff", "ErrImagePull", "ImagePullBackOff", "CreateContainerError"):
            return summary(FAILED, f"{waiting['reason']}: {waiting.get('message', '')}".rstrip(": "))
    if phase == "Pending":
        scheduled = condition(obj, "PodScheduled")
        return summary(PENDING, scheduled.get("message", "") if scheduled.get("status") == "False" else "")
    if phase == "Failed":
        return summary(FAILED, dig(obj, "status", "message", default=""))
    if phase == "Succeeded" or condition(obj, "Ready").get("status") == "True":
        return summary(READY)
    return summary(PROGRESSING, phase)


# --- batch ---------------------------------------------------------------------------


def job_completions(obj: dict) -> str:
    return f"{dig(obj, 'status', 'succeeded', default=0)}/{dig(obj, 'spec', 'completions', default=1)}"


def job_status(obj: dict) -> dict:
    for kind, state in (("Failed", FAILED), ("Complete", READY)):
        cond = condition(obj, kind)
        if cond.get("status") == "True":
            return summary(state, cond.get("message", ""))
    return summary(PROGRESSING, _("%(active)s active") % {"active": dig(obj, "status", "active", default=0)})


def cronjob_status(obj: dict) -> dict:
    if dig(obj, "spec", "suspend", default=False):
        return summary(PENDING, _("Suspended"))
    return summary(READY)


# --- services, storage, configuration, autoscaling ----------------------------------------


def service_ports(obj: dict) -> str:
    ports = []
    for port in dig(obj, "spec", "ports", default=[]) or []:
        text = f"{port.get('port')}"
        if port.get("nodePort"):
            text += f":{port['nodePort']}"
        ports.append(f"{text}/{port.get('protocol', 'TCP')}")
    return ", ".join(ports)


def service_status(obj: dict) -> dict:
    if dig(obj, "spec", "type") == "LoadBalancer" and not dig(obj, "status", "loadBalancer", "ingress"):
        return summary(PENDING, _("Waiting for a load balancer address"))
    return summary(READY)


def pvc_status(obj: dict) -> dict:
    phase = dig(obj, "status", "phase", default="Pending")
    if phase == "Bound":
        return summary(READY)
    return summary(FAILED if phase == "Lost" else PENDING, phase)


def hpa_cpu_target(obj: dict) -> str:
    for metric in dig(obj, "spec", "metrics", default=[]) or []:
        if dig(metric, "resource", "name") == "cpu":
            target = dig(metric, "resource", "target", default={})
            return f"{target['averageUtilization']}%" if "averageUtilization" in target else ""
    return ""


def hpa_status(obj: dict) -> dict:
    for kind in ("AbleToScale", "ScalingActive"):
        cond = condition(obj, kind)
        if cond.get("status") == "False":
            return summary(PENDING, cond.get("message", ""))
    return summary(READY)


def hpa_current_metrics(obj: dict) -> str:
    """What the autoscaler last measured ("cpu: 12%"), when it has."""
    shown = []
    for metric in dig(obj, "status", "currentMetrics", default=[]) or []:
        kind = metric.get("type") or ""
        # "Resource" -> metric["resource"], "ContainerResource" -> metric["containerResource"], ...
        source = metric.get(kind[:1].lower() + kind[1:]) or {} if kind else {}
        name = source.get("name") or dig(source, "metric", "name", default=kind)
        current = source.get("current") or {}
        if "averageUtilization" in current:
            value = f"{current['averageUtilization']}%"
        else:
            value = current.get("averageValue") or current.get("value") or ""
        shown.append(f"{name}: {value}")
    return ", ".join(shown)


# --- secrets -----------------------------------------------------------------------------

HIDDEN = "(hidden)"
# kubectl apply keeps the whole manifest, values included, in this annotation.
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def secret_key_count(obj: dict) -> int:
    return len(obj.get("data") or {}) + len(obj.get("stringData") or {})


def secret_hidden(obj: dict) -> dict:
    """A Secret with its keys kept and every value replaced by a placeholder."""
    shown = dict(obj)
    for field in ("data", "stringData"):
        if isinstance(obj.get(field), dict):
            shown[field] = dict.fromkeys(obj[field], HIDDEN)
    annotations = dig(obj, "metadata", "annotations", default={})
    if isinstance(annotations, dict) and LAST_APPLIED in annotations:
        shown["metadata"] = {**obj["metadata"], "annotations": {**annotations, LAST_APPLIED: HIDDEN}}
    return shown


def always_ready(obj: dict) -> dict:
    """Objects with no status of their own (a ConfigMap is what it says)."""
    return summary(READY)
