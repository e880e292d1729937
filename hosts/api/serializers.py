from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from hosts import services as host_services
from hosts.models import Host, SSHCredential, cluster_model
from portal.labels import validate_labels
from portal.serializers import ServiceModelSerializer, SlugRelatedField


class SSHCredentialSerializer(ServiceModelSerializer):
    private_key = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=16 * 1024, trim_whitespace=False
    )
    passphrase = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=1024)
    password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=1024,
        help_text=_("The login password; with a private key, the password sudo asks for, if it asks."),
    )
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
    credential = SlugRelatedField(slug_field="name", queryset=SSHCredential.objects.all())
    cluster = SlugRelatedField(
        slug_field="slug", queryset=cluster_model().objects.all(), required=False, allow_null=True
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


class FactsGatherSerializer(serializers.Serializer):
    hosts = serializers.ListField(
        child=serializers.CharField(max_length=100),
        min_length=1,
        max_length=500,
        help_text=_("Names of the hosts whose facts to read."),
    )


class PreflightPlanSerializer(serializers.Serializer):
    control_plane = serializers.ListField(
        child=serializers.CharField(max_length=100),
        min_length=1,  # so the schema says so too (minItems); the plan's own check gives the same message
        max_length=500,
        error_messages={"min_length": _("A cluster needs at least one control-plane host.")},
        help_text=_("Names of the control-plane hosts."),
    )
    workers = serializers.ListField(
        child=serializers.CharField(max_length=100),
        max_length=500,
        required=False,
        default=list,
        help_text=_("Names of the worker hosts."),
    )
    pod_cidr = serializers.CharField(max_length=64, required=False, allow_blank=True, default="10.244.0.0/16")
    service_cidr = serializers.CharField(max_length=64, required=False, allow_blank=True, default="10.96.0.0/12")


class PreflightCheckSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=["pass", "warn", "fail"])
    message = serializers.CharField()
    remedy = serializers.CharField(help_text=_("What to do; empty when the check passed."))
    params = serializers.DictField(help_text=_("The values the message was made from."))


class PreflightHostSerializer(serializers.Serializer):
    name = serializers.CharField()
    role = serializers.CharField()
    status = serializers.CharField(help_text=_("The worst status of its checks; empty before it was probed."))
    checks = PreflightCheckSerializer(many=True)


class PreflightResultSerializer(serializers.Serializer):
    job = serializers.IntegerField(source="job.pk")
    job_status = serializers.CharField(source="job.status")
    message = serializers.CharField(source="job.message")
    passed = serializers.BooleanField(help_text=_("The job finished, every host answered and no check failed."))
    failed_count = serializers.IntegerField()
    warning_count = serializers.IntegerField()
    plan = serializers.SerializerMethodField()
    hosts = PreflightHostSerializer(many=True)

    def get_plan(self, obj) -> dict:
        return obj["plan"].as_params()
