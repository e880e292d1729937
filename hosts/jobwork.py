"""Commands on registered hosts from job steps.

A job step on a host (`ctx.step.host` names a `Host`) calls `run` and `put`
here. Every step of one job on one host shares one SSH connection (kept by
the job run, closed when it ends). Output reaches the job log line by line,
batched a little so a chatty command does not write a row per line; cancel
and the step's timeout stop the command on the host. SSH failures become the
job engine's: a lost connection is transient (retried when the step allows),
a refused host key or credential is not.
"""

import threading
import time

from django.utils import timezone
from django.utils.translation import gettext_noop

from hosts import ssh
from hosts.models import Host
from jobs.choices import EventStream
from jobs.registry import JobCanceled, StepFailed, StepTimedOut, StepTransientError
from portal.crypto import reveal
from portal.stored_text import Message, join

# apt and dpkg say so when another process holds their lock: worth another try.
_LOCK_HELD = ("Could not get lock", "dpkg frontend lock", "Unable to acquire the dpkg", "is locked by another")
# Output is written to the job log at least this often while a command runs.
FLUSH_SECONDS = 0.5
FLUSH_LINES = 200


def target_for(host: Host) -> ssh.Target:
    """How to reach a host: its pinned key, its credential, its privilege."""
    credential = host.credential
    password = reveal(credential.password)
    private_key = reveal(credential.private_key)
    return ssh.Target(
        address=host.address,
        port=host.port,
        username=host.username,
        host_key=host.host_key,
        private_key=private_key,
        passphrase=reveal(credential.passphrase),
        password="" if private_key else password,
        # A key credential may carry a password too: the one sudo asks for.
        sudo_password=password,
        sudo_mode=host.sudo_mode,
    )


def host_of(ctx) -> Host:
    name = ctx.step.host if ctx.step is not None else ""
    host = Host.objects.select_related("credential").filter(name=name).first()
    if host is None:
        raise StepFailed(Message(gettext_noop("No host named %(name)s is registered."), name=name or "-"))
    return host


def _connection(ctx) -> "_Connection":
    def connect():
        host = host_of(ctx)
        target = target_for(host)
        for secret in target.secrets:
            ctx.hide(secret)
        return _Connection(host, ssh.Session(target))

    return ctx.shared(("ssh", ctx.step.host), connect)


def session(ctx) -> ssh.Session:
    """The job's one connection to the step's host (opened on first use)."""
    return _connection(ctx).session


class _Connection:
    """A session and its host, closed with the job run."""

    def __init__(self, host: Host, session: ssh.Session):
        self.host, self.session = host, session
        self.seen = False

    def close(self) -> None:
        self.session.close()


class _LineLog:
    """Collects a command's lines and writes them to the job log in batches."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.lines: list[tuple[str, str]] = []
        self.flushed = time.monotonic()
        self.lock = threading.Lock()

    def __call__(self, stream: str, line: str) -> None:
        with self.lock:
            self.lines.append((stream, line))
            due = len(self.lines) >= FLUSH_LINES or time.monotonic() - self.flushed >= FLUSH_SECONDS
        if due:
            self.flush()

    def tick(self) -> None:
        """The command is quiet: write out what waited long enough."""
        if self.lines and time.monotonic() - self.flushed >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        with self.lock:
            lines, self.lines = self.lines, []
            self.flushed = time.monotonic()
        # Consecutive lines of one stream become one event.
        chunk, stream = [], None
        for line_stream, line in lines:
            if stream is not None and line_stream != stream:
                self.ctx.log("\n".join(chunk), stream)
                chunk = []
            chunk.append(line)
            stream = line_stream
        if chunk:
            self.ctx.log("\n".join(chunk), stream)


def _timeout(ctx, timeout: float | None) -> float:
    limits = [t for t in (timeout, ctx.remaining()) if t is not None]
    return max(1.0, min(limits)) if limits else ssh.COMMAND_TIMEOUT


def run(
    ctx,
    command: str,
    *,
    sudo: bool = False,
    check: bool = True,
    env: dict | None = None,
    secrets=(),
    stdin: str | bytes | None = None,
    timeout: float | None = None,
    quiet: bool = False,
) -> ssh.Result:
    """Run a shell command line on the step's host. Its output is streamed to
    the job log (unless `quiet`), `ctx.exit_status` is set, and a non-zero
    exit fails the step when `check`. `env` values and `secrets` never reach
    the log or a process list."""
    for secret in (*secrets, *(env or {}).values()):
        ctx.hide(secret)
    ctx.check_canceled()
    conn = _connection(ctx)
    output = None if quiet else _LineLog(ctx)
    if not quiet:
        ctx.log(("# " if sudo else "$ ") + command, EventStream.SYSTEM)
    try:
        result = conn.session.run(
            command,
            sudo=sudo,
            env=env,
            secrets=secrets,
            stdin=stdin,
            timeout=_timeout(ctx, timeout),
            on_line=output,
            cancel=ctx.canceled,
        )
    except ssh.CommandCanceled:
        raise JobCanceled() from None
    except ssh.CommandTimeout as exc:
        left = ctx.remaining()
        if left is not None and left < 1.0:  # the step's own time ran out, not the command's
            raise StepTimedOut(
                Message(
                    gettext_noop(
                        "The step did not finish within %(seconds)s seconds; its command was stopped on the host."
                    ),
                    seconds=f"{ctx.timeout:g}",
                )
            ) from None
        raise StepFailed(exc.text) from None
    except ssh.SSHConnectError as exc:
        ctx.forget(("ssh", ctx.step.host))  # reconnect on the next try
        raise StepTransientError(exc.text) from None
    except ssh.SSHError as exc:  # host key, credential, sudo: no retry helps
        raise StepFailed(exc.text) from None
    finally:
        if output is not None:
            output.flush()
    _seen(conn)
    ctx.exit_status = result.exit_status
    if check and not result.ok:
        message = Message(gettext_noop("The command exited with status %(status)d."), status=result.exit_status)
        if any(sign in result.stderr or sign in result.stdout for sign in _LOCK_HELD):
            raise StepTransientError(
                join(Message(gettext_noop("The package manager's lock is held by another process.")), " ", message),
                exit_status=result.exit_status,
            )
        raise StepFailed(message, exit_status=result.exit_status)
    return result


def put(ctx, data: str | bytes, path: str, *, mode: int = 0o644, owner=None, group=None, sudo: bool = False) -> None:
    """Write a file on the step's host with its mode and owner."""
    ctx.check_canceled()
    conn = _connection(ctx)
    ctx.log(Message(gettext_noop("Writing %(path)s"), path=path), EventStream.SYSTEM)
    try:
        conn.session.put(data, path, mode=mode, owner=owner, group=group, sudo=sudo, timeout=_timeout(ctx, 120.0))
    except ssh.SSHConnectError as exc:
        ctx.forget(("ssh", ctx.step.host))
        raise StepTransientError(exc.text) from None
    except ssh.SSHError as exc:
        raise StepFailed(exc.text) from None
    _seen(conn)


def _seen(conn: _Connection) -> None:
    """Record once per job and host that the host answered."""
    if not conn.seen:
        conn.seen = True
        Host.objects.filter(pk=conn.host.pk).update(last_seen=timezone.now())
