from clusters.models.cluster import Cluster, ClusterPhaseChange, ClusterQuerySet, Node

__all__ = [
    "Cluster",
    "ClusterPhaseChange",
    "ClusterQuerySet",
    "Node",
]
