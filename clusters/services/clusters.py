"""Cluster records and their credentials."""

from django.db import transaction
from django.utils import timezone

from clusters import kubeconfig as kc
from clusters.models import Cluster


def credentials_from_kubeconfig(text: str, context: str | None) -> dict:
    """Check a pasted kubeconfig and reduce it to the fields a Cluster stores."""
    reduced, facts = kc.reduce_to_context(kc.parse(text), context or None)
    return {
        "kubeconfig": kc.dump(reduced),
        "kubeconfig_context": facts["context"],
        "credential_kind": facts["credential_kind"],
        "api_server_url": facts["server"],
    }


@transaction.atomic
def cluster_create(
    *, name: str, slug: str, description: str = "", kubeconfig: str = "", context: str = "", **extra
) -> Cluster:
    """Record a cluster; with a kubeconfig, its credentials are checked and encrypted."""
    fields = credentials_from_kubeconfig(kubeconfig, context) if kubeconfig else {}
    if fields:
        fields["credentials_rotated"] = timezone.now()
    cluster = Cluster(name=name, slug=slug, description=description, **extra, **fields)
    cluster.full_clean()
    cluster.save()
    return cluster


@transaction.atomic
def cluster_update(*, cluster: Cluster, kubeconfig: str = "", context: str = "", **changes) -> Cluster:
    """Change a cluster's record; a new kubeconfig replaces the credentials (rotation)."""
    for field, value in changes.items():
        setattr(cluster, field, value)
    if kubeconfig:
        for field, value in credentials_from_kubeconfig(kubeconfig, context).items():
            setattr(cluster, field, value)
        cluster.credentials_rotated = timezone.now()
    cluster.full_clean()
    cluster.save()
    return cluster


@transaction.atomic
def cluster_delete(*, cluster: Cluster) -> None:
    """Forget a cluster. The real cluster is never touched.

    Records of namespaces that are gone (deleted, or rejected before they
    existed) go with it; a live one keeps the cluster (409, ProtectedError)."""
    from rbac.choices import NamespacePhase

    cluster.team_namespaces.filter(phase__in=[NamespacePhase.DELETED, NamespacePhase.REJECTED]).delete()
    cluster.delete()
