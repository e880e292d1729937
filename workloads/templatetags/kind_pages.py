"""Filters of the live objects' pages (templates/workloads/)."""

import yaml
from django import template

from workloads.kinds import KINDS

register = template.Library()

# What stands for the spec of kinds that have none (a ConfigMap is its data).
SPEC_LIKE = (
    "type",
    "template",
    "data",
    "binaryData",
    "stringData",
    "immutable",
    "rules",
    "aggregationRule",
    "roleRef",
    "subjects",
)
# The reads every object's page shows first, in this order (a StatefulSet's and
# a DaemonSet's pods and a CronJob's Jobs are its owned objects); the kind's own after them.
RELATED_FIRST = ("conditions", "owned", "pods", "jobs", "events")


@register.filter
def spec_yaml(obj) -> str:
    """The desired state of an object as YAML: its spec, or what stands for it."""
    if not isinstance(obj, dict):
        return ""
    part = obj.get("spec") if isinstance(obj.get("spec"), dict) else {k: obj[k] for k in SPEC_LIKE if k in obj}
    return yaml.safe_dump(part, sort_keys=False, default_flow_style=False) if part else ""


@register.filter
def related_first(sections) -> list:
    """The detail page's reads with conditions, owned objects and events first."""
    order = {name: index for index, name in enumerate(RELATED_FIRST)}
    return sorted(sections or [], key=lambda section: order.get(section["action"].name, len(order)))


@register.simple_tag
def namespaced_kinds() -> list:
    """The kinds a namespace holds, by label: the links a team namespace's page
    (templates/rbac/) shows, so rbac/ names no workloads code."""
    return sorted((kind for kind in KINDS.values() if kind.namespaced), key=lambda kind: str(kind.label))
