"""Command output as the portal sees it: read line by line from a running
command's stdout and stderr, with known secrets masked in every line."""

import select
import threading
import time
from collections.abc import Callable, Iterable

MASK = "********"


class Redactor:
    """Replaces known secret strings (each line of a multi-line secret) by a mask."""

    def __init__(self, secrets: Iterable[str] = ()):
        parts = {line.strip() for secret in secrets if secret for line in str(secret).splitlines()}
        self._secrets = sorted((p for p in parts if p), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text


LineCallback = Callable[[str, str], None]  # (stream: "stdout" | "stderr", line)

# How long a canceled command may take to end after it was told to stop.
CANCEL_GRACE = 15.0


class Control:
    """The portal's side channel with a running command: the first stdout line
    that starts with `marker` carries the process id of the command's
    `timeout` (never shown as output), and `on_cancel(pid)` is called once
    when `cancel` is set, to stop it on the host."""

    def __init__(self, marker: str, cancel: threading.Event | None, on_cancel: Callable[[str], None]):
        self.marker, self.cancel, self.on_cancel = marker, cancel, on_cancel
        self.pid: str | None = None
        self.canceled = False

    def read(self, line: str) -> bool:
        """True when the line was the marker (and is not output)."""
        if self.pid is None and line.startswith(self.marker):
            self.pid = line[len(self.marker) :].strip()
            return True
        return False

    def poll(self) -> bool:
        """Stop the command if it was canceled; True the first time."""
        if self.canceled or self.cancel is None or not self.cancel.is_set() or self.pid is None:
            return False
        self.canceled = True
        self.on_cancel(self.pid)
        return True


def pump_lines(
    channel, deadline: float, redact: Redactor, on_line: LineCallback | None, control: Control | None = None
):
    """Read stdout and stderr as they come, line by line, until the command
    exits; (None, ...) when the deadline passes first. A canceled command is
    stopped on the host and waited for a little while longer."""
    partial = {"stdout": b"", "stderr": b""}
    lines = {"stdout": [], "stderr": []}

    def feed(stream: str, chunk: bytes, final: bool = False) -> None:
        *complete, partial[stream] = (partial[stream] + chunk).split(b"\n")
        if final and partial[stream]:
            complete.append(partial[stream])
            partial[stream] = b""
        for raw in complete:
            line = raw.decode("utf-8", errors="replace").rstrip("\r")
            if stream == "stdout" and control is not None and control.read(line):
                continue
            line = redact(line)
            lines[stream].append(line)
            if on_line is not None:
                on_line(stream, line)

    # A callback with a `tick()` gets it while the command is quiet, to write
    # out what it holds (the job log batches lines).
    tick = getattr(on_line, "tick", None)
    status = None
    while True:
        if control is not None and control.poll():
            deadline = min(deadline, time.monotonic() + CANCEL_GRACE)
        busy = False
        if channel.recv_ready():
            feed("stdout", channel.recv(65536))
            busy = True
        if channel.recv_stderr_ready():
            feed("stderr", channel.recv_stderr(65536))
            busy = True
        if not busy:
            if tick is not None:
                tick()
            if channel.exit_status_ready():
                status = channel.recv_exit_status()
                break
            if time.monotonic() > deadline:
                break
            if channel.eof_received:
                # Output is over: its pipe stays readable for good, so select
                # would spin; wait for the exit status instead.
                channel.status_event.wait(0.1)
            else:
                select.select([channel], [], [], 0.1)
    feed("stdout", b"", final=True)
    feed("stderr", b"", final=True)
    return status, "".join(f"{x}\n" for x in lines["stdout"]), "".join(f"{x}\n" for x in lines["stderr"])
