from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from clusters.models import Cluster, Host, Job, JobEvent, JobStep, Node, SSHCredential
from clusters.services import clusters as cluster_services
from clusters.services import hosts as host_services
from portal.serializers import ServiceModelSerializer


class ClusterSerializer(ServiceModelSerializer):
    kubeconfig = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=256 * 1024,
        trim_whitespace=False,
        style={"base_template": "textarea.html"},
        help_text=_("A kubeconfig; only the chosen context is kept, encrypted. Never returned."),
    )
    context = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=253)
    has_credentials = serializers.SerializerMethodField()
    node_count = serializers.SerializerMethodField()

    class Meta:
        model = Cluster
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "provider",
            "api_server_url",
            "kubeconfig",
            "context",
            "kubeconfig_context",
            "credential_kind",
            "has_credentials",
            "credentials_rotated",
            "desired_version",
            "health_checks_enabled",
            "kubernetes_version",
            "phase",
            "conditions",
            "last_seen",
            "last_checked",
            "node_count",
            "created",
            "updated",
        ]
        read_only_fields = [
            "provider",
            "api_server_url",
            "kubeconfig_context",
            "credential_kind",
            "credentials_rotated",
            "kubernetes_version",
            "phase",
            "conditions",
            "last_seen",
            "last_checked",
            "created",
            "updated",
        ]

    def get_has_credentials(self, obj) -> bool:
        return bool(obj.kubeconfig)

    def get_node_count(self, obj) -> int:
        # Lists annotate the count (one query for the page); a single object counts.
        return obj.nodes_total if hasattr(obj, "nodes_total") else obj.nodes.count()

    def create_with_service(self, data):
        return cluster_services.cluster_create(**data)

    def update_with_service(self, instance, data):
        return cluster_services.cluster_update(cluster=instance, **data)


class NodeSerializer(serializers.ModelSerializer):
    cluster = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Node
        fields = [
            "id",
            "cluster",
            "name",
            "address",
            "roles",
            "ready",
            "unschedulable",
            "conditions",
            "capacity",
            "allocatable",
            "versions",
            "labels",
            "taints",
            "missing_since",
            "last_synced",
        ]
        read_only_fields = fields


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
            "host_key_fingerprint",
            "facts",
            "cluster",
            "role",
            "last_seen",
            "created",
            "updated",
        ]
        read_only_fields = ["host_key_fingerprint", "facts", "last_seen", "created", "updated"]

    def create_with_service(self, data):
        return host_services.host_create(**data)

    def update_with_service(self, instance, data):
        return host_services.host_update(host=instance, **data)


class JobStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = JobStep
        fields = ["position", "name", "title", "status", "started", "finished", "message"]


class JobSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    cluster = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    host = serializers.SlugRelatedField(slug_field="name", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    steps = JobStepSerializer(many=True, read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "title",
            "status",
            "team",
            "cluster",
            "host",
            "created_by",
            "resumed_from",
            "created",
            "started",
            "finished",
            "cancel_requested",
            "message",
            "last_counter",
            "steps",
        ]
        read_only_fields = fields


class JobEventSerializer(serializers.ModelSerializer):
    step = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = JobEvent
        fields = ["counter", "step", "stream", "text", "created"]
        read_only_fields = fields
