"""One error shape for the API, and error reports that never carry secrets.

Every API error body looks like:
    {"type": "invalid", "detail": "Human readable summary.",
     "errors": {"field": ["message", ...], "non_field_errors": [...]}}
"""

import logging
import re

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.views.debug import SafeExceptionReporterFilter
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from portal import stored_text

logger = logging.getLogger(__name__)

ERROR_TYPES = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


class PortalError(Exception):
    """A failure to report to the user as is (message safe to show)."""

    status_code = 400
    error_type = "invalid"

    def __init__(self, message, *, field_errors=None):
        # Plain text in args: an exception may be serialized (a task's result).
        self.message = stored_text.Shown(message)
        super().__init__(str(self.message))
        # What background work stores: a stored_text.Message stays a message
        # id with parameters, translated for whoever reads it later.
        self.text = message
        self.field_errors = field_errors or {}


class ConflictError(PortalError):
    status_code = 409
    error_type = "conflict"


def in_use_error(exc: ProtectedError | RestrictedError) -> ConflictError:
    """Deleting something other records depend on is a conflict, not a crash."""
    users = sorted(
        {
            str(obj)
            for obj in list(exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects)[:5]
        }
    )
    return ConflictError(f"Still in use by: {', '.join(users)}.")


def field_errors(detail) -> dict:
    """DRF's error detail as one flat {field path: [messages]}: nested
    serializers and lists become paths (`taints[0].effect`), so every error
    answer has the same shape however deep the field."""
    flat: dict[str, list[str]] = {}

    def collect(path: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                collect(_join(path, key), inner)
        elif isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
            for index, inner in enumerate(value):
                if inner:  # a list serializer's valid items answer {}
                    collect(_join(path, index), inner)
        else:
            messages = value if isinstance(value, list) else [value]
            flat.setdefault(path or api_settings.NON_FIELD_ERRORS_KEY, []).extend(str(m) for m in messages)

    collect("", detail)
    return flat


def _join(path: str, key) -> str:
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        return f"{path}[{key}]"
    if key.startswith("[") or not path:
        return f"{path}{key}"
    if key == api_settings.NON_FIELD_ERRORS_KEY and path:
        return path  # "taints[0]" rather than "taints[0].non_field_errors"
    return f"{path}.{key}" if path else str(key)


def _summary(field_errors: dict) -> str:
    for key, messages in field_errors.items():
        if messages:
            return messages[0] if key == api_settings.NON_FIELD_ERRORS_KEY else f"{key}: {messages[0]}"
    return "Invalid input."


def error_body(status_code: int, detail: str, errors: dict | None = None, error_type=None) -> dict:
    return {
        "type": error_type or ERROR_TYPES.get(status_code, "error"),
        "detail": detail,
        "errors": errors or {},
    }


def api_exception_handler(exc, context):
    if isinstance(exc, PortalError):
        return Response(
            error_body(exc.status_code, exc.message, exc.field_errors, exc.error_type),
            status=exc.status_code,
        )
    if isinstance(exc, (ProtectedError, RestrictedError)):
        exc = in_use_error(exc)
        return Response(error_body(409, exc.message, error_type="conflict"), status=409)
    if isinstance(exc, ValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body(413, "The request body is too large."), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: Django's 500 handling (and logging) takes over
    if isinstance(exc, exceptions.ValidationError):
        errors = field_errors(exc.detail)
        response.data = error_body(response.status_code, _summary(errors), errors)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        response.data = error_body(response.status_code, str(detail))
    return response


def api_not_found(request, exception=None):
    return JsonResponse(error_body(404, "Not found."), status=404)


def api_server_error(request):
    return JsonResponse(error_body(500, "Internal error; it has been logged.", error_type="server_error"), status=500)


class SecretHidingReporterFilter(SafeExceptionReporterFilter):
    """Debug pages and error e-mails hide settings and local variables whose
    names suggest a secret, on top of Django's own list."""

    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|ENCRYPTION|DATABASE_URL|BROKER",
        flags=re.IGNORECASE,
    )

    def get_traceback_frame_variables(self, request, tb_frame):
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [
            (
                name,
                self.cleansed_substitute
                if self.hidden_settings.search(name)
                or name in ("kubeconfig", "private_key", "password", "passphrase", "data")
                else value,
            )
            for name, value in variables
        ]
