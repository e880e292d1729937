"""Celery tasks of the job engine: thin, they take ids and call the engine."""

from celery import shared_task

from jobs import recovery, retention
from jobs.runner import job_run as run_job


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, name="jobs.tasks.job_run")
def job_run(self, job_id: int) -> str:
    # Safe to deliver twice: a job runs only from "pending".
    return run_job(job_id=job_id, worker_name=self.request.hostname or "")


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, name="clusters.tasks.job_run")
def job_run_queued_before_jobs_app(self, job_id: int) -> str:
    # Messages enqueued before the engine moved out of clusters/ carry the old name.
    return run_job(job_id=job_id, worker_name=self.request.hostname or "")


@shared_task(name="jobs.tasks.jobs_reap_orphans")
def jobs_reap_orphans() -> int:
    return recovery.jobs_reap_orphans()


@shared_task(name="jobs.tasks.job_events_purge")
def job_events_purge() -> int:
    return retention.job_events_purge()
