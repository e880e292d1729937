from django.utils.translation import gettext_lazy as _

from hosts.models import Host, SSHCredential
from portal.forms import PortalModelForm, SecretField


class SSHCredentialForm(PortalModelForm):
    private_key = SecretField(textarea=True, max_length=16 * 1024, label=_("Private key"))
    passphrase = SecretField(max_length=1024, label=_("Passphrase"))
    password = SecretField(max_length=1024, label=_("Password"))

    class Meta:
        model = SSHCredential
        fields = ["name", "kind"]
        help_texts = {"kind": _("A private key (with an optional passphrase) or a password.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in ("private_key", "passphrase", "password"):
                self.fields[name].help_text = _("Stored and never shown. Leave empty to keep it.")


class HostForm(PortalModelForm):
    class Meta:
        model = Host
        fields = ["name", "address", "port", "username", "sudo_mode", "credential", "cluster", "role"]
        labels = {"cluster": _("Cluster")}
