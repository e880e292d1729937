"""One test host: what a test needs to reach it over SSH, and the operator's
console to it (run a command, read or write a file, set a stand-in
/proc/meminfo) that bypasses SSH, for setting up test conditions."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import standins
from .errors import TestHostsError
from .processes import Process

HOSTINIT = Path(__file__).with_name("hostinit.sh")
MEMINFO_STANDIN = "/run/testhost/meminfo"


@dataclass
class Credentials:
    """The run's logins, the same on every host of the run.

    * ``portal``: the key, the passphrase-protected key, or the password;
      sudo asks for that password.
    * ``automation``: the key; sudo without a password.
    * ``root``: the key.
    """

    private_key_pem: str
    private_key_path: Path
    passphrase_key_pem: str
    passphrase_key_path: Path
    passphrase: str
    password: str
    public_keys: tuple[str, str]


@dataclass
class TestHost:
    __test__ = False  # not a pytest test class

    name: str
    address: str
    index: int
    host_public_key: str  # "ssh-ed25519 AAAA..."
    fingerprint: str  # "SHA256:..."
    credentials: Credentials = field(repr=False)
    known_hosts_path: Path = field(repr=False)
    directory: Path = field(repr=False)
    process: Process | None = field(default=None, repr=False)  # `unshare`, parent of the host's PID 1
    pid: int = 0  # the host's PID 1 (sshd), as the runner sees it
    port: int = 22
    username: str = "portal"
    nopasswd_username: str = "automation"

    # --- what registering the host in the portal takes ------------------------
    @property
    def password(self) -> str:
        return self.credentials.password

    @property
    def private_key_pem(self) -> str:
        return self.credentials.private_key_pem

    @property
    def passphrase_key_pem(self) -> str:
        return self.credentials.passphrase_key_pem

    @property
    def passphrase(self) -> str:
        return self.credentials.passphrase

    @property
    def known_hosts_line(self) -> str:
        return f"{self.address} {self.host_public_key}"

    def ssh_argv(self, *command: str, user: str | None = None, key: Path | None = None) -> list[str]:
        """An OpenSSH client command line that trusts only this run's pinned host keys."""
        return [
            "ssh",
            "-F",
            "/dev/null",
            "-i",
            str(key or self.credentials.private_key_path),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            f"UserKnownHostsFile={self.known_hosts_path}",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=10",
            "-p",
            str(self.port),
            f"{user or self.username}@{self.address}",
            *command,
        ]

    # --- the operator's console (no SSH; root with every capability) ---------
    def console_argv(self, command: str) -> list[str]:
        return [
            "nsenter",
            f"--target={self.pid}",
            "--mount",
            "--uts",
            "--ipc",
            "--net",
            "--pid",
            "--root",
            "--wd",
            "--",
            "/bin/sh",
            "-c",
            command,
        ]

    def run(self, command: str, *, check: bool = True, timeout: float = 60, input: str | None = None) -> str:
        """Run a shell command inside the host as its root, bypassing SSH; returns stdout."""
        result = subprocess.run(
            self.console_argv(command), capture_output=True, text=True, timeout=timeout, input=input
        )
        if check and result.returncode != 0:
            raise TestHostsError(f"{self.name}: `{command}` exited {result.returncode}: {result.stderr.strip()}")
        return result.stdout

    def path(self, path: str) -> Path:
        """A path inside the host, as the runner can open it (through /proc/<pid>/root)."""
        return Path(f"/proc/{self.pid}/root") / path.lstrip("/")

    def read_file(self, path: str) -> str:
        return self.path(path).read_text()

    def write_file(self, path: str, text: str) -> None:
        self.run(f"mkdir -p {shlex.quote(os.path.dirname(path))} && cat >{shlex.quote(path)}", input=text)

    def standin_calls(self) -> list[tuple[str, ...]]:
        """Every stand-in call on this host so far: (name, *args), oldest first."""
        return standins.parse_log(self.read_file(standins.LOG))

    def set_meminfo(self, total_bytes: int) -> None:
        """Make /proc/meminfo on this host (only) report `total_bytes` of memory."""
        self.write_file(MEMINFO_STANDIN, standins.meminfo(total_bytes))
        self.restore_meminfo()
        self.run(f"mount --bind {MEMINFO_STANDIN} /proc/meminfo")

    def restore_meminfo(self) -> None:
        self.run("! mountpoint -q /proc/meminfo || umount /proc/meminfo")

    def set_hostname(self, name: str) -> None:
        """Rename the host (its UTS namespace and /etc/hostname); root on the host
        itself cannot, lacking CAP_SYS_ADMIN."""
        self.run(f"hostname {shlex.quote(name)} && echo {shlex.quote(name)} >/etc/hostname")

    # --- lifecycle -----------------------------------------------------------
    def start(self, base: Path, log_path: Path) -> None:
        env = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "TH_BASE": str(base),
            "TH_DIR": str(self.directory),
            "TH_NAME": self.name,
        }
        command = ["unshare", "--net", "--mount", "--uts", "--ipc", "--pid", "--fork", "--kill-child"]
        command += ["/bin/sh", str(HOSTINIT)]
        self.process = Process.spawn(command, env=env, log_path=log_path)
        self.pid = self.process.wait_child(timeout=10)

    def wait_ready(self, timeout: float) -> None:
        """Until sshd has dropped its capabilities and listens on port 22."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or not self.process.alive():
                raise TestHostsError(f"{self.name} stopped while starting:\n{self.log_tail()}")
            if self._listening():
                return
            time.sleep(0.05)
        raise TestHostsError(f"{self.name}: sshd not listening after {timeout:.0f} s:\n{self.log_tail()}")

    def _listening(self) -> bool:
        try:
            tcp = Path(f"/proc/{self.pid}/net/tcp").read_text()  # the host's network namespace
        except OSError:
            return False
        # A listener on 0.0.0.0:22 (port 0016, state 0A = LISTEN), after pivot_root.
        return any(":0016 00000000:0000 0A" in line for line in tcp.splitlines()) and self._pivoted()

    def _pivoted(self) -> bool:
        try:
            return os.readlink(f"/proc/{self.pid}/exe").endswith("/sshd")
        except OSError:
            return False

    def log_tail(self, lines: int = 30) -> str:
        return self.process.log_tail(lines) if self.process else ""

    def stop(self) -> None:
        # SIGKILL to a PID namespace's init kills every process in it; the
        # namespaces, the overlay and its tmpfs go when the last one exits.
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.process:
            self.process.wait_or_kill()
