"""`make run` in a subprocess, for the tests of the run command: its own
session (so everything it starts can be found and stopped), its own var/
directory (SQLite, filesystem broker), its output in a file."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(var_dir: Path) -> dict:
    """This environment without the services it names: the embedded defaults under `var_dir`."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update(PORTAL_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1")
    return env


def start(env: dict, log: Path, *args: str) -> subprocess.Popen:
    """`manage.py rundev *args` in `env`, its output in `log`."""
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "rundev", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM, as a supervisor or a closed terminal would; SIGKILL to the
    whole session (and fail) if it does not exit in time."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise
