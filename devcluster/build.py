"""Build the upstream binaries once, into a cache keyed by the Go module files.

Three Go modules live in this folder (Kubernetes, etcd, kwok). None holds Go
code of our own: `go build` compiles the upstream `main` packages they pin.
The binaries land in ``$DEVCLUSTER_CACHE/<sha256 of go.mod/go.sum/tools.go>/bin``
(default cache ``~/.cache/portal-devcluster``); the machine's normal Go module
and build caches are used, so they stay warm between runs and repositories.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

KUBE_VERSION = "v1.37.2"
# Publication time of k8s.io/kubernetes@v1.37.2 on the module proxy. Used as
# the build date so two builds of the same pins are byte-identical.
KUBE_BUILD_DATE = "2026-10-27T12:01:04Z"

# Bumped when the recipe below changes in a way the module files do not show.
RECIPE = "4"


@dataclass(frozen=True)
class Target:
    """One Go module directory and the upstream main packages built from it."""

    module_dir: str  # relative to this folder
    packages: dict[str, str]  # binary name -> import path of the main package
    kube_version_ldflags: bool = False


TARGETS = (
    Target(
        ".",
        {
            "kube-apiserver": "k8s.io/kubernetes/cmd/kube-apiserver",
            "kube-controller-manager": "k8s.io/kubernetes/cmd/kube-controller-manager",
            "kube-scheduler": "k8s.io/kubernetes/cmd/kube-scheduler",
            # Not run by the devcluster: packaged as .debs for the test hosts
            # (testhosts/packages.py), where the bootstrap installs them.
            "kubeadm": "k8s.io/kubernetes/cmd/kubeadm",
            "kubectl": "k8s.io/kubernetes/cmd/kubectl",
        },
        kube_version_ldflags=True,
    ),
    Target("etcd", {"etcd": "go.etcd.io/etcd/server/v3"}),
    Target("kwok", {"kwok": "sigs.k8s.io/kwok/cmd/kwok"}),
)

BINARIES = tuple(name for t in TARGETS for name in t.packages)


class BuildError(RuntimeError):
    """The binaries could not be built (no Go toolchain, compile error...)."""


def cache_root() -> Path:
    root = os.environ.get("DEVCLUSTER_CACHE") or "~/.cache/portal-devcluster"
    return Path(root).expanduser()


def source_hash() -> str:
    """sha256 over every file that decides what gets built."""
    digest = hashlib.sha256(f"recipe={RECIPE}\n".encode())
    for target in TARGETS:
        # What is built and how is part of the key, not only the module pins.
        digest.update(json.dumps([target.module_dir, target.packages, target.kube_version_ldflags]).encode())
        if target.kube_version_ldflags:
            digest.update(kube_ldflags().encode())
        for name in ("go.mod", "go.sum", "tools.go"):
            path = HERE / target.module_dir / name
            digest.update(f"{target.module_dir}/{name}\n".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def bin_dir() -> Path:
    return cache_root() / source_hash() / "bin"


def is_built() -> bool:
    directory = bin_dir()
    return all((directory / name).is_file() for name in BINARIES)


def build_record() -> dict | None:
    """What the last real build of this hash recorded (duration, Go version)."""
    path = bin_dir().parent / "build.json"
    if path.is_file():
        return json.loads(path.read_text())
    return None


def kube_ldflags() -> str:
    major, minor, _ = KUBE_VERSION.lstrip("v").split(".")
    values = {
        "gitVersion": KUBE_VERSION,
        "gitMajor": major,
        "gitMinor": minor,
        # The module zip carries no git metadata; we do not invent a commit.
        "gitCommit": "",
        "gitTreeState": "clean",
        "buildDate": KUBE_BUILD_DATE,
    }
    flags = []
    for package in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [f"-X {package}.{key}={value}" for key, value in values.items()]
    return " ".join(flags)


def go_env() -> dict[str, str]:
    """The build environment: the user's Go caches, no cgo, no VCS stamping."""
    env = dict(os.environ)
    env["CGO_ENABLED"] = "0"
    # Only our go.mod/go.sum decide what is built: no go.work, no vendor mode.
    env["GOFLAGS"] = "-buildvcs=false -mod=readonly"
    env["GOWORK"] = "off"
    # Go 1.26 builds all three modules; never silently fetch another toolchain.
    env.setdefault("GOTOOLCHAIN", "local")
    return env


def _go_build(target: Target, out_dir: Path, log) -> None:
    ldflags = "-s -w"
    if target.kube_version_ldflags:
        ldflags += " " + kube_ldflags()
    module_dir = HERE / target.module_dir
    for name, package in target.packages.items():
        cmd = ["go", "build", "-trimpath", "-ldflags", ldflags, "-o", str(out_dir / name), package]
        log(f"[devcluster] ({target.module_dir}) go build {package}")
        result = subprocess.run(
            cmd, cwd=module_dir, env=go_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        if result.returncode != 0:
            raise BuildError(f"go build {package} failed:\n{result.stdout[-4000:]}")


def ensure_built(log=print) -> Path:
    """Return the bin directory, building first if this hash was never built."""
    directory = bin_dir()
    if is_built():
        return directory
    if shutil.which("go") is None:
        raise BuildError("the Go toolchain (`go`) is not on PATH; install Go >= 1.26 to build the devcluster")
    directory.parent.mkdir(parents=True, exist_ok=True)
    # Two test runs starting at once: the second waits for the first's build.
    with open(directory.parent / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_built():
            return directory
        return _build_into(directory, log)


def _build_into(directory: Path, log) -> Path:
    # Build into a temporary sibling and rename: an interrupted build never
    # leaves a half-filled bin/ that looks finished.
    staging = Path(tempfile.mkdtemp(prefix="bin.", dir=directory.parent))
    started = time.monotonic()
    try:
        for target in TARGETS:
            _go_build(target, staging, log)
        if directory.exists():
            shutil.rmtree(directory)
        staging.rename(directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    seconds = round(time.monotonic() - started, 1)
    go_version = subprocess.run(["go", "version"], capture_output=True, text=True, env=go_env()).stdout.strip()
    record = {
        "seconds": seconds,
        "go": go_version,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "hash": source_hash(),
    }
    (directory.parent / "build.json").write_text(json.dumps(record, indent=2) + "\n")
    log(f"[devcluster] built {', '.join(BINARIES)} in {seconds}s into {directory}")
    return directory
