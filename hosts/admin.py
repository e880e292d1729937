"""Django admin for hosts. Encrypted fields are never rendered."""

from django.contrib import admin

from hosts.models import Host, SSHCredential


@admin.register(SSHCredential)
class SSHCredentialAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "public_key_fingerprint"]
    exclude = ["private_key", "passphrase", "password"]
    readonly_fields = ["kind", "public_key_fingerprint"]


@admin.register(Host)
class HostAdmin(admin.ModelAdmin):
    list_display = ["name", "address", "port", "username", "host_key_fingerprint", "cluster"]
    search_fields = ["name", "address"]
    readonly_fields = ["host_key", "host_key_fingerprint", "facts", "last_seen"]
