"""Conditions of team namespaces, stored as Kubernetes stores them: a type,
a status, a reason code and its parameters; the sentence is made when the
page shows it, in the reader's language.

The reconciler runs in a worker (or in someone's request, in their
language): a sentence written then would be in the wrong language for the
next reader. Each stored condition also keeps `message`, the English
sentence, so rows and readers from before (the API, the audit) read as they
did; a condition whose reason this code does not know shows that message.
"""

from django.utils.translation import gettext, gettext_lazy, gettext_noop

from portal import stored_text
from portal.stored_text import Message

# reason -> the sentence it stands for; %(...)s are the condition's params.
SENTENCES = {
    "Provisioned": gettext_noop("Provisioned."),
    "InSync": gettext_noop("In sync."),
    "DriftRepaired": gettext_noop("Repaired drift."),
    "ReconcileFailed": gettext_noop("%(object)s: %(error)s"),
    "ReconcileFailedMore": gettext_noop("%(object)s: %(error)s (and %(more)s more)"),
    "NotOwned": gettext_noop(
        "Namespace %(name)s already exists in the cluster and was not created by the portal for this team "
        "namespace; nothing was changed in it."
    ),
    "Terminating": gettext_noop("Namespace %(name)s is being deleted in the cluster."),
    "NoRulesYet": gettext_noop("ClusterRole %(name)s has no rules yet."),
    "DeletedByJob": gettext_noop("Deleted by job #%(job)s."),
}
# (type, status) -> what the page calls it; anything else shows "type = status".
LABELS = {
    ("Reconciled", "True"): gettext_lazy("Reconciled"),
    ("Reconciled", "False"): gettext_lazy("Not reconciled"),
    ("Approved", "True"): gettext_lazy("Approved"),
    ("Rejected", "True"): gettext_lazy("Rejected"),
    ("Deleted", "True"): gettext_lazy("Deleted"),
}


# What a cluster grant's `message` says after a run: stored as the English
# msgid (the grant has one text column), translated when shown.
GRANT_APPLIED = gettext_noop("Applied.")
GRANT_REPAIRED = gettext_noop("The binding differed from the grant (changed by hand?) and was repaired.")
GRANT_MESSAGES = frozenset({GRANT_APPLIED, GRANT_REPAIRED})


def grant_message(message: str) -> str:
    """A grant's stored message as the page shows it: ours translated, the
    API server's words as they are."""
    return gettext(message) if message in GRANT_MESSAGES else message


class Reason(Message):
    """A condition's (or a failed object's) reason code with its parameters;
    as a Message it renders the reason's sentence."""

    __slots__ = ("reason",)

    def __init__(self, reason: str, /, **params):
        super().__init__(SENTENCES[reason], **params)
        self.reason = reason


def stored(text: "str | Message") -> dict:
    """The fields a condition (or a failed object) stores for `text`: its
    reason and params when it has them (a cluster's refusal, a message
    without a reason code, keeps its id and params in `message_i18n`), and
    always the English message."""
    fields = {"message": stored_text.english(text)}
    if isinstance(text, Reason):
        fields["reason"] = text.reason
        fields["params"] = stored_text.to_json(text)["params"]
    elif isinstance(text, Message):
        fields["message_i18n"] = stored_text.to_json(text)
    return fields


def sentence(entry: dict) -> str:
    """What a stored condition (or failed object) says, in the active
    language; its stored message when the reason is not one of ours."""
    reason = entry.get("reason")
    if reason in SENTENCES:
        params = entry.get("params") if isinstance(entry.get("params"), dict) else {}
        return stored_text.render({"msgid": SENTENCES[reason], "params": params})
    return stored_text.shown(entry.get("message_i18n"), entry.get("message") or "")


def label(entry: dict) -> str:
    key = (entry.get("type"), entry.get("status"))
    if key in LABELS:
        return str(LABELS[key])
    return " = ".join(str(part) for part in key if part)


def shown(conditions: list[dict]) -> list[dict]:
    """The conditions as the page shows them: each with its `label` and
    `sentence`, and each failed object's `sentence`."""
    return [
        {
            **condition,
            "label": label(condition),
            "sentence": sentence(condition),
            "failed": [{**f, "sentence": sentence(f)} for f in condition.get("failed") or [] if isinstance(f, dict)],
        }
        for condition in conditions
        if isinstance(condition, dict)
    ]
