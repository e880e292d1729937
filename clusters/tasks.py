"""Celery tasks: thin, they take ids and call services."""

from celery import shared_task

from clusters.services import clusters, health, inventory


@shared_task(name="clusters.tasks.clusters_health_sweep", acks_late=False)
def clusters_health_sweep() -> dict:
    # Not acks_late: a lost sweep is simply repeated at the next beat.
    return health.clusters_health_sweep()


@shared_task(name="clusters.tasks.cluster_check", acks_late=False)
def cluster_check(cluster_id: int) -> str | None:
    # Not acks_late: a page asked for it; a lost one is the sweep's to do.
    return clusters.cluster_check_by_id(cluster_id=cluster_id)


@shared_task(name="clusters.tasks.cluster_nodes_sync", acks_late=False)
def cluster_nodes_sync(cluster_id: int) -> dict | None:
    return inventory.cluster_nodes_refresh(cluster_id=cluster_id)
