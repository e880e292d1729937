"""The one module that talks to Kubernetes (the official `kubernetes` client).

Every call gets a fresh ApiClient built from a cluster's stored credentials:
never the global configuration, never a client shared between requests or
users (only the SSL context, which holds the portal's credential, is shared
by the clients of one credential: `kube_tls.context_for`). Calls made on
behalf of a team member impersonate that member (`Impersonate-User` and one
`Impersonate-Group` header per group), so the API server itself enforces
tenancy. Every error, from the API server or the network, becomes one of the
`KubeError` classes (clusters/kube_errors.py, re-exported here) with a
message a user can act on.
"""

import logging
from dataclasses import dataclass, field

import orjson
import urllib3
import yaml
from django.utils.translation import gettext as _
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.kube_config import load_kube_config_from_dict
from kubernetes.utils import parse_quantity

from clusters import kube_tls
from clusters import kubeconfig as kc
from clusters.kube_errors import (
    ClusterTLSError,
    ClusterUnauthorized,
    ClusterUnreachable,
    KubeConflict,
    KubeError,
    KubeExpired,
    KubeForbidden,
    KubeInvalid,
    KubeNotFound,
    KubeTooManyRequests,
    QuotaExceeded,
    translate,
)

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
PAGE_SIZE = 500
FIELD_MANAGER = "kube-portal"
IMPERSONATED_USER_PREFIX = "portal:"

__all__ = [
    "FIELD_MANAGER",
    "ApiException",
    "ClusterTLSError",
    "ClusterUnauthorized",
    "ClusterUnreachable",
    "Identity",
    "KubeClient",
    "KubeConflict",
    "KubeError",
    "KubeExpired",
    "KubeForbidden",
    "KubeInvalid",
    "KubeNotFound",
    "KubeTooManyRequests",
    "QuotaExceeded",
    "Stream",
    "client_for",
    "client_from_kubeconfig",
    "k8s",
    "parse_quantity",
    "translate",
]


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
        owner=None,
    ):
        """`owner`: whose credential this is (a cluster's id), so that its
        replacement drops the SSL context of the old one (kube_tls.context_for)."""
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
            self.api.rest_client.pool_manager.connection_pool_kw["ssl_context"] = kube_tls.context_for(
                tls,
                verify=configuration.verify_ssl,
                server=self.server,
                server_name=configuration.tls_server_name,
                owner=owner,
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
    def tls_context(self):
        """The SSL context this client's connections use (None for http://),
        shared with every client of the same credential."""
        return self.api.rest_client.pool_manager.connection_pool_kw.get("ssl_context")

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

    def _send(self, method, path, *, accept, query=None, body=None, content_type="application/json", timeout=None):
        """A request to a path the typed APIs lack, its answer unread (urllib3's
        response, whatever its status); a failure to get one raises the translated error."""
        headers = {"Accept": accept, **({"Content-Type": content_type} if body is not None else {})}
        request = self.api.param_serialize(
            method, path, query_params=query or [], header_params=headers, body=body, auth_settings=["BearerToken"]
        )
        try:
            return self.api.call_api(*request, _request_timeout=timeout).response
        except Exception as exc:
            raise translate(exc, server=self.server) from exc

    def _read(self, response) -> bytes:
        """All of an answer's body; the connection goes back to the pool."""
        try:
            return response.data or b""
        except Exception as exc:  # the answer broke off, or took too long
            raise translate(exc, server=self.server) from exc
        finally:
            response.release_conn()

    def _refusal(self, response, data: bytes) -> KubeError:
        """The translated error of an answer that is not a success."""
        body = data.decode(errors="replace")
        return translate(ApiException(status=response.status, reason=response.reason, body=body), server=self.server)

    def _raw(self, method, path, *, accept, answer_5xx=False, **request) -> tuple[int, bytes]:
        """(status, body) of a request; a refusal raises the translated error.
        With `answer_5xx` a 5xx answer is returned (a health endpoint saying
        "unhealthy" is an answer, not a failure)."""
        response = self._send(method, path, accept=accept, **request)
        data = self._read(response)
        if 200 <= response.status < 300 or (answer_5xx and response.status >= 500):
            return response.status, data
        raise self._refusal(response, data)

    def _json(self, method, path, **request) -> tuple[int, object]:
        """(status, decoded JSON answer; {} for an empty one). orjson decodes the
        bytes as they came: a page of 500 pods is a few MB of JSON, and the
        standard library takes several times as long over them."""
        status, data = self._raw(method, path, accept="application/json", **request)
        try:
            return status, orjson.loads(data) if data else {}
        except orjson.JSONDecodeError:
            raise KubeError(
                _("%(where)s answered %(status)s with something that is not JSON.")
                % {"where": self.server, "status": status}
            ) from None

    def get_text(self, path: str, query: list[tuple[str, str]] | None = None) -> tuple[int, str]:
        """GET a non-resource path (/readyz, /livez). Returns (status, body)
        without raising for an unhealthy (500) answer. Accepts any media type:
        paths that answer plain text do not all list it (a pod's log answers
        406 to text/plain)."""
        status, data = self._raw("GET", path, accept="*/*", query=query, answer_5xx=True)
        return status, data.decode(errors="replace")

    def open_stream(self, path: str, query=None, *, read_timeout: float = READ_TIMEOUT) -> "Stream":
        """GET `path` (a pod's log, followed or not) and return its answer to be
        read as it comes; a refusal raises the translated error. `read_timeout`
        is the longest wait for the next bytes. Accepts any media type, as
        `get_text`. The stream must be closed (it holds a connection)."""
        response = self._send("GET", path, accept="*/*", query=query, timeout=(CONNECT_TIMEOUT, read_timeout))
        if response.status < 300:
            return Stream(response, server=self.server)
        raise self._refusal(response, self._read(response))

    def post_object(self, path: str, body: dict) -> dict:
        """POST to a path the typed APIs lack; returns the decoded JSON answer."""
        return self._json("POST", path, body=body)[1]

    def request_json(self, method: str, path: str, *, query=None, body=None, content_type="application/json"):
        """Any JSON request to a resource path: (status, decoded answer). The
        generic call path for every registered kind (workloads/objects.py)."""
        return self._json(method, path, query=query, body=body, content_type=content_type)

    def object_path(self, obj: dict) -> str:
        """The API path of any object, its resource found by discovery (once
        per API group version and client)."""
        api_version, kind, meta = obj["apiVersion"], obj["kind"], obj.get("metadata") or {}
        base = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
        if base not in self._discovered:
            self._discovered[base] = self._json("GET", base)[1]["resources"]
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
        path = self.object_path(obj)
        return self._json("PATCH", path, body=obj, query=query, content_type="application/apply-patch+yaml")[1]


class Stream:
    """An answer read as it comes (`KubeClient.open_stream`): its chunks as
    they arrive, or all of its text. `cut` (from any thread) ends a read that
    waits on a quiet stream; `close` gives the connection back. Callers need
    no HTTP library of their own."""

    def __init__(self, response, *, server: str = ""):
        self._response, self._server = response, server

    def __enter__(self) -> "Stream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def chunks(self):
        """The bytes as they come, until the server ends the answer; a read that
        breaks off (cut, timed out, the server gone) raises the translated error."""
        try:
            yield from self._response.stream(None)
        except Exception as exc:
            raise translate(exc, server=self._server) from exc

    def text(self) -> str:
        """All of the answer, decoded (what cannot be decoded replaced)."""
        try:
            return (self._response.data or b"").decode(errors="replace")
        except Exception as exc:
            raise translate(exc, server=self._server) from exc

    def cut(self) -> None:
        try:
            self._response.shutdown()
        except (ValueError, RuntimeError, OSError):
            pass  # released already

    def close(self) -> None:
        self._response.release_conn()


# kind -> (API group class attribute, method stem, namespaced)
_APPLY_TARGETS = {
    "Namespace": ("core", "namespace", False),
    "ResourceQuota": ("core", "namespaced_resource_quota", True),
    "LimitRange": ("core", "namespaced_limit_range", True),
    "ServiceAccount": ("core", "namespaced_service_account", True),
    "RoleBinding": ("rbac", "namespaced_role_binding", True),
    "NetworkPolicy": ("networking", "namespaced_network_policy", True),
    "ClusterRole": ("rbac", "cluster_role", False),
    "ClusterRoleBinding": ("rbac", "cluster_role_binding", False),
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


def client_from_kubeconfig(text: str, *, identity: Identity | None = None, timeout=None, owner=None) -> KubeClient:
    config = yaml.load(text, Loader=_KUBECONFIG_LOADER)  # noqa: S506 (CSafeLoader or SafeLoader)
    return KubeClient(config, identity=identity, owner=owner, **({"timeout": timeout} if timeout else {}))


def client_for(cluster, *, identity: Identity | None = None, timeout=None) -> KubeClient:
    """A client for a stored cluster, optionally acting as `identity`."""
    if not cluster.kubeconfig:
        raise KubeError(_("Cluster %(name)s has no credentials.") % {"name": cluster.name})
    return client_from_kubeconfig(cluster.kubeconfig.reveal(), identity=identity, timeout=timeout, owner=cluster.pk)
