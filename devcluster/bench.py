"""python -m devcluster.bench: build time, start-to-ready, memory, 100-replica rollout.

A benchmark, not a test: it prints figures (goals: warm start <= 20 s on two
cores, all processes <= 1.5 GiB RSS) for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import platform
import time

from . import build
from .cluster import DevCluster

GIB = 1024**3


def _deployment(name: str, replicas: int) -> dict:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "registry.example/bench:1"}]},
            },
        },
    }


def _rss_total(cluster: DevCluster) -> tuple[int, dict[str, int]]:
    per = cluster.rss_bytes()
    return sum(per.values()), per


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devcluster.bench")
    parser.add_argument("--replicas", type=int, default=100)
    args = parser.parse_args(argv)
    log = lambda message: print(message, flush=True)  # noqa: E731

    if build.is_built():
        record = build.build_record()
        build_line = (
            f"cold build: not run now (binaries cached); recorded build of this hash took {record['seconds']}s ({record['go']}, {record['finished']})"
            if record
            else "cold build: not run now (binaries cached, no build record)"
        )
    else:
        started = time.monotonic()
        build.ensure_built(log)
        build_line = f"build: {time.monotonic() - started:.1f}s just now (cold only if the Go build cache was empty)"

    started = time.monotonic()
    with DevCluster.start(nodes=3, log=log) as cluster:
        ready_after = time.monotonic() - started
        idle_total, idle_per = _rss_total(cluster)

        client = cluster.api()
        client.post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                client.get("/api/v1/namespaces/bench/serviceaccounts/default")
                break
            except Exception:
                time.sleep(0.1)
        rollout_started = time.monotonic()
        client.post("/apis/apps/v1/namespaces/bench/deployments", _deployment("bench", args.replicas))
        while True:
            status = client.get("/apis/apps/v1/namespaces/bench/deployments/bench").get("status", {})
            if status.get("readyReplicas", 0) == args.replicas:
                break
            if time.monotonic() - rollout_started > 600:
                raise SystemExit(f"deployment not ready after 600s: {status}")
            time.sleep(0.2)
        rollout = time.monotonic() - rollout_started
        busy_total, busy_per = _rss_total(cluster)

    cores = len(__import__("os").sched_getaffinity(0))
    print()
    print(f"machine: {cores} cores, {platform.system()} {platform.release()}, python {platform.python_version()}")
    print(build_line)
    print(f"warm start-to-ready (3 nodes Ready, default SA present): {ready_after:.1f}s (goal <= 20s)")
    print(
        f"RSS idle after start: {idle_total / GIB:.2f} GiB  "
        + ", ".join(f"{k}={v / 2**20:.0f}MiB" for k, v in idle_per.items())
    )
    print(
        f"RSS after {args.replicas}-replica rollout: {busy_total / GIB:.2f} GiB (goal <= 1.5 GiB)  "
        + ", ".join(f"{k}={v / 2**20:.0f}MiB" for k, v in busy_per.items())
    )
    print(f"{args.replicas}-replica Deployment created -> all ready: {rollout:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
