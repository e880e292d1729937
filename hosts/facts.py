"""Facts about a host, read over SSH by one read-only shell script.

The script is POSIX sh, needs no root and tolerates missing tools: each part
prints under a `@@section` marker, and a section a host cannot answer is
simply empty. `parse` turns the output into the dict stored in `Host.facts`;
the time offset is measured by a separate, short command so the round trip
around it is small.
"""

import ipaddress
import json
import re
import time

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MARK = "@@"

_SCRIPT_BODY = r"""
LC_ALL=C; export LC_ALL
PATH="$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"; export PATH
section() { printf '\n@@%s\n' "$1"; }
have() { command -v "$1" >/dev/null 2>&1; }
section os_release; cat /etc/os-release 2>/dev/null
section arch; uname -m
section kernel; uname -r
section hostname; hostname 2>/dev/null || cat /proc/sys/kernel/hostname
section cpus; nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || grep -c '^processor' /proc/cpuinfo
section meminfo; grep -E '^(MemTotal|MemAvailable|SwapTotal|SwapFree):' /proc/meminfo 2>/dev/null
section lsblk; have lsblk && lsblk -J -b -o NAME,TYPE,SIZE,MOUNTPOINT 2>/dev/null
section rootfs; df -P -B1 / 2>/dev/null | tail -n 1
section cgroup; stat -fc %T /sys/fs/cgroup 2>/dev/null
section addresses; have ip && ip -o addr show 2>/dev/null
section binaries
for b in containerd dockerd docker crio runc kubeadm kubelet kubectl; do
  p=$(command -v "$b" 2>/dev/null) && echo "$b $p"
done
section packages
pkgs="containerd containerd.io docker-ce docker.io moby-engine cri-o kubeadm kubelet kubectl"
if have dpkg-query; then
  for p in $pkgs; do dpkg-query -W -f='${Package} ${Version} ${db:Status-Status}\n' "$p" 2>/dev/null; done
elif have rpm; then
  for p in $pkgs; do v=$(rpm -q --qf '%{NAME} %{VERSION}-%{RELEASE} installed\n' "$p" 2>/dev/null) && echo "$v"; done
fi
"""


def script(extra: str = "") -> str:
    """The facts script, with `extra` sections (preflight's) before the end marker."""
    return _SCRIPT_BODY + extra + "\nsection end\n"


SCRIPT = script()

# The remote clock, read alone so the portal's midpoint is close to it.
CLOCK_COMMAND = "date +%s.%N"

RUNTIME_NAMES = ("containerd", "dockerd", "docker", "crio", "runc")
RUNTIME_PACKAGES = ("containerd", "containerd.io", "docker-ce", "docker.io", "moby-engine", "cri-o")
KUBERNETES_NAMES = ("kubeadm", "kubelet", "kubectl")

_DEBIAN = {"debian", "ubuntu", "raspbian", "linuxmint"}
_RHEL = {"rhel", "centos", "fedora", "rocky", "almalinux", "ol", "amzn"}


def sections(output: str) -> dict[str, list[str]]:
    """The script's output as {section: [lines]}."""
    found: dict[str, list[str]] = {}
    current = None
    for line in output.splitlines():
        if line.startswith(MARK):
            current = line[len(MARK) :].strip()
            found[current] = []
        elif current is not None and line.strip():
            found[current].append(line.rstrip())
    return found


def _os_release(lines: list[str]) -> dict:
    values = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip().strip("\"'")
    os_id = values.get("ID", "").lower()
    id_like = values.get("ID_LIKE", "").lower()
    family_words = {os_id, *id_like.split()}
    family = "debian" if family_words & _DEBIAN else "rhel" if family_words & _RHEL else "other"
    return {
        "id": os_id,
        "id_like": id_like,
        "version_id": values.get("VERSION_ID", ""),
        "pretty_name": values.get("PRETTY_NAME", ""),
        "family": family,
    }


def _first(lines: list[str]) -> str:
    return lines[0].strip() if lines else ""


def _int(text: str) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _meminfo(lines: list[str]) -> dict:
    kib = {}
    for line in lines:
        match = re.match(r"^(\w+):\s+(\d+)\s*kB", line)
        if match:
            kib[match.group(1)] = int(match.group(2)) * 1024
    return {
        "memory_bytes": kib.get("MemTotal"),
        "memory_available_bytes": kib.get("MemAvailable"),
        "swap_total_bytes": kib.get("SwapTotal"),
        "swap_free_bytes": kib.get("SwapFree"),
    }


def _disks(lines: list[str]) -> list[dict]:
    try:
        devices = json.loads("\n".join(lines)).get("blockdevices", []) if lines else []
    except (ValueError, AttributeError):
        return []
    disks = []

    def walk(device, parent=""):
        if not isinstance(device, dict):
            return
        disks.append(
            {
                "name": str(device.get("name", "")),
                "type": str(device.get("type", "")),
                "size_bytes": _int(device.get("size")),
                "mountpoint": device.get("mountpoint") or "",
                "parent": parent,
            }
        )
        for child in device.get("children") or []:
            walk(child, str(device.get("name", "")))

    for device in devices:
        walk(device)
    return disks


def _root_fs(lines: list[str]) -> dict:
    # df -P: Filesystem 1-blocks Used Available Capacity Mounted-on
    fields = _first(lines).split()
    if len(fields) < 6:
        return {}
    return {"device": fields[0], "size_bytes": _int(fields[1]), "free_bytes": _int(fields[3])}


def _cgroup_version(lines: list[str]):
    kind = _first(lines)
    return 2 if kind == "cgroup2fs" else 1 if kind == "tmpfs" else "unknown"


def _addresses(lines: list[str]) -> list[dict]:
    # "2: eth0    inet 198.18.3.11/24 brd 198.18.3.255 scope global eth0\ ..."
    addresses = []
    for line in lines:
        fields = line.split()
        if len(fields) < 4 or fields[2] not in ("inet", "inet6"):
            continue
        interface = fields[1].split("@")[0]
        try:
            iface = ipaddress.ip_interface(fields[3])
        except ValueError:
            continue
        if interface == "lo" or iface.ip.is_loopback:
            continue
        scope = fields[fields.index("scope") + 1] if "scope" in fields[:-1] else ""
        addresses.append(
            {
                "interface": interface,
                "family": "ipv4" if iface.version == 4 else "ipv6",
                "address": str(iface.ip),
                "prefix": iface.network.prefixlen,
                "network": str(iface.network),
                "scope": scope,
            }
        )
    return addresses


def _software(binaries: list[str], packages: list[str]) -> tuple[dict, dict]:
    """({runtime: where}, {kubernetes package: version or path})."""
    found_binaries = dict(line.split(None, 1) for line in binaries if len(line.split(None, 1)) == 2)
    versions = {}
    for line in packages:
        fields = line.split()
        # dpkg-query prints "name version status"; only "installed" counts (not "config-files").
        if len(fields) >= 3 and fields[-1] == "installed":
            versions[fields[0]] = fields[1]
    runtimes = {name: found_binaries[name] for name in RUNTIME_NAMES if name in found_binaries}
    runtimes.update({name: versions[name] for name in RUNTIME_PACKAGES if name in versions})
    kubernetes = {}
    for name in KUBERNETES_NAMES:
        if name in versions:
            kubernetes[name] = versions[name]
        elif name in found_binaries:
            kubernetes[name] = found_binaries[name]
    return runtimes, kubernetes


def parse(output: str) -> dict:
    """The facts script's output as the dict stored in Host.facts."""
    found = sections(output)
    runtimes, kubernetes = _software(found.get("binaries", []), found.get("packages", []))
    return {
        "os": _os_release(found.get("os_release", [])),
        "arch": _first(found.get("arch", [])),
        "kernel": _first(found.get("kernel", [])),
        "hostname": _first(found.get("hostname", [])),
        "cpus": _int(_first(found.get("cpus", []))),
        **_meminfo(found.get("meminfo", [])),
        "disks": _disks(found.get("lsblk", [])),
        "root_fs": _root_fs(found.get("rootfs", [])),
        "cgroup_version": _cgroup_version(found.get("cgroup", [])),
        "addresses": _addresses(found.get("addresses", [])),
        "container_runtimes": runtimes,
        "kubernetes_packages": kubernetes,
        # Truncated output (a killed script) lacks the last marker.
        "complete": "end" in found,
    }


def clock_offset(remote_clock: str, started: float, finished: float) -> float | None:
    """Seconds the host's clock is ahead of the portal's (negative: behind),
    against the portal's clock at the midpoint of the call: the error is at
    most half the round trip."""
    try:
        remote = float(remote_clock.strip())
    except ValueError:
        return None
    return round(remote - (started + finished) / 2, 3)


def now() -> float:
    """The portal's clock, as the offset compares it."""
    return time.time()


def gather(ctx) -> dict:
    """Run the facts script and the clock read on the step's host and return
    the facts (the host is not changed)."""
    from hosts import jobwork  # the job's SSH connections; imported late, it needs the app registry

    result = jobwork.run(ctx, SCRIPT, quiet=True)
    found = parse(result.stdout)
    started = now()
    clock = jobwork.run(ctx, CLOCK_COMMAND, quiet=True)
    found["time_offset_seconds"] = clock_offset(clock.stdout, started, now())
    return found


def facts_store(*, host, facts: dict) -> None:
    """Save facts on the host; reaching it also counts as seeing it."""
    now = timezone.now()
    host.facts = facts
    host.facts_gathered = now
    host.last_seen = now
    host.save(update_fields=["facts", "facts_gathered", "last_seen", "updated"])


def summary(facts: dict) -> str:
    """One line for the job log."""
    os_name = (facts.get("os") or {}).get("pretty_name") or _("unknown OS")
    return _("%(os)s, %(arch)s, %(cpus)s CPUs, %(memory)s memory, cgroup version %(cgroup)s") % {
        "os": os_name,
        "arch": facts.get("arch") or "?",
        "cpus": facts.get("cpus") or "?",
        "memory": human_bytes(facts.get("memory_bytes")),
        "cgroup": facts.get("cgroup_version", "unknown"),
    }


def human_bytes(value) -> str:
    if not isinstance(value, int):
        return "?"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{value} B"


def _names(mapping: dict) -> str:
    return ", ".join(f"{name} ({where})" for name, where in sorted(mapping.items())) or _("none")


def table(facts: dict) -> list[tuple[str, str]]:
    """Facts as (label, text) rows for a page; empty when none were gathered."""
    if not facts:
        return []
    os_facts = facts.get("os") or {}
    root = facts.get("root_fs") or {}
    disks = [d for d in facts.get("disks", []) if d.get("type") == "disk" and d.get("size_bytes")]
    offset = facts.get("time_offset_seconds")
    rows = [
        (
            gettext_lazy("Operating system"),
            f"{os_facts.get('pretty_name') or '?'} ({os_facts.get('family', 'other')} {os_facts.get('version_id', '')})",
        ),
        (gettext_lazy("Hostname"), facts.get("hostname") or "?"),
        (gettext_lazy("Architecture"), facts.get("arch") or "?"),
        (gettext_lazy("Kernel"), facts.get("kernel") or "?"),
        (gettext_lazy("CPUs"), str(facts.get("cpus") or "?")),
        (gettext_lazy("Memory"), human_bytes(facts.get("memory_bytes"))),
        (
            gettext_lazy("Swap"),
            _("%(total)s, %(free)s free")
            % {"total": human_bytes(facts.get("swap_total_bytes")), "free": human_bytes(facts.get("swap_free_bytes"))}
            if facts.get("swap_total_bytes")
            else _("off"),
        ),
        (
            gettext_lazy("Root filesystem"),
            _("%(size)s, %(free)s free")
            % {"size": human_bytes(root.get("size_bytes")), "free": human_bytes(root.get("free_bytes"))},
        ),
        (
            gettext_lazy("Disks"),
            ", ".join(f"{d['name']} ({human_bytes(d.get('size_bytes'))})" for d in disks) or _("none seen"),
        ),
        (gettext_lazy("cgroup version"), str(facts.get("cgroup_version", "unknown"))),
        (
            gettext_lazy("Clock offset"),
            _("%(seconds)s s against the portal") % {"seconds": f"{offset:+.3f}"} if offset is not None else "?",
        ),
        (
            gettext_lazy("Addresses"),
            ", ".join(f"{a['address']}/{a['prefix']} ({a['interface']})" for a in facts.get("addresses", []))
            or _("none"),
        ),
        (gettext_lazy("Container runtime"), _names(facts.get("container_runtimes") or {})),
        (gettext_lazy("Kubernetes packages"), _names(facts.get("kubernetes_packages") or {})),
    ]
    return [(str(label), text) for label, text in rows]
