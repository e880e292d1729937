"""Secrets: their values, decoded, for whoever the API server lets read them.

Everywhere else a Secret's values are hidden (`workloads.kinds`, `Kind.shown`).
Asking for them is a POST, so it is audited ("secret.reveal", with the
Secret's name; the audit keeps the request, never the answer). It is not for
editors only: the API server decides, and Kubernetes' `view` role (a team
viewer's) does not read Secrets, so a viewer's reveal is its 403.

On the page, the script asks the API and shows the values in place
(static/workloads/secrets.js); without JavaScript the form's POST answers the
action's page with the values shown once (`Action.answer_page`): never in a
message, the session or a cache.
"""

import base64
import binascii

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clusters import kube
from workloads import objects
from workloads.actions.base import Action, Call, register

REVEAL = "reveal"


class RevealForm(forms.Form):
    key = forms.CharField(
        label=gettext_lazy("Key"),
        required=False,
        max_length=253,
        help_text=gettext_lazy("Only this key's value; empty for all of them."),
    )


def decoded(value: str) -> tuple[str, bool]:
    """(the value as text, True) or, for bytes that are not UTF-8 text, (its base64, False)."""
    try:
        raw = base64.b64decode(value or "", validate=True)
    except (binascii.Error, ValueError):
        return value or "", False
    try:
        return raw.decode("utf-8"), True
    except UnicodeDecodeError:
        return value, False


def _reveal(call: Call) -> dict:
    secret = objects.get_object(call.client, call.kind, call.namespace, call.name)
    data = secret.get("data") or {}
    key = call.data.get("key") or ""
    if key and key not in data:
        message = _("Secret %(name)s has no key %(key)s.") % {"name": call.name, "key": key}
        raise kube.KubeInvalid(message, field_errors={"key": [message]})
    values, binary = {}, []
    for name in sorted(data):
        if key and name != key:
            continue
        values[name], text = decoded(data[name])
        if not text:
            binary.append(name)
    return {
        "values": values,
        "binary": binary,  # keys whose values are bytes, answered in base64
        "message": _("Revealed %(count)s value(s) of Secret %(name)s.") % {"count": len(values), "name": call.name},
    }


register(
    Action(
        REVEAL,
        gettext_lazy("Reveal values"),
        kinds=("Secret",),
        run=_reveal,
        form=RevealForm,
        template="workloads/actions/_secret_reveal.html",
        editors_only=False,
        answer_page=True,
    )
)
