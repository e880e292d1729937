"""The Celery app. Tasks are thin: they take ids and call a service."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _fail_jobs_of_dead_workers(sender=None, **kwargs):
    """A worker that (re)starts owns no running job yet: any job still marked
    running under this worker's name was left by a process that died."""
    from jobs.recovery import jobs_fail_orphaned_by_worker

    jobs_fail_orphaned_by_worker(worker_name=sender.hostname if sender else "")
