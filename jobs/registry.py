"""Kinds of jobs. Each kind names its ordered steps and runs one step at a time.

Steps must be idempotent (check before change): a failed job is resumed as a
new job that skips the steps that already succeeded.
"""

from dataclasses import dataclass

_KINDS: dict[str, type["JobKind"]] = {}


@dataclass(frozen=True)
class StepSpec:
    name: str
    title: str


class JobKind:
    """Template for a kind of job (AWX's BaseTask, reduced to what we need)."""

    name: str = ""

    def steps(self, job) -> list[StepSpec]:
        raise NotImplementedError

    def run_step(self, ctx, step) -> str | None:
        """Do one step. Return "skipped" when its check found nothing to do.
        Raise `StepFailed` (or any exception) to fail the job."""
        raise NotImplementedError

    def on_finished(self, job) -> None:
        """Called once the job reached a final state."""


class StepFailed(Exception):
    """A step failed with a message meant for the user."""


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
