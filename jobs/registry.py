"""Kinds of jobs. Each kind plans its work as ordered stages and runs one step
on one host at a time; the runner runs a stage's hosts in parallel.

Steps must be idempotent (check before change): a failed job is resumed as a
new job that skips the (step, host) pairs that already succeeded.
"""

from dataclasses import dataclass

from portal import stored_text
from portal.stored_text import Message

_KINDS: dict[str, type["JobKind"]] = {}


@dataclass(frozen=True)
class StepSpec:
    """One stage of a job's plan: the step `name`, run on each of `hosts` (in
    parallel, at most JOB_HOST_CONCURRENCY at once), or once when it has none.
    `timeout`: seconds one host's step may take before it fails; `retries`:
    how often a transient failure (StepTransientError) is tried again, after
    `retry_delay` seconds."""

    name: str
    # A Message (stored with its id, shown in the reader's language) or plain text.
    title: "str | Message"
    hosts: tuple[str, ...] = ()
    timeout: float | None = None
    # A step that raises StepTransientError is tried again this many times.
    retries: int = 0
    retry_delay: float = 5.0


class JobKind:
    """Template for a kind of job (AWX's BaseTask, reduced to what we need)."""

    name: str = ""
    # Seconds a whole job of this kind may run in its worker (a long bootstrap
    # must not die at the global limit); None: CELERY_TASK_SOFT_TIME_LIMIT.
    time_limit: int | None = None

    def steps(self, job) -> list[StepSpec]:
        """The plan: one StepSpec per stage, in order."""
        raise NotImplementedError

    def spec_for(self, step) -> StepSpec:
        """The plan's entry of a step (its timeout and retries)."""
        for spec in self.steps(step.job):
            if spec.name == step.name:
                return spec
        return StepSpec(step.name, step.title)

    def run_step(self, ctx, step) -> str | None:
        """Do one step on one host (`step.host`, blank for none). Return
        "skipped" when its check found nothing to do. Raise `StepFailed` (or
        any exception) to fail the stage and the job; `ctx.exit_status` is
        recorded with the step."""
        raise NotImplementedError

    def failure_hint(self, step) -> "str | Message":
        """What to do next when `step` failed, appended to its message."""
        return ""

    def on_finished(self, job) -> None:
        """Called once the job reached a final state."""

    def result_url(self, job) -> str | None:
        """Where the job's outcome is shown, when its kind has a page for it
        (a preflight's results); the job page links to it."""
        return None


class StepFailed(Exception):
    """A step failed with a message meant for the user: plain text (a host's
    or an API's words) or a Message, translated when the job is shown."""

    def __init__(self, message: "str | Message | list" = "", exit_status: int | None = None):
        super().__init__(stored_text.english(message))  # plain text in args, as for any exception
        self.text = message
        self.exit_status = exit_status


class StepTimedOut(StepFailed):
    """A step ran past its stage's timeout."""


class StepTransientError(StepFailed):
    """A failure worth another try: a connection reset, a package manager's
    lock held by another process. Retried up to the step's `retries`."""


class JobCanceled(Exception):
    """Raised inside a step when the job's cancellation was requested."""


class UnknownJobKind(LookupError):
    pass


def register(kind_class: type[JobKind]) -> type[JobKind]:
    if not kind_class.name:
        raise ValueError("A job kind needs a name.")
    _KINDS[kind_class.name] = kind_class
    return kind_class


def get_kind(name: str) -> JobKind:
    try:
        return _KINDS[name]()
    except KeyError:
        raise UnknownJobKind(f"No job kind named {name!r} is registered in this worker.") from None


def kind_names() -> list[str]:
    return sorted(_KINDS)
