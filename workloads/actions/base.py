"""What an action is, and the registry of them by kind."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.utils.translation import gettext as _

from clusters import kube
from workloads.errors import NoSuchAction
from workloads.kinds import Kind


@dataclass
class Call:
    """One run of an action: who asks, on which object, with what input."""

    client: kube.KubeClient  # acting as the user (or the portal's credential for an admin)
    kind: Kind
    namespace: str
    name: str
    data: dict  # the form's cleaned data ({} for an action without a form)
    user: object = None
    team_namespace: object = None  # the rbac TeamNamespace, for a stream that opens its own client


@dataclass(frozen=True)
class Action:
    """A special action of some kinds.

    `run` does the work and answers a JSON-able dict: the API's answer and the
    page's context for `template`. An answer's "message" is shown to the user
    after a change. A read may answer an HttpResponse instead (a download, a
    followed log): the API and the page return it as it is. The call's client
    is closed when `run` returns, so a streamed answer opens its own
    (`workloads.selectors.client_as(call.user, call.team_namespace)`).
    """

    name: str  # the URL segment: "scale", "set-image", "history"
    label: str  # the button or section heading people read (translated)
    kinds: tuple[str, ...]  # the kinds it applies to ("Deployment", ...)
    run: Callable[[Call], dict]
    form: type[forms.Form] | None = None  # the input, validated the same for the API and the pages
    # obj -> the form's initial values on the detail page (a change's form starts from the object)
    initial: Callable[[dict], dict] | None = None
    method: str = "POST"  # POST changes (editors only, audited); GET reads
    # The partial that shows it on the detail page: a change's form, a read's answer.
    template: str = ""
    # A read shown on the detail page itself (run when the page renders), or
    # on a page of its own (logs).
    on_detail: bool = True
    editors_only: bool = field(default=None)  # default: changes are, reads are not
    # A change whose answer the page shows once, on the action's page, instead of
    # a message after a redirect: what it answers must not travel through the
    # session or a cache (a Secret's values).
    answer_page: bool = False

    @property
    def changes(self) -> bool:
        return self.method == "POST"

    @property
    def for_editors(self) -> bool:
        return self.changes if self.editors_only is None else self.editors_only

    def bound_form(self, data=None, obj: dict | None = None) -> forms.Form | None:
        if self.form is None:
            return None
        if data is not None:
            return self.form(data)
        return self.form(initial=self.initial(obj) if (self.initial and obj) else None)


# kind name -> {action name -> Action}
ACTIONS: dict[str, dict[str, Action]] = {}


def register(action: Action) -> Action:
    for kind in action.kinds:
        by_name = ACTIONS.setdefault(kind, {})
        if action.name in by_name:
            raise ValueError(f"{kind} has two actions called {action.name}")
        by_name[action.name] = action
    return action


def actions_for(kind: Kind) -> list[Action]:
    """The kind's actions, in the order they were registered."""
    return list(ACTIONS.get(kind.kind, {}).values())


def action_for(kind: Kind, name: str) -> Action:
    """The kind's action called `name`, or a 405 naming the ones it has."""
    try:
        return ACTIONS[kind.kind][name]
    except KeyError:
        known = ", ".join(a.name for a in actions_for(kind)) or _("none")
        raise NoSuchAction(
            _("%(kind)s objects have no action called %(action)s; they have: %(known)s.")
            % {"kind": kind.kind, "action": name, "known": known}
        ) from None
