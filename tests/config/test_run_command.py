"""The README's run command: the portal comes up with embedded defaults."""

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from tests.support import rundev
from tests.support.rundev import ROOT

pytestmark = pytest.mark.slow


def _log_in(port: int, username: str, password: str) -> str:
    """Log in through the real login form; returns the page it lands on."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    url = f"http://127.0.0.1:{port}/accounts/login/"
    form = opener.open(url, timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    with opener.open(urllib.request.Request(url, data.encode(), headers={"Referer": url}), timeout=10) as response:
        return response.geturl()


def test_rundev_serves_the_portal_and_prints_the_admin_login_once(tmp_path):
    port = rundev.free_port()
    env = rundev.environment(tmp_path / "var")
    # Left by an earlier version, which kept the password in clear.
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "admin-password").write_text("old-secret\n")
    log = tmp_path / "run.log"
    # Demo hosts have a test of their own (test_demo_hosts), with time for a first build.
    process = rundev.start(env, log, "--no-devcluster", "--demo-hosts", "0", "--addr", f"127.0.0.1:{port}")
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
        logins = re.findall(r"Log in as: admin / (\S+)", output)
        assert len(logins) == 1, output
        password = logins[0]
        assert not (tmp_path / "var" / "admin-password").exists()
        assert "Removed" in output and "changepassword admin" in output
        assert urllib.parse.urlparse(_log_in(port, "admin", password)).path == "/"  # the dashboard, not the login form
        # Kept nowhere: no file under var/ holds it (the database holds a hash).
        for path in (tmp_path / "var").rglob("*"):
            if path.is_file():
                assert password.encode() not in path.read_bytes(), path
        assert "broker: filesystem, database: sqlite3" in output
        assert (tmp_path / "var" / "portal.sqlite3").exists()
    finally:
        rundev.stop(process)
    # SIGTERM stops the web server and the worker it started (pool processes may take a moment).
    deadline = time.monotonic() + 20
    while left := subprocess.run(["pgrep", "-a", "-s", str(process.pid)], capture_output=True, text=True).stdout:
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"left running after SIGTERM: {left}")
        time.sleep(0.5)
    # The next start says nothing of a password.
    again = subprocess.run(
        [sys.executable, "manage.py", "ensure_admin"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert "Log in as" not in again.stdout + again.stderr
    assert password not in again.stdout + again.stderr
    assert not (tmp_path / "var" / "admin-password").exists()


def test_a_second_interrupt_while_stopping_does_not_cut_the_stop_short(tmp_path):
    port = rundev.free_port()
    log = tmp_path / "run.log"
    process = rundev.start(
        rundev.environment(tmp_path / "var"), log, "--no-devcluster", "--demo-hosts", "0", "--addr", f"127.0.0.1:{port}"
    )
    try:
        deadline = time.monotonic() + 60
        while "Ctrl-C stops it" not in log.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        # A supervisor's TERM, then an impatient Ctrl-C while the web server and worker stop.
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        assert process.wait(40) == 0, log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert "Traceback" not in log.read_text()
    deadline = time.monotonic() + 20
    while left := subprocess.run(["pgrep", "-a", "-s", str(process.pid)], capture_output=True, text=True).stdout:
        assert time.monotonic() < deadline, f"left running: {left}"
        time.sleep(0.5)
