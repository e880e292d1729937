from clusters.models.bootstrap import ClusterBootstrap
from clusters.models.cluster import Cluster, ClusterPhaseChange, ClusterQuerySet, Node

__all__ = [
    "Cluster",
    "ClusterBootstrap",
    "ClusterPhaseChange",
    "ClusterQuerySet",
    "Node",
]
