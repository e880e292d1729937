"""Changes on a host that check before they change.

A `Command` runs only when its `unless` check fails (exits non-zero); a
`WriteFile` writes only when the file's content differs. `apply` runs a list
of them in a job step on the step's host, so running the same list twice
changes nothing the second time.
"""

import hashlib
import shlex
from dataclasses import dataclass, field

from django.utils.translation import gettext_noop

from hosts import jobwork
from jobs.choices import EventStream
from portal.stored_text import Message


@dataclass(frozen=True)
class Command:
    run: str
    unless: str = ""  # exits 0: already done, `run` is skipped
    sudo: bool = True


@dataclass(frozen=True)
class WriteFile:
    path: str
    content: str = field(repr=False)
    mode: int = 0o644
    secret: bool = False  # holds a secret: never shown, removed after use
    # Exits 0 when the work the file is for is done: then it is not written
    # again (a kubeadm file with a token, removed once used, stays removed).
    done_when: str = ""

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.content.encode()).hexdigest()

    @property
    def unless(self) -> str:
        quoted = shlex.quote(self.path)
        same = f'[ "$(sha256sum < {quoted} 2>/dev/null | cut -d" " -f1)" = {self.digest} ]'
        return f"{{ {self.done_when}; }} || {same}" if self.done_when else same


def apply(ctx, actions) -> bool:
    """Run the actions on the step's host; True when any of them changed
    something. A secret file's content is hidden from the job log."""
    changed = False
    for action in actions:
        if isinstance(action, WriteFile) and action.secret:
            ctx.hide(action.content)
        if action.unless and jobwork.run(ctx, action.unless, sudo=True, check=False, quiet=True).ok:
            what = action.path if isinstance(action, WriteFile) else action.run
            ctx.log(Message(gettext_noop("Already done: %(what)s"), what=what), EventStream.SYSTEM)
            continue
        if isinstance(action, WriteFile):
            jobwork.put(ctx, action.content, action.path, mode=action.mode, sudo=True)
        else:
            jobwork.run(ctx, action.run, sudo=action.sudo)
        changed = True
    return changed
