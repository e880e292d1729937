"""Command lines of the five upstream components (and our container-log stand-in).

Everything listens on 127.0.0.1 only, on ports picked at start. Flags are the
documented upstream ones; the comments say why a non-default is set.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAGES_DIR = HERE / "stages"
CRDS_DIR = HERE / "crds"

SERVICE_CIDR = "10.96.0.0/12"
SERVICE_IP = "10.96.0.1"  # first address of SERVICE_CIDR: the `kubernetes` service
POD_CIDR = "10.244.0.0/16"  # kwok hands out pod IPs from here; no overlap with services
NODE_ANNOTATION = "kwok.x-k8s.io/node"  # nodes annotated `=fake` are kwok's
SA_ISSUER = "https://kubernetes.default.svc.cluster.local"
# Every simulated node's InternalIP: the address kwok's server (the nodes'
# kubelet API) listens on. One kwok plays all the kubelets, so the nodes share
# its address, as in kwok's own clusters (its --node-ip for every node).
NODE_IP = "127.0.0.1"


@dataclass(frozen=True)
class Ports:
    etcd_client: int
    etcd_peer: int
    apiserver: int
    controller_manager: int
    scheduler: int
    kubelet: int  # kwok's server: the kubelet API of every node (logs)


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

    @property
    def container_logs(self) -> Path:
        """The pods' container logs (containerlogs.py writes them, kwok reads them)."""
        return self.root / "containers"


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
        # The kubelet API (pods' logs) is kwok's server, at each node's
        # InternalIP (no DNS here for node names) and the port the node reports
        # in status.daemonEndpoints. Its serving certificate is signed by the
        # cluster CA for that address, so the API server verifies it (without
        # this flag it would skip verification: upstream's transportConfig sets
        # Insecure when no CA is given). The client certificate is what a
        # kubelet would authenticate the API server by; kwok's server asks for
        # none and checks no one (it has no authn/authz), so here it is only
        # the setup a real kubelet expects.
        "--kubelet-preferred-address-types=InternalIP",
        f"--kubelet-certificate-authority={files.pem('ca')}",
        f"--kubelet-client-certificate={files.pem('apiserver-kubelet-client')}",
        f"--kubelet-client-key={files.pem('apiserver-kubelet-client-key')}",
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


def kwok(bin_dir: Path, files: Files, ports: Ports) -> list[str]:
    return [
        str(bin_dir / "kwok"),
        f"--kubeconfig={files.kubeconfig('kwok')}",
        # Only our stages: never ~/.kwok/kwok.yaml or kwok's built-in defaults.
        f"--config={STAGES_DIR / 'nodes.yaml'}",
        f"--config={STAGES_DIR / 'pods.yaml'}",
        f"--manage-nodes-with-annotation-selector={NODE_ANNOTATION}=fake",
        f"--cidr={POD_CIDR}",
        f"--node-ip={NODE_IP}",
        # kwok's server plays the nodes' kubelet API (/containerLogs ...) on
        # loopback; the node stage reports --node-port as the kubelet port.
        f"--server-address={NODE_IP}:{ports.kubelet}",
        f"--node-port={ports.kubelet}",
        f"--tls-cert-file={files.pem('kubelet')}",
        f"--tls-private-key-file={files.pem('kubelet-key')}",
        # Where each pod's log files are: ClusterLogs objects that
        # containerlogs.py creates per pod (crds/ holds kwok's definition).
        "--enable-crds=ClusterLogs",
        # kwok renews each node's Lease, as a kubelet does.
        "--node-lease-duration-seconds=40",
    ]


def container_logs(files: Files, server: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "devcluster.containerlogs",
        f"--server={server}",
        f"--pki={files.pki}",
        f"--dir={files.container_logs}",
    ]
