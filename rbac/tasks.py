"""Celery tasks of the tenancy app: thin, they take ids and call services."""

from celery import shared_task
from django.contrib.auth import get_user_model

from clusters.models import Cluster
from rbac.reconcile import reconcile_cluster


@shared_task(name="rbac.tasks.namespaces_reconcile", acks_late=True, reject_on_worker_lost=True)
def namespaces_reconcile(cluster_id: int, only: list[int] | None = None, actor_id: int | None = None) -> dict:
    # Idempotent: reconciling twice converges to the same state.
    cluster = Cluster.objects.filter(pk=cluster_id).first()
    if cluster is None:
        return {}
    # Who asked for a "reconcile now" is named by the drift it repairs.
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    report = reconcile_cluster(cluster=cluster, only=only, actor=actor)
    return {"namespaces": report.namespaces, "drifted": report.drifted, "failed": report.failed}


@shared_task(name="rbac.tasks.namespaces_reconcile_all")
def namespaces_reconcile_all() -> int:
    """Periodic: queue a reconcile of every cluster that has team namespaces."""
    ids = list(Cluster.objects.filter(team_namespaces__isnull=False).distinct().values_list("pk", flat=True))
    for cluster_id in ids:
        namespaces_reconcile.delay(cluster_id)
    return len(ids)
