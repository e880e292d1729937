"""python -m testhosts up [--hosts N] [--packages] [--detach] | down | status | build | packages | clean"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import base, fleet, node_packages, packages, processes
from .errors import TestHostsError


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _pointer() -> Path:
    """Which run `up` started, for `down` and `status`."""
    return base.cache_dir() / "cli.json"


def _raise_exit(signum, _frame):
    raise SystemExit(128 + signum)


def _kube_url(mirror: packages.PackageMirror) -> str:
    from devcluster.build import KUBE_VERSION

    return mirror.kube_url(KUBE_VERSION)


def how_to_connect(state: dict, packages_url: str | None = None) -> str:
    key, known = state["private_key"], state["known_hosts"]
    ssh = f"ssh -F /dev/null -o IdentitiesOnly=yes -o UserKnownHostsFile={known} -o StrictHostKeyChecking=yes"
    lines = [f"test hosts on {state['bridge']} (run {state['slot']}):"]
    for host in state["hosts"]:
        lines.append(f"  {host['name']:<12} {host['address']:<14} {host['fingerprint']}")
    first = state["hosts"][0]["address"] if state["hosts"] else "<address>"
    lines += [
        "connect:",
        f"  {ssh} -i {key} portal@{first}",
        f"  {ssh} -i {key} automation@{first}   # sudo without a password",
        f"  {ssh} -i {key} root@{first}",
        f"  {ssh} -i {state['passphrase_key']} portal@{first}   # key passphrase: {state['passphrase']}",
        f"  portal's password (also for sudo): {state['password']}",
        f"  known_hosts lines: {known}",
    ]
    if packages_url:
        lines += [
            "Kubernetes packages (as pkgs.k8s.io; key at <url>Release.key):",
            f"  deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] {packages_url} /",
        ]
    return "\n".join(lines)


def _running() -> dict | None:
    try:
        pointer = json.loads(_pointer().read_text())
    except (OSError, ValueError):
        return None
    return pointer if processes.same_process_alive(pointer["pid"], pointer["started"]) else None


def cmd_up(args) -> int:
    running = _running()
    if running:
        _log(f"[testhosts] already up (pid {running['pid']}); `python -m testhosts down` first")
        return 1
    if args.detach:
        return _up_detached(args)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_exit)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    run = None
    try:
        run = fleet.TestHosts.start(args.hosts, log=_log)
        state = json.loads((run.directory / "state.json").read_text())
        pointer = {"pid": os.getpid(), "started": processes.start_time(os.getpid()), "slot": run.slot}
        if args.packages:
            pointer["packages"] = _kube_url(run.package_mirror(_log))
        print(how_to_connect(state, pointer.get("packages")), flush=True)
        _pointer().write_text(json.dumps(pointer))
        _log("[testhosts] running; Ctrl-C (or `python -m testhosts down`) stops them")
        while all(host.process.alive() for host in run):
            time.sleep(1)
        _log("[testhosts] a test host stopped unexpectedly; stopping all")
        return 1
    except KeyboardInterrupt:
        return 0
    except TestHostsError as error:
        _log(f"[testhosts] failed: {error}")
        return 1
    finally:
        if run is not None:
            _log("[testhosts] stopping")
            run.stop()
        _pointer().unlink(missing_ok=True)


def _up_detached(args) -> int:
    log_path = base.cache_dir() / "testhosts-up.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    _pointer().unlink(missing_ok=True)
    with open(log_path, "wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "testhosts", "up", "--hosts", str(args.hosts)] + ["--packages"] * args.packages,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=str(Path(__file__).resolve().parent.parent),
        )
    _log(f"[testhosts] starting in the background (pid {child.pid}, log {log_path})")
    while True:
        if child.poll() is not None:
            _log(
                f"[testhosts] failed to start (exit {child.returncode}):\n{log_path.read_text(errors='replace')[-3000:]}"
            )
            return 1
        running = _running()
        if running and running["pid"] == child.pid:
            state = json.loads((fleet.runs_dir() / str(running["slot"]) / "state.json").read_text())
            print(how_to_connect(state, running.get("packages")) + "\nstop them with: make testhosts-down", flush=True)
            return 0
        time.sleep(0.2)


def cmd_down(_args) -> int:
    running = _running()
    if not running:
        _log("[testhosts] none started by `up` is running")
        fleet.cleanup_stale(_log)
        return 0
    os.kill(running["pid"], signal.SIGTERM)
    deadline = time.monotonic() + 30
    while processes.same_process_alive(running["pid"], running["started"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    if processes.same_process_alive(running["pid"], running["started"]):
        _log(f"[testhosts] pid {running['pid']} did not stop within 30 s")
        return 1
    fleet.cleanup_stale(_log)
    _log("[testhosts] stopped")
    return 0


def cmd_status(_args) -> int:
    states = fleet.read_states()
    if not states:
        print("no test hosts are running")
        return 1
    running = _running()
    for state in states:
        owner = "`make testhosts-up`" if running and running["slot"] == state["slot"] else f"pid {state['owner_pid']}"
        alive = sum(processes.same_process_alive(h["pid"], h["pid_started"]) for h in state["hosts"])
        print(
            f"run {state['slot']} of {owner}: {'live' if state['live'] else 'STALE'}, {alive}/{len(state['hosts'])} up"
        )
        if running and running["slot"] == state["slot"]:
            print(how_to_connect(state, running.get("packages")))
    return 0


def _print_built(ensure) -> int:
    """Build a cached thing if missing (`ensure(log)`) and print its path."""
    try:
        print(ensure(_log))
    except TestHostsError as error:
        _log(str(error))
        return 1
    return 0


def cmd_build(_args) -> int:
    return _print_built(base.ensure_base)


def cmd_packages(_args) -> int:
    return _print_built(node_packages.ensure_mirror)


def cmd_clean(_args) -> int:
    slots = fleet.cleanup_stale(_log)
    print(f"removed what {len(slots)} killed run(s) left" if slots else "no killed run left anything")
    if any(state["live"] for state in fleet.read_states()):
        print("test hosts are running: old base roots and package repositories kept")
    else:
        for path in base.prune_other_bases():
            print(f"removed the unused base root {path}")
        for path in node_packages.prune():
            print(f"removed the cached package repository {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testhosts", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start test hosts (foreground until Ctrl-C, or --detach)")
    up.add_argument("--hosts", type=int, default=3, help="how many (default 3)")
    up.add_argument("--detach", action="store_true", help="run in the background; stop with `down`")
    up.add_argument(
        "--packages", action="store_true", help="also serve the Kubernetes package repository on the bridge"
    )
    sub.add_parser("down", help="stop the test hosts `up` started")
    sub.add_parser("status", help="list the runs of test hosts on this machine")
    sub.add_parser("build", help="build the cached base root (debootstrap)")
    sub.add_parser("packages", help="build the cached Kubernetes package repository (kubeadm, kubectl)")
    sub.add_parser("clean", help="remove what killed runs left, and unused base roots when no run is live")
    args = parser.parse_args(argv)
    handler = {
        "up": cmd_up,
        "down": cmd_down,
        "status": cmd_status,
        "build": cmd_build,
        "packages": cmd_packages,
        "clean": cmd_clean,
    }
    return handler[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
