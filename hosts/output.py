"""Command output as the portal sees it: read line by line from a running
command's stdout and stderr, with known secrets masked in every line."""

import select
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


def pump_lines(channel, deadline: float, redact: Redactor, on_line: LineCallback | None):
    """Read stdout and stderr as they come, line by line, until the command
    exits; (None, ...) when the deadline passes first."""
    partial = {"stdout": b"", "stderr": b""}
    lines = {"stdout": [], "stderr": []}

    def feed(stream: str, chunk: bytes, final: bool = False) -> None:
        *complete, partial[stream] = (partial[stream] + chunk).split(b"\n")
        if final and partial[stream]:
            complete.append(partial[stream])
            partial[stream] = b""
        for raw in complete:
            line = redact(raw.decode("utf-8", errors="replace").rstrip("\r"))
            lines[stream].append(line)
            if on_line is not None:
                on_line(stream, line)

    status = None
    while True:
        busy = False
        if channel.recv_ready():
            feed("stdout", channel.recv(65536))
            busy = True
        if channel.recv_stderr_ready():
            feed("stderr", channel.recv_stderr(65536))
            busy = True
        if not busy:
            if channel.exit_status_ready():
                status = channel.recv_exit_status()
                break
            if time.monotonic() > deadline:
                break
            select.select([channel], [], [], 0.1)
    feed("stdout", b"", final=True)
    feed("stderr", b"", final=True)
    return status, "".join(f"{x}\n" for x in lines["stdout"]), "".join(f"{x}\n" for x in lines["stderr"])
