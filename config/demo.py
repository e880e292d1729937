"""The local demo: the devcluster registered as a cluster, so a newcomer
running `make run` sees a live cluster in the portal."""

import subprocess
import sys

from clusters.models import Cluster
from clusters.services import clusters as cluster_services
from portal.env import BASE_DIR

DEMO_SLUG = "demo"


def _devcluster(*args, timeout=3600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "devcluster", *args], cwd=BASE_DIR, capture_output=True, text=True, timeout=timeout
    )


def demo_cluster_start() -> bool:
    """Start a detached devcluster unless one runs; True when this call started it."""
    if _devcluster("status", timeout=60).returncode == 0:
        return False
    # The first start builds Kubernetes from source: many minutes, once per machine.
    result = _devcluster("up", "--detach")
    if result.returncode != 0:
        raise RuntimeError((result.stderr or result.stdout).strip()[-2000:])
    return True


def demo_cluster_stop() -> None:
    _devcluster("down", timeout=120)


def demo_cluster_register() -> Cluster:
    """Register (or refresh the credentials of) the demo cluster record."""
    result = _devcluster("kubeconfig", "--print", timeout=60)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip() or "devcluster kubeconfig failed")
    kubeconfig = result.stdout
    # The same path as an admin's import: the cluster must answer before it is saved.
    existing = Cluster.objects.filter(slug=DEMO_SLUG).first()
    if existing:
        return cluster_services.cluster_credentials_replace(cluster=existing, kubeconfig=kubeconfig)[0]
    return cluster_services.cluster_import(
        name="Demo (devcluster)",
        slug=DEMO_SLUG,
        kubeconfig=kubeconfig,
        description="A local Kubernetes control plane with simulated nodes, started by `make run`.",
    )[0]
