"""python -m devcluster up [--nodes N] [--detach] | down | status | kubeconfig [--print] | build"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import build, state
from .cluster import DevCluster, DevClusterError
from .processes import pid_alive


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _raise_exit(signum, _frame):
    raise SystemExit(128 + signum)


def cmd_up(args) -> int:
    running = state.read()
    if running:
        _log(
            f"a devcluster is already running (pid {running['pid']}, {running['server']}); `python -m devcluster down` first"
        )
        return 1
    if args.detach:
        return _up_detached(args)
    # Ctrl-C, SIGTERM (from `down`) and a closed terminal all unwind to `finally`.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_exit)
    # Python keeps SIGINT ignored if it started ignored (e.g. `cmd &` in a script).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    cluster = None
    try:
        cluster = DevCluster.start(nodes=args.nodes, log=_log)
        state.write(cluster, os.getpid())
        print(f"devcluster ready: {cluster.server}\nexport KUBECONFIG={cluster.kubeconfig_path}", flush=True)
        _log("[devcluster] running; Ctrl-C (or `python -m devcluster down`) stops it")
        while True:
            dead = [c.name for c in cluster.components if not c.running()]
            if dead:
                _log(f"[devcluster] {', '.join(dead)} exited unexpectedly; stopping")
                for component in cluster.components:
                    if component.name in dead:
                        _log(f"--- {component.name}\n{component.log_tail(20)}")
                return 1
            time.sleep(1)
    except KeyboardInterrupt:
        return 0
    except (DevClusterError, build.BuildError) as error:
        _log(f"[devcluster] failed: {error}")
        return 1
    finally:
        if cluster is not None:
            _log("[devcluster] stopping")
            cluster.stop()
        state.clear(expected_pid=os.getpid())


def _up_detached(args) -> int:
    log_path = state.path().with_name("devcluster.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "devcluster", "up", "--nodes", str(args.nodes)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=str(Path(__file__).resolve().parent.parent),
        )
    _log(f"[devcluster] starting in the background (pid {child.pid}, log {log_path}); a first run builds for 10-25 min")
    while True:
        if child.poll() is not None:
            _log(
                f"[devcluster] failed to start (exit {child.returncode}):\n{log_path.read_text(errors='replace')[-3000:]}"
            )
            return 1
        data = state.read()
        if data and data["pid"] == child.pid:
            print(f"devcluster ready: {data['server']}\nexport KUBECONFIG={data['kubeconfig']}", flush=True)
            return 0
        time.sleep(0.5)


def cmd_down(_args) -> int:
    data = state.read()
    if not data:
        _log("[devcluster] no devcluster is running")
        return 0
    pid = data["pid"]
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if pid_alive(pid):
        _log(f"[devcluster] pid {pid} did not stop within 60s")
        return 1
    leftovers = [name for name, cpid in data.get("components", {}).items() if pid_alive(cpid)]
    removed = not Path(data["data_dir"]).exists()
    _log(f"[devcluster] stopped; data dir removed: {removed}; components still alive: {leftovers or 'none'}")
    return 0 if removed and not leftovers else 1


def cmd_status(_args) -> int:
    data = state.read()
    if not data:
        print("devcluster: not running")
        return 1
    cluster = DevCluster.attach(data["data_dir"], data["server"])
    client = cluster.api()
    ready = client.ok("/readyz")
    version = client.get("/version")["gitVersion"] if ready else "?"
    node_items = client.get("/api/v1/nodes")["items"] if ready else []
    ready_nodes = sum(
        1
        for n in node_items
        for c in n["status"].get("conditions", [])
        if c["type"] == "Ready" and c["status"] == "True"
    )
    print(
        json.dumps(
            {
                "running": True,
                "readyz": ready,
                "version": version,
                "server": data["server"],
                "nodes_ready": f"{ready_nodes}/{len(node_items)}",
                "pid": data["pid"],
                "components": data["components"],
                "kubeconfig": data["kubeconfig"],
                "data_dir": data["data_dir"],
            },
            indent=2,
        )
    )
    return 0 if ready else 1


def cmd_kubeconfig(args) -> int:
    data = state.read()
    if not data:
        _log("[devcluster] no devcluster is running; start one with `python -m devcluster up --detach`")
        return 1
    print(
        Path(data["kubeconfig"]).read_text() if args.print else data["kubeconfig"], end="\n" if not args.print else ""
    )
    return 0


def cmd_build(_args) -> int:
    try:
        path = build.ensure_built(_log)
    except build.BuildError as error:
        _log(str(error))
        return 1
    print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devcluster", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start a devcluster (foreground until Ctrl-C, or --detach)")
    up.add_argument("--nodes", type=int, default=3, help="simulated nodes: 1 control-plane + N-1 workers (default 3)")
    up.add_argument("--detach", action="store_true", help="run in the background; stop with `down`")
    sub.add_parser("down", help="stop the running devcluster and remove its data")
    sub.add_parser("status", help="show the running devcluster")
    kc = sub.add_parser("kubeconfig", help="print the admin kubeconfig path")
    kc.add_argument("--print", action="store_true", help="print the file's content instead of its path")
    sub.add_parser("build", help="build the upstream binaries (cached)")
    args = parser.parse_args(argv)
    handler = {"up": cmd_up, "down": cmd_down, "status": cmd_status, "kubeconfig": cmd_kubeconfig, "build": cmd_build}
    return handler[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
