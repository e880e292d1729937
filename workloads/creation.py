"""A kind's create form as one thing (workloads/forms_create.py): the main form
and its rows, the manifests they make, and where a field path of those
manifests goes back on the form when the API server refuses it.

The paths are the API server's (`spec.template.spec.containers[0].image`,
`documents[1].spec.volumeClaimTemplates[0].spec.resources`, see
workloads/errors.py); a path no field set is the form's own error.
"""

import json
import re

import yaml

from workloads.forms_create import FORMS, ServiceForm, filled


class Rows:
    """A field path inside a repeated value: row `group(1)` of the manifest's
    list is a formset row (blank rows are not in the manifest)."""

    def __init__(self, prefix: str, fields: dict | None = None, default: str = ""):
        self.prefix, self.fields, self.default = prefix, fields or {}, default


_CONTAINER = r"^spec\.containers\[0\]\."
_SHARED_PLACES = [
    (r"^metadata\.name", "name"),
    (r"^metadata\.(labels|annotations)", "labels"),
]
POD_PLACES = [
    *_SHARED_PLACES,
    (r"^spec\.selector", "labels"),
    (_CONTAINER + r"image", "image"),
    (_CONTAINER + r"(command|args)", "command"),
    (_CONTAINER + r"env", "env"),
    (_CONTAINER + r"resources", "resources"),
    (
        _CONTAINER + r"ports\[(\d+)\](?:\.(\w+))?",
        Rows("ports", {"containerPort": "port", "hostPort": "port", "name": "name", "protocol": "protocol"}, "port"),
    ),
    (_CONTAINER + r"ports", Rows("ports")),
    (_CONTAINER + r"volumeMounts\[(\d+)\]", Rows("claims", {}, "mount_path")),
    (_CONTAINER + r"name", "name"),
    (r"^spec\.replicas", "replicas"),
    (r"^spec\.completions", "completions"),
    (r"^spec\.parallelism", "parallelism"),
    (r"^spec\.backoffLimit", "backoff_limit"),
    (r"^spec\.restartPolicy", "restart_policy"),
    (r"^spec\.schedule", "schedule"),
    (r"^spec\.timeZone", "time_zone"),
    (
        r"^spec\.volumeClaimTemplates\[(\d+)\]\.(?:metadata\.|spec\.)?(\w+)",
        Rows(
            "claims",
            {"name": "name", "resources": "size", "accessModes": "access_mode", "storageClassName": "storage_class"},
            "name",
        ),
    ),
    # A StatefulSet's headless Service takes the containers' ports.
    (
        r"^spec\.ports\[(\d+)\](?:\.(\w+))?",
        Rows("ports", {"port": "port", "targetPort": "port", "name": "name", "protocol": "protocol"}, "port"),
    ),
]
SERVICE_PLACES = [
    *_SHARED_PLACES,
    (r"^spec\.selector", "selector"),
    (r"^spec\.(type|clusterIP)", "type"),
    (
        r"^spec\.ports\[(\d+)\](?:\.(\w+))?",
        Rows(
            "ports",
            {
                "port": "port",
                "targetPort": "target_port",
                "nodePort": "node_port",
                "name": "name",
                "protocol": "protocol",
            },
            "port",
        ),
    ),
    (r"^spec\.ports", Rows("ports")),
]
# The paths of a pod template inside a workload, a job inside a CronJob: the
# same form fields whichever kind holds them.
_NESTED = (
    ("spec.jobTemplate.spec.", "spec."),
    ("spec.jobTemplate.metadata.", "metadata."),
    ("spec.template.spec.", "spec."),
    ("spec.template.metadata.", "metadata."),
)


def normal_path(path: str) -> str:
    path = re.sub(r"^documents\[\d+\]\.?", "", path)
    for nested, short in _NESTED:
        if path.startswith(nested):
            path = short + path[len(nested) :]
    return path


class Creation:
    """A kind's create form: its main form and rows, the manifests they make,
    and where a field path of those manifests goes back on the form."""

    def __init__(self, kind, data=None, *, user=None, namespace=None):
        self.kind = kind
        form_class = FORMS[kind.plural]
        # A form whose choices depend on who asks where (workloads/forms_rbac.py) is PLACED.
        placed = {"user": user, "namespace": namespace} if getattr(form_class, "PLACED", False) else {}
        self.form = form_class(data, **placed)
        row_kwargs = getattr(self.form, "row_kwargs", lambda prefix: {})
        self.rows = {
            prefix: rows(_managed(data, prefix), prefix=prefix, form_kwargs=row_kwargs(prefix))
            for prefix, rows in form_class.ROWS.items()
        }
        self.places = getattr(form_class, "PLACES", None) or (
            SERVICE_PLACES if form_class is ServiceForm else POD_PLACES
        )

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        valid = all([rows.is_valid() for rows in self.rows.values()]) and valid
        if valid and hasattr(self.form, "check_rows"):  # what only the rows together can say
            self.form.check_rows(self.rows)
            valid = all(rows.is_valid() for rows in self.rows.values())
        return valid

    def manifests(self) -> list[dict]:
        return self.form.manifests(self.kind.kind, self.rows)

    def place(self, path: str, message: str) -> bool:
        """Put the API server's `message` about `path` on the field that set it."""
        path = normal_path(path)
        for pattern, target in self.places:
            match = re.match(pattern, path)
            if not match:
                continue
            if isinstance(target, Rows):
                return self._place_in_rows(target, match, message)
            if target == "resources":
                target = _resource_field(path, message)
            if target in self.form.fields:
                self.form.add_error(target, message)
                return True
            return False
        return False

    def _place_in_rows(self, target: Rows, match, message: str) -> bool:
        rows = self.rows.get(target.prefix)
        if rows is None:
            return False
        groups = [g for g in match.groups() if g is not None]
        if not groups:  # the list as a whole
            rows.non_form_errors().append(message)  # the same list the page shows
            return True
        if hasattr(self.form, "manifest_rows"):  # a row may make several items (a team's groups)
            used = self.form.manifest_rows(target.prefix, rows)
        else:
            used = [index for index, _values in filled(rows)]
        position = int(groups[0])
        if position >= len(used):
            return False
        field = target.fields.get(groups[1], target.default) if len(groups) > 1 else target.default
        rows.forms[used[position]].add_error(field or None, message)
        return True


def _resource_field(path: str, message: str) -> str:
    """The form field of a container's resources path, e.g. `resources.requests[cpu]`."""
    part = "limit" if ".limits" in path else "request"
    resource = "memory" if "memory" in path or ("cpu" not in path and "memory" in message) else "cpu"
    return f"{resource}_{part}"


def _managed(data, prefix: str):
    """The form's data with the rows' management fields: a post without them
    (a script's, a test's) has no rows rather than a broken form."""
    if data is None or f"{prefix}-TOTAL_FORMS" in data:
        return data
    data = data.copy()
    data[f"{prefix}-TOTAL_FORMS"], data[f"{prefix}-INITIAL_FORMS"] = "0", "0"
    return data


def manifests_yaml(manifests: list[dict]) -> str:
    """The manifests as YAML documents people read and edit (no aliases: the
    JSON round trip unshares the dicts the forms reuse)."""
    return yaml.safe_dump_all(json.loads(json.dumps(manifests)), sort_keys=False, default_flow_style=False)
