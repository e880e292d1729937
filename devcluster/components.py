"""Command lines of the five upstream components.

Everything listens on 127.0.0.1 only, on ports picked at start. Flags are the
documented upstream ones; the comments say why a non-default is set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAGES_DIR = HERE / "stages"

SERVICE_CIDR = "10.96.0.0/12"
SERVICE_IP = "10.96.0.1"  # first address of SERVICE_CIDR: the `kubernetes` service
POD_CIDR = "10.244.0.0/16"  # kwok hands out pod IPs from here; no overlap with services
NODE_ANNOTATION = "kwok.x-k8s.io/node"  # nodes annotated `=fake` are kwok's
SA_ISSUER = "https://kubernetes.default.svc.cluster.local"


@dataclass(frozen=True)
class Ports:
    etcd_client: int
    etcd_peer: int
    apiserver: int
    controller_manager: int
    scheduler: int


@dataclass(frozen=True)
class Files:
    """Paths inside the data directory, written by cluster.py."""

    root: Path

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    def pem(self, name: str) -> Path:
        return self.pki / f"{name}.pem"

    def kubeconfig(self, name: str) -> Path:
        return self.root / f"{name}.kubeconfig"

    @property
    def etcd_data(self) -> Path:
        return self.root / "etcd"

    @property
    def logs(self) -> Path:
        return self.root / "logs"


def component_env(**overrides: str) -> dict[str, str]:
    """The parent's environment minus anything that could change a component's
    behaviour behind our back (proxies, KUBECONFIG, KWOK_* settings)."""
    dropped = {"http_proxy", "https_proxy", "all_proxy", "kubeconfig"}
    env = {k: v for k, v in os.environ.items() if k.lower() not in dropped and not k.startswith("KWOK_")}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(overrides)
    return env


def etcd(bin_dir: Path, files: Files, ports: Ports) -> list[str]:
    client = f"http://127.0.0.1:{ports.etcd_client}"
    peer = f"http://127.0.0.1:{ports.etcd_peer}"
    return [
        str(bin_dir / "etcd"),
        "--name=devcluster",
        f"--data-dir={files.etcd_data}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=devcluster={peer}",
        "--initial-cluster-state=new",
        # A throwaway store: no fsync (much faster on slow disks), small quota.
        "--unsafe-no-fsync=true",
        "--quota-backend-bytes=1073741824",
        "--snapshot-count=5000",
        "--log-level=warn",
    ]


def kube_apiserver(bin_dir: Path, files: Files, ports: Ports) -> list[str]:
    return [
        str(bin_dir / "kube-apiserver"),
        f"--etcd-servers=http://127.0.0.1:{ports.etcd_client}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--secure-port={ports.apiserver}",
        f"--cert-dir={files.pki}",
        f"--tls-cert-file={files.pem('apiserver')}",
        f"--tls-private-key-file={files.pem('apiserver-key')}",
        f"--client-ca-file={files.pem('ca')}",
        f"--service-account-issuer={SA_ISSUER}",
        f"--service-account-key-file={files.pem('sa-pub')}",
        f"--service-account-signing-key-file={files.pem('sa-key')}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        f"--requestheader-client-ca-file={files.pem('front-proxy-ca')}",
        "--requestheader-allowed-names=front-proxy-client",
        "--requestheader-username-headers=X-Remote-User",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        f"--proxy-client-cert-file={files.pem('front-proxy-client')}",
        f"--proxy-client-key-file={files.pem('front-proxy-client-key')}",
        "--authorization-mode=Node,RBAC",
        # Added to the defaults (which already include most of these): tenancy
        # tests rely on quota and limit-range admission being the real ones.
        "--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,ResourceQuota,NodeRestriction",
        # Only one API server, on loopback: do not publish its address as the
        # `kubernetes` service's endpoints (nothing in the cluster could reach it).
        "--endpoint-reconciler-type=none",
        "--allow-privileged=true",
        "--profiling=false",
        "--v=0",
    ]


def kube_controller_manager(bin_dir: Path, files: Files, ports: Ports) -> list[str]:
    kubeconfig = files.kubeconfig("controller-manager")
    return [
        str(bin_dir / "kube-controller-manager"),
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        "--bind-address=127.0.0.1",
        f"--secure-port={ports.controller_manager}",
        f"--cert-dir={files.pki / 'controller-manager'}",
        # Leader election on, as in a kubeadm cluster: the portal's health check
        # reads the leader lease. A fresh etcd has no holder, so it is immediate.
        "--leader-elect=true",
        "--leader-elect-retry-period=1s",
        "--controllers=*",
        "--use-service-account-credentials=true",
        f"--service-account-private-key-file={files.pem('sa-key')}",
        f"--root-ca-file={files.pem('ca')}",
        # The CA signs CSRs (kubernetes.io/kube-apiserver-client etc.).
        f"--cluster-signing-cert-file={files.pem('ca')}",
        f"--cluster-signing-key-file={files.pem('ca-key')}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        # Defaults (20/30) throttle a 100-replica rollout to several seconds.
        "--kube-api-qps=200",
        "--kube-api-burst=400",
        "--v=0",
    ]


def kube_scheduler(bin_dir: Path, files: Files, ports: Ports) -> list[str]:
    kubeconfig = files.kubeconfig("scheduler")
    return [
        str(bin_dir / "kube-scheduler"),
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        "--bind-address=127.0.0.1",
        f"--secure-port={ports.scheduler}",
        f"--cert-dir={files.pki / 'scheduler'}",
        "--leader-elect=true",
        "--leader-elect-retry-period=1s",
        "--v=0",
    ]


def kwok(bin_dir: Path, files: Files) -> list[str]:
    return [
        str(bin_dir / "kwok"),
        f"--kubeconfig={files.kubeconfig('kwok')}",
        # Only our stages: never ~/.kwok/kwok.yaml or kwok's built-in defaults.
        f"--config={STAGES_DIR / 'nodes.yaml'}",
        f"--config={STAGES_DIR / 'pods.yaml'}",
        f"--manage-nodes-with-annotation-selector={NODE_ANNOTATION}=fake",
        f"--cidr={POD_CIDR}",
        "--node-ip=127.0.0.1",
        # kwok renews each node's Lease, as a kubelet does.
        "--node-lease-duration-seconds=40",
    ]
