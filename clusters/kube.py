"""The one module that talks to Kubernetes (the official `kubernetes` client).

Every call gets a fresh ApiClient built from a cluster's stored credentials:
never the global configuration, never a client shared between requests or
users. Calls made on behalf of a team member impersonate that member
(`Impersonate-User` and one `Impersonate-Group` header per group), so the API
server itself enforces tenancy. Every error, from the API server or the
network, becomes one of the `KubeError` classes below with a message a user
can act on.
"""

import json
import logging
import ssl
from dataclasses import dataclass, field

import urllib3
import yaml
from django.utils.translation import gettext as _
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.kube_config import load_kube_config_from_dict
from kubernetes.utils import parse_quantity
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from clusters import kube_tls
from clusters import kubeconfig as kc
from portal.errors import PortalError

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
PAGE_SIZE = 500
FIELD_MANAGER = "kube-portal"
IMPERSONATED_USER_PREFIX = "portal:"

__all__ = [
    "FIELD_MANAGER",
    "Identity",
    "KubeClient",
    "KubeError",
    "client_for",
    "client_from_kubeconfig",
    "parse_quantity",
    "k8s",
    "ApiException",
]


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
        body = json.loads(exc.body or "{}")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def translate(exc: Exception, *, server: str = "") -> KubeError:
    """One translation of API and network errors into portal errors."""
    where = server or _("the cluster")
    if isinstance(exc, KubeError):
        return exc
    if isinstance(exc, ApiException):
        body = _status_body(exc)
        message = body.get("message") or exc.reason or ""
        status = exc.status or 0
        if status == 0:  # the client gave up before an HTTP answer
            return ClusterUnreachable(
                _("No answer from %(where)s: %(detail)s") % {"where": where, "detail": exc.reason}
            )
        if status == 401:
            return ClusterUnauthorized(
                _("%(where)s refused the portal's credentials (expired or revoked?); replace them.") % {"where": where}
            )
        if status == 403 and "exceeded quota" in message:
            return QuotaExceeded(_("Quota exceeded: %(message)s") % {"message": message})
        if status == 403:
            return KubeForbidden(_("Forbidden by the cluster: %(message)s") % {"message": message})
        if status == 404:
            return KubeNotFound(_("Not found in the cluster: %(message)s") % {"message": message})
        if status == 409:
            return KubeConflict(_("Conflict: %(message)s") % {"message": message})
        if status == 422 or status == 400:
            causes = (body.get("details") or {}).get("causes") or []
            field_errors: dict[str, list[str]] = {}
            for cause in causes:
                field_errors.setdefault(cause.get("field") or "non_field_errors", []).append(
                    cause.get("message") or cause.get("reason") or ""
                )
            return KubeInvalid(_("Invalid: %(message)s") % {"message": message}, field_errors=field_errors)
        if status == 410:
            return KubeExpired(_("The list changed too much since that page: start again from the first page."))
        if status == 429:
            return KubeTooManyRequests(_("The cluster asked to retry later: %(message)s") % {"message": message})
        return KubeError(_("The cluster answered %(status)s: %(message)s") % {"status": status, "message": message})
    if isinstance(exc, MaxRetryError) and exc.reason is not None:
        return translate(exc.reason, server=server)
    if isinstance(exc, (SSLError, ssl.SSLError)):
        return ClusterTLSError(
            _(
                "TLS failure talking to %(where)s: the server's certificate does not match the CA in the "
                "kubeconfig, or the client certificate was refused (%(detail)s)."
            )
            % {"where": where, "detail": exc}
        )
    # urllib3's NewConnectionError is a ConnectTimeoutError: test it first.
    if isinstance(exc, NewConnectionError):
        return ClusterUnreachable(
            _("Cannot connect to %(where)s (%(detail)s).") % {"where": where, "detail": _brief(exc)}
        )
    if isinstance(exc, (ConnectTimeoutError, ReadTimeoutError, TimeoutError)):
        return ClusterUnreachable(_("%(where)s did not answer in time.") % {"where": where})
    if isinstance(exc, (NewConnectionError, ConnectionError, ProtocolError, OSError, HTTPError)):
        return ClusterUnreachable(
            _("Cannot connect to %(where)s (%(detail)s).") % {"where": where, "detail": _brief(exc)}
        )
    if isinstance(exc, ConfigException):
        return KubeError(_("The stored kubeconfig cannot be used: %(detail)s") % {"detail": exc})
    return KubeError(f"{type(exc).__name__}: {exc}")


def _brief(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "No route to host", "timed out"):
        if marker in text:
            return marker
    return text[:200]


# --- clients --------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """Who a call is made for: a portal user and the groups of their team roles."""

    user: str
    groups: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def for_username(cls, username: str, groups=()) -> "Identity":
        return cls(IMPERSONATED_USER_PREFIX + username, tuple(groups))


class _PortalApiClient(k8s.ApiClient):
    """Translates every failure of every generated API call.

    Every generated method funnels through `_call_with_legacy_options`
    (request, HTTP errors and deserialisation), so this is the one place.
    """

    server = ""

    def _call_with_legacy_options(self, *args, **kwargs):
        try:
            return super()._call_with_legacy_options(*args, **kwargs)
        except Exception as exc:
            raise translate(exc, server=self.server) from exc


class _PoolManagerWithDefaults:
    """Wraps urllib3's pool manager: a default (connect, read) timeout on every
    request, and one header line per impersonated group (a dict of default
    headers can hold only one)."""

    def __init__(self, pool_manager, timeout: urllib3.Timeout, groups: tuple[str, ...]):
        self._pool_manager = pool_manager
        self._timeout = timeout
        self._groups = groups
        self.requests = 0

    def request(self, method, url, *args, **kwargs):
        self.requests += 1
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        if self._groups:
            headers = urllib3.HTTPHeaderDict(kwargs.get("headers") or {})
            for group in self._groups:
                headers.add("Impersonate-Group", group)
            kwargs["headers"] = headers
        return self._pool_manager.request(method, url, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._pool_manager, name)


class KubeClient:
    """A per-call client for one cluster. Use as a context manager."""

    def __init__(
        self,
        config: dict,
        *,
        identity: Identity | None = None,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
    ):
        _refuse_local_credentials(config)
        configuration = type.__call__(k8s.Configuration)
        try:
            # The client would write inline certificates and keys to files:
            # it gets none, and the SSL context below holds them in memory.
            config, tls = kube_tls.split(config)
            load_kube_config_from_dict(
                config_dict=config,
                context=config.get("current-context"),
                client_configuration=configuration,
                persist_config=False,
            )
        except (ConfigException, ValueError, TypeError) as exc:
            raise KubeError(_("The stored kubeconfig cannot be used: %(detail)s") % {"detail": exc}) from None
        # One try per call: callers decide about retries, and a dead cluster
        # must fail within the timeout, not three times the timeout.
        configuration.retries = 0
        self.server = configuration.host
        self.identity = identity
        self._discovered: dict[str, list] = {}  # API group version -> its resources
        self.api = _PortalApiClient(configuration=configuration)
        self.api.server = self.server
        self.api.user_agent = "kube-portal"
        if identity is not None:
            self.api.set_default_header("Impersonate-User", identity.user)
        if self.server.startswith("https"):
            self.api.rest_client.pool_manager.connection_pool_kw["ssl_context"] = kube_tls.InMemoryTLSContext(
                tls, verify=configuration.verify_ssl
            )
        self.api.rest_client.pool_manager = _PoolManagerWithDefaults(
            self.api.rest_client.pool_manager,
            urllib3.Timeout(connect=timeout[0], read=timeout[1]),
            identity.groups if identity else (),
        )

    def __enter__(self) -> "KubeClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.api.close()

    @property
    def request_count(self) -> int:
        """HTTP requests this client sent (benchmarks count API calls with it)."""
        return self.api.rest_client.pool_manager.requests

    def to_dict(self, obj) -> dict:
        """A typed API object as the JSON the API server sent (camelCase keys)."""
        return self.api.sanitize_for_serialization(obj)

    # Typed API groups.
    @property
    def core(self) -> k8s.CoreV1Api:
        return k8s.CoreV1Api(self.api)

    @property
    def apps(self) -> k8s.AppsV1Api:
        return k8s.AppsV1Api(self.api)

    @property
    def batch(self) -> k8s.BatchV1Api:
        return k8s.BatchV1Api(self.api)

    @property
    def rbac(self) -> k8s.RbacAuthorizationV1Api:
        return k8s.RbacAuthorizationV1Api(self.api)

    @property
    def coordination(self) -> k8s.CoordinationV1Api:
        return k8s.CoordinationV1Api(self.api)

    @property
    def policy(self) -> k8s.PolicyV1Api:
        return k8s.PolicyV1Api(self.api)

    @property
    def networking(self) -> k8s.NetworkingV1Api:
        return k8s.NetworkingV1Api(self.api)

    @property
    def custom(self) -> k8s.CustomObjectsApi:
        return k8s.CustomObjectsApi(self.api)

    def list_paged(self, list_call, *args, limit: int = PAGE_SIZE, **kwargs):
        """Yield every item of a list call, `limit` at a time (`continue` tokens),
        so a cluster's tens of thousands of pods are never held at once."""
        token = None
        while True:
            page = (
                list_call(*args, limit=limit, _continue=token, **kwargs)
                if token
                else list_call(*args, limit=limit, **kwargs)
            )
            yield from page.items
            token = page.metadata._continue if page.metadata else None
            if not token:
                return

    def version(self) -> dict:
        info = k8s.VersionApi(self.api).get_code()
        return {"git_version": info.git_version, "platform": info.platform, "go_version": info.go_version}

    def _raw(
        self, method, path, *, accept, body=None, query=None, answer_5xx=False, content_type="application/json"
    ) -> tuple[int, str]:
        """A request to a path the typed APIs lack: (status, body text). Failures
        raise the translated error; with `answer_5xx` a 5xx answer is returned
        (a health endpoint saying "unhealthy" is an answer, not a failure)."""
        headers = {"Accept": accept, **({"Content-Type": content_type} if body is not None else {})}
        request = self.api.param_serialize(
            method, path, query_params=query or [], header_params=headers, body=body, auth_settings=["BearerToken"]
        )
        try:
            response = self.api.call_api(*request)
            response.read()
        except Exception as exc:
            raise translate(exc, server=self.server) from exc
        text = (response.data or b"").decode(errors="replace")
        if 200 <= response.status < 300 or (answer_5xx and response.status >= 500):
            return response.status, text
        raise translate(ApiException(status=response.status, reason=response.reason, body=text), server=self.server)

    def get_text(self, path: str, query: list[tuple[str, str]] | None = None) -> tuple[int, str]:
        """GET a non-resource path (/readyz, /livez). Returns (status, body)
        without raising for an unhealthy (500) answer."""
        return self._raw("GET", path, accept="text/plain", query=query, answer_5xx=True)

    def post_object(self, path: str, body: dict) -> dict:
        """POST to a path the typed APIs lack; returns the decoded JSON answer."""
        return json.loads(self._raw("POST", path, accept="application/json", body=body)[1])

    def request_json(self, method: str, path: str, *, query=None, body=None, content_type="application/json"):
        """Any JSON request to a resource path: (status, decoded answer). The
        generic call path for every registered kind (workloads/objects.py)."""
        status, text = self._raw(
            method, path, accept="application/json", body=body, query=query, content_type=content_type
        )
        return status, json.loads(text) if text else {}

    def object_path(self, obj: dict) -> str:
        """The API path of any object, its resource found by discovery (once
        per API group version and client)."""
        api_version, kind, meta = obj["apiVersion"], obj["kind"], obj.get("metadata") or {}
        base = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
        if base not in self._discovered:
            self._discovered[base] = json.loads(self._raw("GET", base, accept="application/json")[1])["resources"]
        for resource in self._discovered[base]:
            if resource["kind"] == kind and "/" not in resource["name"]:
                if resource["namespaced"]:
                    return f"{base}/namespaces/{meta.get('namespace') or 'default'}/{resource['name']}/{meta['name']}"
                return f"{base}/{resource['name']}/{meta['name']}"
        raise KubeError(_("The cluster serves no %(kind)s in %(version)s.") % {"kind": kind, "version": api_version})

    def apply_object(self, obj: dict) -> dict:
        """Server-side apply of any object (a manifest's), under the portal's
        field manager; the same answer for the same object, so a rerun is a no-op."""
        query = [("fieldManager", FIELD_MANAGER), ("force", "true")]
        _status, text = self._raw(
            "PATCH",
            self.object_path(obj),
            accept="application/json",
            body=obj,
            query=query,
            content_type="application/apply-patch+yaml",
        )
        return json.loads(text)


# kind -> (API group class attribute, method stem, namespaced)
_APPLY_TARGETS = {
    "Namespace": ("core", "namespace", False),
    "ResourceQuota": ("core", "namespaced_resource_quota", True),
    "LimitRange": ("core", "namespaced_limit_range", True),
    "ServiceAccount": ("core", "namespaced_service_account", True),
    "RoleBinding": ("rbac", "namespaced_role_binding", True),
    "NetworkPolicy": ("networking", "namespaced_network_policy", True),
    "ClusterRole": ("rbac", "cluster_role", False),
}


def server_side_apply(client: "KubeClient", obj: dict) -> object:
    """Apply `obj` with server-side apply under the portal's field manager.

    The API server merges only the fields we send and records us as their
    manager, so fields other writers own are never touched; `force` takes
    back fields someone else changed (drift repair).
    """
    group, stem, namespaced = _APPLY_TARGETS[obj["kind"]]
    api = getattr(client, group)
    name = obj["metadata"]["name"]
    args = (name, obj["metadata"]["namespace"]) if namespaced else (name,)
    return getattr(api, f"patch_{stem}")(
        *args, obj, field_manager=FIELD_MANAGER, force=True, _content_type="application/apply-patch+yaml"
    )


def _refuse_local_credentials(config: dict) -> None:
    """Never run a program or read a file named by a kubeconfig on this server."""
    for entry in config.get("users") or []:
        kc.credential_kind((entry or {}).get("user") or {})
    for entry in config.get("clusters") or []:
        if ((entry or {}).get("cluster") or {}).get("certificate-authority"):
            raise KubeError(_("The kubeconfig names a CA file; only inline certificate-authority-data is accepted."))


# libyaml when PyYAML has it: the pure-Python loader takes 2-10 ms on a kubeconfig's
# long base64 lines, and this runs on every request that talks to a cluster.
_KUBECONFIG_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def client_from_kubeconfig(text: str, *, identity: Identity | None = None, timeout=None) -> KubeClient:
    config = yaml.load(text, Loader=_KUBECONFIG_LOADER)  # noqa: S506 (CSafeLoader or SafeLoader)
    return KubeClient(config, identity=identity, **({"timeout": timeout} if timeout else {}))


def client_for(cluster, *, identity: Identity | None = None, timeout=None) -> KubeClient:
    """A client for a stored cluster, optionally acting as `identity`."""
    if not cluster.kubeconfig:
        raise KubeError(_("Cluster %(name)s has no credentials.") % {"name": cluster.name})
    return client_from_kubeconfig(cluster.kubeconfig.reveal(), identity=identity, timeout=timeout)
