"""Each test host is a separate machine: its own network (loopback, address,
routes, ports), its own files, its own processes; and nothing it runs reaches
beyond its bridge or changes the machine running the tests."""

import hashlib
import ipaddress
import socket
import subprocess
from pathlib import Path

import pytest

from testhosts import network
from testhosts.base import base_path
from tests.testhosts.clients import connect, reach, run, ssh

pytestmark = pytest.mark.testhosts


def _sha256(path) -> str | None:
    path = Path(path)
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def test_its_only_route_is_the_bridge(hosts):
    bridge_subnet = str(network.subnet(hosts.slot))
    for host in hosts:
        routes = ssh(
            host, "ip -4 route show table all | grep -v '^local\\|^broadcast'; ip -6 route show table main"
        ).stdout
        assert routes.split("\n")[0].split()[0] == bridge_subnet
        assert "default" not in routes
        assert [line for line in routes.splitlines() if line.strip()][1:] == [], routes
    # The runner's side of the bridge forwards nothing the hosts send.
    assert Path(f"/proc/sys/net/ipv4/conf/{hosts.bridge}/forwarding").read_text().strip() == "0"


def test_the_hosts_reach_each_other_on_the_bridge(hosts):
    for host in hosts:
        for other in hosts:
            banner = ssh(host, f"nc -w 3 {other.name} 22 </dev/null | head -1").stdout
            assert banner.startswith("SSH-2.0-OpenSSH"), (host.name, other.name, banner)


def test_its_loopback_is_its_own_not_the_runners(hosts):
    # A listener on the runner's 127.0.0.1 is out of every host's reach...
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        for host in hosts:
            assert reach(host, "127.0.0.1", port) == "ECONNREFUSED", f"{host.name} reached the runner's 127.0.0.1"
    # ...while the host's own loopback works.
    host = hosts[0]
    assert (
        ssh(
            host, "nc -l 127.0.0.1 7070 >/tmp/got & sleep 0.3; echo hi | nc -N 127.0.0.1 7070; wait; cat /tmp/got"
        ).stdout
        == "hi\n"
    )


def test_it_cannot_reach_the_runners_other_addresses(hosts):
    # The runner's own addresses off the bridge: traffic to them would stay on
    # this machine even if isolation broke, so they are safe targets.
    listing = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=True).stdout
    targets = []
    for line in listing.split("\n"):
        if not line.strip():
            continue
        address = ipaddress.ip_interface(line.split()[3]).ip
        if not address.is_loopback and address not in network.subnet(hosts.slot):
            targets.append(str(address))
    assert targets
    for host in hosts:
        for address in targets:
            assert reach(host, address, 22) == "ENETUNREACH", (host.name, address)


def test_writing_etc_hosts_and_fstab_on_a_host_leaves_the_runner_unchanged(hosts):
    watched = ["/etc/hosts", "/etc/fstab", "/etc/hostname"]
    runner_before = {path: _sha256(path) for path in watched}
    base_before = {path: _sha256(base_path() / path.lstrip("/")) for path in watched}
    host, other = hosts[2], hosts[0]
    other_before = ssh(other, "sha256sum /etc/hosts /etc/fstab").stdout
    line = f"# written on {host.name} by tests/testhosts"
    with connect(host, password=host.password) as client:
        status, _out, err = run(
            client,
            f"sudo -S -p '' sh -c 'echo \"{line}\" | tee -a /etc/hosts >>/etc/fstab && echo renamed >/etc/hostname'",
            stdin=host.password + "\n",
        )
        assert status == 0, err
        try:
            assert line in run(client, "cat /etc/hosts /etc/fstab")[1]
            assert {path: _sha256(path) for path in watched} == runner_before
            assert {path: _sha256(base_path() / path.lstrip("/")) for path in watched} == base_before
            assert ssh(other, "sha256sum /etc/hosts /etc/fstab").stdout == other_before
        finally:  # the shared host gets its files back
            original = "".join(f"{h.address}\t{h.name}\n" for h in hosts)
            host.run(f"sed -i '/by tests\\/testhosts/d' /etc/hosts /etc/fstab; echo {host.name} >/etc/hostname")
            assert original in host.read_file("/etc/hosts")


def test_a_port_open_on_one_host_is_free_on_another(hosts):
    first, second = hosts[0], hosts[1]
    serve = (
        "cd /tmp && echo {name} >whoami && (setsid python3 -m http.server 6443 >/dev/null 2>&1 &);"
        " for i in $(seq 50); do ss -Hltn 'sport = 6443' | grep -q . && break; sleep 0.1; done"
    )
    try:
        ssh(first, serve.format(name=first.name))
        assert ":6443" in ssh(first, "ss -Hltn 'sport = 6443'").stdout
        assert ssh(second, "ss -Hltn 'sport = 6443'").stdout == ""
        ssh(second, serve.format(name=second.name))  # the same port binds there too
        for host in (first, second):
            fetched = ssh(
                second,
                f"python3 -c \"import urllib.request as u; print(u.urlopen('http://{host.address}:6443/whoami', timeout=5).read().decode())\"",
            )
            assert fetched.stdout.strip() == host.name
    finally:
        for host in (first, second):
            ssh(host, "pkill -f '^python3 -m http.server 6443' || true")


def test_it_sees_only_its_own_processes(hosts):
    for host in hosts:
        processes = ssh(host, "ps -eo pid=,comm=").stdout.split("\n")
        first = processes[0].split()
        assert first == ["1", "sshd"]
        assert not any("pytest" in line or "python" in line for line in processes)


def test_root_on_a_host_cannot_reach_the_runners_kernel_or_disks(hosts):
    host = hosts[0]
    for command in (
        "echo 1 >/proc/sys/vm/drop_caches",  # kernel-wide sysctl: /proc/sys is read-only
        "mount -t devtmpfs none /mnt",  # would show the runner's disks
        "mount -t tmpfs none /mnt",
        "hostname renamed",
        "ls /dev/vda /dev/sda /dev/nvme0n1",
    ):
        result = ssh(host, f"sh -c '{command}'", user="root", check=False)
        assert result.returncode != 0, command
    assert ssh(host, "hostname").stdout.strip() == host.name
