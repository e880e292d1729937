"""Celery tasks: thin, they take ids and call services."""

from celery import shared_task

from clusters.jobs import recovery
from clusters.jobs.runner import job_run as run_job
from clusters.services import health
from clusters.services.jobs import job_events_purge as purge_events


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, name="clusters.tasks.job_run")
def job_run(self, job_id: int) -> str:
    # Safe to deliver twice: a job runs only from "pending".
    return run_job(job_id=job_id, worker_name=self.request.hostname or "")


@shared_task(name="clusters.tasks.jobs_reap_orphans")
def jobs_reap_orphans() -> int:
    return recovery.jobs_reap_orphans()


@shared_task(name="clusters.tasks.job_events_purge")
def job_events_purge() -> int:
    return purge_events()


@shared_task(name="clusters.tasks.clusters_health_sweep", acks_late=False)
def clusters_health_sweep() -> dict:
    # Not acks_late: a lost sweep is simply repeated at the next beat.
    return health.clusters_health_sweep()
