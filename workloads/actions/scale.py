"""Scale: the desired replicas, through the `scale` subresource."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workloads import columns, objects
from workloads.actions.base import Action, Call, register

SCALE = "scale"
# More is a typo more often than a plan; quota decides below it.
MAX_REPLICAS = 1000


class ScaleForm(forms.Form):
    replicas = forms.IntegerField(label=gettext_lazy("Replicas"), min_value=0, max_value=MAX_REPLICAS)


def _scale(call: Call) -> dict:
    replicas = call.data["replicas"]
    answer = objects.scale_object(call.client, call.kind, call.namespace, call.name, replicas)
    return {
        "kind": call.kind.kind,
        "name": call.name,
        "replicas": columns.dig(answer, "spec", "replicas", default=replicas),
        "message": _("Scaled %(kind)s %(name)s to %(replicas)s.")
        % {"kind": call.kind.kind, "name": call.name, "replicas": replicas},
    }


register(
    Action(
        SCALE,
        gettext_lazy("Scale"),
        kinds=("Deployment", "StatefulSet"),
        run=_scale,
        form=ScaleForm,
        initial=lambda obj: {"replicas": columns.dig(obj, "spec", "replicas", default=1)},
    )
)
