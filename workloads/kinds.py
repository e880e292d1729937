"""The registry of Kubernetes kinds the portal lists, shows, applies and deletes.

One entry per kind says where the API server serves it, what a list row shows,
how its status reads in one line, and a YAML template to start from. Everything
else (the call path in workloads/objects.py, the API viewset, the generic tests)
works from the entry, so adding a kind is an entry here plus its special
actions, each registered by kind in workloads/actions/ (Headlamp's per-kind
classes over one generic KubeObject are the model).

A Secret's values stay hidden wherever the portal shows or answers one
(`Kind.shown`); its `reveal` action (workloads/actions/secrets.py) decodes
them when asked, and the asking is audited.
"""

from collections.abc import Callable
from dataclasses import dataclass

import yaml
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.errors import PortalError
from portal.templatetags.status import render_badge
from workloads import columns as c
from workloads import columns_rbac as cr


class UnknownKind(PortalError):
    status_code = 404
    error_type = "not_found"


@dataclass(frozen=True)
class Column:
    name: str  # the key in the API's `columns`
    label: str  # the heading people read (translated)
    value: Callable[[dict], object]
    # value -> what a page shows for it (a pod's phase as a badge, a code word in
    # the reader's language); the API keeps the value as the cluster gave it.
    shown: Callable[[object], object] | None = None


@dataclass(frozen=True)
class Kind:
    kind: str
    api_version: str  # "apps/v1"; "v1" for the core group
    plural: str
    label: str  # the plural people read (translated)
    columns: tuple[Column, ...]
    status: Callable[[dict], dict]
    # name -> the fields of a minimal, valid object besides apiVersion, kind and metadata
    template_body: Callable[[str], dict]
    read_only: bool = False  # listed and shown; its controller owns it
    namespaced: bool = True
    # obj -> the object as the portal may show and answer it (a Secret's values hidden)
    redact: Callable[[dict], dict] | None = None
    # obj -> why the portal leaves this object alone ("" when it may change it):
    # a built-in ClusterRole, an object the portal's reconciler owns
    locked: Callable[[dict], str] | None = None
    segment_names: bool = False  # named like RBAC objects (system:controller:...), not as DNS names
    # obj -> field errors the API server would let through (RBAC verbs it does not know)
    validate: Callable[[dict], dict[str, list[str]]] | None = None

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    def collection_path(self, namespace: str) -> str:
        """The collection in `namespace`; across all namespaces for "" (an admin's cluster-wide list)."""
        base = f"/apis/{self.api_version}" if self.group else f"/api/{self.api_version}"
        return (
            f"{base}/namespaces/{namespace}/{self.plural}" if self.namespaced and namespace else f"{base}/{self.plural}"
        )

    def row(self, obj: dict) -> dict:
        """The list columns of one object, by column name."""
        return {column.name: column.value(obj) for column in self.columns}

    @property
    def hides_values(self) -> bool:
        """Whether some of its values are hidden until asked for (a template
        cannot ask about `redact`: it would call it)."""
        return self.redact is not None

    def lock_reason(self, obj: dict) -> str:
        return self.locked(obj) if self.locked and isinstance(obj, dict) else ""

    def shown(self, obj: dict) -> dict:
        """The object as pages and answers may carry it."""
        return self.redact(obj) if self.redact and isinstance(obj, dict) else obj

    def template(self, name: str) -> dict:
        """A minimal object of this kind called `name`, to start from."""
        meta = {"name": name, "labels": _labels(name)}
        return {"apiVersion": self.api_version, "kind": self.kind, "metadata": meta, **self.template_body(name)}

    def template_yaml(self, name: str) -> str:
        return yaml.dump(self.template(name), Dumper=_PlainDumper, sort_keys=False)


class _PlainDumper(yaml.SafeDumper):
    """Writes shared values out in full: manifests with aliases are refused
    (workloads/objects.py), and people read templates."""

    def ignore_aliases(self, data):
        return True


def _labels(name: str) -> dict:
    return {"app.kubernetes.io/name": name}


def _container(name: str) -> dict:
    # Small requests and limits, so the template fits a team's LimitRange and quota.
    resources = {"cpu": "50m", "memory": "32Mi"}
    return {"name": name, "image": "nginx:1.27", "resources": {"requests": resources, "limits": resources}}


def _pod_template(name: str, **spec) -> dict:
    return {"metadata": {"labels": _labels(name)}, "spec": {"containers": [_container(name)], **spec}}


def _replicated(name: str, **spec) -> dict:
    return {
        "spec": {"replicas": 1, "selector": {"matchLabels": _labels(name)}, "template": _pod_template(name), **spec}
    }


def _field(*path, default=0) -> Callable[[dict], object]:
    """A column's value read at `path` of the object."""
    return lambda obj: c.dig(obj, *path, default=default)


def _job_spec(name: str) -> dict:
    # No retries: a template's Job that fails says so at once.
    return {"backoffLimit": 0, "template": _pod_template(name, restartPolicy="Never")}


def _hpa_target(obj: dict) -> str:
    ref = c.dig(obj, "spec", "scaleTargetRef", default={})
    return "/".join(filter(None, (ref.get("kind"), ref.get("name"))))


def _rc_template(name: str) -> dict:
    # A ReplicationController's selector is a plain map, not a LabelSelector.
    return {"spec": {"replicas": 1, "selector": _labels(name), "template": _pod_template(name)}}


AGE = Column("age", _("Age"), c.age)
IMAGES = Column("images", _("Images"), c.images)
DESIRED = Column("desired", _("Desired"), _field("spec", "replicas", default=1))
READY = Column("ready", _("Ready"), _field("status", "readyReplicas"))
UPDATED = Column("updated", _("Up to date"), _field("status", "updatedReplicas"))
AVAILABLE = Column("available", _("Available"), _field("status", "availableReplicas"))

RBAC = "rbac.authorization.k8s.io/v1"
RULES = Column("rules", _("Rules"), cr.rule_count)
ORIGIN = Column("origin", _("Origin"), cr.origin, shown=cr.origin_shown)
BINDING_COLUMNS = (Column("role", _("Role"), cr.role_ref), Column("subjects", _("Subjects"), cr.subjects), ORIGIN, AGE)


def _rules(name: str) -> dict:
    return {"rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}]}


def _binding(role_kind: str) -> Callable[[str], dict]:
    return lambda name: {
        "roleRef": {"apiGroup": RBAC.rpartition("/")[0], "kind": role_kind, "name": "view"},
        "subjects": [{"apiGroup": RBAC.rpartition("/")[0], "kind": "Group", "name": f"{name}-readers"}],
    }


# Who may do what. Cluster-scoped ones only at a cluster's address (platform
# admins: workloads/places.py); built-in and portal-managed ones read-only.
RBAC_KINDS = (
    Kind(
        "Role",
        RBAC,
        "roles",
        _("Roles"),
        (RULES, ORIGIN, AGE),
        c.always_ready,
        _rules,
        locked=cr.locked,
        segment_names=True,
        validate=cr.rules_errors,
    ),
    Kind(
        "RoleBinding",
        RBAC,
        "rolebindings",
        _("RoleBindings"),
        BINDING_COLUMNS,
        c.always_ready,
        _binding("ClusterRole"),
        locked=cr.locked,
        segment_names=True,
        validate=cr.binding_errors,
    ),
    Kind(
        "ClusterRole",
        RBAC,
        "clusterroles",
        _("ClusterRoles"),
        (RULES, Column("aggregation", _("Aggregation"), cr.aggregation), ORIGIN, AGE),
        c.always_ready,
        _rules,
        namespaced=False,
        locked=cr.locked,
        segment_names=True,
        validate=cr.rules_errors,
    ),
    Kind(
        "ClusterRoleBinding",
        RBAC,
        "clusterrolebindings",
        _("ClusterRoleBindings"),
        BINDING_COLUMNS,
        c.always_ready,
        _binding("ClusterRole"),
        namespaced=False,
        locked=cr.locked,
        segment_names=True,
        validate=cr.binding_errors,
    ),
)

KINDS: dict[str, Kind] = {
    kind.plural: kind
    for kind in (
        Kind(
            "Deployment",
            "apps/v1",
            "deployments",
            _("Deployments"),
            columns=(DESIRED, READY, UPDATED, AVAILABLE, IMAGES, AGE),
            status=c.replicas_status,
            template_body=_replicated,
        ),
        Kind(
            "StatefulSet",
            "apps/v1",
            "statefulsets",
            _("StatefulSets"),
            columns=(DESIRED, READY, UPDATED, IMAGES, AGE),
            status=c.replicas_status,
            template_body=lambda name: _replicated(name, serviceName=name),
        ),
        Kind(
            "DaemonSet",
            "apps/v1",
            "daemonsets",
            _("DaemonSets"),
            columns=(
                Column("desired", _("Desired"), _field("status", "desiredNumberScheduled")),
                Column("ready", _("Ready"), _field("status", "numberReady")),
                Column("updated", _("Up to date"), _field("status", "updatedNumberScheduled")),
                Column("available", _("Available"), _field("status", "numberAvailable")),
                IMAGES,
                AGE,
            ),
            status=c.daemonset_status,
            template_body=lambda name: {
                "spec": {"selector": {"matchLabels": _labels(name)}, "template": _pod_template(name)}
            },
        ),
        Kind(
            "ReplicaSet",
            "apps/v1",
            "replicasets",
            _("ReplicaSets"),
            columns=(DESIRED, READY, IMAGES, AGE),
            status=c.replicas_status,
            read_only=True,
            # For reading only; the tests make one with the cluster's own credential.
            template_body=_replicated,
        ),
        Kind(
            "ReplicationController",
            "v1",
            "replicationcontrollers",
            _("ReplicationControllers (deprecated)"),
            columns=(DESIRED, READY, IMAGES, AGE),
            status=c.replicas_status,
            # Deprecated for Deployments: shown, never applied from here.
            read_only=True,
            template_body=_rc_template,
        ),
        Kind(
            "Pod",
            "v1",
            "pods",
            # The kind's name, not a count ("Pods" as a column of numbers has no context).
            pgettext_lazy("Kubernetes kind", "Pods"),
            columns=(
                Column("phase", _("Phase"), _field("status", "phase", default=""), shown=render_badge),
                Column("ready", _("Ready"), c.pod_ready),
                Column("restarts", _("Restarts"), c.pod_restarts),
                Column("node", _("Node"), _field("spec", "nodeName", default="")),
                AGE,
            ),
            status=c.pod_status,
            template_body=lambda name: {"spec": {"containers": [_container(name)]}},
        ),
        Kind(
            "Service",
            "v1",
            "services",
            _("Services"),
            columns=(
                Column("type", _("Type"), _field("spec", "type", default="ClusterIP")),
                Column("cluster_ip", _("Cluster IP"), _field("spec", "clusterIP", default="")),
                Column("ports", _("Ports"), c.service_ports),
                AGE,
            ),
            status=c.service_status,
            template_body=lambda name: {
                "spec": {"selector": _labels(name), "ports": [{"port": 80, "targetPort": 80, "protocol": "TCP"}]}
            },
        ),
        Kind(
            "ConfigMap",
            "v1",
            "configmaps",
            _("ConfigMaps"),
            columns=(
                Column("keys", _("Keys"), lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {})),
                AGE,
            ),
            status=c.always_ready,
            template_body=lambda name: {"data": {"greeting": "hello"}},
        ),
        Kind(
            "Secret",
            "v1",
            "secrets",
            _("Secrets"),
            columns=(
                Column("type", _("Type"), _field("type", default="Opaque")),
                Column("keys", _("Keys"), c.secret_key_count),
                AGE,
            ),
            status=c.always_ready,
            template_body=lambda name: {"type": "Opaque", "stringData": {"greeting": "hello"}},
            redact=c.secret_hidden,
        ),
        Kind(
            "PodTemplate",
            "v1",
            "podtemplates",
            _("PodTemplates"),
            columns=(IMAGES, AGE),
            status=c.always_ready,
            template_body=lambda name: {"template": _pod_template(name)},
        ),
        Kind(
            "Job",
            "batch/v1",
            "jobs",
            _("Jobs"),
            columns=(Column("completions", _("Completions"), c.job_completions), IMAGES, AGE),
            status=c.job_status,
            template_body=lambda name: {"spec": _job_spec(name)},
        ),
        Kind(
            "CronJob",
            "batch/v1",
            "cronjobs",
            _("CronJobs"),
            columns=(
                Column("schedule", _("Schedule"), _field("spec", "schedule", default="")),
                Column("suspended", _("Suspended"), lambda o: bool(c.dig(o, "spec", "suspend", default=False))),
                Column("active", _("Active"), lambda o: len(c.dig(o, "status", "active", default=[]))),
                Column("last_schedule", _("Last schedule"), _field("status", "lastScheduleTime", default="")),
                IMAGES,
                AGE,
            ),
            status=c.cronjob_status,
            template_body=lambda name: {
                "spec": {
                    "schedule": "0 3 * * *",
                    "jobTemplate": {"spec": _job_spec(name)},
                }
            },
        ),
        Kind(
            "PersistentVolumeClaim",
            "v1",
            "persistentvolumeclaims",
            _("PersistentVolumeClaims"),
            columns=(
                Column("phase", _("Status"), _field("status", "phase", default=""), shown=render_badge),
                Column("volume", _("Volume"), _field("spec", "volumeName", default="")),
                Column("capacity", _("Capacity"), _field("status", "capacity", "storage", default="")),
                Column(
                    "access_modes", _("Access modes"), lambda o: ", ".join(c.dig(o, "spec", "accessModes", default=[]))
                ),
                Column("storage_class", _("Storage class"), _field("spec", "storageClassName", default="")),
                AGE,
            ),
            status=c.pvc_status,
            template_body=lambda name: {
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
            },
        ),
        Kind(
            "HorizontalPodAutoscaler",
            "autoscaling/v2",
            "horizontalpodautoscalers",
            _("HorizontalPodAutoscalers"),
            columns=(
                Column("target", _("Target"), _hpa_target),
                Column("min", _("Min"), _field("spec", "minReplicas", default=1)),
                Column("max", _("Max"), _field("spec", "maxReplicas")),
                Column("cpu_target", _("CPU target"), c.hpa_cpu_target),
                Column("replicas", _("Replicas"), _field("status", "currentReplicas")),
                Column("current", _("Current metrics"), c.hpa_current_metrics),
                AGE,
            ),
            status=c.hpa_status,
            template_body=lambda name: {
                "spec": {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                    "minReplicas": 1,
                    "maxReplicas": 3,
                    "metrics": [
                        {
                            "type": "Resource",
                            "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
                        }
                    ],
                }
            },
        ),
        *RBAC_KINDS,
    )
}


def kind_for(plural: str) -> Kind:
    """The registered kind served under `plural`, or a 404 naming the ones there are."""
    try:
        return KINDS[plural]
    except KeyError:
        raise UnknownKind(
            _("The portal manages no kind called %(plural)s here; it knows: %(known)s.")
            % {"plural": plural, "known": ", ".join(sorted(KINDS))}
        ) from None


def kind_of(obj: dict) -> Kind | None:
    """The registered kind of a manifest, by its apiVersion and kind."""
    for kind in KINDS.values():
        if kind.kind == obj.get("kind") and kind.api_version == obj.get("apiVersion"):
            return kind
    return None
