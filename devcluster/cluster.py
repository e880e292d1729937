"""DevCluster: start, describe and stop one devcluster.

    from devcluster import DevCluster
    with DevCluster.start(nodes=3) as dc:
        dc.kubeconfig_path, dc.server, dc.ca_cert_pem
        cert_pem, key_pem = dc.client_cert("alice", ["team-a"])

Order: etcd -> kube-apiserver (/readyz) -> kube-controller-manager,
kube-scheduler, kwok's ClusterLogs definition, kwok, the container-log
stand-in (containerlogs.py) -> Node objects -> all nodes Ready and the
`default` service account exists. Teardown runs in reverse and removes the data
directory; a watchdog process does it if this process is killed.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import build, certs, components, kubeconfig, nodes
from .apiclient import ApiClient, ApiError
from .processes import Component, free_port, rss_bytes, wait_for

ADMIN_USER = "devcluster-admin"
PORT_ATTEMPTS = 3


class DevClusterError(RuntimeError):
    """The devcluster could not be started (see the message for the log tail)."""


class DevCluster:
    """A running devcluster, owned by this process (``start``) or found via a
    state file / kubeconfig of a detached one (``attach``, owns nothing)."""

    def __init__(self, data_dir: Path, server: str, *, owned: bool):
        self.data_dir = Path(data_dir)
        self.files = components.Files(self.data_dir)
        self.server = server
        self.owned = owned
        self.components: list[Component] = []
        self.node_names: list[str] = []
        self.ports: components.Ports | None = None
        self.bin_dir: Path | None = None
        self.started_seconds: float | None = None
        self._watchdog: subprocess.Popen | None = None
        self._watchdog_pipe = None
        self._stopped = False

    # ----------------------------------------------------------------- public
    @property
    def kubeconfig_path(self) -> Path:
        return self.files.kubeconfig("admin")

    @property
    def ca_cert_pem(self) -> bytes:
        return self.files.pem("ca").read_bytes()

    ca_pem = ca_cert_pem

    @property
    def ca_cert_path(self) -> Path:
        return self.files.pem("ca")

    def client_cert(self, user: str, groups: list[str] | tuple[str, ...] = ()) -> tuple[bytes, bytes]:
        """A client certificate for any user/groups, signed by the cluster CA."""
        pair = self._ca().client_cert(user, tuple(groups))
        return pair.cert_pem, pair.key_pem

    def kubeconfig_dict(self, user: str, groups: list[str] | tuple[str, ...] = (), *, token: str | None = None) -> dict:
        """A kubeconfig for ``user``: a fresh client certificate, or ``token`` if given."""
        if token is not None:
            return kubeconfig.build(self.server, self.ca_cert_pem, user, token=token)
        cert_pem, key_pem = self.client_cert(user, groups)
        return kubeconfig.build(self.server, self.ca_cert_pem, user, cert_pem=cert_pem, key_pem=key_pem)

    def service_account_token(self, namespace: str, name: str, *, seconds: int = 3600) -> str:
        """A TokenRequest token for service account ``namespace/name`` (created if missing)."""
        client = self.api()
        try:
            client.post(
                f"/api/v1/namespaces/{namespace}/serviceaccounts",
                {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}},
            )
        except ApiError as error:
            if error.status != 409:
                raise
        request = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": seconds},
        }
        response = client.post(f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token", request)
        return response["status"]["token"]

    def admin_kubeconfig_dict(self) -> dict:
        """Cluster-admin (group system:masters) kubeconfig, as written to kubeconfig_path."""
        text = self.kubeconfig_path.read_text()
        try:
            return json.loads(text)
        except ValueError:
            import yaml

            return yaml.safe_load(text)

    def api(self) -> ApiClient:
        """The launcher's small stdlib client, authenticated as admin."""
        return ApiClient(self.server, self.files.pem("ca"), self.files.pem("admin"), self.files.pem("admin-key"))

    def pids(self) -> dict[str, int]:
        return {c.name: c.pid for c in self.components if c.running()}

    def rss_bytes(self) -> dict[str, int]:
        return {name: rss_bytes(pid) for name, pid in self.pids().items()}

    def __enter__(self) -> DevCluster:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------------ start
    @classmethod
    def start(cls, nodes: int = 3, *, log=None, timeout: float = 180.0, data_root: str | None = None) -> DevCluster:
        """Build if needed, start every component, wait until usable."""
        log = log or (lambda message: print(message, file=sys.stderr, flush=True))
        bin_dir = build.ensure_built(log)
        root = data_root or os.environ.get("DEVCLUSTER_DATA_ROOT") or None
        for attempt in range(1, PORT_ATTEMPTS + 1):
            data_dir = Path(tempfile.mkdtemp(prefix="devcluster-", dir=root))
            cluster = cls(data_dir, server="", owned=True)
            cluster.bin_dir = bin_dir
            cluster._start_watchdog()
            atexit.register(_stop_at_exit, weakref.ref(cluster))
            try:
                cluster._boot(nodes, log, timeout)
                return cluster
            except DevClusterError as error:
                cluster.stop()
                # Free ports are picked, then bound by the component: another
                # process can take one in between. Start over on fresh ports.
                if "address already in use" not in str(error) or attempt == PORT_ATTEMPTS:
                    raise
                log(f"[devcluster] a port was taken meanwhile; retrying ({attempt}/{PORT_ATTEMPTS})")
            except BaseException:
                cluster.stop()
                raise
        raise AssertionError("unreachable")

    @classmethod
    def attach(cls, data_dir: str | Path, server: str) -> DevCluster:
        """A handle on a devcluster another process runs (nothing to stop)."""
        cluster = cls(Path(data_dir), server, owned=False)
        if not cluster.kubeconfig_path.is_file():
            raise DevClusterError(f"no devcluster in {data_dir}: {cluster.kubeconfig_path} is missing")
        return cluster

    def _boot(self, node_count: int, log, timeout: float) -> None:
        started = time.monotonic()
        deadline = started + timeout
        self._write_pki_and_kubeconfigs()
        bin_dir = self.bin_dir
        files = self.files
        ports = self.ports
        files.logs.mkdir()

        etcd = self._run("etcd", components.etcd(bin_dir, files, ports), components.component_env())
        health = f"http://127.0.0.1:{ports.etcd_client}/health"
        self._wait(etcd, lambda: _http_ok(health), deadline, "etcd /health")

        apiserver = self._run(
            "kube-apiserver", components.kube_apiserver(bin_dir, files, ports), components.component_env()
        )
        client = self.api()
        self._wait(apiserver, lambda: client.ok("/readyz"), deadline, "kube-apiserver /readyz")
        log(f"[devcluster] kube-apiserver ready at {self.server} after {time.monotonic() - started:.1f}s")

        # kwok watches ClusterLogs objects (where each pod's log files are):
        # their definition must be served before it starts.
        crd = json.loads((components.CRDS_DIR / "kwok.x-k8s.io_clusterlogs.json").read_text())
        client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
        env = components.component_env()
        self._run("kube-controller-manager", components.kube_controller_manager(bin_dir, files, ports), env)
        self._run("kube-scheduler", components.kube_scheduler(bin_dir, files, ports), env)
        crd_path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd['metadata']['name']}"
        self._wait(apiserver, lambda: _established(client, crd_path), deadline, "the ClusterLogs definition")
        kwok_home = self.data_dir / "kwok-home"
        kwok_home.mkdir()
        self._run("kwok", components.kwok(bin_dir, files, ports), components.component_env(HOME=str(kwok_home)))
        self._run(
            "container-logs",
            components.container_logs(files, self.server),
            components.component_env(PYTHONPATH=str(Path(__file__).resolve().parent.parent)),
        )

        specs = nodes.default_nodes(node_count)
        self.node_names = [spec.name for spec in specs]
        nodes.register(client, specs)
        self._wait_all(lambda: nodes.all_ready(client, self.node_names), deadline, "all nodes Ready")
        # The service-account controller creating `default` proves the
        # controller-manager is up and acting.
        self._wait_all(
            lambda: _exists(client, "/api/v1/namespaces/default/serviceaccounts/default"),
            deadline,
            "the default service account",
        )
        self.started_seconds = round(time.monotonic() - started, 1)
        log(
            f"[devcluster] ready in {self.started_seconds}s: {len(self.node_names)} nodes, kubeconfig {self.kubeconfig_path}"
        )

    def _write_pki_and_kubeconfigs(self) -> None:
        files = self.files
        files.pki.mkdir(mode=0o700)
        self.ports = components.Ports(*(free_port() for _ in range(6)))
        self.server = f"https://127.0.0.1:{self.ports.apiserver}"

        ca = certs.CertificateAuthority.create()
        serving = ca.serving_cert(
            "kube-apiserver",
            [
                "localhost",
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local",
            ],
            ["127.0.0.1", components.SERVICE_IP],
        )
        # The aggregation layer's front proxy (kubeadm's front-proxy-ca): the
        # controller-manager and scheduler expect its CA in kube-system.
        front_proxy = certs.CertificateAuthority.create("devcluster-front-proxy-ca")
        _write_pair(files, "front-proxy-ca", front_proxy.pair)
        _write_pair(files, "front-proxy-client", front_proxy.client_cert("front-proxy-client"))
        # kwok's server is every node's kubelet API, at the nodes' InternalIP.
        _write_pair(files, "kubelet", ca.serving_cert("devcluster-kubelet", ["localhost"], [components.NODE_IP]))
        _write_pair(
            files,
            "apiserver-kubelet-client",
            ca.client_cert("kube-apiserver-kubelet-client", ("kubeadm:cluster-admins",)),
        )
        sa = certs.service_account_key()
        _write_pair(files, "ca", ca.pair)
        _write_pair(files, "apiserver", serving)
        _write(files.pem("sa-pub"), sa.cert_pem)
        _write(files.pem("sa-key"), sa.key_pem)

        identities = {
            "admin": (ADMIN_USER, ("system:masters",)),
            "controller-manager": ("system:kube-controller-manager", ()),
            "scheduler": ("system:kube-scheduler", ()),
            # kwok writes node and pod status for every node, like many kubelets
            # at once; the Node authorizer would confine it to one node.
            "kwok": ("devcluster-kwok", ("system:masters",)),
            # The container-log stand-in watches every pod, writes ClusterLogs.
            "container-logs": ("devcluster-container-logs", ("system:masters",)),
        }
        for name, (user, groups) in identities.items():
            pair = ca.client_cert(user, groups)
            _write_pair(files, name, pair)
            config = kubeconfig.build(self.server, ca.pair.cert_pem, user, cert_pem=pair.cert_pem, key_pem=pair.key_pem)
            kubeconfig.write(files.kubeconfig(name), config)

    def _ca(self) -> certs.CertificateAuthority:
        return certs.CertificateAuthority.load(self.files.pem("ca").read_bytes(), self.files.pem("ca-key").read_bytes())

    def _run(self, name: str, argv: list[str], env: dict[str, str]) -> Component:
        component = Component(name, argv, self.files.logs, env).start()
        self.components.append(component)
        self._tell_watchdog(f"pgid {component.pid}")
        return component

    def _wait(self, component: Component, predicate, deadline: float, what: str) -> None:
        def check():
            if not component.running():
                raise DevClusterError(
                    f"{component.name} exited ({component.proc.returncode}) while waiting for {what}:\n{component.log_tail()}"
                )
            return predicate()

        try:
            wait_for(check, max(deadline - time.monotonic(), 1), 0.2, what)
        except TimeoutError as error:
            raise DevClusterError(f"{error}; {component.name} log:\n{component.log_tail()}") from None

    def _wait_all(self, predicate, deadline: float, what: str) -> None:
        def check():
            for component in self.components:
                if not component.running():
                    raise DevClusterError(
                        f"{component.name} exited ({component.proc.returncode}) while waiting for {what}:\n{component.log_tail()}"
                    )
            return predicate()

        try:
            wait_for(check, max(deadline - time.monotonic(), 1), 0.3, what)
        except TimeoutError as error:
            tails = "\n".join(f"--- {c.name}\n{c.log_tail(15)}" for c in self.components)
            raise DevClusterError(f"{error}\n{tails}") from None

    # ---------------------------------------------------------------- stop
    def stop(self) -> None:
        """Stop every component (reverse order), remove the data directory."""
        if self._stopped or not self.owned:
            return
        self._stopped = True
        late = [
            c
            for c in self.components
            if c.name in {"container-logs", "kwok", "kube-scheduler", "kube-controller-manager"}
        ]
        with ThreadPoolExecutor(len(late) or 1) as pool:
            list(pool.map(lambda c: c.stop(), late))
        for component in reversed(self.components):
            component.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self._tell_watchdog("release")
        if self._watchdog_pipe is not None:
            self._watchdog_pipe.close()
            self._watchdog_pipe = None
        if self._watchdog is not None:
            try:
                self._watchdog.wait(5)
            except subprocess.TimeoutExpired:
                self._watchdog.kill()

    def _start_watchdog(self) -> None:
        read_fd, write_fd = os.pipe()
        self._watchdog = subprocess.Popen(
            [sys.executable, "-m", "devcluster.watchdog", str(read_fd)],
            pass_fds=(read_fd,),
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            cwd=str(Path(__file__).resolve().parent.parent),
        )
        os.close(read_fd)
        self._watchdog_pipe = os.fdopen(write_fd, "w", buffering=1)
        self._tell_watchdog(f"dir {self.data_dir}")

    def _tell_watchdog(self, line: str) -> None:
        if self._watchdog_pipe is not None:
            try:
                self._watchdog_pipe.write(line + "\n")
            except (BrokenPipeError, ValueError):
                pass


def _stop_at_exit(ref) -> None:
    cluster = ref()
    if cluster is not None:
        cluster.stop()


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _write_pair(files: components.Files, name: str, pair: certs.KeyPair) -> None:
    _write(files.pem(name), pair.cert_pem)
    _write(files.pem(f"{name}-key"), pair.key_pem)


def _http_ok(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _established(client: ApiClient, path: str) -> bool:
    conditions = (client.get(path).get("status") or {}).get("conditions") or []
    return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)


def _exists(client: ApiClient, path: str) -> bool:
    try:
        client.get(path)
        return True
    except Exception:
        return False
