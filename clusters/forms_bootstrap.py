"""The wizard's form for bringing up a cluster with kubeadm.

It only gathers what the admin typed; clusters.bootstrap.spec.spec_validate
judges it, so the page and the REST API refuse the same things with the same
messages. An uploaded pod network manifest is read here; the view keeps it
between the steps (clusters.views_bootstrap).
"""

import inspect

from django import forms
from django.utils.translation import gettext_lazy as _

from clusters.bootstrap.spec import DEFAULT_VERSION, NETWORK_ADDONS, UPSTREAM_IMAGE_REPOSITORY, spec_validate
from hosts.forms import PreflightForm
from hosts.models import Host

MAX_MANIFEST_BYTES = 5 * 1024 * 1024
# What spec_validate takes, by the same names; the hosts and the list are shaped apart.
SPEC_FIELDS = tuple(
    name
    for name in inspect.signature(spec_validate).parameters
    if name not in ("control_plane", "workers", "ignore_preflight_errors")
)
# Shown first; the rest is under "Advanced".
MAIN_FIELDS = ("name", "slug", "control_plane", "workers", "version", "pod_cidr", "service_cidr")


def _text(label, max_length: int, help_text="", **options) -> forms.CharField:
    return forms.CharField(label=label, max_length=max_length, required=False, help_text=help_text, **options)


class _HostLabel:
    """Offers the hosts in no cluster; one taken meanwhile is refused by name."""

    def __init__(self, **kwargs):
        super().__init__(
            queryset=Host.objects.none(),
            to_field_name="name",
            required=False,
            error_messages={
                "invalid_choice": _("%(value)s is not a registered host outside every cluster (any more).")
            },
            **kwargs,
        )

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.address})"


class _HostChoice(_HostLabel, forms.ModelChoiceField):
    pass


class _HostsChoice(_HostLabel, forms.ModelMultipleChoiceField):
    pass


class BootstrapForm(forms.Form):
    """A new cluster on registered hosts that are in no cluster yet."""

    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    slug = forms.SlugField(
        label=_("Slug"), max_length=50, required=False, help_text=_("Lower-case letters, digits and '-'.")
    )
    control_plane = _HostChoice(label=_("Control-plane host"), empty_label=_("Choose a host"))
    workers = _HostsChoice(label=_("Worker hosts"), widget=forms.CheckboxSelectMultiple)
    version = _text(_("Kubernetes version"), 32, initial=DEFAULT_VERSION)
    # The preflight page's fields: the same plan, the same defaults.
    pod_cidr = PreflightForm.base_fields["pod_cidr"]
    service_cidr = PreflightForm.base_fields["service_cidr"]
    # Advanced: blank means the default each help text names (the API's wording).
    advertise_address = _text(_("API server advertise address"), 64, _("Blank: the control-plane host's address."))
    image_repository = _text(
        _("Image repository"),
        255,
        _("Blank: registry.k8s.io. A mirror such as registry.aliyuncs.com/google_containers."),
        widget=forms.TextInput(attrs={"placeholder": UPSTREAM_IMAGE_REPOSITORY}),
    )
    packages_mirror = _text(_("Kubernetes packages mirror"), 500, _("Blank: pkgs.k8s.io for the version."))
    runtime_mirror = _text(_("Container runtime packages mirror"), 500, _("Blank: the OS's own containerd package."))
    network_addon = forms.ChoiceField(
        label=_("Pod network add-on"), choices=[(a, a) for a in NETWORK_ADDONS], initial=NETWORK_ADDONS[0]
    )
    network_manifest_url = _text(_("Pod network manifest URL"), 500, _("Blank: the add-on's published manifest."))
    network_manifest_file = forms.FileField(
        label=_("Or upload the manifest"),
        required=False,
        help_text=_("The pod network add-on's manifest, for sites that cannot download it (at most 5 MiB)."),
    )
    ignore_preflight_errors = _text(
        _("kubeadm preflight errors to ignore"),
        2000,
        _("Comma-separated, as kubeadm names them, e.g. Swap, NumCPU. Empty by default."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        free = Host.objects.filter(cluster__isnull=True).order_by("name")
        self.fields["control_plane"].queryset = free
        self.fields["workers"].queryset = free

    def clean_network_manifest_file(self) -> str | None:
        """The uploaded manifest as text (None: nothing uploaded)."""
        upload = self.cleaned_data.get("network_manifest_file")
        if not upload:
            return None
        if upload.size > MAX_MANIFEST_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MiB."))
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text: upload the YAML manifest itself.")) from None

    def clean_ignore_preflight_errors(self):
        text = self.cleaned_data.get("ignore_preflight_errors", "")
        return [name.strip() for name in text.split(",") if name.strip()]

    def spec_fields(self) -> dict:
        """The cleaned values as spec_validate's keyword arguments."""
        data = self.cleaned_data
        host = data.get("control_plane")
        return {
            "control_plane": [host.name] if host else [],
            "workers": [h.name for h in data.get("workers") or ()],
            "ignore_preflight_errors": data.get("ignore_preflight_errors") or [],
            **{name: data.get(name) or "" for name in SPEC_FIELDS},
        }

    def part(self, names, *, with_errors: bool):
        """Some of the fields, shaped for portal/_form_fields.html."""
        return {
            "visible_fields": [self[name] for name in names],
            "hidden_fields": [],
            "non_field_errors": self.non_field_errors() if with_errors else [],
        }

    @property
    def advanced_fields(self) -> list[str]:
        return [name for name in self.fields if name not in MAIN_FIELDS]

    def main_part(self):
        return self.part(MAIN_FIELDS, with_errors=True)

    def advanced_part(self):
        return self.part(self.advanced_fields, with_errors=False)
