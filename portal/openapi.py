"""The API schema tells the truth: every operation's error answers in the one
error shape (portal/errors.py), operations grouped by resource, and each
described by its own docstring, never a base class's.

Wired in settings: `DEFAULT_SCHEMA_CLASS` (PortalAutoSchema) and
`POSTPROCESSING_HOOKS` (document_errors).
"""

import inspect

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_doc, get_view_model
from rest_framework.parsers import FormParser, MultiPartParser

ERROR = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error answer: a type, a summary to show, and the messages per field.",
    "properties": {
        "type": {"type": "string", "description": "invalid, unauthenticated, forbidden, not_found, conflict, ..."},
        "detail": {"type": "string", "description": "A summary people can read."},
        "errors": {
            "type": "object",
            "description": (
                "Messages per field; nested fields are paths (`taints[0].effect`), "
                "messages about no one field are under `non_field_errors`."
            ),
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["type", "detail", "errors"],
}
# status -> (when it is answered, which operations may answer it)
ANSWERS = {
    "400": "The input is not valid: `errors` names each field.",
    "401": "No valid credentials (a missing, expired or revoked token).",
    "403": "Signed in, but this is not yours to do (your role, or the cluster's RBAC when you act as yourself).",
    "404": "Not found, or not yours to see.",
    "405": "Not an action this object has.",
    "409": "The current state forbids it (still in use, already running, changed meanwhile).",
    "413": "The request body is too large.",
    "415": "The request body's media type is not accepted.",
    "429": "Too many requests: wait as `Retry-After` says.",
    "502": "The cluster answered with an error the portal cannot map.",
    "503": "A cluster or a service the portal needs cannot be reached now.",
}
WRITES = {"post", "put", "patch", "delete"}
STANDARD = {
    "list": "A page of the %(many)s you may see.",
    "retrieve": "One %(one)s.",
    "create": "Create a %(one)s.",
    "update": "Replace a %(one)s's writable fields.",
    "partial_update": "Change some of a %(one)s's writable fields.",
    "destroy": "Delete a %(one)s.",
}


class PortalAutoSchema(AutoSchema):
    """Tags by resource; descriptions from the view's and the action's own docstrings."""

    def get_tags(self) -> list[str]:
        path = self._tokenize_path()
        # Live objects of the kind registry read as one resource, whatever the namespace.
        return ["kinds"] if "kinds" in path else path[:1]

    def map_parsers(self) -> list[str]:
        # Form encodings are accepted for the browsable API's HTML forms, but they
        # cannot say null, an empty list or a nested object: the contract is JSON.
        form = (FormParser, MultiPartParser)
        return list(dict.fromkeys(p.media_type for p in self.view.get_parsers() if not isinstance(p, form)))

    def get_description(self) -> str:
        action = getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)
        view_class = self.view.__class__
        # A base class's docstring (portal/viewsets.py, DRF's mixins) says nothing about this operation.
        if action is not None and getattr(action, "__module__", None) == view_class.__module__:
            own = get_doc(action)
            if own:
                return own
        own = inspect.cleandoc(view_class.__dict__.get("__doc__") or "")
        return own or self._standard_description()

    def _standard_description(self) -> str:
        """What a standard action of a model's viewset does, said of its model."""
        model = get_view_model(self.view, emit_warnings=False)
        action = getattr(self.view, "action", None)
        if model is None or action not in STANDARD:
            return ""
        meta = model._meta
        return STANDARD[action] % {"one": meta.verbose_name, "many": meta.verbose_name_plural}


def _may_answer(path: str, method: str, operation: dict) -> list[str]:
    """The error statuses an operation can answer (the portal's own rules, by shape)."""
    answers = ["401", "403", "429"]
    parameters = {parameter.get("name") for parameter in operation.get("parameters", [])}
    if "{" in path or "page" in parameters:  # a page past the last is not found
        answers.append("404")
    if operation.get("parameters") or operation.get("requestBody") or method in WRITES:
        answers.append("400")
    if method in WRITES:
        answers += ["409", "413", "415"]
    # Anything that reaches a cluster (live objects, nodes, clusters, namespaces, teams' kubeconfigs)
    # can find it unreachable or answering errors.
    if any(part in path for part in ("/clusters/", "/nodes/", "/namespaces/", "/kinds/", "/teams/", "/hosts/")):
        answers += ["502", "503"]
    if "/kinds/" in path and "{name}" in path:
        answers.append("405")
    return answers


def document_errors(result, generator, request, public):
    """Every operation documents the errors it may answer, in the one error shape."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR] = ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR}"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            # An error comes in the format the request negotiated (a YAML download's errors are YAML).
            media = {"application/json"} | {
                kind
                for code, response in responses.items()
                if str(code).startswith("2")
                for kind in (response.get("content") or {})
                if kind == "application/yaml"
            }
            for code in _may_answer(path, method, operation):
                documented = responses.setdefault(code, {"description": ANSWERS[code]})
                content = documented.setdefault("content", {})
                for kind in sorted(media):
                    content.setdefault(kind, {"schema": reference})
    return result
