"""Nothing is left behind: not after a run stops, not after a test fails, not
after the process that started the hosts is killed."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from testhosts import cleanup_stale, network
from testhosts.processes import start_time
from tests.testhosts.clients import ssh

pytestmark = pytest.mark.testhosts
REPO = Path(__file__).resolve().parents[2]


def _footprint(run) -> dict:
    """What a run has on the machine: its processes, namespaces and mounts."""
    return {
        "pids": [(host.pid, start_time(host.pid)) for host in run]
        + [(host.process.pid, host.process.started) for host in run],
        "namespaces": {os.readlink(f"/proc/{host.pid}/ns/{kind}") for host in run for kind in ("net", "mnt", "pid")},
        "bridge": run.bridge,
        "directory": run.directory,
    }


def _leftovers(footprint: dict) -> list[str]:
    left = [f"pid {pid}" for pid, started in footprint["pids"] if started is not None and start_time(pid) == started]
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            held = {os.readlink(proc / "ns" / kind) for kind in ("net", "mnt", "pid")}
            mounts = (proc / "mountinfo").read_text()
        except OSError:
            continue
        left += [f"{proc.name} holds {ns}" for ns in held & footprint["namespaces"]]
        if f"{footprint['directory']}/" in mounts:  # the overlay's upperdir, seen from inside a host
            left.append(f"{proc.name} sees a test host mount")
    if network.link_exists(footprint["bridge"]):
        left.append(f"bridge {footprint['bridge']}")
    if footprint["directory"].exists():
        left.append(f"directory {footprint['directory']}")
    return left


def _wait_gone(footprint: dict, seconds: float = 10) -> list[str]:
    deadline = time.monotonic() + seconds
    while (left := _leftovers(footprint)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_stop_leaves_no_process_namespace_mount_bridge_or_file(testhosts):
    run = testhosts(2)
    ssh(run[0], "(setsid sleep 600 >/dev/null 2>&1 &); nohup sleep 601 >/dev/null 2>&1 &")  # orphans on the host
    footprint = _footprint(run)
    assert _leftovers(footprint)  # the check sees a live run
    run.stop()
    assert _leftovers(footprint) == []


def test_a_failed_test_still_removes_its_hosts(tmp_path):
    test_file = tmp_path / "test_inner.py"
    test_file.write_text(
        textwrap.dedent(
            """
            import json, os
            def test_fails(testhosts):
                run = testhosts(1)
                host = run[0]
                record = {"pid": host.pid, "bridge": run.bridge, "directory": str(run.directory),
                          "net": os.readlink(f"/proc/{host.pid}/ns/net")}
                open(os.environ["RECORD"], "w").write(json.dumps(record))
                assert False, "this test fails on purpose"
            """
        )
    )
    record = tmp_path / "record.json"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "testhosts.pytest_plugin", "-c", os.devnull, str(test_file)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env={**os.environ, "RECORD": str(record), "CI": ""},
    )
    assert "1 failed" in result.stdout, result.stdout + result.stderr
    made = json.loads(record.read_text())
    assert not Path(f"/proc/{made['pid']}").exists()
    assert not network.link_exists(made["bridge"]) or _slot_taken_again(made["bridge"])
    assert not Path(made["directory"]).exists()


def _slot_taken_again(bridge: str) -> bool:
    """Another run (a parallel test session) claimed the freed slot and made
    its bridge anew: its lock is held."""
    from testhosts import fleet

    lock = fleet._try_lock(int(bridge.removeprefix("portal-th")))
    if lock is None:
        return True
    fleet._release(0, lock)
    return False


def test_hosts_of_a_killed_run_die_and_the_next_start_cleans_up(testhosts):
    owner = subprocess.Popen(
        [sys.executable, "-c", KILLED_OWNER],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        slot, directory = json.loads(owner.stdout.readline())
        state = json.loads((Path(directory) / "state.json").read_text())
    finally:
        owner.send_signal(signal.SIGKILL)  # no cleanup code of its own runs
        owner.wait()
    hosts = [(host["pid"], host["pid_started"]) for host in state["hosts"]]
    deadline = time.monotonic() + 10
    while any(start_time(pid) == started for pid, started in hosts) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(start_time(pid) == started for pid, started in hosts), "the killed run's hosts live on"
    bridge = network.bridge_name(slot)
    assert network.link_exists(bridge) and Path(directory).exists()  # left behind...
    assert slot in cleanup_stale()  # ...until the next start, which runs this first
    assert not network.link_exists(bridge) and not Path(directory).exists()
    assert ssh(testhosts(1)[0], "hostname").stdout.strip() == "testhost-1"


KILLED_OWNER = """
import json, time
from testhosts import TestHosts
run = TestHosts.start(2)
print(json.dumps([run.slot, str(run.directory)]), flush=True)
time.sleep(600)
"""
