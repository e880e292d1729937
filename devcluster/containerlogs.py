"""The stand-in for the container runtime's log files (no container runs here).

On a real node the container runtime writes each container's output to
/var/log/pods/<namespace>_<pod>_<uid>/<container>/0.log (CRI log format) and
the kubelet serves it on /containerLogs. Here kwok's server plays the kubelet
and reads such files, but nothing writes them: this process does. It watches
every pod and, for each new one, writes a short log per container (init
containers too) that says what it is and names the pod, then tells kwok where
it is with a cluster-scoped ClusterLogs object (kwok.x-k8s.io/v1alpha1; kwok
runs with --enable-crds=ClusterLogs) whose selector is that one pod. When the
pod is deleted, so are its ClusterLogs object and files, as the kubelet
removes a deleted pod's logs.

The files are written when the pod is created, before the scheduler binds it
and kwok starts it (0.1-0.5 s later), so a pod that is Running has its logs.

Run by cluster.py as a component: ``python -m devcluster.containerlogs
--server URL --pki DIR --dir DIR``. Standard library only, like the launcher.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import sys
import time
from pathlib import Path

from .apiclient import ApiClient, ApiError

GROUP_PATH = "/apis/kwok.x-k8s.io/v1alpha1/clusterlogs"
# Marks the ClusterLogs objects this process owns (it deletes stale ones on relist).
OWNER_LABEL = "devcluster.portal.local/container-logs"
WATCH_SECONDS = 300


def log_lines(namespace: str, pod: str, container: dict, *, init: bool) -> list[tuple[str, str]]:
    """(stream, text) lines of one container's stand-in log."""
    kind = "init container" if init else "container"
    name = container["name"]
    lines = [
        ("stdout", f"devcluster stand-in log of {kind} {name} in pod {namespace}/{pod}"),
        ("stdout", "no container runs on a devcluster node: kwok serves this file as the kubelet would"),
        ("stdout", f"image {container.get('image', '')}"),
        ("stderr", f"line 4 of 5 ({name}, written to stderr)"),
        ("stdout", f"line 5 of 5 ({name})"),
    ]
    return lines


def cri_log(lines: list[tuple[str, str]], now: datetime.datetime) -> str:
    """CRI log format, as the runtime writes it: `<RFC3339Nano> <stream> F <text>`
    (F: a full line). Each line one microsecond after the one before."""
    out = []
    for number, (stream, text) in enumerate(lines):
        stamp = (now + datetime.timedelta(microseconds=number)).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
        out.append(f"{stamp} {stream} F {text}\n")
    return "".join(out)


def pod_dir(root: Path, pod: dict) -> Path:
    meta = pod["metadata"]
    return root / f"{meta['namespace']}_{meta['name']}_{meta['uid']}"


def write_logs(root: Path, pod: dict) -> list[dict]:
    """Write the pod's container logs; the ClusterLogs `spec.logs` entries for them."""
    meta, spec = pod["metadata"], pod.get("spec") or {}
    now = datetime.datetime.now(datetime.UTC)
    entries = []
    for init, group in ((True, spec.get("initContainers") or []), (False, spec.get("containers") or [])):
        for container in group:
            directory = pod_dir(root, pod) / container["name"]
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / "0.log"
            text = cri_log(log_lines(meta["namespace"], meta["name"], container, init=init), now)
            path.write_text(text)
            # No previousLogsFile: these containers never restart. `follow` is
            # the documented switch; kwok v0.8.0 follows whenever the request
            # says follow=true (and until the client goes: its stand-in runtime
            # reports every container as running).
            entries.append({"containers": [container["name"]], "logsFile": str(path), "follow": True})
    return entries


def cluster_logs(pod: dict, entries: list[dict]) -> dict:
    meta = pod["metadata"]
    return {
        "apiVersion": "kwok.x-k8s.io/v1alpha1",
        "kind": "ClusterLogs",
        # The pod's uid: unique, a valid name whatever the pod's name and namespace.
        "metadata": {"name": meta["uid"], "labels": {OWNER_LABEL: "true"}},
        "spec": {
            "selector": {"matchNamespaces": [meta["namespace"]], "matchNames": [meta["name"]]},
            "logs": entries,
        },
    }


class ContainerLogs:
    def __init__(self, client: ApiClient, root: Path):
        self.client = client
        self.root = root
        self.known: set[str] = set()

    def added(self, pod: dict) -> None:
        uid = pod["metadata"]["uid"]
        if uid in self.known or pod["metadata"].get("deletionTimestamp"):
            return
        try:
            self.client.post(GROUP_PATH, cluster_logs(pod, write_logs(self.root, pod)))
        except ApiError as error:
            if error.status != 409:
                raise
        self.known.add(uid)

    def deleted(self, pod: dict) -> None:
        uid = pod["metadata"]["uid"]
        self.known.discard(uid)
        self._delete(uid)
        shutil.rmtree(pod_dir(self.root, pod), ignore_errors=True)

    def _delete(self, uid: str) -> None:
        try:
            self.client.request("DELETE", f"{GROUP_PATH}/{uid}")
        except ApiError as error:
            if error.status != 404:
                raise

    def relist(self) -> str:
        """Every pod now: logs for the new ones, none left for the gone ones.
        Returns the list's resourceVersion, where the watch starts."""
        pods = self.client.get("/api/v1/pods", timeout=60)
        uids = set()
        for pod in pods["items"]:
            uids.add(pod["metadata"]["uid"])
            self.added(pod)
        owned = self.client.get(f"{GROUP_PATH}?labelSelector={OWNER_LABEL}%3Dtrue", timeout=60)
        for item in owned["items"]:
            if item["metadata"]["name"] not in uids:
                self._delete(item["metadata"]["name"])
        self.known &= uids
        for directory in self.root.iterdir():
            if directory.name.rsplit("_", 1)[-1] not in uids:
                shutil.rmtree(directory, ignore_errors=True)
        return pods["metadata"]["resourceVersion"]

    def watch(self, resource_version: str) -> str | None:
        """Follow pod events from resource_version; the last one seen, or None
        if the API server says it is too old (relist)."""
        path = (
            f"/api/v1/pods?watch=true&allowWatchBookmarks=true&resourceVersion={resource_version}"
            f"&timeoutSeconds={WATCH_SECONDS}"
        )
        with self.client.stream(path, timeout=WATCH_SECONDS + 30) as response:
            for line in response:
                event = json.loads(line)
                kind, obj = event["type"], event["object"]
                if kind == "ERROR":
                    return None  # 410 Gone: the resourceVersion is too old
                resource_version = obj["metadata"]["resourceVersion"]
                if kind in ("ADDED", "MODIFIED"):
                    self.added(obj)
                elif kind == "DELETED":
                    self.deleted(obj)
        return resource_version

    def run(self) -> None:
        resource_version = None
        while True:
            try:
                if resource_version is None:
                    resource_version = self.relist()
                resource_version = self.watch(resource_version)
            except Exception as error:  # noqa: BLE001 - whatever it was, start over from a fresh list
                print(f"containerlogs: {error!r}; relisting", file=sys.stderr, flush=True)
                resource_version = None
                time.sleep(0.5)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--pki", required=True, type=Path)
    parser.add_argument("--dir", required=True, type=Path)
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    pki = args.pki
    client = ApiClient(args.server, pki / "ca.pem", pki / "container-logs.pem", pki / "container-logs-key.pem")
    print(f"containerlogs: writing pods' container logs under {args.dir}", file=sys.stderr, flush=True)
    ContainerLogs(client, args.dir).run()


if __name__ == "__main__":
    main()
