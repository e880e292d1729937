"""Logging in to the test hosts as the portal will: the real OpenSSH client
with pinned host keys, and paramiko with each registration flavour (key,
passphrase-protected key, password with sudo)."""

import subprocess

import paramiko
import pytest

from testhosts.keys import fingerprint
from tests.testhosts.clients import connect, run, ssh

pytestmark = pytest.mark.testhosts


def test_it_answers_openssh_with_its_own_name_and_address(hosts):
    assert len(hosts) == 3
    machine_ids = set()
    for host in hosts:
        name, address, etc_hostname, machine_id = ssh(
            host, "hostname; hostname -I; cat /etc/hostname /etc/machine-id"
        ).stdout.split()
        assert (name, address, etc_hostname) == (host.name, host.address, host.name)
        machine_ids.add(machine_id)
    assert len({host.address for host in hosts}) == len(machine_ids) == 3
    assert all(host.address.startswith("198.18.") for host in hosts)


def test_it_refuses_a_host_key_other_than_the_pinned_one(hosts, tmp_path):
    first, second = hosts[0], hosts[1]
    # Pin the second host's key for the first host's address: OpenSSH must refuse.
    wrong = tmp_path / "known_hosts"
    wrong.write_text(f"{first.address} {second.host_public_key}\n")
    argv = first.ssh_argv("true")
    argv[argv.index(f"UserKnownHostsFile={first.known_hosts_path}")] = f"UserKnownHostsFile={wrong}"
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert result.returncode == 255
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in result.stderr


def test_its_host_key_matches_the_fingerprint_given_for_registration(hosts):
    for host in hosts:
        transport = paramiko.Transport((host.address, host.port))
        try:
            transport.start_client(timeout=10)
            key = transport.get_remote_server_key()
        finally:
            transport.close()
        assert f"{key.get_name()} {key.get_base64()}" == host.host_public_key
        assert host.known_hosts_line == f"{host.address} {host.host_public_key}"
        assert fingerprint(host.host_public_key) == host.fingerprint


def test_it_takes_the_key(hosts):
    host = hosts[0]
    with connect(host, key_pem=host.private_key_pem) as client:
        assert run(client, "id -un; hostname") == (0, f"portal\n{host.name}\n", "")
        # portal's sudo wants the password: without it, sudo refuses.
        status, _out, err = run(client, "sudo -n true")
        assert status == 1 and "password is required" in err


def test_it_takes_the_passphrase_protected_key_only_with_its_passphrase(hosts):
    host = hosts[1]
    with pytest.raises(paramiko.PasswordRequiredException):
        connect(host, key_pem=host.passphrase_key_pem)
    with connect(host, key_pem=host.passphrase_key_pem, passphrase=host.passphrase) as client:
        assert run(client, "id -un") == (0, "portal\n", "")


def test_it_takes_the_password_and_sudo_asks_for_it(hosts):
    host = hosts[2]
    with pytest.raises(paramiko.AuthenticationException):
        connect(host, password=host.password + "-wrong")
    with connect(host, password=host.password) as client:
        assert run(client, "sudo -S -p '' id -u", stdin=host.password + "\n") == (0, "0\n", "")
        status, _out, _err = run(client, "sudo -S -p '' id -u", stdin="wrong\n")
        assert status == 1


def test_automation_has_sudo_without_a_password_and_root_logs_in_by_key(hosts):
    host = hosts[0]
    assert ssh(host, "sudo -n id -u", user=host.nopasswd_username).stdout == "0\n"
    assert ssh(host, "id -u", user="root").stdout == "0\n"
    with pytest.raises(paramiko.AuthenticationException):
        connect(host, user="root", password=host.password)
