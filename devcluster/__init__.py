"""A real Kubernetes v1.37 control plane with simulated nodes, for tests and
the local demo: etcd, kube-apiserver, kube-controller-manager, kube-scheduler
built from upstream Go modules, plus kwok playing the kubelets.

    from devcluster import DevCluster
    with DevCluster.start(nodes=3) as dc:
        ...  # dc.kubeconfig_path, dc.server, dc.ca_cert_pem, dc.client_cert(...)

CLI: ``python -m devcluster up|down|status|kubeconfig|build``. See README.md.
"""

from .build import BuildError
from .cluster import DevCluster, DevClusterError

__all__ = ["BuildError", "DevCluster", "DevClusterError"]
