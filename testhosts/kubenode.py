"""Put the Kubernetes node software onto a test host by hand: the real kubeadm
and kubectl, the STAND-IN kubelet and containerd (testhosts/kube/), their
systemd units, and the devcluster's control-plane binaries as the "images"
the stand-in kubelet runs for static Pods.

A bootstrap installs the same files from the package mirror
(testhosts/node_packages.py); `install()` copies them by hand, for tests of
kubeadm and the stand-ins alone. `provide_images()` does the part of an image
pull the containerd stand-in cannot. The `systemctl` stand-in starts a unit
from its unit file (testhosts/standin_services.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from devcluster import build as devcluster_build

from . import kubebuild
from .host import TestHost

UNITS = Path(__file__).resolve().parent / "kube" / "units"
IMAGES_DIR = "/usr/lib/kubelet-standin/images"  # the stand-in kubelet's --standin-images-dir default
IMAGES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")
STANDINS = {"kubelet-standin": "/usr/bin/kubelet", "containerd-standin": "/usr/bin/containerd"}
# The real ones, from the devcluster's build.
KUBE_TOOLS = {"kubeadm": "/usr/bin/kubeadm", "kubectl": "/usr/bin/kubectl"}
UNIT_FILES = {
    "kubelet.service": "/usr/lib/systemd/system/kubelet.service",
    "10-kubeadm.conf": "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
    "containerd.service": "/usr/lib/systemd/system/containerd.service",
}


def ensure_built(log=print) -> tuple[Path, Path]:
    """(stand-ins' bin directory, devcluster's bin directory), built if needed."""
    return kubebuild.ensure_built(log), devcluster_build.ensure_built(log)


def install(host: TestHost, log=print) -> None:
    standins_bin, devcluster_bin = ensure_built(log)
    copies = {standins_bin / name: target for name, target in STANDINS.items()}
    copies |= {devcluster_bin / name: target for name, target in KUBE_TOOLS.items()}
    copies |= {devcluster_bin / name: f"{IMAGES_DIR}/{name}" for name in IMAGES}
    copies |= {UNITS / name: target for name, target in UNIT_FILES.items()}
    for source, target in copies.items():
        # Through /proc/<pid>/root: into the host's own overlay, nothing shared.
        destination = host.path(target)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, destination)


def provide_images(host: TestHost, log=print) -> None:
    """The control plane's "images" where the stand-in kubelet runs them from.
    On a real node containerd pulls them from the image registry; the
    containerd stand-in only records the pull, so they are put here."""
    devcluster_bin = devcluster_build.ensure_built(log)
    for name in IMAGES:
        destination = host.path(f"{IMAGES_DIR}/{name}")
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(devcluster_bin / name, destination)
