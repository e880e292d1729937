"""Reads for the job pages and the API: how far a job has come, and its log.

Progress counts (step, host) pairs, the rows of JobStep: a stage on ten hosts
is ten pairs. A skipped pair counts as done (its check found nothing to do).
Everything is computed from one read of the job's steps (or the ones a list
view prefetched), so a job of 30 stages on 10+ hosts costs one query, not one
per step.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from jobs.choices import StepStatus
from jobs.models import Job, JobEvent, JobStep

DONE = frozenset({StepStatus.SUCCEEDED, StepStatus.SKIPPED})


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def _elapsed(started: datetime | None, finished: datetime | None, now: datetime) -> timedelta | None:
    """Time between start and finish; for what still runs, until now."""
    if started is None:
        return None
    return (finished or now) - started


@dataclass
class Counts:
    total: int = 0
    done: int = 0
    failed: int = 0
    running: int = 0
    canceled: int = 0

    def add(self, step: JobStep) -> None:
        self.total += 1
        if step.status in DONE:
            self.done += 1
        elif step.status == StepStatus.FAILED:
            self.failed += 1
        elif step.status == StepStatus.RUNNING:
            self.running += 1
        elif step.status == StepStatus.CANCELED:
            self.canceled += 1

    @property
    def pending(self) -> int:
        return self.total - self.done - self.failed - self.running - self.canceled

    @property
    def percent(self) -> int:
        return _percent(self.done, self.total)

    @property
    def failed_percent(self) -> int:
        # The bar shows failures after what is done; both together never pass 100.
        return min(_percent(self.failed, self.total), 100 - self.percent)


@dataclass
class HostProgress(Counts):
    """One host's pairs. `host` is "" for the portal's own steps (work on no host)."""

    host: str = ""
    # The step running on this host now (a host runs its stages in order: at most one).
    current: JobStep | None = None

    @property
    def state(self) -> str:
        """A StepStatus value summing up the host, for its badge."""
        if self.failed:
            return StepStatus.FAILED
        if self.running:
            return StepStatus.RUNNING
        if self.total and self.done == self.total:
            return StepStatus.SUCCEEDED
        if self.canceled:
            return StepStatus.CANCELED
        return StepStatus.PENDING

    @property
    def state_label(self) -> str:
        return StepStatus(self.state).label


@dataclass
class JobProgress(Counts):
    hosts: list[HostProgress] = field(default_factory=list)
    # Every step running now, in plan order.
    current: list[JobStep] = field(default_factory=list)
    # Since the job started; until it finished, or until now while it runs.
    elapsed: timedelta | None = None
    # The steps in plan order, each with `elapsed` set (its duration, or how
    # long it has run so far), for pages that list them.
    steps: list[JobStep] = field(default_factory=list)

    @property
    def has_hosts(self) -> bool:
        return any(host.host for host in self.hosts)

    @property
    def host_names(self) -> list[str]:
        return [host.host for host in self.hosts if host.host]


def job_progress(job: Job, *, steps: Iterable[JobStep] | None = None, now: datetime | None = None) -> JobProgress:
    """Counts per host and in total, the current step of each host, elapsed times.

    Reads `job.steps.all()` once (prefetched rows when the queryset had them),
    or the `steps` given."""
    now = now or timezone.now()
    steps = sorted(job.steps.all() if steps is None else steps, key=lambda s: (s.position, s.host))
    progress = JobProgress(elapsed=_elapsed(job.started, job.finished, now), steps=steps)
    by_host: dict[str, HostProgress] = {}
    for step in steps:
        step.elapsed = _elapsed(step.started, step.finished, now)
        host = by_host.get(step.host)
        if host is None:
            host = by_host[step.host] = HostProgress(host=step.host)
        host.add(step)
        progress.add(step)
        if step.status == StepStatus.RUNNING:
            progress.current.append(step)
            if host.current is None:
                host.current = step
    # The portal's own steps first, then the hosts by name.
    progress.hosts = sorted(by_host.values(), key=lambda h: (h.host != "", h.host))
    return progress


def job_events(job: Job, *, after: int = 0, host: str | None = None) -> QuerySet[JobEvent]:
    """The job's output after counter `after`, oldest first; only one host's
    when `host` is given ("" is the portal's own output)."""
    events = JobEvent.objects.filter(job=job, counter__gt=after)
    if host is not None:
        events = events.filter(host=host)
    return events.order_by("counter")


def job_events_tail(job: Job, *, limit: int, host: str | None = None) -> tuple[list[JobEvent], bool]:
    """The last `limit` events (of one host when given), oldest first, and
    whether older ones were left out."""
    events = JobEvent.objects.filter(job=job)
    if host is not None:
        events = events.filter(host=host)
    newest = list(events.order_by("-counter")[: limit + 1])
    return newest[:limit][::-1], len(newest) > limit
