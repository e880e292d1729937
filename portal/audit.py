"""Every mutation is audited.

`AuditMiddleware` writes one AuditEvent for each state-changing request (UI or
API) after the response is known; views enrich it through `audit_describe`.
Background jobs call `audit_record` themselves with the `job` channel.
Request bodies are summarised with secrets redacted: the trail must never
become a place where credentials leak. A request that was let in is summarised
whole (every key and list item), so a change cannot hide behind padding; only
a request refused at the door is cut short, with a count of what was left out.
A Kubernetes Secret's values never enter it: in a manifest sent as data or as
YAML text, its keys are recorded and its values replaced.
"""

import re
import time

import yaml
from django.utils.deprecation import MiddlewareMixin

from portal.models import AuditChannel, AuditEvent, AuditResult

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
SENSITIVE_KEY = re.compile(r"pass|secret|token|kubeconfig|private|credential|key|cert|csrf", re.IGNORECASE)
MAX_VALUE_CHARS = 200
REDACTED = "[redacted]"
# A request refused at the door (not signed in, not allowed, not found, wrong
# method or media type, too large, throttled) changed nothing: its summary keeps
# this many keys and list items and counts the rest. Any other request's summary
# keeps every key and item, so padding a body cannot push a change out of it.
REFUSED_STATUSES = frozenset({401, 403, 404, 405, 413, 415, 429})
REFUSED_MAX_ITEMS = 50
# No endpoint takes bodies nested this deep; deeper values are not recorded.
MAX_DEPTH = 8
LEFT_OUT = "…"
# A Secret manifest's fields whose values are the secret (its keys are recorded).
SECRET_FIELDS = ("data", "stringData")
# kubectl keeps a whole manifest, values included, in this annotation.
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _text(value) -> str:
    # PostgreSQL text and jsonb cannot hold NUL: a request carrying one must
    # still be audited (and answered), not crash the audit write.
    return str(value).replace("\x00", "\N{REPLACEMENT CHARACTER}")


def redact(data, *, limit: int | None = None) -> dict:
    """A secret-free summary of a request body: every key and list item, at
    every depth, with long values shortened; with `limit`, only the first
    `limit` keys and items of each, and how many were left out."""
    if not hasattr(data, "keys"):
        return {}
    return _mapping(data, limit, 0)


def _mapping(data, limit, depth) -> dict:
    keys = list(data.keys())
    secret = isinstance(data, dict) and data.get("kind") == "Secret"
    summary = {}
    for key in keys if limit is None else keys[:limit]:
        name = _text(key)[:MAX_VALUE_CHARS]
        if SENSITIVE_KEY.search(str(key)) or key == LAST_APPLIED:
            summary[name] = REDACTED
            continue
        if secret and key in SECRET_FIELDS:
            value = data[key]
            summary[name] = (
                _mapping(dict.fromkeys(value, REDACTED), limit, depth + 1) if isinstance(value, dict) else REDACTED
            )
            continue
        if hasattr(data, "getlist"):  # a form: its one value, or the list of repeated ones
            values = data.getlist(key)
            value = values[0] if len(values) == 1 else values
        else:
            value = data[key]
        summary[name] = _shorten(value, limit, depth + 1)
    if limit is not None and len(keys) > limit:
        summary[LEFT_OUT] = f"{len(keys) - limit} more keys not recorded"
    return summary


def _shorten(value, limit, depth):
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    if isinstance(value, (dict, list)) and depth > MAX_DEPTH:
        return "[nested too deep, not recorded]"
    if isinstance(value, dict):
        return _mapping(value, limit, depth)
    if isinstance(value, list):
        items = [_shorten(v, limit, depth + 1) for v in (value if limit is None else value[:limit])]
        if limit is not None and len(value) > limit:
            items.append(f"{LEFT_OUT} {len(value) - limit} more items not recorded")
        return items
    text = _text(value)
    if "kind" in text and "Secret" in text:  # perhaps a manifest with a Secret, as YAML or JSON text
        return _manifest_text(text, limit, depth)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"


def _manifest_text(text: str, limit, depth):
    """YAML text holding a Secret: its documents, summarised with the Secret's
    values replaced; text that cannot be read that way is not recorded."""
    try:
        # Aliases could make a few lines stand for billions of nodes to walk.
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=yaml.SafeLoader)):
            return REDACTED
        documents = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except (yaml.YAMLError, ValueError, TypeError):
        return REDACTED
    if not any(isinstance(doc, dict) and doc.get("kind") == "Secret" for doc in documents):
        return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"
    return _shorten(documents, limit, depth)


def result_for_status(status_code: int) -> str:
    if status_code < 400:
        return AuditResult.SUCCESS
    if status_code in (401, 403):
        return AuditResult.DENIED
    if status_code == 404:
        # A write to another team's object is answered 404, as if it did not
        # exist, so as not to tell it does; the trail says what it was (a
        # refusal, not invalid input), and one filter finds probing across teams.
        return AuditResult.REFUSED
    if status_code < 500:
        return AuditResult.INVALID
    return AuditResult.FAILED


def audit_describe(request, *, action=None, result=None, team=None, cluster="", namespace="", kind="", name=""):
    """Let a view name what its request did, for the middleware to record
    (`result` overrides the one the status code implies)."""
    request = getattr(request, "_request", request)
    described = getattr(request, "audit", {})
    if action:
        described["action"] = action
    if result:
        described["result"] = result
    if team is not None:
        described["team"] = team
    for field, value in (("cluster", cluster), ("namespace", namespace), ("kind", kind), ("name", name)):
        if value:
            described[field] = str(value)
    request.audit = described


def audit_record(
    *,
    actor=None,
    channel,
    action,
    result=AuditResult.SUCCESS,
    team=None,
    cluster="",
    namespace="",
    kind="",
    name="",
    summary=None,
    status_code=None,
    duration_ms=0,
    remote_addr=None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=actor.get_username() if actor is not None and actor.is_authenticated else "",
        channel=channel,
        action=_text(action)[:100],
        # A team deleted by this very request is named by target_name only.
        team=team if team is not None and team.pk is not None else None,
        target_cluster=_text(cluster)[:100],
        target_namespace=_text(namespace)[:253],
        target_kind=_text(kind)[:100],
        target_name=_text(name)[:253],
        request_summary=summary or {},
        result=result,
        status_code=status_code,
        duration_ms=duration_ms,
        remote_addr=remote_addr,
    )


def _channel(request) -> str:
    # Session logins leave `auth` empty; only an API token (rbac/authentication.py) sets it.
    if getattr(request, "auth", None) is not None:
        return AuditChannel.TOKEN
    if request.path.startswith("/api/"):
        return AuditChannel.API
    return AuditChannel.UI


# Requests no view names, named by their URL: the session's own pages, and the
# verbs of URL names that differ from the ones views record on success.
SESSION_ACTIONS = {
    "login": "session.login",
    "logout": "session.logout",
    "set_language": "session.language",
    "password_change": "password.change",
    "password_reset": "password.reset",
    "password_reset_confirm": "password.reset_confirm",
}
URL_VERBS = {"new": "create", "add": "create", "edit": "update", "change": "update"}


def _default_action(request) -> str:
    """`<resource>.<verb>` for a request its view did not name (refused before
    the view ran, invalid input, a view that names only its successes), from
    the URL name: `teams:team-edit` -> `team.update`, `clusters:node-drain` ->
    `node.drain`. A generic view names its successes after its model
    (`teamnamespace.update`), so a URL resource that ends its model's name
    (`namespace-edit` on TeamNamespace) takes the model's name, and a refused
    attempt reads like the change it tried."""
    method = request.method.lower()
    match = getattr(request, "resolver_match", None)
    if match is None or not match.url_name:
        return f"unrouted.{method}"
    if match.url_name in SESSION_ACTIONS:
        return SESSION_ACTIONS[match.url_name]
    resource, _dash, verb = match.url_name.replace("_", "-").partition("-")
    model = getattr(getattr(match.func, "view_class", None), "model", None)
    if model is not None and model.__name__.lower().endswith(resource):
        resource = model.__name__.lower()
    verb = verb.replace("-", "_")
    return f"{resource}.{URL_VERBS.get(verb, verb or method)}"


class AuditMiddleware(MiddlewareMixin):
    def process_request(self, request):
        request._audit_started = time.monotonic()

    def process_response(self, request, response):
        if request.method in SAFE_METHODS or not hasattr(request, "_audit_started"):
            return response
        described = getattr(request, "audit", {})
        if described.get("skip"):
            return response
        body = getattr(request, "audit_data", None)
        if body is None and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            body = request.POST
        user = getattr(request, "user", None)
        audit_record(
            actor=user,
            channel=_channel(request),
            action=described.get("action") or _default_action(request),
            result=described.get("result") or result_for_status(response.status_code),
            team=described.get("team"),
            cluster=described.get("cluster", ""),
            namespace=described.get("namespace", ""),
            kind=described.get("kind", ""),
            name=described.get("name", ""),
            summary=redact(body, limit=REFUSED_MAX_ITEMS if response.status_code in REFUSED_STATUSES else None)
            if body is not None
            else {},
            status_code=response.status_code,
            duration_ms=int((time.monotonic() - request._audit_started) * 1000),
            remote_addr=request.META.get("REMOTE_ADDR") or None,
        )
        return response


def login_described(sender, request=None, user=None, **kwargs):
    """Names a login in the trail (connected to `user_logged_in`)."""
    if request is not None:
        audit_describe(request, action="session.login")


def login_failure_described(sender, credentials=None, request=None, **kwargs):
    """Names a failed login as denied (connected to `user_login_failed`); the
    attempted username stays in the summary, the password never does."""
    if request is not None:
        audit_describe(request, action="session.login_failed", result=AuditResult.DENIED)
