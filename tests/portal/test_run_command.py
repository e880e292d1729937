"""The README's run command: the portal comes up with embedded defaults."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_rundev_serves_the_portal_and_prints_the_admin_login(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update(PORTAL_VAR_DIR=str(tmp_path / "var"), PYTHONUNBUFFERED="1")
    log = tmp_path / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "rundev", "--no-devcluster", "--addr", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2) as response:
                    page = response.read().decode()
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.5)
        assert "csrfmiddlewaretoken" in page
        output = log.read_text()
        login = re.search(r"Log in as: admin / (\S+)", output)
        assert login, output
        assert (tmp_path / "var" / "admin-password").read_text().strip() == login.group(1)
        assert "broker: filesystem, database: sqlite3" in output
        assert (tmp_path / "var" / "portal.sqlite3").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    # SIGTERM stops the web server and the worker it started (pool processes may take a moment).
    deadline = time.monotonic() + 20
    while left := subprocess.run(["pgrep", "-a", "-s", str(process.pid)], capture_output=True, text=True).stdout:
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"left running after SIGTERM: {left}")
        time.sleep(0.5)
