"""Build the Kubernetes stand-ins of the test hosts once, into a cache keyed
by their sources.

The Go module in testhosts/kube/ holds two programs of ours, both named as
stand-ins everywhere: ``containerd-standin`` (the CRI on containerd's socket,
images as bookkeeping) and ``kubelet-standin`` (static Pods as local processes
of the devcluster's binaries, TLS bootstrap, Node and Lease). It pins the same
k8s.io versions as devcluster/go.mod; the real ``kubeadm`` and ``kubectl`` come
from the devcluster's build (devcluster/build.py).

Binaries land in ``$TESTHOSTS_CACHE/kube-<sha256 of go.mod, go.sum, sources>/bin``
(default ``~/.cache/portal-testhosts``), built with the machine's Go caches,
``GOTOOLCHAIN=local`` and ``CGO_ENABLED=0``.

    python -m testhosts.kubebuild          # build if needed, print the bin directory
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from devcluster.build import BuildError, go_env, kube_ldflags

MODULE = Path(__file__).resolve().parent / "kube"

# Bumped when the recipe below changes in a way the sources do not show.
RECIPE = "2"

PACKAGES = {
    "containerd-standin": "./cmd/containerd-standin",
    "kubelet-standin": "./cmd/kubelet-standin",
}


def cache_root() -> Path:
    return Path(os.environ.get("TESTHOSTS_CACHE") or "~/.cache/portal-testhosts").expanduser()


def sources() -> list[Path]:
    return sorted(p for p in MODULE.rglob("*") if p.is_file() and (p.suffix == ".go" or p.name in ("go.mod", "go.sum")))


def source_hash() -> str:
    digest = hashlib.sha256(f"recipe={RECIPE}\n".encode())
    for path in sources():
        digest.update(f"{path.relative_to(MODULE)}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def bin_dir() -> Path:
    return cache_root() / f"kube-{source_hash()}" / "bin"


def is_built() -> bool:
    return all((bin_dir() / name).is_file() for name in PACKAGES)


def ensure_built(log=print) -> Path:
    """Return the bin directory, building first if these sources were never built."""
    directory = bin_dir()
    if is_built():
        return directory
    if shutil.which("go") is None:
        raise BuildError(
            "the Go toolchain (`go`) is not on PATH; install Go >= 1.26 to build the test hosts' stand-ins"
        )
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(directory.parent / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second run waits for the first's build
        if is_built():
            return directory
        staging = Path(tempfile.mkdtemp(prefix="bin.", dir=directory.parent))
        try:
            for name, package in PACKAGES.items():
                # The version ldflags make the stand-in kubelet report the
                # pinned version on its Node, and kubeadm not v0.0.0-master.
                command = ["go", "build", "-trimpath", "-ldflags", f"-s -w {kube_ldflags()}"]
                command += ["-o", str(staging / name), package]
                log(f"[testhosts] go build {package}")
                result = subprocess.run(
                    command, cwd=MODULE, env=go_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
                )
                if result.returncode != 0:
                    raise BuildError(f"go build {package} failed:\n{result.stdout[-4000:]}")
            if directory.exists():
                shutil.rmtree(directory)
            staging.rename(directory)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    log(f"[testhosts] built {', '.join(PACKAGES)} into {directory}")
    return directory


if __name__ == "__main__":
    try:
        print(ensure_built(log=lambda line: print(line, file=sys.stderr)))
    except BuildError as error:
        sys.exit(str(error))
