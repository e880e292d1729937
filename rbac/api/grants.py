"""`/api/v1/cluster-grants/`: cluster-wide access the portal declares and
keeps (rbac/grants.py), for platform admins only."""

from rest_framework import serializers

from clusters.models import Cluster
from portal.permissions import IsPlatformAdmin
from portal.serializers import ServiceModelSerializer, SlugRelatedField
from portal.teams import Team
from portal.viewsets import PortalModelViewSet
from rbac import services_grants
from rbac.grants import ClusterGrant


class SubjectSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["User", "Group", "ServiceAccount"])
    name = serializers.CharField(max_length=253)
    namespace = serializers.CharField(max_length=63, required=False, allow_blank=True)

    def validate(self, attrs):
        if attrs["kind"] == "ServiceAccount" and not attrs.get("namespace"):
            raise serializers.ValidationError({"namespace": ["A ServiceAccount is named with its namespace."]})
        return attrs


class ClusterGrantSerializer(ServiceModelSerializer):
    cluster = SlugRelatedField(slug_field="slug", queryset=Cluster.objects.all())
    teams = SlugRelatedField(slug_field="slug", queryset=Team.objects.all(), many=True, required=False)
    subjects = SubjectSerializer(many=True, required=False)
    binding = serializers.CharField(source="binding_name", read_only=True)

    class Meta:
        model = ClusterGrant
        fields = [
            "id",
            "cluster",
            "name",
            "role",
            "teams",
            "team_role",
            "subjects",
            "binding",
            "phase",
            "message",
            "observed",
            "created",
        ]
        read_only_fields = ["phase", "message", "observed", "created"]

    def validate(self, attrs):
        if self.instance is not None:
            for fixed in ("cluster", "name"):
                if fixed in attrs and attrs[fixed] != getattr(self.instance, fixed):
                    raise serializers.ValidationError(
                        {fixed: ["The binding's cluster and name stay; make a new grant."]}
                    )
        return attrs

    def create_with_service(self, data):
        return services_grants.grant_create(user=self.context["request"].user, **data)

    def update_with_service(self, instance, data):
        return services_grants.grant_update(grant=instance, user=self.context["request"].user, **data)


class ClusterGrantViewSet(PortalModelViewSet):
    """ClusterRoles bound to portal teams and other subjects, kept by the reconciler."""

    model = ClusterGrant
    serializer_class = ClusterGrantSerializer
    permission_classes = [IsPlatformAdmin]
    select_related = ("cluster",)
    audit_kind = "ClusterGrant"
    filterset_fields = {"cluster__slug": ["exact"], "phase": ["exact"]}
    search_fields = ["name", "role"]
    ordering_fields = ["name", "created"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("teams")

    def audit_target(self, obj) -> dict:
        return {"name": obj.name, "cluster": obj.cluster.slug}

    def destroy_object(self, instance):
        services_grants.grant_delete(grant=instance)
