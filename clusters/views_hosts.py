"""HTML pages for SSH hosts and credentials (platform admins only)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clusters.forms import HostForm, SSHCredentialForm
from clusters.models import Host, SSHCredential
from clusters.services import hosts as services
from portal.generic import ObjectDeleteView, ObjectDetailView, ObjectEditView, ObjectListView


class HostListView(ObjectListView):
    model = Host
    title = _("Hosts")
    select_related = ("credential", "cluster")
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
    create_url_name = "host-create"
    detail_url_name = "host-detail"


class HostDetailView(ObjectDetailView):
    model = Host
    select_related = ("credential", "cluster")
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
    edit_url_name = "host-edit"
    delete_url_name = "host-delete"


class HostEditView(ObjectEditView):
    model = Host
    form_class = HostForm

    def save(self, form, obj):
        if obj is None:
            return services.host_create(**form.cleaned_data)
        return services.host_update(host=obj, **form.cleaned_data)

    def success_url(self, obj):
        return reverse("host-detail", args=[obj.pk])


class HostDeleteView(ObjectDeleteView):
    model = Host
    success_url_name = "host-list"

    def confirm_name(self, obj):
        return obj.name

    def delete(self, obj):
        obj.delete()


class CredentialListView(ObjectListView):
    model = SSHCredential
    title = _("SSH credentials")
    columns = [
        ("name", _("Name")),
        ("get_kind_display", _("Kind")),
        ("public_key_fingerprint", _("Public key")),
        (lambda c: c.hosts.count(), _("Hosts")),
    ]
    search_fields = ("name",)
    create_url_name = "credential-create"
    detail_url_name = "credential-detail"


class CredentialDetailView(ObjectDetailView):
    model = SSHCredential
    fields = [
        ("get_kind_display", _("Kind")),
        ("public_key_fingerprint", _("Public key fingerprint")),
        ("created", _("Created")),
        ("updated", _("Updated")),
    ]
    edit_url_name = "credential-edit"
    delete_url_name = "credential-delete"


class CredentialEditView(ObjectEditView):
    model = SSHCredential
    form_class = SSHCredentialForm

    def save(self, form, obj):
        if obj is None:
            return services.ssh_credential_create(**form.cleaned_data)
        return services.ssh_credential_update(credential=obj, **form.cleaned_data)

    def success_url(self, obj):
        return reverse("credential-detail", args=[obj.pk])


class CredentialDeleteView(ObjectDeleteView):
    model = SSHCredential
    success_url_name = "credential-list"

    def confirm_name(self, obj):
        return obj.name

    def delete(self, obj):
        obj.delete()
