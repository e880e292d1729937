"""The runner's side of a test host's processes: spawn, find the host's PID 1,
stop, and recognise a process again after a restart (pid plus start time)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import TestHostsError


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot, or None if it is gone
    (a zombie counts as gone: it holds no namespace, mount or port any more).
    With the pid it names one process for good: a reused pid has another start time."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] in {"Z", "X"} else int(fields[19])


def same_process_alive(pid: int, started: int | None) -> bool:
    return pid > 0 and started is not None and start_time(pid) == started


def kill_if_same(pid: int, started: int | None, timeout: float = 10) -> None:
    """SIGKILL the process that (pid, started) recorded, if it still runs, and wait until it is gone."""
    if not same_process_alive(pid, started):
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while same_process_alive(pid, started) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.02)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


@dataclass
class Process:
    popen: subprocess.Popen
    log_path: Path
    started: int | None

    @classmethod
    def spawn(cls, command: list[str], *, env: dict[str, str], log_path: Path) -> Process:
        # setpriv --pdeathsig: if the runner (the thread that started it) dies,
        # even by SIGKILL, the kernel kills `unshare`, whose --kill-child then
        # kills the host's PID 1 and with it the whole host.
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as log:
            popen = subprocess.Popen(
                ["setpriv", "--pdeathsig", "KILL", "--", *command],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        return cls(popen, log_path, start_time(popen.pid))

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait_child(self, timeout: float) -> int:
        """The pid of the one child `unshare --fork` made: the host's PID 1."""
        deadline = time.monotonic() + timeout
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        while time.monotonic() < deadline:
            if not self.alive():
                raise TestHostsError(f"unshare exited {self.popen.returncode}:\n{self.log_tail()}")
            try:
                found = children.read_text().split()
            except OSError:
                found = []
            if found:
                return int(found[0])
            time.sleep(0.01)
        raise TestHostsError(f"unshare made no child within {timeout:.0f} s")

    def wait_or_kill(self, timeout: float = 10) -> None:
        """Wait for `unshare` to exit once its child is killed: it reaps the
        host's PID 1. Killing it first would leave that PID 1 a zombie for
        the machine's init to reap."""
        try:
            self.popen.wait(timeout)
            return
        except subprocess.TimeoutExpired:
            self.popen.kill()
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired as error:
            raise TestHostsError(f"pid {self.pid} did not exit within {timeout:.0f} s after SIGKILL") from error

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
