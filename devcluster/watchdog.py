"""Clean up after a launcher that died without cleaning up itself.

Started by ``cluster.py`` in its own session with the read end of a pipe. The
launcher writes ``pgid <n>`` for each component it starts and ``dir <path>``
for its data directory. When the pipe closes (the launcher exited, however it
died) the watchdog kills those process groups and removes the directory, unless
the launcher wrote ``release`` first because it already did so itself.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time


def _kill_groups(pgids: list[int]) -> None:
    for sig, pause in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 0.0)):
        alive = []
        for pgid in pgids:
            try:
                os.killpg(pgid, sig)
                alive.append(pgid)
            except (ProcessLookupError, PermissionError):
                pass
        if not alive:
            return
        time.sleep(pause)


def main(fd: int) -> None:
    pgids: list[int] = []
    dirs: list[str] = []
    released = False
    with os.fdopen(fd, "r") as pipe:
        for line in pipe:
            kind, _, value = line.strip().partition(" ")
            if kind == "pgid":
                pgids.append(int(value))
            elif kind == "dir":
                dirs.append(value)
            elif kind == "release":
                released = True
    if released:
        return
    _kill_groups(pgids)
    for path in dirs:
        shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))
