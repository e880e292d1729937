"""SSH clients for the test hosts' tests: the real OpenSSH client and paramiko
(the portal's own SSH module will use paramiko; here it only proves the hosts
accept what the portal will send)."""

from __future__ import annotations

import io
import subprocess

import paramiko


def ssh(host, command: str, *, user: str | None = None, key=None, check: bool = True, timeout: float = 30):
    """Run `command` on `host` with OpenSSH, trusting only the run's pinned host keys."""
    result = subprocess.run(host.ssh_argv(command, user=user, key=key), capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"ssh {host.name} `{command}` exited {result.returncode}: {result.stderr}")
    return result


PROBE = """
import errno, socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3).close()
    print("connected")
except TimeoutError:
    print("timeout")
except OSError as error:
    print(errno.errorcode.get(error.errno, str(error)))
"""


def reach(host, address: str, port: int) -> str:
    """What `host` gets when it opens a TCP connection to address:port:
    "connected", "timeout", or the errno's name ("ENETUNREACH", "ECONNREFUSED")."""
    return ssh(host, f"python3 -c '{PROBE}' {address} {port}").stdout.strip()


def connect(
    host,
    *,
    user: str | None = None,
    key_pem: str | None = None,
    passphrase: str | None = None,
    password: str | None = None,
) -> paramiko.SSHClient:
    """A paramiko connection that accepts only the host's pinned key (RejectPolicy)."""
    client = paramiko.SSHClient()
    client.get_host_keys().add(host.address, "ssh-ed25519", paramiko.Ed25519Key(data=_blob(host.host_public_key)))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    pkey = paramiko.Ed25519Key.from_private_key(io.StringIO(key_pem), password=passphrase) if key_pem else None
    client.connect(
        host.address,
        port=host.port,
        username=user or host.username,
        pkey=pkey,
        password=password,
        look_for_keys=False,
        allow_agent=False,
        timeout=10,
        auth_timeout=10,
    )
    return client


def run(
    client: paramiko.SSHClient, command: str, *, stdin: str | None = None, timeout: float = 30
) -> tuple[int, str, str]:
    channel_in, out, err = client.exec_command(command, timeout=timeout)
    if stdin is not None:
        channel_in.write(stdin)
        channel_in.flush()
        channel_in.channel.shutdown_write()
    status = out.channel.recv_exit_status()
    return status, out.read().decode(), err.read().decode()


def _blob(public_key: str) -> bytes:
    import base64

    return base64.b64decode(public_key.split()[1])
