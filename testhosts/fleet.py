"""A run of test hosts: claim a slot (its bridge and subnet), make the keys,
start the hosts, and remove all of it again.

Several runs may live at once on one machine (a pytest session, another
session's tests, `make testhosts-up`): each holds an flock on
``<cache>/runs/<slot>.lock`` for its whole life. A slot whose lock is free but
whose bridge, directory or processes are still there belongs to a run that
was killed: every start cleans those up first.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from . import keys, network, node_packages, packages, processes, seed
from .base import cache_dir, ensure_base
from .errors import TestHostsError
from .host import Credentials, TestHost

READY_TIMEOUT = 30


def runs_dir() -> Path:
    return cache_dir() / "runs"


def unavailable_reason() -> str | None:
    """Why test hosts cannot run on this machine, or None if they can."""
    if not Path("/proc/self/ns/net").exists():
        return "test hosts need Linux namespaces"
    if os.geteuid() != 0:
        return "test hosts need root (namespaces, a bridge, overlay mounts)"
    missing = [tool for tool in ("unshare", "nsenter", "setpriv", "ip", "ssh-keygen", "ssh") if not shutil.which(tool)]
    if missing:
        return f"missing tools: {', '.join(missing)} (apt-get install util-linux iproute2 openssh-client)"
    if "overlay" not in Path("/proc/filesystems").read_text():
        return "the kernel has no overlay filesystem"
    return None


class TestHosts:
    """``with TestHosts.start(3) as hosts: hosts[0].address ...``"""

    __test__ = False  # not a pytest test class

    def __init__(self, slot: int, lock, directory: Path, credentials: Credentials, known_hosts: Path):
        self.slot = slot
        self._lock = lock
        self.directory = directory
        self.credentials = credentials
        self.known_hosts_path = known_hosts
        self.bridge = network.bridge_name(slot)
        self.hosts: list[TestHost] = []
        self._mirror: packages.PackageMirror | None = None

    # --- start ----------------------------------------------------------------
    @classmethod
    def start(cls, count: int = 3, *, log: Callable[[str], None] = lambda _m: None) -> TestHosts:
        reason = unavailable_reason()
        if reason:
            raise TestHostsError(reason)
        base = ensure_base(log)
        cleanup_stale(log)
        slot, lock = _claim_slot()
        directory = runs_dir() / str(slot)
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(mode=0o700, parents=True)
        run = None
        try:
            run = cls(slot, lock, directory, _make_credentials(directory / "keys"), directory / "known_hosts")
            run._start_hosts(count, base, log)
        except BaseException:
            if run is not None:
                run.stop()
            else:
                _release(slot, lock)
            raise
        return run

    def _start_hosts(self, count: int, base: Path, log: Callable[[str], None]) -> None:
        started = time.monotonic()
        names = [f"testhost-{index}" for index in range(1, count + 1)]
        peers = {name: network.host_address(self.slot, index) for index, name in enumerate(names, 1)}
        self._save_state()
        network.create_bridge(self.slot)
        for index, name in enumerate(names, 1):
            host_dir = self.directory / name
            host_key = keys.generate(host_dir / "host_key", comment=f"root@{name}")
            seed.lay_out(
                host_dir / "seed",
                name=name,
                host_key_private=host_key.private_pem,
                host_key_public=host_key.public_line,
                public_keys=self.credentials.public_keys,
                peers=peers,
                run_info={"run": self.slot, "bridge": self.bridge, "address": peers[name]},
            )
            (host_dir / "passwords").write_text(f"portal:{self.credentials.password}\n")
            (host_dir / "mnt").mkdir()
            self.hosts.append(
                TestHost(
                    name=name,
                    address=peers[name],
                    index=index,
                    host_public_key=" ".join(host_key.public_line.split()[:2]),
                    fingerprint=host_key.fingerprint,
                    credentials=self.credentials,
                    known_hosts_path=self.known_hosts_path,
                    directory=host_dir,
                )
            )
        self.known_hosts_path.write_text("".join(host.known_hosts_line + "\n" for host in self.hosts))
        # Start them all, then wire and wait: the hosts set themselves up in parallel.
        for host in self.hosts:
            host.start(base, host.directory / "console.log")
            self._save_state()
        for host in self.hosts:
            network.attach_host(self.slot, host.index, host.pid)
        for host in self.hosts:
            host.wait_ready(READY_TIMEOUT)
        log(f"[testhosts] {count} test hosts ready on {self.bridge} in {time.monotonic() - started:.1f} s")

    def _save_state(self) -> None:
        owner = os.getpid()
        state = {
            "slot": self.slot,
            "bridge": self.bridge,
            "owner_pid": owner,
            "owner_started": processes.start_time(owner),
            "known_hosts": str(self.known_hosts_path),
            "private_key": str(self.credentials.private_key_path),
            "passphrase_key": str(self.credentials.passphrase_key_path),
            "passphrase": self.credentials.passphrase,
            "password": self.credentials.password,
            "hosts": [
                {
                    "name": host.name,
                    "address": host.address,
                    "fingerprint": host.fingerprint,
                    "pid": host.pid,
                    "pid_started": processes.start_time(host.pid) if host.pid else None,
                    "unshare_pid": host.process.pid if host.process else 0,
                    "unshare_started": host.process.started if host.process else None,
                }
                for host in self.hosts
            ],
        }
        path = self.directory / "state.json"
        path.with_suffix(".tmp").write_text(json.dumps(state, indent=2))
        path.with_suffix(".tmp").replace(path)

    # --- use ------------------------------------------------------------------
    def __iter__(self) -> Iterator[TestHost]:
        return iter(self.hosts)

    def __len__(self) -> int:
        return len(self.hosts)

    def __getitem__(self, index: int) -> TestHost:
        return self.hosts[index]

    def package_mirror(self, log: Callable[[str], None] = lambda _m: None) -> packages.PackageMirror:
        """The node package mirror (testhosts/node_packages.py), served over
        HTTP on this run's bridge address until the run stops; started on
        first use. ``.kube_url("v1.37.2")`` is the pkgs.k8s.io-style base URL,
        ``.runtime_url`` and ``.distribution_url`` the others."""
        if self._mirror is None:
            root = node_packages.ensure_mirror(log)
            self._mirror = packages.PackageMirror(root, network.gateway_address(self.slot))
        return self._mirror

    def __enter__(self) -> TestHosts:
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()

    # --- stop -----------------------------------------------------------------
    def stop(self) -> None:
        """Kill every host (its namespaces, mounts and overlay go with it), delete
        the bridge and the run's directory, and free the slot."""
        if self._lock is None:
            return
        if self._mirror is not None:
            self._mirror.stop()
            self._mirror = None
        for host in self.hosts:
            host.stop()
        network.delete_bridge(self.slot)
        shutil.rmtree(self.directory, ignore_errors=True)
        _release(self.slot, self._lock)
        self._lock = None


def _make_credentials(directory: Path) -> Credentials:
    passphrase = keys.new_secret()
    plain = keys.generate(directory / "id_ed25519", comment="portal-testhosts")
    protected = keys.generate(directory / "id_ed25519_passphrase", comment="portal-testhosts", passphrase=passphrase)
    return Credentials(
        private_key_pem=plain.private_pem,
        private_key_path=plain.private_path,
        passphrase_key_pem=protected.private_pem,
        passphrase_key_path=protected.private_path,
        passphrase=passphrase,
        password=keys.new_secret(),
        public_keys=(plain.public_line, protected.public_line),
    )


# --- slots ------------------------------------------------------------------------
def _try_lock(slot: int):
    runs_dir().mkdir(parents=True, exist_ok=True)
    lock = open(runs_dir() / f"{slot}.lock", "w")  # noqa: SIM115 - held for the run's life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        return None
    return lock


def _release(_slot: int, lock) -> None:
    fcntl.flock(lock, fcntl.LOCK_UN)
    lock.close()


def _claim_slot() -> tuple[int, object]:
    for slot in range(network.MAX_SLOTS):
        lock = _try_lock(slot)
        if lock is None:
            continue
        if network.subnet_taken_by_others(slot):
            _release(slot, lock)
            continue
        return slot, lock
    raise TestHostsError(f"all {network.MAX_SLOTS} test host slots are in use")


def cleanup_stale(log: Callable[[str], None] = lambda _m: None) -> list[int]:
    """Remove what killed runs left (processes, bridges, directories); returns their slots."""
    cleaned = []
    for slot in range(network.MAX_SLOTS):
        directory = runs_dir() / str(slot)
        if not directory.exists() and not network.link_exists(network.bridge_name(slot)):
            continue
        lock = _try_lock(slot)
        if lock is None:
            continue  # a live run
        try:
            clean_slot(slot)
            cleaned.append(slot)
            log(f"[testhosts] removed what an earlier run left in slot {slot}")
        finally:
            _release(slot, lock)
    return cleaned


def clean_slot(slot: int) -> None:
    directory = runs_dir() / str(slot)
    try:
        state = json.loads((directory / "state.json").read_text())
    except (OSError, ValueError):
        state = {"hosts": []}
    for host in state["hosts"]:
        processes.kill_if_same(host["pid"], host["pid_started"])
        processes.kill_if_same(host["unshare_pid"], host["unshare_started"])
    network.delete_bridge(slot)
    shutil.rmtree(directory, ignore_errors=True)


def read_states() -> list[dict]:
    """The state of every run on this machine, with `live` telling whether its owner still holds it."""
    states = []
    for path in sorted(runs_dir().glob("*/state.json")):
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        state["live"] = processes.same_process_alive(state["owner_pid"], state["owner_started"])
        states.append(state)
    return states
