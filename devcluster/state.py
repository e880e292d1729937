"""The state file of a running devcluster, so other shells and test runs can
find it: ``${DEVCLUSTER_STATE_FILE:-<cache>/state.json}``."""

from __future__ import annotations

import json
import os
from pathlib import Path

from . import build
from .processes import pid_alive


def path() -> Path:
    override = os.environ.get("DEVCLUSTER_STATE_FILE")
    return Path(override).expanduser() if override else build.cache_root() / "state.json"


def write(cluster, pid: int) -> Path:
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "pid": pid,
        "server": cluster.server,
        "data_dir": str(cluster.data_dir),
        "kubeconfig": str(cluster.kubeconfig_path),
        "ports": vars(cluster.ports),
        "components": cluster.pids(),
        "nodes": cluster.node_names,
        "started_seconds": cluster.started_seconds,
    }
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.rename(target)
    return target


def read() -> dict | None:
    """The state of a live devcluster, or None (a stale file is removed)."""
    target = path()
    try:
        data = json.loads(target.read_text())
    except (OSError, ValueError):
        return None
    if not pid_alive(int(data.get("pid", 0))):
        clear(expected_pid=data.get("pid"))
        return None
    return data


def clear(expected_pid: int | None = None) -> None:
    """Remove the state file (only if it still describes ``expected_pid``)."""
    target = path()
    if expected_pid is not None:
        try:
            if json.loads(target.read_text()).get("pid") != expected_pid:
                return
        except (OSError, ValueError):
            return
    target.unlink(missing_ok=True)
