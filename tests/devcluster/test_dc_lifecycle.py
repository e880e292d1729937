"""The launcher leaves nothing behind: no processes, no data directory.

Each test runs its own second devcluster through the CLI (with a private state
file), next to the session's one; the session fixture only proves the binaries
are there (so these skip/fail exactly like the other devcluster tests).
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.devcluster

REPO = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose (its parent has not reaped it yet).
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def _cli(env, *args, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "devcluster", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )


def _wait_gone(pids, directory, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids) and not Path(directory).exists():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def private_env(devcluster, tmp_path):
    env = dict(os.environ, DEVCLUSTER_STATE_FILE=str(tmp_path / "state.json"), DEVCLUSTER_DATA_ROOT=str(tmp_path))
    env.pop("DEVCLUSTER_KUBECONFIG", None)
    return env


def test_it_starts_detached_reports_status_and_cleans_up_on_down(private_env):
    up = _cli(private_env, "up", "--detach", "--nodes", "2")
    assert up.returncode == 0, up.stderr
    state = json.loads(Path(private_env["DEVCLUSTER_STATE_FILE"]).read_text())
    status = _cli(private_env, "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert json.loads(status.stdout)["nodes_ready"] == "2/2"
    assert _cli(private_env, "kubeconfig").stdout.strip() == state["kubeconfig"]

    down = _cli(private_env, "down")

    assert down.returncode == 0, down.stderr
    assert _wait_gone([state["pid"], *state["components"].values()], state["data_dir"])
    assert _cli(private_env, "status").returncode == 1
    assert not Path(private_env["DEVCLUSTER_STATE_FILE"]).exists()


def test_it_cleans_up_when_the_launcher_is_killed_outright(private_env):
    up = _cli(private_env, "up", "--detach", "--nodes", "1")
    assert up.returncode == 0, up.stderr
    state = json.loads(Path(private_env["DEVCLUSTER_STATE_FILE"]).read_text())
    assert all(_alive(pid) for pid in state["components"].values())

    os.kill(state["pid"], signal.SIGKILL)  # no atexit, no signal handler runs

    # PR_SET_PDEATHSIG kills the components; the watchdog removes the data dir.
    assert _wait_gone(list(state["components"].values()), state["data_dir"])
