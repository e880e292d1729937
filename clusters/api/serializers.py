from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clusters.models import Cluster, ClusterPhaseChange, Node
from clusters.services import clusters as cluster_services
from clusters.services.nodes import TAINT_EFFECTS
from portal.serializers import ServiceModelSerializer, SlugRelatedField

CLUSTER_FIELDS = [
    "id",
    "name",
    "slug",
    "description",
    "provider",
    "api_server_url",
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
CLUSTER_READ_ONLY = [
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
# Fields that only the credentials endpoint changes.
CREDENTIAL_FIELDS = ("kubeconfig", "context")


def kubeconfig_field(**kwargs):
    return serializers.CharField(
        write_only=True,
        max_length=256 * 1024,
        trim_whitespace=False,
        style={"base_template": "textarea.html"},
        help_text=_(
            "A kubeconfig; only the chosen context is kept, encrypted, once the cluster answers with it. "
            "Never returned."
        ),
        **kwargs,
    )


def context_field():
    return serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=253,
        help_text=_("The context to keep; the current one when empty."),
    )


class ClusterSerializer(ServiceModelSerializer):
    """A cluster's record. Changing it never changes the credentials: those go
    through `POST /clusters/{slug}/credentials/`, which checks them first."""

    has_credentials = serializers.SerializerMethodField()
    node_count = serializers.SerializerMethodField()
    # Blank until credentials are given: a plain string, not a URI the schema would promise.
    api_server_url = serializers.CharField(read_only=True, help_text="The API server's URL; blank until credentials.")

    class Meta:
        model = Cluster
        fields = CLUSTER_FIELDS
        read_only_fields = CLUSTER_READ_ONLY

    def get_has_credentials(self, obj) -> bool:
        return bool(obj.kubeconfig)

    def get_node_count(self, obj) -> int:
        # Lists annotate the count (one query for the page); a single object counts.
        return obj.nodes_total if hasattr(obj, "nodes_total") else obj.nodes.count()

    def validate(self, attrs):
        # A kubeconfig sent with a record change would otherwise be dropped silently.
        sent = [f for f in CREDENTIAL_FIELDS if hasattr(self.initial_data, "keys") and f in self.initial_data]
        if sent:
            raise serializers.ValidationError(
                {
                    f: [_("Credentials are replaced with POST /api/v1/clusters/{slug}/credentials/ (checked first).")]
                    for f in sent
                }
            )
        return attrs

    def update_with_service(self, instance, data):
        return cluster_services.cluster_update(cluster=instance, **data)


class ClusterImportSerializer(ClusterSerializer):
    """Import an existing cluster: saved only when it answers with the kubeconfig."""

    kubeconfig = kubeconfig_field()
    context = context_field()

    class Meta(ClusterSerializer.Meta):
        fields = [*CLUSTER_FIELDS[:4], "kubeconfig", "context", *CLUSTER_FIELDS[4:]]

    def validate(self, attrs):
        return attrs

    def create_with_service(self, data):
        cluster, self.found = cluster_services.cluster_import(**data)
        return cluster


class ClusterCredentialsSerializer(serializers.Serializer):
    kubeconfig = kubeconfig_field()
    context = context_field()


class ConnectionFoundSerializer(serializers.Serializer):
    """What the cluster answered with the new credentials."""

    server = serializers.CharField()
    version = serializers.CharField()
    ready = serializers.BooleanField(help_text=_("Whether /readyz answered 200."))
    readyz = serializers.CharField()
    nodes = serializers.IntegerField()


class ClusterConnectedSerializer(ClusterSerializer):
    found = serializers.SerializerMethodField()

    class Meta(ClusterSerializer.Meta):
        fields = [*CLUSTER_FIELDS, "found"]

    @extend_schema_field(ConnectionFoundSerializer)
    def get_found(self, obj):
        return ConnectionFoundSerializer(self.context["found"]).data


class PhaseChangeSerializer(serializers.ModelSerializer):
    message_display = serializers.CharField(
        read_only=True,
        help_text="In the language of the request (Accept-Language or the user's choice); `message` keeps the "
        "stored English.",
    )

    class Meta:
        model = ClusterPhaseChange
        fields = ["previous", "phase", "message", "message_display", "created"]
        read_only_fields = fields


class ClusterHealthSerializer(serializers.ModelSerializer):
    """The last health check, and the phase transitions of the last days."""

    history = serializers.SerializerMethodField()

    class Meta:
        model = Cluster
        fields = ["slug", "phase", "conditions", "kubernetes_version", "last_seen", "last_checked", "health", "history"]
        read_only_fields = fields

    @extend_schema_field(PhaseChangeSerializer(many=True))
    def get_history(self, obj):
        return PhaseChangeSerializer(self.context["history"], many=True).data


class NodeCountsSerializer(serializers.Serializer):
    nodes = serializers.IntegerField()
    ready = serializers.IntegerField()
    missing = serializers.IntegerField()


class ClusterCheckSerializer(ClusterHealthSerializer):
    """A check made now: health, then the node inventory (when the cluster answered)."""

    node_counts = serializers.SerializerMethodField()
    node_sync_error = serializers.SerializerMethodField()

    class Meta(ClusterHealthSerializer.Meta):
        fields = [f for f in ClusterHealthSerializer.Meta.fields if f != "history"] + ["node_counts", "node_sync_error"]
        read_only_fields = fields

    @extend_schema_field(NodeCountsSerializer(allow_null=True))
    def get_node_counts(self, obj):
        counts = self.context.get("node_counts")
        return NodeCountsSerializer(counts).data if counts is not None else None

    def get_node_sync_error(self, obj) -> str:
        return self.context.get("node_sync_error", "")


class NodeSerializer(serializers.ModelSerializer):
    cluster = SlugRelatedField(slug_field="slug", read_only=True)

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


class NodeLabelsSerializer(serializers.Serializer):
    labels = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=1024),
        allow_empty=True,
        help_text=_("The node's labels, exactly: keys left out are removed. The API server validates them."),
    )


class TaintSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=317, trim_whitespace=False)
    value = serializers.CharField(max_length=1024, required=False, allow_blank=True, default="", trim_whitespace=False)
    effect = serializers.ChoiceField(choices=list(TAINT_EFFECTS))


class NodeTaintsSerializer(serializers.Serializer):
    taints = TaintSerializer(many=True, allow_empty=True, help_text=_("The node's taints, exactly."))


class NodeDrainSerializer(serializers.Serializer):
    timeout_seconds = serializers.IntegerField(
        min_value=10, max_value=3600, default=300, help_text=_("Give up after this many seconds.")
    )


class NodePodSerializer(serializers.Serializer):
    namespace = serializers.CharField()
    name = serializers.CharField()
    phase = serializers.CharField()
    ready = serializers.CharField()
    restarts = serializers.IntegerField()
    ip = serializers.CharField()
    created = serializers.DateTimeField(allow_null=True)


class NodePodsSerializer(serializers.Serializer):
    pods = NodePodSerializer(many=True)
    more = serializers.BooleanField(help_text=_("More pods run on the node than are listed."))
