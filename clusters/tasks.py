"""Celery tasks: thin, they take ids and call services."""

from celery import shared_task

from clusters.services import health


@shared_task(name="clusters.tasks.clusters_health_sweep", acks_late=False)
def clusters_health_sweep() -> dict:
    # Not acks_late: a lost sweep is simply repeated at the next beat.
    return health.clusters_health_sweep()
