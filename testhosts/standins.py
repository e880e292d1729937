"""Stand-ins for what a test host cannot really do.

A test host shares the runner's kernel and has no init system, so loading a
kernel module, setting a kernel-wide sysctl, turning swap off, managing
services or a host firewall would either fail or change the machine running
the tests. These commands are played by stand-ins in /usr/local/bin, ahead of
the real ones on every PATH a login or sudo gives (Debian's PATHs and sudo's
secure_path all put /usr/local/bin before /usr/sbin and /usr/bin). Each says in
its text that it is a stand-in, appends one line per call to
/var/log/standins.log on its host (the command name and its arguments,
tab-separated), and answers as the real command would in the common cases.
"""

from __future__ import annotations

from pathlib import Path

LOG = "/var/log/standins.log"
STATE = "/var/lib/standins"  # what the stand-ins remember between calls (services, swap)
BIN = "/usr/local/bin"
# Runs the ExecStart= of units that have a unit file (testhosts/standin_services.py).
SERVICES = "/usr/local/lib/testhost/services"

_HEADER = """#!/bin/sh
# STAND-IN for `{name}` on a portal test host (testhosts/, not a real machine).
# {why}
# It records each call in {log} and {what}.
{{ printf '%s' '{name}'; for arg in "$@"; do printf '\\t%s' "$arg"; done; printf '\\n'; }} >>{log}
"""

# name -> (why the real one cannot run here, what the stand-in does instead, body)
_STANDINS = {
    "modprobe": (
        "Kernel modules belong to the machine running the tests, shared by every test host.",
        "loads nothing; adds the module to this host's stand-in /sys/module, so checks see it loaded",
        """for arg in "$@"; do
  case "$arg" in
    -*) ;;
    *) mkdir -p "/sys/module/$arg" ;;
  esac
done
exit 0
""",
    ),
    "sysctl": (
        "Kernel-wide settings would change the machine running the tests; /proc/sys is read-only here.",
        "remembers written keys (-w, key=value, --system and -p from the files), printing them back as sysctl does",
        f"""mkdir -p {STATE}/sysctl
quiet=
put() {{ printf '%s\\n' "$2" >"{STATE}/sysctl/$1"; if [ -n "$quiet" ]; then echo "$2"; else echo "$1 = $2"; fi; }}
load() {{
  sed -e 's/[#;].*//' "$1" | while IFS='=' read -r key value; do
    key=$(echo "$key" | tr -d ' \\t'); value=$(echo $value)  # unquoted: trims
    [ -n "$key" ] && put "$key" "$value"
  done
}}
for arg in "$@"; do
  case "$arg" in
    -n) quiet=1 ;;
    --system) for f in /etc/sysctl.d/*.conf /usr/lib/sysctl.d/*.conf /etc/sysctl.conf; do [ -f "$f" ] && load "$f"; done ;;
    -p) [ -f /etc/sysctl.conf ] && load /etc/sysctl.conf ;;
    -*) ;;
    *=*) put "${{arg%%=*}}" "${{arg#*=}}" ;;
    *) key=$(echo "$arg" | tr / .)
       if [ -f "{STATE}/sysctl/$key" ]; then value=$(cat "{STATE}/sysctl/$key")
       else path=/proc/sys/$(echo "$key" | tr . /); [ -r "$path" ] || continue; value=$(cat "$path"); fi
       if [ -n "$quiet" ]; then echo "$value"; else echo "$key = $value"; fi ;;
  esac
done
exit 0
""",
    ),
    "swapoff": (
        "Swap is the machine's, not the test host's.",
        "marks swap as off for the `swapon` stand-in",
        f"mkdir -p {STATE} && : >{STATE}/swap-off\nexit 0\n",
    ),
    "swapon": (
        "Swap is the machine's, not the test host's.",
        "reports no swap (`--show` prints nothing) and remembers `swapon -a`",
        f'case " $* " in *" -a "*) rm -f {STATE}/swap-off ;; esac\nexit 0\n',
    ),
    "systemctl": (
        "A test host has no init system: its PID 1 is sshd.",
        "keeps each unit's state under /var/lib/standins/units (start/enable/is-active/is-enabled...);"
        " a unit with a unit file (kubelet, containerd...) is really started and stopped, see testhosts/standin_services.py",
        f"""units={STATE}/units
mkdir -p "$units"
verb=
for arg in "$@"; do case "$arg" in -*) ;; *) [ -z "$verb" ] && verb=$arg && continue; unit=${{arg%.service}}
  case "$verb" in
    start|reload) echo active >"$units/$unit.active"; python3 {SERVICES} start "$unit" ;;
    restart|reload-or-restart|try-restart) echo active >"$units/$unit.active"; python3 {SERVICES} restart "$unit" ;;
    stop|kill) rm -f "$units/$unit.active"; python3 {SERVICES} stop "$unit" ;;
    enable) : >"$units/$unit.enabled"
      case " $* " in *" --now "*) echo active >"$units/$unit.active"; python3 {SERVICES} start "$unit" ;; esac ;;
    disable) rm -f "$units/$unit.enabled" ;;
    mask) : >"$units/$unit.masked" ;;
    unmask) rm -f "$units/$unit.masked" ;;
    is-active) if [ -f "$units/$unit.active" ] && python3 {SERVICES} is-active "$unit"; then echo active; else echo inactive; exit 3; fi ;;
    is-enabled) if [ -f "$units/$unit.enabled" ]; then echo enabled; else echo disabled; exit 1; fi ;;
    status) if [ -f "$units/$unit.active" ] && python3 {SERVICES} is-active "$unit"; then echo "$unit: active (stand-in)"; else echo "$unit: inactive (stand-in)"; exit 3; fi ;;
  esac ;; esac
done
exit 0
""",
    ),
    "journalctl": (
        "systemd-journald does not run on a test host (no init system).",
        "prints the output of a unit the systemctl stand-in started (/var/log/<unit>.log), e.g. `journalctl -xeu kubelet`",
        """unit= lines=
while [ $# -gt 0 ]; do
  case "$1" in
    --unit=*) unit=${1#--unit=} ;;
    --lines=*) lines=${1#--lines=} ;;
    -n|--lines) lines=$2; shift ;;
    -u|--unit|-[a-z]*u) unit=$2; shift ;;
  esac
  shift
done
log=/var/log/${unit%.service}.log
if [ -z "$unit" ] || [ ! -f "$log" ]; then echo "-- No entries --"; exit 0; fi
if [ -n "$lines" ]; then tail -n "$lines" "$log"; else cat "$log"; fi
""",
    ),
    "ufw": (
        "The host firewall of a test host is not the point of the tests, and would need the machine's netfilter.",
        "reports the firewall as inactive",
        'case "$1" in status) echo "Status: inactive" ;; esac\nexit 0\n',
    ),
    "firewall-cmd": (
        "firewalld needs D-Bus and an init system, which a test host does not have.",
        "reports firewalld as not running",
        'case "$1" in --state) echo "not running"; exit 252 ;; esac\nexit 0\n',
    ),
    "hostnamectl": (
        "systemd-hostnamed does not run on a test host; the hostname is set by the test fixture (TestHost.set_hostname).",
        "writes /etc/hostname for `set-hostname` and prints the hostname",
        'case "$1" in set-hostname) printf "%s\\n" "$2" >/etc/hostname ;; *) echo "Static hostname: $(hostname)" ;; esac\n'
        "exit 0\n",
    ),
}

NAMES = tuple(_STANDINS)


def scripts() -> dict[str, str]:
    """Path on the host -> text of each stand-in (and of the service runner they use)."""
    texts = {
        f"{BIN}/{name}": _HEADER.format(name=name, why=why, what=what, log=LOG) + body
        for name, (why, what, body) in _STANDINS.items()
    }
    texts[SERVICES] = Path(__file__).with_name("standin_services.py").read_text()
    return texts


def parse_log(text: str) -> list[tuple[str, ...]]:
    """The calls in a stand-in log: one tuple (name, *args) per call."""
    return [tuple(line.split("\t")) for line in text.splitlines() if line]


def meminfo(total_bytes: int) -> str:
    """A /proc/meminfo for a machine with `total_bytes` of memory, most of it free."""
    total = total_bytes // 1024
    free = total * 3 // 4
    rows = {
        "MemTotal": total,
        "MemFree": free,
        "MemAvailable": free,
        "Buffers": total // 100,
        "Cached": total // 10,
        "SwapCached": 0,
        "SwapTotal": 0,
        "SwapFree": 0,
    }
    return "".join(f"{name + ':':<16}{value:>8} kB\n" for name, value in rows.items())
