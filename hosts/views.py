"""HTML pages for SSH hosts and credentials (platform admins only).

Secrets are write-only: no page renders a private key, passphrase or password.
"""

from django.utils.translation import gettext_lazy as _

from hosts import services
from hosts.forms import HostForm, SSHCredentialForm
from hosts.models import Host, SSHCredential
from portal.generic import ObjectDeleteView, ObjectDetailView, ObjectEditView, ObjectListView


class HostMixin:
    model = Host
    staff_only = True
    select_related = ("credential", "cluster")
    list_url_name = "hosts:host-list"
    detail_url_name = "hosts:host-detail"


class HostListView(HostMixin, ObjectListView):
    title = _("Hosts")
    columns = [
        ("name", _("Name")),
        ("address", _("Address")),
        ("port", _("Port")),
        ("username", _("User")),
        ("host_key_fingerprint", _("Host key")),
        ("cluster.name", _("Cluster")),
        ("get_role_display", _("Role")),
    ]
    search_fields = ("name", "address")
    create_url_name = "hosts:host-create"


class HostDetailView(HostMixin, ObjectDetailView):
    fields = [
        ("address", _("Address")),
        ("port", _("SSH port")),
        ("username", _("SSH user")),
        ("get_sudo_mode_display", _("Privilege")),
        ("credential.name", _("Credential")),
        ("host_key_fingerprint", _("Pinned host key (SHA256)")),
        ("cluster.name", _("Cluster")),
        ("get_role_display", _("Role")),
        ("facts", _("Facts")),
        ("last_seen", _("Last seen")),
    ]
    edit_url_name = "hosts:host-edit"
    delete_url_name = "hosts:host-delete"


class HostEditView(HostMixin, ObjectEditView):
    form_class = HostForm
    title_new = _("New host")

    def save(self, form, obj):
        if obj is None:
            return services.host_create(**form.cleaned_data)
        return services.host_update(host=obj, **form.cleaned_data)


class HostDeleteView(HostMixin, ObjectDeleteView):
    success_url_name = "hosts:host-list"

    def confirm_name(self, obj):
        return obj.name

    def delete(self, obj):
        # No service yet: a host is only a record; jobs keep their history (SET_NULL).
        obj.delete()


class CredentialMixin:
    model = SSHCredential
    staff_only = True
    list_url_name = "hosts:credential-list"
    detail_url_name = "hosts:credential-detail"


class CredentialListView(CredentialMixin, ObjectListView):
    title = _("SSH credentials")
    columns = [
        ("name", _("Name")),
        ("get_kind_display", _("Kind")),
        ("public_key_fingerprint", _("Public key")),
        (lambda c: c.hosts.count(), _("Hosts")),
    ]
    search_fields = ("name",)
    create_url_name = "hosts:credential-create"


class CredentialDetailView(CredentialMixin, ObjectDetailView):
    template_name = "hosts/credential_detail.html"
    fields = [
        ("get_kind_display", _("Kind")),
        ("public_key_fingerprint", _("Public key fingerprint")),
        ("created", _("Created")),
        ("updated", _("Updated")),
    ]
    edit_url_name = "hosts:credential-edit"
    delete_url_name = "hosts:credential-delete"

    def extra_context(self, obj):
        return {"hosts": obj.hosts.all()}


class CredentialEditView(CredentialMixin, ObjectEditView):
    form_class = SSHCredentialForm
    title_new = _("New SSH credential")

    def save(self, form, obj):
        if obj is None:
            return services.ssh_credential_create(**form.cleaned_data)
        return services.ssh_credential_update(credential=obj, **form.cleaned_data)


class CredentialDeleteView(CredentialMixin, ObjectDeleteView):
    success_url_name = "hosts:credential-list"

    def confirm_name(self, obj):
        return obj.name

    def delete(self, obj):
        # Hosts protect the credentials they use: the page then says which.
        obj.delete()
