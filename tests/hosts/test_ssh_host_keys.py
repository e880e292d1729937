"""Host keys: fetched for registration, parsed from known_hosts lines, and
pinned: an unknown or changed key stops the work before any command runs."""

import pytest
from paramiko.hostkeys import HostKeys

from hosts import ssh
from tests.hosts.conftest import key_target, password_target

pytestmark = pytest.mark.testhosts


def test_it_fetches_the_host_key_with_the_fingerprint_openssh_prints(hosts):
    for host in hosts:
        key = ssh.fetch_host_key(host.address, host.port)
        assert key.line == host.host_public_key
        assert key.fingerprint == host.fingerprint
        assert key.fingerprint.startswith("SHA256:") and not key.fingerprint.endswith("=")
        assert key.known_hosts_line(host.address) == host.known_hosts_line


def test_it_says_clearly_when_there_is_no_ssh_server(hosts):
    with pytest.raises(ssh.SSHConnectError, match=f"Could not reach {hosts[0].address}:2222"):
        ssh.fetch_host_key(hosts[0].address, 2222, timeout=3)


def test_it_reads_a_known_hosts_line_for_that_host_only(hosts):
    host, other = hosts[0], hosts[1]
    assert ssh.parse_known_hosts_line(host.known_hosts_line, address=host.address).line == host.host_public_key
    assert ssh.parse_known_hosts_line(f"{host.address},web-1 {host.host_public_key} root@web-1").fingerprint == (
        host.fingerprint
    )
    hashed = f"{HostKeys.hash_host(host.address)} {host.host_public_key}"
    assert ssh.parse_known_hosts_line(hashed, address=host.address).line == host.host_public_key
    with pytest.raises(ssh.HostKeyError, match="not for"):
        ssh.parse_known_hosts_line(host.known_hosts_line, address=other.address)
    with pytest.raises(ssh.HostKeyError, match="not for"):
        ssh.parse_known_hosts_line(hashed, address=other.address)
    with pytest.raises(ssh.HostKeyError, match="not for"):  # port 22 is not port 2222
        ssh.parse_known_hosts_line(host.known_hosts_line, address=host.address, port=2222)
    on_2222 = f"[{host.address}]:2222 {host.host_public_key}"
    assert ssh.parse_known_hosts_line(on_2222, address=host.address, port=2222).line == host.host_public_key


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "one line"),
        ("# a comment", "one line"),
        ("@cert-authority *.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake", "Certificate authority"),
        ("10.0.0.5 ssh-ed25519", "<host> <type> <base64 key>"),
        ("10.0.0.5 ssh-dss AAAAB3NzaC1kc3MAAACBAP", "Unsupported host key type"),
        ("10.0.0.5 ssh-ed25519 not-base64!", "not valid"),
        ("10.0.0.5 ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQ==", "not valid"),  # an RSA blob called ed25519
    ],
)
def test_it_refuses_what_cannot_pin_a_host(line, message):
    with pytest.raises(ssh.HostKeyError, match=message):
        ssh.parse_known_hosts_line(line)


def _no_file(host, path):
    return host.run(f"test -e {path} && echo exists || echo absent").strip() == "absent"


@pytest.mark.parametrize("target", [key_target, password_target])
def test_a_changed_host_key_is_refused_before_any_command_runs(hosts, target):
    host, other = hosts[0], hosts[1]
    marker = f"/tmp/changed-key-{target.__name__}"
    host.run(f"rm -f {marker}")
    # The first host's address now answers with a key other than the pinned one.
    impostor = target(host, host_key=other.host_public_key)
    with pytest.raises(ssh.HostKeyMismatch) as caught:
        ssh.run(impostor, f"touch {marker}")
    assert other.fingerprint in caught.value.message and host.fingerprint in caught.value.message
    assert "Nothing was run" in caught.value.message
    assert _no_file(host, marker)
    # The same command with the right key does run: the marker proves it.
    ssh.run(target(host), f"touch {marker}")
    assert not _no_file(host, marker)
    host.run(f"rm -f {marker}")


def test_an_unpinned_host_is_refused_and_never_auto_accepted(hosts):
    host = hosts[0]
    marker = "/tmp/unpinned"
    with pytest.raises(ssh.UnknownHostKey, match="confirm its fingerprint"):
        ssh.run(key_target(host, host_key=""), f"touch {marker}")
    assert _no_file(host, marker)


def test_a_key_of_another_type_pinned_for_the_host_is_a_mismatch(hosts):
    ecdsa = "ecdsa-sha2-nistp256 " + (
        "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg="
    )
    with pytest.raises(ssh.HostKeyMismatch):
        ssh.run(key_target(hosts[0], host_key=ecdsa), "true")
