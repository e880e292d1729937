from clusters.models.cluster import Cluster, ClusterPhaseChange, ClusterQuerySet, Node
from clusters.models.host import Host, SSHCredential
from clusters.models.job import Job, JobEvent, JobStep

__all__ = [
    "Cluster",
    "ClusterPhaseChange",
    "ClusterQuerySet",
    "Node",
    "Host",
    "SSHCredential",
    "Job",
    "JobStep",
    "JobEvent",
]
