"""Every mutation is audited.

`AuditMiddleware` writes one AuditEvent for each state-changing request (UI or
API) after the response is known; views enrich it through `audit_describe`.
Background jobs call `audit_record` themselves with the `job` channel.
Request bodies are summarised with secrets redacted: the trail must never
become a place where credentials leak.
"""

import re
import time

from django.utils.deprecation import MiddlewareMixin

from portal.models import AuditChannel, AuditEvent, AuditResult

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
SENSITIVE_KEY = re.compile(r"pass|secret|token|kubeconfig|private|credential|key|cert|csrf", re.IGNORECASE)
MAX_VALUE_CHARS = 200
MAX_KEYS = 50
REDACTED = "[redacted]"


def _text(value) -> str:
    # PostgreSQL text and jsonb cannot hold NUL: a request carrying one must
    # still be audited (and answered), not crash the audit write.
    return str(value).replace("\x00", "\N{REPLACEMENT CHARACTER}")


def redact(data) -> dict:
    """A short, secret-free summary of a request body."""
    if not hasattr(data, "keys"):
        return {}
    summary = {}
    for key in list(data.keys())[:MAX_KEYS]:
        if SENSITIVE_KEY.search(str(key)):
            summary[_text(key)] = REDACTED
            continue
        value = data.getlist(key) if hasattr(data, "getlist") else data[key]
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        summary[_text(key)[:MAX_VALUE_CHARS]] = _shorten(value)
    return summary


def _shorten(value):
    if isinstance(value, dict):
        return redact(value)
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    if isinstance(value, list):
        return [_shorten(v) for v in value[:10]]
    text = _text(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"


def result_for_status(status_code: int) -> str:
    if status_code < 400:
        return AuditResult.SUCCESS
    if status_code in (401, 403):
        return AuditResult.DENIED
    if status_code < 500:
        return AuditResult.INVALID
    return AuditResult.FAILED


def audit_describe(request, *, action=None, team=None, cluster="", namespace="", kind="", name=""):
    """Let a view name what its request did, for the middleware to record."""
    request = getattr(request, "_request", request)
    described = getattr(request, "audit", {})
    if action:
        described["action"] = action
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
    from rbac.models import ApiToken

    if isinstance(getattr(request, "auth", None), ApiToken):
        return AuditChannel.TOKEN
    if request.path.startswith("/api/"):
        return AuditChannel.API
    return AuditChannel.UI


def _default_action(request) -> str:
    match = getattr(request, "resolver_match", None)
    name = match.view_name if match and match.view_name else request.path
    return f"{request.method.lower()} {name}"


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
            result=result_for_status(response.status_code),
            team=described.get("team"),
            cluster=described.get("cluster", ""),
            namespace=described.get("namespace", ""),
            kind=described.get("kind", ""),
            name=described.get("name", ""),
            summary=redact(body) if body is not None else {},
            status_code=response.status_code,
            duration_ms=int((time.monotonic() - request._audit_started) * 1000),
            remote_addr=request.META.get("REMOTE_ADDR") or None,
        )
        return response
