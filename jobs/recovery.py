"""Jobs whose worker died are failed with a clear message, never left running."""

import logging
import os
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_noop

from jobs import state
from jobs.choices import JobStatus, StepStatus
from jobs.models import Job
from portal import stored_text
from portal.stored_text import Message

logger = logging.getLogger(__name__)


def _fail_orphan(job: Job, message: Message) -> None:
    try:
        state.job_transition(job_id=job.pk, to=JobStatus.FAILED, message=message)
    except state.IllegalTransition:
        return  # it finished meanwhile
    for step in job.steps.filter(status=StepStatus.RUNNING):
        state.step_set_status(step=step, status=StepStatus.FAILED, message=message)
    state.job_event_append(job_id=job.pk, text=message, stream="system")
    logger.warning("Job %s failed by recovery: %s", job.pk, stored_text.english(message))


def jobs_fail_orphaned_by_worker(*, worker_name: str) -> int:
    """Called when a worker starts: its earlier incarnation's running jobs are dead."""
    if not worker_name:
        return 0
    orphans = list(Job.objects.filter(status=JobStatus.RUNNING, worker__startswith=f"{worker_name}:"))
    for job in orphans:
        _fail_orphan(
            job,
            Message(
                gettext_noop(
                    "The worker running this job (%(worker)s) stopped before it finished. "
                    "Resume the job to continue from the step that was interrupted."
                ),
                worker=job.worker,
            ),
        )
    return len(orphans)


def jobs_reap_orphans() -> int:
    """Periodic: running jobs whose heartbeat stopped belong to a dead worker."""
    cutoff = timezone.now() - timedelta(seconds=settings.JOB_ORPHAN_AFTER_SECONDS)
    orphans = list(Job.objects.filter(status=JobStatus.RUNNING, heartbeat__lt=cutoff))
    for job in orphans:
        _fail_orphan(
            job,
            Message(
                gettext_noop(
                    "No heartbeat from the worker running this job (%(worker)s) since %(heartbeat)s; "
                    "the worker is presumed dead. Resume the job to continue from the step that was interrupted."
                ),
                worker=job.worker,
                heartbeat=f"{job.heartbeat:%Y-%m-%d %H:%M:%S %Z}",
            ),
        )
    return len(orphans)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def job_fail_if_worker_dead(*, job: Job, worker_name: str) -> bool:
    """A redelivered message (the pool process died, reject-on-worker-lost) finds
    its job running under a pid of this worker that no longer exists."""
    name, _, pid = job.worker.rpartition(":")
    if name != worker_name or not pid.isdigit() or _pid_alive(int(pid)):
        return False
    _fail_orphan(
        job,
        Message(
            gettext_noop(
                "The worker process running this job (%(worker)s) died before it finished. "
                "Resume the job to continue from the step that was interrupted."
            ),
            worker=job.worker,
        ),
    )
    return True
