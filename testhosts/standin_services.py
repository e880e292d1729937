#!/usr/bin/python3
"""STAND-IN service manager of a portal test host (testhosts/), used by the
`systemctl` stand-in: a test host has no init system (its PID 1 is sshd).

Copied onto each host as /usr/local/lib/testhost/services (run with the host's
own python3). For a unit with a unit file (/etc/systemd/system,
/usr/lib/systemd/system or /lib/systemd/system, plus its `.service.d/*.conf`
drop-ins, as systemd reads them), `start` runs its ExecStart= in the
background under a small supervisor, with the unit's Environment= and
EnvironmentFile= and its Restart=/RestartSec=; output goes to
/var/log/<unit>.log. `stop` ends the supervisor and the service's process
group. Units without a unit file are only bookkept by the `systemctl`
stand-in, as before.

    services start|stop|restart|is-active UNIT
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time

UNIT_DIRS = ("/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")
STATE = "/var/lib/standins/units"
STOP_TIMEOUT = 15
# A test host's PID 1 is its sshd: a second one would only fight it for port
# 22, so these units stay bookkeeping only.
NEVER_RUN = frozenset({"ssh", "sshd"})


def unit_files(unit: str) -> list[str]:
    """The unit file, then its drop-ins in systemd's order (by file name)."""
    main = next((f"{d}/{unit}.service" for d in UNIT_DIRS if os.path.isfile(f"{d}/{unit}.service")), None)
    if main is None:
        return []
    dropins: dict[str, str] = {}
    for directory in reversed(UNIT_DIRS):  # /etc overrides a drop-in of the same name
        path = f"{directory}/{unit}.service.d"
        if os.path.isdir(path):
            for name in os.listdir(path):
                if name.endswith(".conf"):
                    dropins[name] = f"{path}/{name}"
    return [main] + [dropins[name] for name in sorted(dropins)]


def read_service(unit: str) -> dict | None:
    """ExecStart (the last one after resets), environment and restart policy."""
    files = [] if unit in NEVER_RUN else unit_files(unit)
    if not files:
        return None
    # systemd's defaults: RestartSec=100ms; at most 5 starts in 10 s (DefaultStartLimit*).
    service = {
        "exec": None,
        "env": {},
        "env_files": [],
        "restart": "no",
        "restart_sec": 0.1,
        "start_limit_interval": 10.0,
        "start_limit_burst": 5,
    }
    for path in files:
        section = None
        for raw in _logical_lines(path):
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            if section not in ("Unit", "Service") or "=" not in line:
                continue
            key, value = (part.strip() for part in line.split("=", 1))
            if key in ("StartLimitIntervalSec", "StartLimitInterval"):
                service["start_limit_interval"] = _seconds(value)
            elif key == "StartLimitBurst":
                service["start_limit_burst"] = int(value)
            elif section != "Service":
                continue
            elif key == "ExecStart":
                service["exec"] = value.lstrip("-@+!") or None
            elif key == "Environment":
                for item in shlex.split(value):
                    name, _, val = item.partition("=")
                    service["env"][name] = val
            elif key == "EnvironmentFile":
                service["env_files"].append(value)
            elif key == "Restart":
                service["restart"] = value
            elif key == "RestartSec":
                service["restart_sec"] = _seconds(value)
    return service


def _seconds(value: str) -> float:
    """ "10", "10s", "100ms", "1min" -> seconds."""
    match = re.fullmatch(r"([0-9.]+)\s*(ms|s|sec|min|m)?", value.strip())
    if not match:
        return 0.0
    number, unit = float(match.group(1)), match.group(2) or "s"
    return number * {"ms": 0.001, "s": 1, "sec": 1, "min": 60, "m": 60}[unit]


def _logical_lines(path: str) -> list[str]:
    with open(path) as f:
        return f.read().replace("\\\n", " ").splitlines()


def environment(service: dict) -> dict[str, str]:
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8"}
    env.update(service["env"])
    for spec in service["env_files"]:
        optional = spec.startswith("-")
        path = spec.lstrip("-")
        if not os.path.isfile(path):
            if optional:
                continue
            raise OSError(f"EnvironmentFile {path} is missing")
        with open(path) as f:
            for line in f.read().replace("\\\n", " ").splitlines():
                line = line.strip()
                if line and not line.startswith("#") and "=" in line:
                    name, _, value = line.partition("=")
                    words = shlex.split(value)
                    env[name.strip()] = " ".join(words) if len(words) != 1 else words[0]
    return env


def command(service: dict, env: dict[str, str]) -> list[str]:
    """ExecStart's words with systemd's expansion: `$VAR` splits, `${VAR}` does not."""
    argv = []
    for word in shlex.split(service["exec"]):
        whole = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if whole:
            argv += env.get(whole.group(1), "").split()
        else:
            argv.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env.get(m.group(1), ""), word))
    return argv


def supervise(unit: str) -> None:
    """Run the service, restarting it as its Restart= says, until SIGTERM."""
    stopping = False
    child: subprocess.Popen | None = None

    def stop(*_):
        nonlocal stopping
        stopping = True
        if child and child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    starts: list[float] = []
    while not stopping:
        service = read_service(unit)
        if service is None:  # its unit file was removed (package purged)
            break
        now = time.monotonic()
        starts = [t for t in starts if now - t < service["start_limit_interval"]] + [now]
        if service["start_limit_interval"] and len(starts) > service["start_limit_burst"]:
            with open(f"/var/log/{unit}.log", "a") as log:
                log.write(f"{unit}.service: start request repeated too quickly (stand-in service manager)\n")
            break
        log = open(f"/var/log/{unit}.log", "ab")
        try:
            env = environment(service)
            child = subprocess.Popen(
                command(service, env), env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
            )
            code = child.wait()
        except OSError as error:
            # As systemd's status 203/EXEC (or a missing EnvironmentFile): said in the unit's log.
            log.write(f"{unit}.service: failed to start (stand-in service manager): {error}\n".encode())
            code = 203
        finally:
            log.close()
        if (
            stopping
            or service["restart"] not in ("always", "on-failure")
            or (code == 0 and service["restart"] != "always")
        ):
            break
        restart_at = time.monotonic() + service["restart_sec"]
        while not stopping and time.monotonic() < restart_at:  # a stop ends the wait at once
            time.sleep(0.05)
    if child and child.poll() is None:
        deadline = time.monotonic() + STOP_TIMEOUT
        while child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
    _remove(f"{STATE}/{unit}.pid")


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def running_pid(unit: str) -> int | None:
    try:
        pid = int(open(f"{STATE}/{unit}.pid").read())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def start(unit: str) -> int:
    if read_service(unit) is None:
        return 0  # no unit file: bookkeeping only, done by the systemctl stand-in
    if running_pid(unit):
        return 0
    os.makedirs(STATE, exist_ok=True)
    pid = os.fork()
    if pid == 0:  # the supervisor: its own session, no tie to the caller's terminal or pipes
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        with open(f"{STATE}/{unit}.pid", "w") as f:
            f.write(str(os.getpid()))
        try:
            supervise(unit)
        finally:
            os._exit(0)
    for _ in range(50):  # until the pid file is there
        if running_pid(unit):
            break
        time.sleep(0.02)
    return 0


def stop(unit: str) -> int:
    pid = running_pid(unit)
    if pid is None:
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT + 5
    while running_pid(unit) and time.monotonic() < deadline:
        time.sleep(0.05)
    if running_pid(unit):
        os.kill(pid, signal.SIGKILL)
        _remove(f"{STATE}/{unit}.pid")
    return 0


def main(argv: list[str]) -> int:
    verb, unit = argv[1], argv[2].removesuffix(".service")
    if verb == "start":
        return start(unit)
    if verb == "stop":
        return stop(unit)
    if verb == "restart":
        stop(unit)
        return start(unit)
    if verb == "is-active":  # units without a unit file: the systemctl stand-in's bookkeeping decides
        return 0 if read_service(unit) is None or running_pid(unit) else 3
    print(f"services stand-in: unknown verb {verb}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
