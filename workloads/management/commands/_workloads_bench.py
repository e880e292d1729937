"""The machinery of `manage.py bench_workloads`: a keep-alive HTTPS client for
filling the devcluster with pods, timed GETs of the API server and of the
portal, the portal served by gunicorn, and its peak memory from /proc.

Standard library only (http.client), so what is timed as "raw" is one HTTPS
request and its body, with nothing of the portal's client stack around it.
"""

import http.client
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

from django.conf import settings

# Pods per simulated bench node: the pods are placed on nodes by name (no
# scheduler), so this only keeps each node's pod count plausible.
PODS_PER_NODE = 1000


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(median, 95th percentile) of a series of timings."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered), p95


class ApiServer:
    """The devcluster's API server over http.client with the admin client
    certificate (the credential the bench cluster is registered with, so the
    portal talks to it exactly so): `get` for timed reads, `create_pods` for
    filling namespaces."""

    def __init__(self, server: str, ssl_context):
        host, _, port = server.removeprefix("https://").partition(":")
        self.host, self.port, self.context = host, int(port), ssl_context
        self._local = threading.local()

    def connect(self) -> http.client.HTTPSConnection:
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=60)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def get(self, path: str, headers: list[tuple[str, str]] = (), *, conn=None) -> tuple[int, bytes]:
        """One GET and its whole body; on a new connection unless one is given
        (the portal opens one per request, so the raw figure does too)."""
        own = conn is None
        conn = conn or self.connect()
        try:
            conn.putrequest("GET", path, skip_accept_encoding=True)
            conn.putheader("Accept", "application/json")
            for name, value in headers:  # Impersonate-Group repeats: no dict
                conn.putheader(name, value)
            conn.endheaders()
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            if own:
                conn.close()

    def _post(self, path: str, body: bytes) -> int:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self.connect()
        conn.request("POST", path, body, {"Content-Type": "application/json", "Accept": "application/json"})
        response = conn.getresponse()
        text = response.read()
        if response.status != 201:
            raise RuntimeError(f"POST {path}: HTTP {response.status} {text[:300]!r}")
        return response.status

    def create_pods(self, namespace: str, names: list[str], nodes: list[str], *, concurrency: int) -> float:
        """Create the pods, placed round-robin on `nodes`, `concurrency`
        requests at a time; the seconds it took."""
        path = f"/api/v1/namespaces/{namespace}/pods"

        def create(index_name):
            index, name = index_name
            self._post(path, json.dumps(pod_manifest(name, nodes[index % len(nodes)], index)).encode())

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(create, enumerate(names)))
        return time.perf_counter() - started

    def count(self, path: str) -> int | None:
        """How many objects a collection holds (one item read), or None if it is not served."""
        status, body = self.get(f"{path}?limit=1")
        if status != 200:
            return None
        answer = json.loads(body)
        return len(answer["items"]) + (answer["metadata"].get("remainingItemCount") or 0)

    def wait_count(self, path: str, at_least: int, *, timeout: float) -> float | None:
        """Seconds until the collection holds `at_least` objects; None at the timeout or if not served."""
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            count = self.count(path)
            if count is None:
                return None
            if count >= at_least:
                return time.perf_counter() - started
            time.sleep(1)
        return None

    def wait_running(self, namespace: str, *, timeout: float) -> float | None:
        """Seconds until no pod of the namespace is other than Running (kwok
        writes their status), or None at the timeout."""
        started = time.perf_counter()
        path = f"/api/v1/namespaces/{namespace}/pods?limit=1&fieldSelector=status.phase%21%3DRunning"
        while time.perf_counter() - started < timeout:
            status, body = self.get(path)
            if status == 200 and b'"items":[]' in body.replace(b" ", b""):
                return time.perf_counter() - started
            time.sleep(1)
        return None


def pod_manifest(name: str, node: str, index: int) -> dict:
    """A pod as a small Deployment's would look: labels, one container with
    ports, environment, probes and resources; bound to `node` directly."""
    app = f"web-{index % 10}"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "labels": {"app": app, "pod-template-hash": "5d8f7b9c6", "tier": "frontend"},
            "annotations": {"kubectl.kubernetes.io/default-container": "web"},
        },
        "spec": {
            "nodeName": node,
            "containers": [
                {
                    "name": "web",
                    "image": "registry.example.com/team/web:1.27.3",
                    "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                    "env": [{"name": "APP", "value": app}, {"name": "LOG_LEVEL", "value": "info"}],
                    "resources": {
                        "requests": {"cpu": "10m", "memory": "16Mi"},
                        "limits": {"cpu": "100m", "memory": "64Mi"},
                    },
                    "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10},
                }
            ],
        },
    }


class PortalServer:
    """The portal under gunicorn, as in production (Dockerfile), with one sync
    worker: every page and API answer comes from one process, whose memory is
    read from /proc."""

    def __init__(self, *, env: dict[str, str]):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        argv = [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            f"--bind=127.0.0.1:{self.port}",
            "--workers=1",
            "--timeout=120",
            "--no-control-socket",
            "--log-level=warning",
        ]
        self.process = subprocess.Popen(argv, cwd=settings.BASE_DIR, env={**os.environ, **env})  # noqa: S603
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.get("/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        self.worker_pid = _only_child(self.process.pid)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def database_url(settings_dict: dict) -> str:
    """DATABASE_URL for the server process: the database this process uses
    (under pytest, the test database, not the one DATABASE_URL names)."""
    engine, name = settings_dict["ENGINE"], str(settings_dict["NAME"])
    if engine.endswith("sqlite3"):
        if name == ":memory:" or name.startswith("file:"):
            raise RuntimeError("The portal server needs a database file, not memory.")
        return f"sqlite:///{name}"
    if engine.endswith("postgresql"):
        user, password = quote(settings_dict["USER"] or "", safe=""), quote(settings_dict["PASSWORD"] or "", safe="")
        return f"postgres://{user}:{password}@{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/{name}"
    raise RuntimeError(f"No DATABASE_URL for {engine}.")


def _only_child(pid: int) -> int:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    if len(children) != 1:
        raise RuntimeError(f"expected one gunicorn worker, found {children}")
    return int(children[0])


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (the resident high-water mark) of a process, in KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def reset_peak(pid: int) -> None:
    """Start a new high-water mark at the current RSS (Linux 4.0+: "5" to clear_refs)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
