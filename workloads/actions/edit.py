"""Edit an object's YAML in place.

The `edit` action (GET, a page of its own, editors only) shows the live object
as YAML without its status and the field managers' bookkeeping; its form posts
to workloads/views_edit.py, which applies the text with `APPLY_EDIT` through
the same path as every action (`workloads.services.live_action`: impersonated,
the form checked, errors mapped).

The text is applied with server-side apply, a dry run first, keeping the
resourceVersion the page was shown at: if someone changed the object meanwhile,
the API server answers 409 and nothing is applied. Its controller writing the
status moves the resourceVersion too (a Deployment's, every few seconds while
it rolls out): when the object is otherwise as the page showed it (the same
fingerprint), the edit is applied at the new version instead of refused,
taking the controllers' bookkeeping annotations (a Deployment's revision) as
they are now; a busy controller gets five tries, as client-go's RetryOnConflict.

The apply does not force: a value the user changed that another field manager
set (replicas after a scale, a label another tool applies) is the API
server's field-manager conflict, and the page names the managers and fields
(`FieldConflict`); taking them over is the same text applied with force. A
conflict on an object that changed since the page was read is the version
conflict instead, whatever the API server said first: what to take over is
only known from the object as it is now (reload). The name, kind and
apiVersion cannot change: that would be another object.
"""

import copy
import hashlib
import json
import re
import time

import yaml
from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clusters import kube
from portal.errors import ConflictError
from workloads import bindings, objects
from workloads.actions.base import Action, Call, register
from workloads.errors import NON_FIELD
from workloads.kinds import KINDS

EDIT = "edit"
# Kinds whose YAML would show what must stay hidden until asked for (and audited).
NOT_EDITABLE = {"Secret"}
EDITABLE = tuple(kind.kind for kind in KINDS.values() if not kind.read_only and kind.kind not in NOT_EDITABLE)
# The API server's own fields of an object: shown nowhere in the text to edit.
SERVER_FIELDS = ("managedFields",)


def editable(obj: dict) -> dict:
    """The object as it is edited: without status and managed fields."""
    shown = copy.deepcopy(obj)
    shown.pop("status", None)
    for field in SERVER_FIELDS:
        (shown.get("metadata") or {}).pop(field, None)
    return shown


def editable_yaml(obj: dict) -> str:
    return yaml.safe_dump(editable(obj), sort_keys=False, default_flow_style=False)


# Bookkeeping the API server and controllers write beside a change of the
# spec (which the fingerprint sees anyway): the deployment controller's
# revision lands just after a Deployment is created or its template changes,
# and must not read as "someone changed it meanwhile".
BOOKKEEPING = ("resourceVersion", "generation")
CONTROLLER_ANNOTATIONS = ("deployment.kubernetes.io/revision", "deprecated.daemonset.template.generation")
# The same, as the API server names them in a field-manager conflict.
BOOKKEEPING_FIELDS = {f".metadata.annotations.{key}" for key in CONTROLLER_ANNOTATIONS}


# A controller busy with the object (a rollout's status, the revision it
# writes back) can move the version again between the re-read and the apply:
# client-go's RetryOnConflict tries five times too, with a short growing pause.
STATUS_RETRIES = 5
STATUS_RETRY_PAUSE = 0.05


def fingerprint(obj: dict) -> str:
    """What an edit starts from, apart from the version: equal fingerprints
    mean only the status (or bookkeeping) moved on."""
    shown = editable(obj)
    meta = shown.get("metadata") or {}
    for field in BOOKKEEPING:
        meta.pop(field, None)
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in CONTROLLER_ANNOTATIONS}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()


def _show(call: Call) -> dict:
    obj = objects.get_object(call.client, call.kind, call.namespace, call.name)
    return {
        "kind": call.kind.kind,
        "name": call.name,
        "resource_version": (obj.get("metadata") or {}).get("resourceVersion", ""),
        "fingerprint": fingerprint(obj),
        "yaml": editable_yaml(obj),
    }


class EditForm(forms.Form):
    manifest = forms.CharField(label=gettext_lazy("YAML"), strip=False, widget=forms.Textarea)
    # The version the text was read at: the API server refuses the apply if the object moved on.
    resource_version = forms.CharField(max_length=64, widget=forms.HiddenInput)
    fingerprint = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)
    # Take over the fields other field managers set (after a FieldConflict named them).
    force = forms.BooleanField(required=False)


class EditRefused(objects.ManifestError):
    """An edit that would make another object, or is not one object."""


def _edited(call: Call) -> dict:
    """The one object of the text, checked to be the one being edited, with
    the resourceVersion the page was shown at."""
    documents = objects.parse_yaml(call.data["manifest"])
    if len(documents) != 1 or not isinstance(documents[0], dict):
        message = _("Send the one object being edited, as a YAML mapping.")
        raise EditRefused(message, field_errors={NON_FIELD: [message]})
    document = editable(documents[0])
    meta = document.get("metadata")
    for field, given, expected in (
        ("kind", document.get("kind"), call.kind.kind),
        ("apiVersion", document.get("apiVersion"), call.kind.api_version),
        ("metadata.name", meta.get("name") if isinstance(meta, dict) else None, call.name),
    ):
        if given != expected:
            message = _(
                "The %(field)s cannot change in an edit (%(given)s instead of %(expected)s): "
                "that would be another object. Create it from the YAML page instead."
            ) % {"field": field, "given": given or "—", "expected": expected}
            raise EditRefused(message, field_errors={field: [message]})
    document["metadata"] = dict(meta, resourceVersion=call.data["resource_version"])
    return document


def _catch_up(obj: dict, fresh: dict) -> None:
    """Give the text the controllers' annotations as the object has them now."""
    mine = obj["metadata"].get("annotations") or {}
    now = (fresh.get("metadata") or {}).get("annotations") or {}
    for key in CONTROLLER_ANNOTATIONS:
        if key in mine and key in now:
            mine[key] = now[key]
        elif key in mine:
            del mine[key]


def _without_bookkeeping(managers: list[dict] | None) -> list[dict] | None:
    """The field-manager conflicts that are the user's: the controllers'
    annotations are caught up instead (`_catch_up`)."""
    if managers is None:
        return None
    mine = [dict(m, fields=[f for f in m["fields"] if f not in BOOKKEEPING_FIELDS]) for m in managers]
    return [m for m in mine if m["fields"]]


class FieldConflict(ConflictError):
    """Server-side apply refused to change fields other field managers set:
    `managers` is [{"manager", "detail", "fields"}], as the API server named them."""

    def __init__(self, message, managers: list[dict]):
        super().__init__(
            message,
            field_errors={
                field: [_("Set by %(manager)s.") % {"manager": m["manager"]}] for m in managers for field in m["fields"]
            },
        )
        self.managers = managers


# The API server's message for a field-manager conflict (apimachinery's
# fieldmanager NewConflictError), which carries the same managers and fields as
# the Status's details.causes (FieldManagerConflict): clusters.kube keeps the
# message only. One conflict: `conflict with "m" ...: .path`; several: a line
# `conflicts with "m" ...:` per manager, then `- .path` per field.
APPLY_FAILED = re.compile(r"Apply failed with \d+ conflicts?: ", re.S)
_MANAGER = r'"((?:[^"\\]|\\.)*)"([^\n]*?)'
ONE_CONFLICT = re.compile(rf"^conflict with {_MANAGER}: (.+)$", re.S)
MANAGER_LINE = re.compile(rf"^conflicts with {_MANAGER}:$")


def field_conflicts(message: str) -> list[dict] | None:
    """The managers and fields of a field-manager conflict's message; None for
    another conflict (a resourceVersion that moved on)."""
    found = APPLY_FAILED.search(message)
    if not found:
        return None
    text = message[found.end() :].strip()
    one = ONE_CONFLICT.match(text)
    if one:
        return [_manager(one.group(1), one.group(2), [one.group(3).strip()])]
    managers = []
    for line in text.splitlines():
        line = line.strip()
        header = MANAGER_LINE.match(line)
        if header:
            managers.append(_manager(header.group(1), header.group(2), []))
        elif line.startswith("- ") and managers:
            managers[-1]["fields"].append(line[2:].strip())
    return managers or None


def _manager(quoted: str, detail: str, fields: list[str]) -> dict:
    name = re.sub(r"\\(.)", r"\1", quoted)  # Go's %q, for the names managers have
    return {"manager": name, "detail": detail.strip(), "fields": fields}


def _apply(call: Call, obj: dict, *, dry_run: bool) -> dict:
    query = [("fieldManager", objects.FIELD_MANAGER)]
    query += [("force", "true")] if call.data.get("force") else []
    query += [("dryRun", "All")] if dry_run else []
    # Errors are mapped by the caller (`services.live_action`), once.
    return call.client.request_json(
        "PATCH",
        objects.object_path(call.kind, call.namespace, call.name),
        query=query,
        body=obj,
        content_type="application/apply-patch+yaml",
    )[1]


def _save(call: Call) -> dict:
    ((_kind, obj),) = objects.checked_manifests([_edited(call)], namespace=call.namespace)
    foreign = bindings.check_subjects(call.user, call.team_namespace, call.kind, obj)
    if foreign:
        raise EditRefused(_("A team binds only its own groups, members and ServiceAccounts."), field_errors=foreign)
    for attempt in range(1, STATUS_RETRIES + 1):
        try:
            _apply(call, obj, dry_run=True)  # a refusal stops here, with nothing applied
            answer = _apply(call, obj, dry_run=False)
            break
        except kube.KubeConflict as exc:
            fresh = objects.get_object(call.client, call.kind, call.namespace, call.name)
            if not call.data.get("fingerprint") or fingerprint(fresh) != call.data["fingerprint"]:
                raise  # someone changed what the user was editing: reload
            # The text carries the controllers' bookkeeping as the page showed
            # it: a value a controller has since moved on is its conflict, not
            # the user's, so the text takes the value the object has now.
            _catch_up(obj, fresh)
            managers = _without_bookkeeping(field_conflicts(exc.message))
            if managers:
                raise FieldConflict(exc.message, managers) from exc
            if attempt == STATUS_RETRIES:
                raise
            obj["metadata"]["resourceVersion"] = fresh["metadata"]["resourceVersion"]
            time.sleep(STATUS_RETRY_PAUSE * attempt)
    return {
        "kind": call.kind.kind,
        "name": call.name,
        "resource_version": (answer.get("metadata") or {}).get("resourceVersion", ""),
        "message": (
            _("Applied your edit of %(kind)s %(name)s, taking over the fields other managers set.")
            if call.data.get("force")
            else _("Applied your edit of %(kind)s %(name)s.")
        )
        % {"kind": call.kind.kind, "name": call.name},
    }


EDIT_ACTION = register(
    Action(
        EDIT,
        gettext_lazy("Edit YAML"),
        kinds=EDITABLE,
        run=_show,
        method="GET",
        template="workloads/edit_section.html",
        on_detail=False,
        editors_only=True,
    )
)
# Not registered: the edit page's form posts to its own view, which runs it.
APPLY_EDIT = Action("edit-apply", gettext_lazy("Apply"), kinds=EDITABLE, run=_save, form=EditForm)
