"""Kubernetes' IntOrString figures of rolling updates, as the forms of set
image (workloads/actions/rollout.py) and update strategy
(workloads/actions/revisions.py) take them, checked as the API server checks
them so its refusals are rare and name the same fields."""

import re

from django import forms
from django.utils.translation import gettext as _

# maxSurge / maxUnavailable as the API calls them: people know them from kubectl and manifests.
MAX_SURGE, MAX_UNAVAILABLE = "maxSurge", "maxUnavailable"
WHOLE, PERCENT = re.compile(r"^[0-9]+$"), re.compile(r"^[0-9]+%$")
INT32 = 2**31 - 1  # the API's int32 fields (a StatefulSet's partition)


def int_or_percent(value: str, *, at_most_100=False) -> int | str:
    """A Kubernetes IntOrString as rolling updates take it: a whole number of
    pods (0 or more) or a percentage of the replicas ("25%")."""
    if WHOLE.match(value) and int(value) <= INT32:
        return int(value)
    if PERCENT.match(value):
        if at_most_100 and int(value[:-1]) > 100:
            raise forms.ValidationError(_("At most 100%."))
        return value
    raise forms.ValidationError(_("A whole number of pods (0 or more) or a percentage such as 25%."))


def zero(value) -> bool:
    """Whether a checked IntOrString is nothing: 0, "0%", "00%" (None, not given, is not)."""
    return value is not None and int(str(value).rstrip("%")) == 0


class IntOrPercentField(forms.CharField):
    """maxSurge or maxUnavailable: a number or a percentage (`at_most_100` for
    the ones the API server caps), or None when left empty."""

    def __init__(self, *, at_most_100=False, **kwargs):
        self.at_most_100 = at_most_100
        super().__init__(required=False, max_length=12, **kwargs)

    def clean(self, value):
        value = super().clean(value)  # stripped
        return int_or_percent(value, at_most_100=self.at_most_100) if value else None
