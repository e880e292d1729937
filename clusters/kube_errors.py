"""How a failed Kubernetes call becomes a portal error: the `KubeError`
classes and the one translation of API server answers and network failures
into them (`translate`), each with a message a user can act on.

Apart from `clusters/kube.py` (which re-exports every name here) so the
gateway stays one readable module: this is its error vocabulary, used by the
client and by everything that maps a cluster's refusals (workloads/errors.py).
"""

import ssl

import orjson
from django.utils.translation import gettext_noop
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from portal.errors import PortalError
from portal.stored_text import Message

# --- errors ---------------------------------------------------------------


class KubeError(PortalError):
    """A Kubernetes call failed; `message` is safe and useful to show."""

    status_code = 502
    error_type = "cluster_error"


class ClusterUnreachable(KubeError):
    status_code = 503
    error_type = "cluster_unreachable"


class ClusterTLSError(KubeError):
    status_code = 502
    error_type = "cluster_tls"


class ClusterUnauthorized(KubeError):
    """The cluster refused the portal's stored credentials (expired or revoked)."""

    status_code = 502
    error_type = "cluster_unauthorized"


class KubeForbidden(KubeError):
    status_code = 403
    error_type = "forbidden"


class KubeNotFound(KubeError):
    status_code = 404
    error_type = "not_found"


class KubeConflict(KubeError):
    status_code = 409
    error_type = "conflict"


class KubeInvalid(KubeError):
    status_code = 400
    error_type = "invalid"


class KubeTooManyRequests(KubeError):
    """429: e.g. an eviction a PodDisruptionBudget does not allow right now."""

    status_code = 429
    error_type = "too_many_requests"


class QuotaExceeded(KubeError):
    status_code = 403
    error_type = "quota_exceeded"


class KubeExpired(KubeError):
    """410: a list's `continue` token outlived the API server's window."""

    status_code = 410
    error_type = "expired"


def _status_body(exc: ApiException) -> dict:
    try:
        body = orjson.loads(exc.body or "{}")
    except (TypeError, ValueError):  # orjson.JSONDecodeError is a ValueError
        return {}
    return body if isinstance(body, dict) else {}


def translate(exc: Exception, *, server: str = "") -> KubeError:
    """One translation of API and network errors into portal errors. Each
    message is a stored_text.Message: shown now in the request's language
    (`message`), stored by background work as its id and parameters (`text`)."""
    where = server or Message(gettext_noop("the cluster"))
    if isinstance(exc, KubeError):
        return exc
    if isinstance(exc, ApiException):
        body = _status_body(exc)
        message = body.get("message") or exc.reason or ""
        status = exc.status or 0
        if status == 0:  # the client gave up before an HTTP answer
            return ClusterUnreachable(
                Message(gettext_noop("No answer from %(where)s: %(detail)s"), where=where, detail=exc.reason)
            )
        if status == 401:
            return ClusterUnauthorized(
                Message(
                    gettext_noop("%(where)s refused the portal's credentials (expired or revoked?); replace them."),
                    where=where,
                )
            )
        if status == 403 and "exceeded quota" in message:
            return QuotaExceeded(Message(gettext_noop("Quota exceeded: %(message)s"), message=message))
        if status == 403:
            return KubeForbidden(Message(gettext_noop("Forbidden by the cluster: %(message)s"), message=message))
        if status == 404:
            return KubeNotFound(Message(gettext_noop("Not found in the cluster: %(message)s"), message=message))
        if status == 409:
            return KubeConflict(Message(gettext_noop("Conflict: %(message)s"), message=message))
        if status == 422 or status == 400:
            causes = (body.get("details") or {}).get("causes") or []
            field_errors: dict[str, list[str]] = {}
            for cause in causes:
                field_errors.setdefault(cause.get("field") or "non_field_errors", []).append(
                    cause.get("message") or cause.get("reason") or ""
                )
            return KubeInvalid(
                Message(gettext_noop("Invalid: %(message)s"), message=message), field_errors=field_errors
            )
        if status == 410:
            return KubeExpired(
                Message(gettext_noop("The list changed too much since that page: start again from the first page."))
            )
        if status == 429:
            return KubeTooManyRequests(
                Message(gettext_noop("The cluster asked to retry later: %(message)s"), message=message)
            )
        return KubeError(
            Message(gettext_noop("The cluster answered %(status)s: %(message)s"), status=status, message=message)
        )
    if isinstance(exc, MaxRetryError) and exc.reason is not None:
        return translate(exc.reason, server=server)
    if isinstance(exc, (SSLError, ssl.SSLError)):
        return ClusterTLSError(
            Message(
                gettext_noop(
                    "TLS failure talking to %(where)s: the server's certificate does not match the CA in the "
                    "kubeconfig, or the client certificate was refused (%(detail)s)."
                ),
                where=where,
                detail=exc,
            )
        )
    # urllib3's NewConnectionError is a ConnectTimeoutError: test it first.
    if isinstance(exc, NewConnectionError):
        return ClusterUnreachable(
            Message(gettext_noop("Cannot connect to %(where)s (%(detail)s)."), where=where, detail=_brief(exc))
        )
    if isinstance(exc, (ConnectTimeoutError, ReadTimeoutError, TimeoutError)):
        return ClusterUnreachable(Message(gettext_noop("%(where)s did not answer in time."), where=where))
    if isinstance(exc, (NewConnectionError, ConnectionError, ProtocolError, OSError, HTTPError)):
        return ClusterUnreachable(
            Message(gettext_noop("Cannot connect to %(where)s (%(detail)s)."), where=where, detail=_brief(exc))
        )
    if isinstance(exc, ConfigException):
        return KubeError(Message(gettext_noop("The stored kubeconfig cannot be used: %(detail)s"), detail=exc))
    return KubeError(f"{type(exc).__name__}: {exc}")


def _brief(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "No route to host", "timed out"):
        if marker in text:
            return marker
    return text[:200]
