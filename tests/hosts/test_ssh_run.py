"""Running commands on real test hosts: the three ways in, sudo, streaming,
timeouts, one connection for many commands, uploads, and secrets that never
show in a process list, a streamed line or a log."""

import hashlib
import logging
import threading
import time

import pytest

from hosts import ssh
from tests.hosts.conftest import key_target, nopasswd_target, passphrase_target, password_target

pytestmark = pytest.mark.testhosts


@pytest.mark.parametrize("target", [key_target, passphrase_target, password_target])
def test_it_logs_in_each_way_and_becomes_root_through_sudo_with_the_password(hosts, target):
    host = hosts[0]
    with ssh.Session(target(host)) as session:
        assert session.run("id -un; hostname").stdout == f"portal\n{host.name}\n"
        result = session.run("id -u; cat", sudo=True)  # `cat`: the command's stdin holds nothing left over
        assert (result.exit_status, result.stdout, result.stderr) == (0, "0\n", "")


def test_it_becomes_root_through_sudo_without_a_password(hosts):
    assert ssh.run(nopasswd_target(hosts[1]), "id -u", sudo=True).stdout == "0\n"


def test_it_says_which_credential_was_refused(hosts):
    with pytest.raises(ssh.SSHAuthError, match=f"{hosts[0].address} refused the credential of user portal"):
        ssh.run(password_target(hosts[0], password="not-the-password"), "true")


def test_it_returns_the_exit_status(hosts):
    with ssh.Session(key_target(hosts[0])) as session:
        assert session.run("exit 3").exit_status == 3
        assert not session.run("false").ok
        assert session.run("true").ok


def test_one_session_is_one_connection_for_many_commands(hosts):
    with ssh.Session(key_target(hosts[0])) as session:
        seen = {session.run('echo "$SSH_CONNECTION"').stdout for _ in range(5)}
    assert len(seen) == 1  # the same client port every time
    with ssh.Session(key_target(hosts[0])) as other:
        assert other.run('echo "$SSH_CONNECTION"').stdout not in seen  # a new session: another connection


def test_it_streams_stdout_and_stderr_line_by_line_in_order_as_they_come(hosts):
    lines, started = [], time.monotonic()
    script = "for i in 1 2 3; do echo out$i; echo err$i >&2; done; sleep 2; printf 'last-no-newline'"
    result = ssh.run(key_target(hosts[0]), script, on_line=lambda s, x: lines.append((s, x, time.monotonic())))
    assert [(s, x) for s, x, _ in lines if s == "stdout"] == [("stdout", f"out{i}") for i in (1, 2, 3)] + [
        ("stdout", "last-no-newline")
    ]
    assert [x for s, x, _ in lines if s == "stderr"] == ["err1", "err2", "err3"]
    assert result.stdout == "out1\nout2\nout3\nlast-no-newline\n" and result.stderr == "err1\nerr2\nerr3\n"
    # The first lines came while the command was still sleeping, not at its end.
    assert lines[0][2] - started < lines[-1][2] - started - 1.5


@pytest.mark.parametrize("sudo", [False, True])
def test_a_command_past_its_timeout_is_killed_on_the_host(hosts, sudo):
    host = hosts[2]
    started = time.monotonic()
    with pytest.raises(ssh.CommandTimeout, match="within 1.5 seconds"):
        ssh.run(password_target(host), "sleep 301 & sleep 302; echo never", timeout=1.5, sudo=sudo)
    assert time.monotonic() - started < 10
    time.sleep(0.5)
    assert "sleep 30" not in host.run("ps -eo args")  # the whole process group went, not only the shell


def _watch_process_list(host, until: threading.Event) -> str:
    seen = []
    while not until.is_set():
        seen.append(host.run("ps -eo user,args; cat /proc/[0-9]*/cmdline | tr '\\0' ' '", check=False))
        time.sleep(0.1)
    return "\n".join(seen)


def _run_while_watching(host, target, command, **options):
    done, box = threading.Event(), {}

    def work():
        try:
            box["result"] = ssh.run(target, command, **options)
        finally:
            done.set()

    worker = threading.Thread(target=work)
    worker.start()
    listing = _watch_process_list(host, done)
    worker.join()
    return box["result"], listing


def test_the_sudo_password_is_never_in_the_process_list_or_the_output(hosts, caplog):
    host = hosts[1]
    caplog.set_level(logging.DEBUG)
    lines = []
    result, listing = _run_while_watching(
        host,
        password_target(host),
        "id -un; sleep 2; cat; env",
        sudo=True,
        on_line=lambda s, x: lines.append(x),
    )
    assert result.stdout.startswith("root\n")
    assert "sleep 2" in listing and "root" in listing  # the listing was taken while the command ran
    assert host.password not in listing
    everything = result.stdout + result.stderr + "\n".join(lines) + caplog.text
    assert host.password not in everything
    assert ssh.MASK not in everything  # nothing even had to be masked: it never reached the command


def test_secrets_given_to_a_command_reach_it_but_no_line_log_or_process_list(hosts, caplog):
    host = hosts[0]
    token, extra = "tok-7f3a91c2e4", "extra-secret-55d0"
    digest = hashlib.sha256(token.encode()).hexdigest()
    host.write_file("/run/portal-extra", f"{extra}\n")
    caplog.set_level(logging.DEBUG)
    lines = []
    result, listing = _run_while_watching(
        host,
        password_target(host),
        # The command line names neither value: the token's digest proves it arrived.
        f'test "$(printf %s "$TOKEN" | sha256sum)" = "{digest}  -" && echo token-ok; sleep 2; '
        'echo "got $TOKEN" >&2; cat /run/portal-extra',
        env={"TOKEN": token},
        secrets=[extra],
        sudo=True,
        on_line=lambda s, x: lines.append((s, x)),
    )
    assert "token-ok" in result.stdout  # the value reached the command
    assert sorted(lines) == [("stderr", f"got {ssh.MASK}"), ("stdout", ssh.MASK), ("stdout", "token-ok")]
    assert result.stderr == f"got {ssh.MASK}\n"
    assert "sleep 2" in listing
    for secret in (token, host.password):
        assert secret not in listing
        assert secret not in result.stdout + result.stderr + caplog.text
    assert extra not in listing + result.stdout + caplog.text
    host.run("rm -f /run/portal-extra")


def test_a_secret_on_the_command_line_is_masked_in_the_log(hosts, caplog):
    caplog.set_level(logging.INFO, logger="hosts.ssh")
    result = ssh.run(key_target(hosts[0]), "echo pre-sekrit-9d1-post", secrets=["sekrit-9d1"])
    assert result.stdout == f"pre-{ssh.MASK}-post\n"
    assert f"echo pre-{ssh.MASK}-post" in caplog.text and "sekrit-9d1" not in caplog.text


def test_environment_values_must_be_single_lines(hosts):
    with pytest.raises(ssh.SSHError, match="no newlines"):
        ssh.run(key_target(hosts[0]), "true", env={"A": "two\nlines"})
    with pytest.raises(ssh.SSHError, match="identifiers"):
        ssh.run(key_target(hosts[0]), "true", env={"A;rm": "x"})


def test_redactor_masks_every_line_of_a_multiline_secret():
    redact = ssh.Redactor(["-----BEGIN-----\nAAAA1234\n-----END-----", "", "pw"])
    assert redact("key: AAAA1234 and pw") == f"key: {ssh.MASK} and {ssh.MASK}"


@pytest.mark.parametrize(
    ("target", "owner", "group"),
    [(password_target, "root", "automation"), (nopasswd_target, "automation", "automation")],
)
def test_it_uploads_a_file_with_mode_and_owner(hosts, target, owner, group):
    host = hosts[2]
    path = "/etc/portal-upload-test.conf"
    host.run(f"rm -f {path}")
    try:
        with ssh.Session(target(host)) as session:
            session.put("line one\nline two\n", path, mode=0o640, owner=owner, group=group, sudo=True)
        assert host.run(f"stat -c '%a %U %G' {path}") == f"640 {owner} {group}\n"
        assert host.read_file(path) == "line one\nline two\n"
        assert host.run("ls -a /tmp").count(".portal-upload-") == 0  # the temporary copy is gone
    finally:
        host.run(f"rm -f {path}")


def test_a_failed_upload_says_why(hosts):
    with ssh.Session(key_target(hosts[2])) as session, pytest.raises(ssh.SSHError, match="Could not install"):
        session.put("x", "/etc/not-without-root", mode=0o600)  # no sudo: portal cannot write /etc
    assert hosts[2].run("ls -a /tmp").count(".portal-upload-") == 0
