from django import forms
from django.utils.translation import gettext_lazy as _

from portal.validators import dns_label
from rbac.quantities import quantity


class DeploymentForm(forms.Form):
    """A small Deployment: one container, its image, replicas and resources."""

    name = forms.CharField(max_length=63, validators=[dns_label], label=_("Name"))
    image = forms.CharField(max_length=255, label=_("Image"), help_text=_("e.g. nginx:1.27"))
    replicas = forms.IntegerField(min_value=0, max_value=100, initial=1, label=_("Replicas"))
    cpu = forms.CharField(
        required=False,
        max_length=32,
        validators=[quantity],
        label=_("CPU"),
        help_text=_("Requests and limits, e.g. 100m"),
    )
    memory = forms.CharField(
        required=False, max_length=32, validators=[quantity], label=_("Memory"), help_text=_("e.g. 128Mi")
    )

    def clean_image(self):
        image = self.cleaned_data["image"].strip()
        if any(c.isspace() for c in image):
            raise forms.ValidationError(_("An image reference has no spaces."))
        return image
