from clusters.models.cluster import Cluster, ClusterPhaseChange, ClusterQuerySet, Node
from clusters.models.host import Host, SSHCredential

__all__ = [
    "Cluster",
    "ClusterPhaseChange",
    "ClusterQuerySet",
    "Node",
    "Host",
    "SSHCredential",
]
