from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from clusters.models import Cluster
from hosts import services as host_services
from hosts.models import Host, SSHCredential
from portal.labels import validate_labels
from portal.serializers import ServiceModelSerializer


class SSHCredentialSerializer(ServiceModelSerializer):
    private_key = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=16 * 1024, trim_whitespace=False
    )
    passphrase = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=1024)
    password = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=1024)
    host_count = serializers.SerializerMethodField()

    class Meta:
        model = SSHCredential
        fields = [
            "id",
            "name",
            "kind",
            "private_key",
            "passphrase",
            "password",
            "public_key_fingerprint",
            "host_count",
            "created",
            "updated",
        ]
        read_only_fields = ["public_key_fingerprint", "created", "updated"]

    def get_host_count(self, obj) -> int:
        return obj.hosts_total if hasattr(obj, "hosts_total") else obj.hosts.count()

    def create_with_service(self, data):
        return host_services.ssh_credential_create(**data)

    def update_with_service(self, instance, data):
        return host_services.ssh_credential_update(credential=instance, **data)


class HostSerializer(ServiceModelSerializer):
    credential = serializers.SlugRelatedField(slug_field="name", queryset=SSHCredential.objects.all())
    cluster = serializers.SlugRelatedField(
        slug_field="slug", queryset=Cluster.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Host
        fields = [
            "id",
            "name",
            "address",
            "port",
            "username",
            "sudo_mode",
            "credential",
            "labels",
            "host_key",
            "host_key_fingerprint",
            "facts",
            "facts_gathered",
            "cluster",
            "role",
            "last_seen",
            "created",
            "updated",
        ]
        read_only_fields = [
            "host_key",
            "host_key_fingerprint",
            "facts",
            "facts_gathered",
            "last_seen",
            "created",
            "updated",
        ]

    def validate_labels(self, value):
        try:
            validate_labels(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return value

    def create_with_service(self, data):
        return host_services.host_create(**data)

    def update_with_service(self, instance, data):
        return host_services.host_update(host=instance, **data)


class HostKeyOfferSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=_('The key the host offers now, "ssh-ed25519 AAAA...". Not pinned.'))
    fingerprint = serializers.CharField(help_text=_('Its SHA256 fingerprint as OpenSSH prints it, "SHA256:...".'))


class HostKeyPinSerializer(serializers.Serializer):
    known_hosts_line = serializers.CharField(required=False, allow_blank=True, max_length=16 * 1024)
    fingerprint = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text=_("The fingerprint the admin confirmed; the key is pinned only if the host still offers it."),
    )


class HostImportSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["csv", "yaml"])
    text = serializers.CharField(max_length=1024 * 1024, trim_whitespace=False)
