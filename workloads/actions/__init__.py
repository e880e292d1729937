"""Special actions of the registered kinds, beyond list, get, apply and delete.

An action is declared once (`workloads.actions.base.Action`) in the module of
its feature and registered by kind; the API (`.../kinds/<plural>/<name>/<action>/`)
and the pages (`/workloads/namespaces/<id>/<plural>/<name>/<action>/`) run every
action through the same path (`workloads.services.live_action`): the same form
validates the input, the same client (impersonated) does the work, the same
audit records it. Reads (GET) show something about the object (its history,
its events); changes (POST) are for editors and audited.

Importing this package registers every action module listed below.
"""

from workloads.actions.base import ACTIONS, Action, Call, action_for, actions_for, register

# Each feature's module registers its actions when imported.
from workloads.actions import scale, rollout, revisions, batch, logs, related, secrets, edit  # noqa: E402,F401  isort: skip

__all__ = ["ACTIONS", "Action", "Call", "action_for", "actions_for", "register"]
