"""The test hosts' network: one bridge per run, one veth per host.

Run number `slot` owns the bridge ``portal-th<slot>`` with 198.18.<slot>.1/24
(the runner's side: how the portal reaches its hosts) and its hosts get
198.18.<slot>.11, .12, ... Only 198.18.0.0/15 is used, the range reserved for
benchmark networks, so no real network is ever shadowed. A host's only routes
are its loopback and the bridge's /24: it has no default route, and the bridge
does not forward (its IPv4 forwarding is off, whatever the machine's global
setting), so nothing a host runs can reach an address beyond the bridge, let
alone outside the machine. No NAT, no IPv6 on the bridge.
"""

from __future__ import annotations

import ipaddress
import subprocess
from pathlib import Path

from .errors import TestHostsError

MAX_SLOTS = 64  # 198.18.0.0/24 .. 198.18.63.0/24
FIRST_HOST = 11


def bridge_name(slot: int) -> str:
    return f"portal-th{slot}"


def subnet(slot: int) -> ipaddress.IPv4Network:
    network = ipaddress.ip_network(f"198.18.{slot}.0/24")
    assert network.subnet_of(ipaddress.ip_network("198.18.0.0/15"))
    return network


def gateway_address(slot: int) -> str:
    """The runner's address on the bridge (not a gateway: it routes nothing)."""
    return str(subnet(slot).network_address + 1)


def host_address(slot: int, index: int) -> str:
    """Address of host number `index` (1-based) of run `slot`."""
    if not 1 <= index <= 200:
        raise TestHostsError(f"a run has at most 200 test hosts, not {index}")
    return str(subnet(slot).network_address + FIRST_HOST - 1 + index)


def _ip(*args: str, netns_pid: int | None = None, check: bool = True) -> subprocess.CompletedProcess:
    prefix = ["nsenter", f"--target={netns_pid}", "--net", "--"] if netns_pid else []
    result = subprocess.run([*prefix, "ip", *args], capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        raise TestHostsError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result


def _sysctl_file(path: str, value: str) -> None:
    Path(path).write_text(value)


def link_exists(name: str) -> bool:
    return _ip("link", "show", "dev", name, check=False).returncode == 0


def subnet_taken_by_others(slot: int) -> bool:
    """Another interface of this machine (not our bridge) has an address or route in the slot's subnet."""
    ours = bridge_name(slot)
    for line in _ip("-4", "-o", "route", "show", "table", "all").stdout.splitlines():
        words = line.split()
        dev = words[words.index("dev") + 1] if "dev" in words else ""
        target = words[0] if words[0] not in {"local", "broadcast", "unicast"} else words[1]
        if dev == ours or target == "default":
            continue
        try:
            if ipaddress.ip_network(target, strict=False).overlaps(subnet(slot)):
                return True
        except ValueError:
            continue
    return False


def create_bridge(slot: int) -> None:
    name = bridge_name(slot)
    _ip("link", "add", name, "type", "bridge")
    _sysctl_file(f"/proc/sys/net/ipv6/conf/{name}/disable_ipv6", "1")
    _sysctl_file(f"/proc/sys/net/ipv4/conf/{name}/forwarding", "0")
    _ip("addr", "add", f"{gateway_address(slot)}/24", "dev", name)
    _ip("link", "set", name, "up")
    if Path(f"/proc/sys/net/ipv4/conf/{name}/forwarding").read_text().strip() != "0":
        raise TestHostsError(f"cannot turn IPv4 forwarding off on {name}")


def delete_bridge(slot: int) -> None:
    name = bridge_name(slot)
    if link_exists(name):
        _ip("link", "del", name)
    # Runner-side veth ends normally vanish with their host's network namespace;
    # after a crash mid-start one may be left.
    for line in _ip("-o", "link", "show").stdout.splitlines():
        veth = line.split(":")[1].strip().split("@")[0]
        if veth.startswith(f"pth{slot}-"):
            _ip("link", "del", veth, check=False)


def attach_host(slot: int, index: int, pid: int) -> None:
    """Plug the host whose namespaces PID 1 is `pid` into the bridge as eth0."""
    outside = f"pth{slot}-{index}"
    _ip("link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", str(pid))
    _sysctl_file(f"/proc/sys/net/ipv6/conf/{outside}/disable_ipv6", "1")
    _ip("link", "set", outside, "master", bridge_name(slot), "up")
    _ip("link", "set", "lo", "up", netns_pid=pid)
    # /proc/sys/net is per network namespace: nsenter --net makes the write
    # land in the host's own, leaving ::1 on its loopback but no IPv6 on eth0.
    subprocess.run(
        ["nsenter", f"--target={pid}", "--net", "--", "sh", "-c", "echo 1 >/proc/sys/net/ipv6/conf/eth0/disable_ipv6"],
        check=True,
        timeout=30,
    )
    _ip("addr", "add", f"{host_address(slot, index)}/24", "dev", "eth0", netns_pid=pid)
    _ip("link", "set", "eth0", "up", netns_pid=pid)
