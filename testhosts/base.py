"""The base root every test host's overlay sits on: a Debian root made by
debootstrap from the mirror this machine's apt already uses, built once and
cached under ``<cache>/base-<hash>``.

A root of its own (rather than the machine's ``/``) makes each test host a
clean Debian install: its own dpkg database, no copy of the runner's files, and
nothing of the runner's /etc to read. The base is never written after it is
built: every host writes into its own overlay.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from .errors import TestHostsError

# What a test host has besides Debian's minimal base: the SSH server, sudo,
# the tools the portal's facts and preflight read (ip, ss, ps, free, lsblk),
# and what a site's instructions for adding a package repository take for
# granted (curl, gpg, apt-transport-https).
PACKAGES = (
    "openssh-server",
    "openssh-sftp-server",
    "sudo",
    "iproute2",
    "procps",
    "kmod",
    "util-linux",
    "python3",
    "netcat-openbsd",
    "ca-certificates",
    "curl",
    "gpg",
    "apt-transport-https",
)
# Bump when the way the base is made changes, so the cache is rebuilt.
BASE_FORMAT = 2


def cache_dir() -> Path:
    return Path(os.environ.get("TESTHOSTS_CACHE") or Path.home() / ".cache" / "portal-testhosts")


def _codename() -> str:
    for line in Path("/etc/os-release").read_text().splitlines():
        if line.startswith("VERSION_CODENAME="):
            return line.split("=", 1)[1].strip().strip('"')
    raise TestHostsError("cannot tell this machine's Debian release (no VERSION_CODENAME in /etc/os-release)")


def apt_mirror(suite: str) -> str:
    """The Debian mirror apt on this machine is configured with for `suite`
    (deb822 .sources or one-line sources.list); TESTHOSTS_MIRROR overrides it."""
    if os.environ.get("TESTHOSTS_MIRROR"):
        return os.environ["TESTHOSTS_MIRROR"]
    sources = sorted(Path("/etc/apt/sources.list.d").glob("*.sources"))
    for path in sources:
        for stanza in re.split(r"\n\s*\n", path.read_text()):
            fields = dict(re.findall(r"^(\w[\w-]*):\s*(.+)$", stanza, flags=re.MULTILINE))
            if suite in fields.get("Suites", "").split() and "main" in fields.get("Components", "").split():
                return fields["URIs"].split()[0]
    lists = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*.list"))]
    for path in lists:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            parts = re.sub(r"\[[^]]*\]", "", line).split()
            if len(parts) >= 4 and parts[0] == "deb" and parts[2] == suite and "main" in parts[3:]:
                return parts[1]
    raise TestHostsError(f"no apt source for Debian {suite} main on this machine (set TESTHOSTS_MIRROR)")


def base_path() -> Path:
    suite = _codename()
    key = json.dumps({"suite": suite, "packages": PACKAGES, "format": BASE_FORMAT}, sort_keys=True)
    return cache_dir() / f"base-{suite}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def ensure_base(log: Callable[[str], None] = lambda _m: None) -> Path:
    """The cached base root, built first if missing (about 75 s with a warm mirror)."""
    path = base_path()
    if (path / ".testhosts-base.json").exists():
        return path
    if not shutil.which("debootstrap"):
        raise TestHostsError("debootstrap is not installed (apt-get install debootstrap)")
    cache_dir().mkdir(parents=True, exist_ok=True)
    # One builder at a time; a second run waits and then finds the base built.
    with open(cache_dir() / "base.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (path / ".testhosts-base.json").exists():
            _build(path, log)
    return path


def _build(path: Path, log: Callable[[str], None]) -> None:
    suite = _codename()
    mirror = apt_mirror(suite)
    partial = path.with_name(path.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    log(f"[testhosts] building the base root for Debian {suite} with debootstrap (once, about 1-2 min)")
    started = time.monotonic()
    # Its own mount and PID namespaces: the /proc and /sys debootstrap mounts
    # into the target, and any daemon a package's postinst starts, go away
    # with it even if it is interrupted.
    command = [
        "unshare",
        "--mount",
        "--pid",
        "--fork",
        "--kill-child",
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(PACKAGES)}",
        suite,
        str(partial),
        mirror,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        tail = (result.stdout + result.stderr)[-3000:]
        shutil.rmtree(partial, ignore_errors=True)
        raise TestHostsError(f"debootstrap failed (exit {result.returncode}):\n{tail}")
    # Host keys made by openssh-server's postinst would be shared by every host:
    # each host gets its own, generated per run.
    for key in (partial / "etc" / "ssh").glob("ssh_host_*"):
        key.unlink()
    for deb in (partial / "var" / "cache" / "apt" / "archives").glob("*.deb"):
        deb.unlink()
    for lists in (partial / "var" / "lib" / "apt" / "lists").glob("*_*"):
        lists.unlink()
    # A test host reaches nothing beyond its bridge: apt's sources are what a
    # test gives it (node_packages.use_distribution_mirror), not a mirror it
    # could only time out on.
    (partial / "etc" / "apt" / "sources.list").write_text(
        "# No sources: a test host reaches only its bridge (testhosts/node_packages.py).\n"
    )
    (partial / ".testhosts-base.json").write_text(
        json.dumps({"suite": suite, "packages": PACKAGES, "built_seconds": round(time.monotonic() - started, 1)})
    )
    partial.rename(path)
    log(f"[testhosts] base root ready in {time.monotonic() - started:.0f} s: {path}")


def prune_other_bases() -> list[Path]:
    """Remove base roots this version does not use (older package lists or
    releases, half-built ones). Only while no run is live: a live run of an
    older checkout may still have one below its overlays."""
    current = base_path()
    removed = []
    cache_dir().mkdir(parents=True, exist_ok=True)
    with open(cache_dir() / "base.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return removed  # a build is under way
        for path in cache_dir().glob("base-*"):
            if path.is_dir() and path != current:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed
