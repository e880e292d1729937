"""Reconcile now, through the API: one team namespace (its team's owners and
maintainers, platform admins) or one cluster's (platform admins). The
reconcile is queued on the same Celery task the periodic one uses; the answer
(202) says what was queued."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from clusters.models import Cluster
from portal.audit import audit_describe
from portal.permissions import MANAGERS, IsPlatformAdmin, TeamRolePermission
from portal.viewsets import AuditedMixin
from rbac import tenancy
from rbac.models import TeamNamespace


class ReconcileQueuedSerializer(serializers.Serializer):
    cluster = serializers.CharField(help_text=_("The cluster's slug."))
    namespaces = serializers.ListField(
        child=serializers.CharField(), help_text=_("The team namespaces the queued reconcile converges.")
    )


def reconcile_queued(result: dict) -> Response:
    return Response(ReconcileQueuedSerializer(result).data, status=status.HTTP_202_ACCEPTED)


class NamespaceReconcileViewSet(AuditedMixin, viewsets.GenericViewSet):
    """POST /namespaces/<id>/reconcile/: reconcile one team namespace now."""

    permission_classes = [TeamRolePermission]
    write_roles = MANAGERS
    serializer_class = ReconcileQueuedSerializer
    # For the schema's path parameter; the lookup is scoped in create().
    queryset = TeamNamespace.objects.none()
    audit_kind = "Namespace"

    def audit_action(self, request) -> str:
        return "teamnamespace.reconcile"

    def audit_target(self, obj):
        return {"team": obj.team, "cluster": obj.cluster.slug, "namespace": obj.name, "name": obj.name}

    def team_of(self, obj):
        return obj.team

    def team_of_new(self, request):
        return None  # the namespace's team is checked on the object

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={202: ReconcileQueuedSerializer},
        description="Queue a reconcile of this team namespace at once: drift repaired, status refreshed. "
        "Its team's owners and maintainers, and platform admins.",
    )
    def create(self, request, pk=None):
        # Another team's namespace reads like a missing one (404), as everywhere.
        namespace = get_object_or_404(
            TeamNamespace.objects.for_user(request.user).select_related("team", "cluster"), pk=pk
        )
        self.check_object_permissions(request, namespace)
        return reconcile_queued(tenancy.namespace_reconcile_now(namespace=namespace, user=request.user))


class ClusterReconcileViewSet(AuditedMixin, viewsets.GenericViewSet):
    """POST /clusters/<slug>/reconcile/: reconcile every team namespace of the cluster now."""

    permission_classes = [IsPlatformAdmin]
    serializer_class = ReconcileQueuedSerializer
    # For the schema's path parameter; the lookup is scoped in create().
    queryset = Cluster.objects.none()
    lookup_field = "slug"
    audit_kind = "Cluster"

    def audit_action(self, request) -> str:
        return "cluster.reconcile"

    @extend_schema(
        request=None,
        responses={202: ReconcileQueuedSerializer},
        description="Queue a reconcile of every team namespace of the cluster, and of the cluster-wide objects "
        "they rely on, at once. Platform admins only.",
    )
    def create(self, request, slug=None):
        cluster = get_object_or_404(Cluster.objects.for_user(request.user), slug=slug)
        audit_describe(request, cluster=cluster.slug, name=cluster.slug)
        return reconcile_queued(tenancy.cluster_reconcile_now(cluster=cluster, user=request.user))
