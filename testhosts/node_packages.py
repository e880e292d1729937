"""The package mirror a bootstrap installs a node's software from on the test
hosts, laid out as the three places a real site installs it from:

* ``core:/stable:/v1.37/deb/`` as on pkgs.k8s.io (flat, ``Release.key``):
  ``kubeadm`` and ``kubectl``, the real ones the devcluster builds, and
  ``kubelet``, the STAND-IN kubelet (testhosts/kube/);
* ``linux/debian/`` as on download.docker.com (``dists/<codename>/stable``,
  the key at ``gpg``): ``containerd.io``, the STAND-IN containerd;
* ``kube-flannel.yml``: a pod network manifest, as flannel's releases serve it;
* ``debian/`` as a Debian mirror (``dists/<codename>/main``, the key at
  ``archive-key.asc``): ``containerd`` (the same stand-in, for sites that take
  the distribution's runtime) and ``chrony``, a STAND-IN chronyd: a test host
  shares the machine's clock, which a real chronyd there would set.

Each package holds what upstream's does where a test host can run it (the
binaries, the systemd units); what cannot run here is named a stand-in in its
description. The control plane's "images" (the devcluster's etcd,
kube-apiserver, kube-controller-manager, kube-scheduler) are not packaged: on
a real node they come from the image registry through containerd's pull, here
`kubenode.provide_images(host)` puts them where the stand-in kubelet runs them.

Built once per content under ``<cache>/packages/<hash>/``: the hash covers the
binaries, the units and this module's own text.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from . import kubebuild, packages
from .base import _codename, cache_dir
from .errors import TestHostsError

UNITS = Path(__file__).resolve().parent / "kube" / "units"
KUBELET_DROPIN = "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"
KUBELET_UNIT = "/usr/lib/systemd/system/kubelet.service"
CONTAINERD_UNIT = "/usr/lib/systemd/system/containerd.service"
RUNTIME_KEY = "gpg"  # download.docker.com/linux/debian/gpg
DISTRIBUTION_KEY = "archive-key.asc"
# Versions the stand-ins are packaged as: recognisably not upstream's.
CONTAINERD_VERSION = "1.7.0~standin-1"
CHRONY_VERSION = "4.3~standin-1"

CHRONYD = """\
#!/bin/sh
# STAND-IN chronyd for a portal test host (testhosts/node_packages.py): the
# host shares the machine's kernel clock, which a real chronyd would set. It
# runs, as chronyd does, and changes nothing.
case "$1" in -v|--version) echo "chronyd (stand-in for a test host)"; exit 0 ;; esac
exec sleep infinity
"""
CHRONY_UNIT = """\
[Unit]
Description=chrony, an NTP client/server (stand-in on a portal test host)

[Service]
ExecStart=/usr/sbin/chronyd -F 1
Restart=always

[Install]
WantedBy=multi-user.target
"""


DISTRIBUTION_KEYRING = "/etc/apt/keyrings/portal-test-debian.asc"


def use_distribution_mirror(host, mirror: packages.PackageMirror) -> None:
    """Make the mirror's distribution apt's only source on `host`, as a site
    with its own Debian mirror has it (the key as an armored keyring)."""
    key = (mirror.root / packages.DISTRIBUTION_PATH / DISTRIBUTION_KEY).read_text()
    host.write_file(DISTRIBUTION_KEYRING, key)
    host.write_file(
        "/etc/apt/sources.list",
        f"deb [signed-by={DISTRIBUTION_KEYRING}] {mirror.distribution_url} {_codename()} main\n",
    )


FLANNEL_MANIFEST = "kube-flannel.yml"


def flannel_manifest() -> str:
    """A pod network manifest as flannel publishes it (its objects' kinds,
    trimmed), which the mirror also serves at ``/kube-flannel.yml`` for a
    bring-up that downloads it; its Network is what the portal sets."""
    return _FLANNEL


_FLANNEL = """\
apiVersion: v1
kind: Namespace
metadata:
  name: kube-flannel
  labels: {pod-security.kubernetes.io/enforce: privileged}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: flannel, namespace: kube-flannel}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: flannel}
rules:
- apiGroups: [""]
  resources: [nodes]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [nodes/status]
  verbs: [patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: flannel}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: flannel}
subjects:
- {kind: ServiceAccount, name: flannel, namespace: kube-flannel}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: kube-flannel-cfg, namespace: kube-flannel}
data:
  net-conf.json: |
    {"Network": "10.0.0.0/8", "EnableNFTables": false, "Backend": {"Type": "vxlan"}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: kube-flannel-ds, namespace: kube-flannel}
spec:
  selector: {matchLabels: {app: flannel}}
  template:
    metadata: {labels: {app: flannel}}
    spec:
      hostNetwork: true
      serviceAccountName: flannel
      tolerations: [{operator: Exists, effect: NoSchedule}]
      containers:
      - name: kube-flannel
        image: ghcr.io/flannel-io/flannel:v0.26.7
        command: [/opt/bin/flanneld, --ip-masq, --kube-subnet-mgr]
"""


def ensure_mirror(log: Callable[[str], None] = lambda _m: None) -> Path:
    """The mirror's root, built first if these contents never were. Raises
    TestHostsError if the binaries cannot be built."""
    from devcluster import build  # the devcluster builds every Kubernetes binary

    try:
        kube_bin = build.ensure_built(log)
    except build.BuildError as error:
        raise TestHostsError(f"the Kubernetes binaries cannot be built: {error}") from error
    standin_bin = kubebuild.ensure_built(log)
    inputs = [
        kube_bin / "kubeadm",
        kube_bin / "kubectl",
        standin_bin / "kubelet-standin",
        standin_bin / "containerd-standin",
        *sorted(UNITS.iterdir()),
        Path(__file__),
        Path(packages.__file__),
    ]
    digest = hashlib.sha256(f"version={build.KUBE_VERSION}\ncodename={_codename()}\n".encode())
    for path in inputs:
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    entry = cache_dir() / "packages" / digest.hexdigest()[:16]
    root = entry / "mirror"
    if (entry / "done").exists():
        return root
    entry.mkdir(parents=True, exist_ok=True)
    with open(entry / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (entry / "done").exists():
            started = time.monotonic()
            shutil.rmtree(root, ignore_errors=True)
            _build(root, kube_bin, standin_bin, build.KUBE_VERSION, entry / "debs")
            (entry / "done").write_text(f"{time.monotonic() - started:.1f}\n")
            log(f"[testhosts] package mirror built in {time.monotonic() - started:.1f} s: {root}")
    return root


def prune() -> list[Path]:
    """Remove every cached mirror (rebuilt in seconds when next needed).
    Only while no run is live: a live run may be serving one."""
    removed = []
    for entry in sorted((cache_dir() / "packages").glob("*")):
        with open(entry / "build.lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # being built
            shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _build(root: Path, kube_bin: Path, standin_bin: Path, kube_version: str, deb_dir: Path) -> None:
    def deb(name, version, files, description, **extra):
        return packages.make_deb(name, version, "amd64", files, out_dir=deb_dir, description=description, **extra)

    version = packages.deb_version(kube_version)
    built = f"Built from k8s.io/kubernetes {kube_version} by the portal's devcluster."
    kube = [
        # Since 1.32 upstream's kubeadm and kubectl depend on nothing; kubeadm
        # carries the kubelet unit's drop-in that runs it with what
        # `kubeadm init`/`join` wrote.
        deb(
            "kubeadm",
            version,
            {"/usr/bin/kubeadm": kube_bin / "kubeadm", KUBELET_DROPIN: UNITS / "10-kubeadm.conf"},
            f"Command-line utility for administering a Kubernetes cluster\n{built}",
            homepage="https://kubernetes.io",
        ),
        deb(
            "kubectl",
            version,
            {"/usr/bin/kubectl": kube_bin / "kubectl"},
            f"Command-line utility for interacting with a Kubernetes cluster\n{built}",
            homepage="https://kubernetes.io",
        ),
        deb(
            "kubelet",
            version,
            {"/usr/bin/kubelet": standin_bin / "kubelet-standin", KUBELET_UNIT: UNITS / "kubelet.service"},
            "STAND-IN kubelet for the portal's test hosts\n"
            "Runs static Pods as local processes and keeps its Node Ready (testhosts/kube/):"
            " a test host has no container runtime.",
        ),
    ]
    containerd_files = {
        "/usr/bin/containerd": standin_bin / "containerd-standin",
        CONTAINERD_UNIT: UNITS / "containerd.service",
    }
    containerd_text = (
        "STAND-IN containerd for the portal's test hosts\n"
        "Serves the CRI with images and sandboxes as bookkeeping (testhosts/kube/): a test host cannot run containers."
    )
    runtime = [deb("containerd.io", CONTAINERD_VERSION, containerd_files, containerd_text)]
    distribution = [
        deb("containerd", CONTAINERD_VERSION, containerd_files, containerd_text),
        deb(
            "chrony",
            CHRONY_VERSION,
            {"/usr/sbin/chronyd": CHRONYD.encode(), "/usr/lib/systemd/system/chrony.service": CHRONY_UNIT.encode()},
            "STAND-IN chrony for the portal's test hosts\nA test host shares the machine's clock: it changes nothing.",
        ),
    ]
    channel = packages.kube_channel_path(kube_version)
    codename = _codename()
    packages.build_repository(root / channel, kube, label=f"portal test mirror of pkgs.k8s.io {channel}")
    packages.build_repository(
        root / packages.RUNTIME_PATH,
        runtime,
        label="portal test mirror of download.docker.com",
        suite=codename,
        component="stable",
        key_file=RUNTIME_KEY,
    )
    (root / FLANNEL_MANIFEST).write_text(_FLANNEL)
    packages.build_repository(
        root / packages.DISTRIBUTION_PATH,
        distribution,
        label="portal test mirror of Debian",
        suite=codename,
        key_file=DISTRIBUTION_KEY,
    )
