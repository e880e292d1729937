"""What needs a real kernel or init system is played by stand-ins that record
their calls on their own host; a stand-in /proc/meminfo is seen on one host only."""

from pathlib import Path

import pytest

from testhosts import standins
from tests.testhosts.clients import connect, run, ssh

pytestmark = pytest.mark.testhosts


def test_the_standins_come_first_on_every_path(hosts):
    host = hosts[0]
    for user in (host.username, host.nopasswd_username, "root"):
        prefix = "sudo -n " if user == host.nopasswd_username else ""
        found = ssh(host, f"{prefix}sh -lc 'for c in {' '.join(standins.NAMES)}; do command -v $c; done'", user=user)
        assert found.stdout.split() == [f"{standins.BIN}/{name}" for name in standins.NAMES], user
    for name in standins.NAMES:
        assert "STAND-IN" in host.read_file(f"{standins.BIN}/{name}")


def test_the_standins_record_each_call_on_their_host(testhosts):
    runner_had_it = Path("/sys/module/br_netfilter").exists()
    first, second = testhosts(2)
    commands = [
        "modprobe br_netfilter",
        "sysctl -w net.ipv4.ip_forward=1",
        "swapoff -a",
        "systemctl enable --now kubelet",
        "ufw status",
        "firewall-cmd --state",
    ]
    with connect(first, password=first.password) as client:
        for command in commands:
            run(client, f"sudo -S -p '' {command}", stdin=first.password + "\n")
        # They answer as the real commands would, from what they were told.
        assert run(client, "systemctl is-active kubelet")[:2] == (0, "active\n")
        assert run(client, "systemctl is-active containerd")[:2] == (3, "inactive\n")
        assert run(client, "sysctl net.ipv4.ip_forward")[1] == "net.ipv4.ip_forward = 1\n"
        assert run(client, "test -d /sys/module/br_netfilter && echo loaded")[1] == "loaded\n"
    assert first.standin_calls() == [
        ("modprobe", "br_netfilter"),
        ("sysctl", "-w", "net.ipv4.ip_forward=1"),
        ("swapoff", "-a"),
        ("systemctl", "enable", "--now", "kubelet"),
        ("ufw", "status"),
        ("firewall-cmd", "--state"),
        ("systemctl", "is-active", "kubelet"),
        ("systemctl", "is-active", "containerd"),
        ("sysctl", "net.ipv4.ip_forward"),
    ]
    assert second.standin_calls() == []
    # The module is "loaded" on the host that asked, not on the other one.
    assert ssh(second, "test -d /sys/module/br_netfilter || echo absent").stdout == "absent\n"
    assert Path("/sys/module/br_netfilter").exists() == runner_had_it  # nothing loaded on the runner
    # The kernel-wide setting itself was not touched, on the host or the runner.
    assert ssh(first, "cat /proc/sys/net/ipv4/ip_forward").stdout == "0\n"
    assert Path("/proc/sys/net/ipv4/ip_forward").read_text() == "0\n"


def test_a_standin_meminfo_is_seen_on_its_host_only(testhosts):
    first, second = testhosts(2)
    runner_total = Path("/proc/meminfo").read_text().split("\n")[0]
    second.set_meminfo(1024**3)
    try:
        assert ssh(second, "head -1 /proc/meminfo").stdout.split() == ["MemTotal:", "1048576", "kB"]
        assert ssh(second, "free -k | awk '/^Mem:/ {print $2}'").stdout == "1048576\n"
        assert ssh(first, "head -1 /proc/meminfo").stdout.strip() == runner_total
        assert Path("/proc/meminfo").read_text().split("\n")[0] == runner_total
        # Root on the host cannot take the stand-in away (no CAP_SYS_ADMIN to unmount it).
        assert ssh(second, "umount /proc/meminfo", user="root", check=False).returncode != 0
    finally:
        second.restore_meminfo()
    assert ssh(second, "head -1 /proc/meminfo").stdout.strip() == runner_total


def test_sysctl_applies_the_files_and_answers_values_only_with_n(testhosts):
    (host,) = testhosts(1)
    host.write_file("/etc/sysctl.d/99-test.conf", "# comment\nnet.ipv4.ip_forward = 1\nvm.swappiness=10 ; trailing\n")
    applied = ssh(host, "sysctl --system", user="root").stdout
    assert "net.ipv4.ip_forward = 1" in applied and "vm.swappiness = 10" in applied
    assert ssh(host, "sysctl -n net.ipv4.ip_forward vm.swappiness").stdout == "1\n10\n"
    # Keys never written read through to the host's (read-only) /proc/sys.
    assert ssh(host, "sysctl -n kernel.ostype").stdout == "Linux\n"
    assert Path("/proc/sys/net/ipv4/ip_forward").read_text() == "0\n"
