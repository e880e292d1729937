"""The per-run files of one host, laid out in a directory (`seed/`) that
hostinit.sh copies into the host's overlay before sshd starts."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from . import standins

SSHD_CONFIG = """\
# sshd_config of a portal test host (testhosts/), written per run.
Port 22
ListenAddress 0.0.0.0
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
# No PAM: its pam_loginuid needs the audit capability a test host does not
# have. Passwords are then checked against /etc/shadow by sshd itself.
UsePAM no
UseDNS no
PrintMotd no
# Many parallel connections and channels: the job engine's benchmark runs
# steps on many hosts at once over one reused connection per host.
MaxStartups 200
MaxSessions 100
Subsystem sftp /usr/lib/openssh/sftp-server
AcceptEnv LANG LC_*
PidFile /run/sshd.pid
"""

SUDOERS = """\
# Test host accounts (testhosts/): portal's sudo asks for its password, automation's does not.
portal ALL=(ALL:ALL) ALL
automation ALL=(ALL:ALL) NOPASSWD: ALL
"""

RESOLV_CONF = """\
# A portal test host has no DNS server: the other test hosts of its run are in /etc/hosts.
"""


def _write(root: Path, path: str, text: str, mode: int = 0o644) -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    target.chmod(mode)


def lay_out(
    root: Path,
    *,
    name: str,
    host_key_private: str,
    host_key_public: str,
    public_keys: tuple[str, str],
    peers: dict[str, str],
    run_info: dict,
) -> None:
    """Write the seed of host `name`; `peers` maps every host name of the run to its address."""
    root.mkdir(parents=True)
    hosts = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    hosts += [f"{address}\t{peer}" for peer, address in peers.items()]
    _write(root, "/etc/hostname", name + "\n")
    _write(root, "/etc/machine-id", secrets.token_hex(16) + "\n", 0o444)  # unique per machine, as kubeadm expects
    _write(root, "/etc/hosts", "\n".join(hosts) + "\n")
    _write(root, "/etc/resolv.conf", RESOLV_CONF)
    _write(root, "/etc/ssh/sshd_config", SSHD_CONFIG)
    _write(root, "/etc/ssh/ssh_host_ed25519_key", host_key_private, 0o600)
    _write(root, "/etc/ssh/ssh_host_ed25519_key.pub", host_key_public + "\n")
    _write(root, "/etc/sudoers.d/testhost", SUDOERS, 0o440)
    _write(root, "/etc/portal-testhost.json", json.dumps({"name": name, **run_info}, indent=2) + "\n")
    plain, protected = public_keys
    for home, keys in (("/home/portal", [plain, protected]), ("/home/automation", [plain]), ("/root", [plain])):
        _write(root, f"{home}/.ssh/authorized_keys", "\n".join(keys) + "\n", 0o600)
        (root / home.lstrip("/") / ".ssh").chmod(0o700)
    (root / "root").chmod(0o700)
    for path, text in standins.scripts().items():
        _write(root, path, text, 0o755)
    _write(root, standins.LOG, "", 0o666)  # non-root callers (systemctl is-active ...) log too
    for state in ("units", "sysctl"):
        (root / standins.STATE.lstrip("/") / state).mkdir(parents=True)
