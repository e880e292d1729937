"""The preflight checks, as pure functions over what a probe read from a host.

A check's outcome is stored as a key (which check), a status, a message code
and its parameters; the message and the remedy are rendered from the codes
below when shown, so they appear in the reader's language.
"""

import ipaddress
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _  # msgids, translated where shown (render, title, the job log)

from hosts.facts import human_bytes

PASS, WARN, FAIL = "pass", "warn", "fail"

CONTROL_PLANE_PORTS = (6443, 2379, 2380, 10250, 10257, 10259)
WORKER_PORTS = (10250,)
NODEPORT_RANGE = (30000, 32767)
MIN_CONTROL_PLANE_CPUS = 2
# kubeadm's own minimum for a control plane (1700 MiB).
MIN_CONTROL_PLANE_MEMORY = 1700 * 1024 * 1024
# Clock skew against the portal. etcd members warn about "clock drift" above
# 1 s, and certificates and leases minted on a host whose clock runs ahead are
# "not yet valid" on one behind; a host kept by NTP is within milliseconds, so
# more than 1 s means its time is not synchronised: fail. The measurement is
# exact to half an SSH round trip, hence a warning only from 0.5 s.
TIME_WARN_SECONDS = 0.5
TIME_FAIL_SECONDS = 1.0
# The oldest release of each supported distribution (major versions).
SUPPORTED_OS = {"ubuntu": ((20, 4), "Ubuntu 20.04"), "debian": ((11,), "Debian 11")}
SUPPORTED_RHEL_MAJOR = 8
RHEL_IDS = {"rhel", "centos", "rocky", "almalinux", "ol"}
# A Kubernetes node name: an RFC 1123 subdomain, lowercase.
_NODE_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")

# The order checks are shown in.
KEYS = (
    "ssh",
    "privilege",
    "os",
    "hostname",
    "hostname_unique",
    "cpus",
    "memory",
    "ports",
    "swap",
    "time",
    "cgroup",
    "pod_cidr",
    "service_cidr",
    "cluster",
)
TITLES = {
    "ssh": _("SSH"),
    "privilege": _("Root privilege"),
    "os": _("Operating system"),
    "hostname": _("Hostname"),
    "hostname_unique": _("Hostname unique"),
    "cpus": _("CPUs"),
    "memory": _("Memory"),
    "ports": _("Ports"),
    "swap": _("Swap"),
    "time": _("Clock"),
    "cgroup": _("cgroup version"),
    "pod_cidr": _("Pod CIDR"),
    "service_cidr": _("Service CIDR"),
    "cluster": _("Not in a cluster"),
}

RERUN = _("then run preflight again.")
_SUDO_REMEDY = _(
    "Let %(user)s run any command through sudo (with its password if the host's privilege says so), "
    "or log in as root and set the host's privilege so; %(rerun)s"
)
# code: (message, remedy)
MESSAGES = {
    "ssh.ok": (_("Logged in as %(user)s."), ""),
    "ssh.failed": (
        _("Could not work on the host: %(error)s"),
        _("Check its address, port, credential and pinned host key, and that it is up; %(rerun)s"),
    ),
    # One code per privilege mode (hosts.choices.SudoMode), so the whole message translates.
    "privilege.none": (_("Logged in as root."), ""),
    "privilege.sudo": (_("Commands run as root through sudo (no password)."), ""),
    "privilege.sudo_password": (_("Commands run as root through sudo with the password."), ""),
    "privilege.failed": (_("Could not run a command as root: %(error)s"), _SUDO_REMEDY),
    "privilege.not_root": (_("A command meant to run as root ran as uid %(uid)s."), _SUDO_REMEDY),
    "os.ok": (_("%(name)s is supported."), ""),
    "os.old": (
        _("%(name)s is too old: %(minimum)s or newer is needed."),
        _("Upgrade the host to %(minimum)s or newer, or pick another host."),
    ),
    "os.unsupported": (
        _("%(name)s is not supported (supported: Ubuntu 20.04+, Debian 11+, RHEL-family 8+)."),
        _("Install a supported distribution, or pick another host."),
    ),
    "hostname.ok": (_("%(hostname)s is a valid node name."), ""),
    "hostname.invalid": (
        _(
            "%(hostname)s is not a valid node name: lowercase letters, digits, '-' and '.', "
            "at most 63 characters between dots (RFC 1123)."
        ),
        _("Rename the host (hostnamectl set-hostname <name>); %(rerun)s"),
    ),
    "hostname_unique.ok": (_("No other host in the plan is called %(hostname)s."), ""),
    "hostname_unique.taken": (
        _("%(hostname)s is also the hostname of %(others)s: Kubernetes names nodes by hostname."),
        _("Give each host its own hostname (hostnamectl set-hostname <name>); %(rerun)s"),
    ),
    "cpus.ok": (_("%(cpus)s CPUs (a control plane needs at least %(minimum)s)."), ""),
    "cpus.low": (
        _("Only %(cpus)s CPU(s): a control plane needs at least %(minimum)s."),
        _("Give the host at least %(minimum)s CPUs, or make it a worker."),
    ),
    "memory.ok": (_("%(memory)s of memory (a control plane needs at least %(minimum)s)."), ""),
    "memory.low": (
        _("Only %(memory)s of memory: a control plane needs at least %(minimum)s."),
        _("Give the host at least %(minimum)s of memory, or make it a worker."),
    ),
    "ports.ok": (_("The ports Kubernetes needs are free (%(ports)s)."), ""),
    "ports.in_use": (
        _("Ports Kubernetes needs are in use: %(ports)s."),
        _("Stop what listens on them (ss -ltnp shows which process), or pick another host; %(rerun)s"),
    ),
    "swap.off": (_("Swap is off."), ""),
    "swap.on": (
        _("Swap is on (%(total)s)."),
        _("Nothing to do: the bootstrap turns swap off, as the kubelet expects, and keeps it off."),
    ),
    "time.ok": (_("The clock is %(offset)s s off the portal's."), ""),
    "time.skewed": (
        _("The clock is %(offset)s s off the portal's."),
        _("Check that the host synchronises its time (NTP, e.g. chrony or systemd-timesyncd)."),
    ),
    "time.far": (
        _("The clock is %(offset)s s off the portal's (more than %(limit)s s)."),
        _("Synchronise the host's time (NTP, e.g. chrony or systemd-timesyncd); %(rerun)s"),
    ),
    "time.unknown": (_("The host's clock could not be read."), _("Check that `date` works on the host.")),
    "cgroup.v2": (_("cgroup v2."), ""),
    "cgroup.v1": (
        _("cgroup v1: Kubernetes keeps it in maintenance mode, and recent kubelets refuse it by default."),
        _("Prefer a distribution release that boots with cgroup v2."),
    ),
    "cgroup.unknown": (
        _("The cgroup version could not be read (/sys/fs/cgroup is not mounted)."),
        _("Check that /sys/fs/cgroup is mounted."),
    ),
    "cidr.ok": (_("%(cidr)s overlaps none of this host's networks: %(networks)s."), ""),
    "cidr.overlap": (
        _("%(cidr)s overlaps this host's network %(networks)s."),
        _("Pick a range that overlaps no network of the hosts (e.g. %(example)s); %(rerun)s"),
    ),
    "cluster.free": (_("Not part of a cluster."), ""),
    "cluster.portal": (
        _("The portal has this host in cluster %(cluster)s."),
        _("Remove it from that cluster first, or pick another host."),
    ),
    "cluster.files": (
        _("Kubernetes files are already on the host: %(files)s."),
        _("If it is left over, reset the host (kubeadm reset) first, or pick another host."),
    ),
    "cluster.kubelet": (
        _("A kubelet is already running (process %(pids)s)."),
        _("If it is left over, reset the host (kubeadm reset) first, or pick another host."),
    ),
}


@dataclass
class Outcome:
    key: str
    status: str
    code: str
    params: dict = field(default_factory=dict)


def title(key: str) -> str:
    """A check's title in the active language."""
    return gettext(TITLES[key]) if key in TITLES else key


def render(code: str, params: dict) -> tuple[str, str]:
    """(message, remedy) of an outcome, in the active language."""
    message, remedy = MESSAGES.get(code, (code, ""))
    values = {"rerun": gettext(RERUN), **params}
    try:
        return gettext(message) % values, (gettext(remedy) % values if remedy else "")
    except (KeyError, TypeError, ValueError):
        return f"{code} {params}", ""


# --- one host ------------------------------------------------------------------


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:2])


def check_os(os_facts: dict) -> Outcome:
    os_id, version = os_facts.get("id", ""), _version(os_facts.get("version_id", ""))
    name = os_facts.get("pretty_name") or f"{os_id} {os_facts.get('version_id', '')}".strip() or "?"
    if os_id in SUPPORTED_OS:
        minimum, label = SUPPORTED_OS[os_id]
        if version and version >= minimum:
            return Outcome("os", PASS, "os.ok", {"name": name})
        return Outcome("os", FAIL, "os.old", {"name": name, "minimum": label})
    if os_id in RHEL_IDS or (os_id != "fedora" and "rhel" in os_facts.get("id_like", "").split()):
        if version and version[0] >= SUPPORTED_RHEL_MAJOR:
            return Outcome("os", PASS, "os.ok", {"name": name})
        return Outcome("os", FAIL, "os.old", {"name": name, "minimum": f"RHEL-family {SUPPORTED_RHEL_MAJOR}"})
    return Outcome("os", FAIL, "os.unsupported", {"name": name})


def check_hostname(hostname: str) -> Outcome:
    if _NODE_NAME.match(hostname or ""):
        return Outcome("hostname", PASS, "hostname.ok", {"hostname": hostname})
    return Outcome("hostname", FAIL, "hostname.invalid", {"hostname": hostname or "?"})


def check_resources(facts: dict) -> list[Outcome]:
    """CPUs and memory, for a control-plane host."""
    cpus, memory = facts.get("cpus") or 0, facts.get("memory_bytes") or 0
    minimum_memory = human_bytes(MIN_CONTROL_PLANE_MEMORY)
    return [
        Outcome(
            "cpus",
            PASS if cpus >= MIN_CONTROL_PLANE_CPUS else FAIL,
            "cpus.ok" if cpus >= MIN_CONTROL_PLANE_CPUS else "cpus.low",
            {"cpus": cpus, "minimum": MIN_CONTROL_PLANE_CPUS},
        ),
        Outcome(
            "memory",
            PASS if memory >= MIN_CONTROL_PLANE_MEMORY else FAIL,
            "memory.ok" if memory >= MIN_CONTROL_PLANE_MEMORY else "memory.low",
            {"memory": human_bytes(memory), "minimum": minimum_memory},
        ),
    ]


def listening_ports(proc_net_tcp: list[str]) -> set[int]:
    """Ports with a listening TCP socket, from /proc/net/tcp and tcp6 lines."""
    ports = set()
    for line in proc_net_tcp:
        fields = line.split()
        # "0: 00000000:1A0B 00000000:0000 0A ...": state 0A is LISTEN.
        if len(fields) > 3 and fields[3] == "0A" and ":" in fields[1]:
            try:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
            except ValueError:
                continue
    return ports


def check_ports(listening: set[int], *, control_plane: bool) -> Outcome:
    needed = CONTROL_PLANE_PORTS if control_plane else WORKER_PORTS
    busy = sorted(port for port in listening if port in needed)
    low, high = NODEPORT_RANGE
    if not control_plane:
        busy += sorted(port for port in listening if low <= port <= high)
    wanted = ", ".join(str(p) for p in needed) + ("" if control_plane else f", {low}-{high}")
    if busy:
        return Outcome("ports", FAIL, "ports.in_use", {"ports": ", ".join(str(p) for p in busy)})
    return Outcome("ports", PASS, "ports.ok", {"ports": wanted})


def check_swap(facts: dict) -> Outcome:
    total = facts.get("swap_total_bytes") or 0
    if total > 0:
        return Outcome("swap", WARN, "swap.on", {"total": human_bytes(total)})
    return Outcome("swap", PASS, "swap.off")


def check_time(offset: float | None) -> Outcome:
    if offset is None:
        return Outcome("time", WARN, "time.unknown")
    params = {"offset": f"{offset:+.3f}", "limit": f"{TIME_FAIL_SECONDS:g}"}
    if abs(offset) > TIME_FAIL_SECONDS:
        return Outcome("time", FAIL, "time.far", params)
    if abs(offset) > TIME_WARN_SECONDS:
        return Outcome("time", WARN, "time.skewed", params)
    return Outcome("time", PASS, "time.ok", params)


def check_cgroup(version) -> Outcome:
    if version == 2:
        return Outcome("cgroup", PASS, "cgroup.v2")
    if version == 1:
        return Outcome("cgroup", WARN, "cgroup.v1")
    return Outcome("cgroup", WARN, "cgroup.unknown")


def check_cluster(*, portal_cluster: str, files: list[str], kubelet_pids: list[str]) -> Outcome:
    if portal_cluster:
        return Outcome("cluster", FAIL, "cluster.portal", {"cluster": portal_cluster})
    if files:
        return Outcome("cluster", FAIL, "cluster.files", {"files": ", ".join(files[:5])})
    if kubelet_pids:
        return Outcome("cluster", FAIL, "cluster.kubelet", {"pids": ", ".join(kubelet_pids[:5])})
    return Outcome("cluster", PASS, "cluster.free")


# --- across the plan's hosts ---------------------------------------------------


def check_hostnames_unique(hostnames: dict[str, str]) -> dict[str, Outcome]:
    """{host name in the portal: outcome}, from {host name: its hostname}."""
    outcomes = {}
    for name, hostname in hostnames.items():
        others = sorted(n for n, h in hostnames.items() if n != name and h.lower() == hostname.lower())
        if others:
            outcomes[name] = Outcome(
                "hostname_unique", FAIL, "hostname_unique.taken", {"hostname": hostname, "others": ", ".join(others)}
            )
        else:
            outcomes[name] = Outcome("hostname_unique", PASS, "hostname_unique.ok", {"hostname": hostname})
    return outcomes


def check_cidr(key: str, cidr: str, addresses: list[dict], example: str) -> Outcome:
    """Whether the pod or service range overlaps a network of the host."""
    planned = ipaddress.ip_network(cidr)
    networks, overlapping = [], []
    for address in addresses:
        try:
            network = ipaddress.ip_network(address.get("network", ""), strict=False)
        except ValueError:
            continue
        text = f"{network} ({address.get('interface', '?')})"
        networks.append(text)
        if network.version == planned.version and network.overlaps(planned):
            overlapping.append(text)
    if overlapping:
        return Outcome(
            key, FAIL, "cidr.overlap", {"cidr": str(planned), "networks": ", ".join(overlapping), "example": example}
        )
    return Outcome(key, PASS, "cidr.ok", {"cidr": str(planned), "networks": ", ".join(networks) or "-"})
