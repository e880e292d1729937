"""API for the audit trail (read-only), and the /api/v1/ router."""

from django_filters import rest_framework as filters
from rest_framework import routers, serializers

from clusters.api import views as cluster_views
from hosts.api import views as host_views
from jobs.api import views as job_views
from portal.api_users import UserViewSet
from portal.models import AuditEvent
from portal.viewsets import PortalReadOnlyViewSet
from rbac.api import views as rbac_views
from rbac.api.reconcile import ClusterReconcileViewSet, NamespaceReconcileViewSet
from rbac.api.token_obtain import TokenObtainViewSet
from workloads.api import views as workload_views
from workloads.places import PLACE


class AuditEventSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created",
            "actor_name",
            "channel",
            "action",
            "team",
            "target_cluster",
            "target_namespace",
            "target_kind",
            "target_name",
            "request_summary",
            "result",
            "status_code",
            "duration_ms",
            "remote_addr",
        ]
        read_only_fields = fields


class AuditEventFilter(filters.FilterSet):
    actor = filters.CharFilter(field_name="actor_name")
    team = filters.CharFilter(field_name="team__slug")
    cluster = filters.CharFilter(field_name="target_cluster")
    namespace = filters.CharFilter(field_name="target_namespace")
    kind = filters.CharFilter(field_name="target_kind")
    action = filters.CharFilter(field_name="action", lookup_expr="startswith")
    since = filters.IsoDateTimeFilter(field_name="created", lookup_expr="gte")
    until = filters.IsoDateTimeFilter(field_name="created", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["actor", "channel", "action", "team", "cluster", "namespace", "kind", "result", "since", "until"]


class AuditEventViewSet(PortalReadOnlyViewSet):
    model = AuditEvent
    serializer_class = AuditEventSerializer
    select_related = ("team",)
    filterset_class = AuditEventFilter
    search_fields = ["action", "actor_name", "target_name", "target_namespace"]
    ordering_fields = ["created", "action", "actor_name", "duration_ms"]


router = routers.DefaultRouter()
router.register("clusters", cluster_views.ClusterViewSet, basename="cluster")
router.register("nodes", cluster_views.NodeViewSet, basename="node")
router.register("hosts", host_views.HostViewSet, basename="host")
router.register("ssh-credentials", host_views.SSHCredentialViewSet, basename="sshcredential")
router.register("jobs", job_views.JobViewSet, basename="job")
router.register("teams", rbac_views.TeamViewSet, basename="team")
router.register("memberships", rbac_views.MembershipViewSet, basename="membership")
router.register("quota-plans", rbac_views.QuotaPlanViewSet, basename="quotaplan")
router.register("namespaces", rbac_views.TeamNamespaceViewSet, basename="teamnamespace")
router.register("quota-changes", rbac_views.QuotaChangeViewSet, basename="quotachange")
router.register("tokens", rbac_views.ApiTokenViewSet, basename="apitoken")
router.register("auth/token", TokenObtainViewSet, basename="token-obtain")
router.register("users", UserViewSet, basename="user")
# Reconcile now: one cluster's team namespaces, or one namespace.
router.register(r"clusters/(?P<slug>[^/.]+)/reconcile", ClusterReconcileViewSet, basename="cluster-reconcile")
router.register(r"namespaces/(?P<pk>[0-9]+)/reconcile", NamespaceReconcileViewSet, basename="namespace-reconcile")
router.register("audit-events", AuditEventViewSet, basename="auditevent")
# Live objects of every registered kind (workloads/kinds.py) in a team namespace.
router.register(
    rf"namespaces/(?P<namespace_pk>{PLACE})/kinds/(?P<plural>[a-z]+)",
    workload_views.LiveObjectViewSet,
    basename="liveobject",
)
