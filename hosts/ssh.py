"""The one module that talks SSH (paramiko); nothing else imports paramiko.

* Keys admins upload: `load_private_key`, `private_key_fingerprint`.
* Host keys: `fetch_host_key` (for registration: the admin confirms the
  `SHA256:` fingerprint), `parse_known_hosts_line`, `parse_host_key`.
* Work on a host: `Session` (one connection for many commands) with `run`
  (timeout, lines streamed to a callback, exit status, sudo, secrets given on
  stdin or in the environment and redacted from all output) and `put` (a file
  with mode and owner). A session refuses to talk to a host whose key is not
  the pinned one before it authenticates, so no credential or command ever
  reaches an impostor; there is no way to accept an unknown key.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import re
import secrets as random
import shlex
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import paramiko
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from paramiko.hostkeys import HostKeyEntry, HostKeys

# Callers catch these as ssh.SSHError and its kinds.
from hosts.errors import (
    CommandCanceled,
    CommandTimeout,
    HostKeyError,
    HostKeyMismatch,
    PassphraseError,
    SSHAuthError,
    SSHConnectError,
    SSHError,
    SSHKeyError,
    UnknownHostKey,
)
from hosts.keys import pkcs8_as_openssh
from hosts.output import MASK as MASK  # re-exported: callers mask with ssh.MASK
from hosts.output import Control, LineCallback, Redactor, pump_lines
from portal.stored_text import Message

logger = logging.getLogger(__name__)

MAX_KEY_BYTES = 16 * 1024
CONNECT_TIMEOUT = 10.0  # TCP connect and SSH banner
AUTH_TIMEOUT = 15.0
COMMAND_TIMEOUT = 600.0
KILL_AFTER = 5  # seconds between the remote TERM and KILL when a command times out
_KEY_CLASSES = (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey)
_HOST_KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Sudo modes, the values of hosts.choices.SudoMode (this module knows no models).
LOGIN_AS_ROOT, SUDO_NOPASSWD, SUDO_PASSWORD = "none", "sudo", "sudo_password"


# --- private keys ---------------------------------------------------------------


def fingerprint_sha256(key_blob: bytes) -> str:
    """OpenSSH-style 'SHA256:...' fingerprint of a public key blob."""
    digest = hashlib.sha256(key_blob).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def load_private_key(text: str, passphrase: str | None = None) -> paramiko.PKey:
    if not text or not text.strip():
        raise SSHKeyError(_("The private key is empty."))
    if len(text.encode()) > MAX_KEY_BYTES:
        raise SSHKeyError(_("The private key is larger than 16 KiB."))
    if "PRIVATE KEY" not in text:
        raise SSHKeyError(_("This is not a private key in OpenSSH or PEM format."))
    if "-----BEGIN PRIVATE KEY-----" in text or "-----BEGIN ENCRYPTED PRIVATE KEY-----" in text:
        text, passphrase = pkcs8_as_openssh(text, passphrase), None
    last_error = None
    for key_class in _KEY_CLASSES:
        try:
            return key_class.from_private_key(io.StringIO(text.strip() + "\n"), password=passphrase or None)
        except paramiko.PasswordRequiredException:
            raise PassphraseError(_("This private key is encrypted: give its passphrase.")) from None
        except paramiko.SSHException as exc:
            last_error = exc
            if "checkints" in str(exc).lower() or "bad passphrase" in str(exc).lower():
                raise PassphraseError(_("The passphrase does not decrypt this private key.")) from None
        except (ValueError, TypeError, IndexError) as exc:
            last_error = exc
    message = str(last_error).lower() if last_error else ""
    if passphrase and ("password" in message or "decrypt" in message or "passphrase" in message):
        raise PassphraseError(_("The passphrase does not decrypt this private key."))
    raise SSHKeyError(_("The private key could not be read (supported: Ed25519, ECDSA, RSA)."))


def private_key_fingerprint(text: str, passphrase: str | None = None) -> str:
    key = load_private_key(text, passphrase)
    return fingerprint_sha256(key.asbytes())


# --- host keys ------------------------------------------------------------------


@dataclass(frozen=True)
class HostKey:
    key_type: str  # "ssh-ed25519"
    base64: str

    @property
    def line(self) -> str:
        """How the key is stored (`Host.host_key`): "ssh-ed25519 AAAA..."."""
        return f"{self.key_type} {self.base64}"

    @property
    def fingerprint(self) -> str:
        """As OpenSSH prints it: "SHA256:..."."""
        return fingerprint_sha256(base64.b64decode(self.base64))

    def known_hosts_line(self, address: str, port: int = 22) -> str:
        return f"{_host_token(address, port)} {self.line}"

    def _pkey(self) -> paramiko.PKey:
        return paramiko.PKey.from_type_string(self.key_type, base64.b64decode(self.base64))


def _host_token(address: str, port: int) -> str:
    return address if port == 22 else f"[{address}]:{port}"


def _host_key(key_type: str, blob64: str) -> HostKey:
    if key_type not in _HOST_KEY_TYPES:
        raise HostKeyError(_("Unsupported host key type %(type)s.") % {"type": key_type[:40]})
    try:
        blob = base64.b64decode(blob64, validate=True)
        paramiko.PKey.from_type_string(key_type, blob)
    except Exception:  # binascii.Error, paramiko's assorted parse errors
        raise HostKeyError(_("The host key is not valid base64 key data of its type.")) from None
    return HostKey(key_type, base64.b64encode(blob).decode())


def parse_host_key(text: str) -> HostKey:
    """A stored or pasted public key: "ssh-ed25519 AAAA... [comment]"."""
    parts = (text or "").split()
    if len(parts) < 2:
        raise HostKeyError(_('A host key reads "<type> <base64 key>", for example "ssh-ed25519 AAAA...".'))
    return _host_key(parts[0], parts[1])


def parse_known_hosts_line(line: str, *, address: str | None = None, port: int = 22) -> HostKey:
    """One known_hosts line ("addr[,addr] type key", plain or hashed host names);
    when `address` is given, the line must name that host (and port)."""
    line = (line or "").strip()
    if not line or line.startswith("#"):
        raise HostKeyError(_("Paste one line of a known_hosts file."))
    if line.startswith("@"):
        raise HostKeyError(_("Certificate authority and revoked-key lines cannot pin a host."))
    parts = line.split()
    if len(parts) < 3:
        raise HostKeyError(_('A known_hosts line reads "<host> <type> <base64 key>".'))
    key = _host_key(parts[1], parts[2])
    if address is not None:
        entry = HostKeyEntry.from_line(line)
        wanted = _host_token(address, port)
        names = entry.hostnames if entry else parts[0].split(",")
        if not any(name == wanted or (name.startswith("|1|") and _hashed_match(name, wanted)) for name in names):
            raise HostKeyError(
                _("This known_hosts line is not for %(host)s (it names %(names)s).")
                % {"host": wanted, "names": parts[0][:100]}
            )
    return key


def _hashed_match(hashed: str, host: str) -> bool:
    return HostKeys.hash_host(host, hashed) == hashed


def fetch_host_key(address: str, port: int = 22, *, timeout: float = CONNECT_TIMEOUT) -> HostKey:
    """The key the host offers, for an admin to confirm by its fingerprint
    before it is pinned. Nothing is authenticated and nothing is trusted here."""
    try:
        sock = socket.create_connection((address, port), timeout=timeout)
    except OSError as exc:
        raise SSHConnectError(_reach_message(address, port, exc)) from None
    transport = paramiko.Transport(sock)
    transport.banner_timeout = timeout
    try:
        transport.start_client(timeout=timeout)
        key = transport.get_remote_server_key()
        return _host_key(key.get_name(), key.get_base64())
    except (paramiko.SSHException, OSError, EOFError) as exc:
        raise SSHConnectError(_reach_message(address, port, exc)) from None
    finally:
        transport.close()


def _reach_message(address, port, exc) -> Message:
    return Message(
        gettext_noop("Could not reach %(host)s:%(port)s over SSH: %(error)s"),
        host=address,
        port=port,
        error=str(exc) or type(exc).__name__,
    )


class _RefuseUnknown(paramiko.MissingHostKeyPolicy):
    def missing_host_key(self, client, hostname, key):
        raise UnknownHostKey(
            Message(
                gettext_noop("%(host)s offered a host key that is not pinned (%(fingerprint)s); nothing was run."),
                host=hostname,
                fingerprint=fingerprint_sha256(key.asbytes()),
            )
        )


# --- working on a host ----------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where and how to log in; built from a Host and its credential."""

    address: str
    port: int = 22
    username: str = "root"
    host_key: str = ""  # the pinned key, "ssh-ed25519 AAAA..."
    private_key: str = field(default="", repr=False)
    passphrase: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    sudo_password: str = field(default="", repr=False)  # for SUDO_PASSWORD; often the login password
    sudo_mode: str = LOGIN_AS_ROOT
    connect_timeout: float = CONNECT_TIMEOUT
    auth_timeout: float = AUTH_TIMEOUT

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.password, self.passphrase, self.sudo_password) if s)


@dataclass(frozen=True)
class Result:
    exit_status: int
    stdout: str  # redacted, like every streamed line
    stderr: str
    duration: float

    @property
    def ok(self) -> bool:
        return self.exit_status == 0


class Session:
    """One SSH connection to one host, reused for every command run through it.

    with Session(target) as session:
        session.run("apt-get update", sudo=True, on_line=record)
    """

    def __init__(self, target: Target, *, secrets: Iterable[str] = ()):
        self.target = target
        self._secrets = (*target.secrets, *secrets)
        self._client: paramiko.SSHClient | None = None

    def __enter__(self) -> Session:
        self.open()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def open(self) -> None:
        if self._client is not None:
            return
        target = self.target
        if not target.host_key:
            raise UnknownHostKey(
                Message(
                    gettext_noop("No host key is pinned for %(host)s: confirm its fingerprint first; nothing was run."),
                    host=target.address,
                )
            )
        pinned = parse_host_key(target.host_key)
        client = paramiko.SSHClient()
        client.get_host_keys().add(_host_token(target.address, target.port), pinned.key_type, pinned._pkey())
        client.set_missing_host_key_policy(_RefuseUnknown())
        pkey = load_private_key(target.private_key, target.passphrase or None) if target.private_key else None
        try:
            # paramiko checks the host key before it authenticates.
            client.connect(
                target.address,
                port=target.port,
                username=target.username,
                pkey=pkey,
                password=None if pkey else (target.password or None),
                look_for_keys=False,
                allow_agent=False,
                timeout=target.connect_timeout,
                banner_timeout=target.connect_timeout,
                auth_timeout=target.auth_timeout,
                channel_timeout=target.connect_timeout,
            )
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise HostKeyMismatch(
                Message(
                    gettext_noop(
                        "The host key of %(host)s changed: pinned %(pinned)s, offered %(offered)s. "
                        "Nothing was run; if the machine was reinstalled, confirm its new key."
                    ),
                    host=target.address,
                    pinned=pinned.fingerprint,
                    offered=fingerprint_sha256(exc.key.asbytes()),
                )
            ) from None
        except HostKeyError:
            client.close()
            raise
        except paramiko.AuthenticationException:
            client.close()
            raise SSHAuthError(
                Message(
                    gettext_noop("%(host)s refused the credential of user %(user)s."),
                    host=target.address,
                    user=target.username,
                )
            ) from None
        except (paramiko.SSHException, OSError, EOFError) as exc:
            client.close()
            raise SSHConnectError(_reach_message(target.address, target.port, exc)) from None
        transport = client.get_transport()
        transport.set_keepalive(30)
        # Commands are short messages back and forth: without this, Nagle's
        # algorithm and delayed ACKs add ~40 ms to every command.
        transport.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._client = client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def run(
        self,
        command: str,
        *,
        timeout: float = COMMAND_TIMEOUT,
        sudo: bool = False,
        stdin: str | bytes | None = None,
        env: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
        on_line: LineCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> Result:
        """Run `command` (a shell command line) and return its exit status and
        output. `env` values reach the command on stdin, never on a command
        line; they and `secrets` are masked in every line streamed or returned.
        On the host the command is killed (its whole process group) when
        `timeout` passes (CommandTimeout) or `cancel` is set (CommandCanceled)."""
        self.open()
        env = dict(env or {})
        for name, value in env.items():
            if not _ENV_NAME.match(name) or "\n" in value:
                raise SSHError(_("Environment variable names are identifiers and values have no newlines."))
        redact = Redactor((*self._secrets, *env.values(), *secrets))
        marker = f"@portal-pid-{random.token_hex(6)} "
        remote, preamble = self._wrap(command, sudo=sudo, env=env, timeout=timeout, marker=marker)
        logger.info("ssh %s@%s: %s", self.target.username, self.target.address, redact(command))
        control = Control(marker, cancel, lambda pid: self._stop(pid, sudo=sudo))
        try:
            channel = self._client.get_transport().open_session(timeout=self.target.connect_timeout)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            self.close()  # a dead connection: the next command connects again
            raise SSHConnectError(_reach_message(self.target.address, self.target.port, exc)) from None
        started = time.monotonic()
        try:
            channel.exec_command(remote)
            data = preamble + (stdin.encode() if isinstance(stdin, str) else (stdin or b""))
            if data:
                channel.sendall(data)
            channel.shutdown_write()
            status, out, err = pump_lines(channel, started + timeout + KILL_AFTER + 5, redact, on_line, control)
        finally:
            channel.close()
        duration = time.monotonic() - started
        if control.canceled:
            raise CommandCanceled(
                Message(gettext_noop("The command was stopped on %(host)s."), host=self.target.address)
            )
        if status is None or (status in (124, 137) and duration >= timeout):
            raise CommandTimeout(
                Message(
                    gettext_noop("The command did not finish within %(seconds)s seconds on %(host)s and was stopped."),
                    seconds=f"{round(timeout, 1):g}",
                    host=self.target.address,
                )
            )
        return Result(status, out, err, duration)

    def _stop(self, pid: str, *, sudo: bool) -> None:
        """Stop a running command: TERM to its `timeout`, which passes it to
        the command's process group and KILLs the group KILL_AFTER later."""
        if not pid.isdigit():
            return
        try:
            self.run(f"kill -TERM {pid} 2>/dev/null || true", sudo=sudo, timeout=30)
        except SSHError as exc:
            logger.warning("Could not stop process %s on %s: %s", pid, self.target.address, exc)

    def _wrap(self, command: str, *, sudo: bool, env: dict, timeout: float, marker: str = "") -> tuple[str, bytes]:
        """The remote command line and what goes first on its stdin. coreutils'
        `timeout` runs the command in its own process group and kills that
        group; its process id is printed first (after `marker`) so that a
        cancel can stop it."""
        reads = "".join(f"IFS= read -r {name} && export {name} && " for name in env)
        remote = f"timeout -k {KILL_AFTER} {timeout:g} sh -c {shlex.quote(reads + command)}"
        if marker:
            remote = f"sh -c {shlex.quote(f'echo {marker}$$; exec {remote}')}"
        preamble = "".join(f"{value}\n" for value in env.values())
        if sudo and self.target.sudo_mode == SUDO_PASSWORD:
            # -k: always ask, so the password line is never left for the command to read.
            # -S -p '': read it from stdin without a prompt; it is never on a command line.
            remote = f"sudo -k -S -p '' -- {remote}"
            preamble = f"{self.target.sudo_password}\n{preamble}"
        elif sudo and self.target.sudo_mode == SUDO_NOPASSWD:
            remote = f"sudo -n -- {remote}"
        return remote, preamble.encode()

    def put(
        self,
        data: str | bytes,
        path: str,
        *,
        mode: int = 0o644,
        owner: str | None = None,
        group: str | None = None,
        sudo: bool = False,
        timeout: float = 120.0,
    ) -> None:
        """Write a file: SFTP to a private temporary file, then `install` it
        (as root through sudo when asked) with its mode and owner."""
        self.open()
        # On the host: a fresh random name, created exclusively and made private before any data.
        temporary = f"/tmp/.portal-upload-{random.token_hex(8)}"  # noqa: S108
        sftp = self._client.open_sftp()
        try:
            sftp.get_channel().settimeout(timeout)
            with sftp.open(temporary, "wx") as remote_file:
                remote_file.chmod(0o600)
                remote_file.write(data.encode() if isinstance(data, str) else data)
        except (OSError, paramiko.SSHException) as exc:
            raise SSHError(
                Message(
                    gettext_noop("Could not upload to %(host)s: %(error)s"), host=self.target.address, error=str(exc)
                )
            ) from None
        finally:
            sftp.close()
        install = ["install", "-D", "-m", f"{mode:04o}"]  # -D: make the parent directories
        install += ["-o", owner] if owner else []
        install += ["-g", group] if group else []
        quoted = shlex.quote(temporary)
        result = self.run(
            f"{shlex.join([*install, temporary, path])}; s=$?; rm -f {quoted}; exit $s", sudo=sudo, timeout=timeout
        )
        if not result.ok:
            raise SSHError(
                Message(
                    gettext_noop("Could not install %(path)s on %(host)s: %(error)s"),
                    path=path,
                    host=self.target.address,
                    error=result.stderr.strip()[:500],
                )
            )


def run(target: Target, command: str, **options) -> Result:
    """One command on one host, over a connection of its own."""
    with Session(target) as session:
        return session.run(command, **options)
