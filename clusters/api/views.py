from django.db.models import Count
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from clusters.api import serializers as s
from clusters.models import Cluster, Host, Job, JobEvent, Node, SSHCredential
from clusters.services import clusters as cluster_services
from clusters.services import jobs as job_services
from portal.audit import audit_describe
from portal.permissions import IsPlatformAdmin, IsPlatformAdminOrReadOnly, team_role
from portal.viewsets import AuditedMixin, PortalModelViewSet, PortalReadOnlyViewSet, ScopedViewSetMixin
from rbac.choices import MANAGING_ROLES


class ClusterViewSet(PortalModelViewSet):
    model = Cluster
    serializer_class = s.ClusterSerializer
    permission_classes = [IsPlatformAdminOrReadOnly]
    lookup_field = "slug"
    audit_kind = "Cluster"
    filterset_fields = ["phase", "provider", "kubernetes_version"]
    search_fields = ["name", "slug", "description"]
    ordering_fields = ["name", "created", "phase", "last_seen"]

    def get_queryset(self):
        # An aggregate drops Meta.ordering (GROUP BY): order again, or pages overlap.
        return (
            super().get_queryset().annotate(nodes_total=Count("nodes", distinct=True)).order_by(*Cluster._meta.ordering)
        )

    def audit_target(self, obj):
        return {"cluster": obj.slug, "name": obj.slug}

    def destroy_object(self, instance):
        cluster_services.cluster_delete(cluster=instance)


class NodeFilter(filters.FilterSet):
    cluster = filters.CharFilter(field_name="cluster__slug")
    missing = filters.BooleanFilter(field_name="missing_since", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Node
        fields = ["cluster", "ready", "unschedulable", "missing"]


class NodeViewSet(PortalReadOnlyViewSet):
    model = Node
    serializer_class = s.NodeSerializer
    select_related = ("cluster",)
    filterset_class = NodeFilter
    search_fields = ["name", "address"]
    ordering_fields = ["name", "ready", "last_synced"]


class SSHCredentialViewSet(PortalModelViewSet):
    model = SSHCredential
    serializer_class = s.SSHCredentialSerializer
    permission_classes = [IsPlatformAdmin]
    audit_kind = "SSHCredential"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .annotate(hosts_total=Count("hosts", distinct=True))
            .order_by(*SSHCredential._meta.ordering)
        )

    filterset_fields = ["kind"]
    search_fields = ["name"]
    ordering_fields = ["name", "created"]


class HostViewSet(PortalModelViewSet):
    model = Host
    serializer_class = s.HostSerializer
    permission_classes = [IsPlatformAdmin]
    select_related = ("credential", "cluster")
    audit_kind = "Host"
    filterset_fields = ["role", "sudo_mode"]
    search_fields = ["name", "address"]
    ordering_fields = ["name", "address", "created", "last_seen"]


class JobFilter(filters.FilterSet):
    team = filters.CharFilter(field_name="team__slug")
    cluster = filters.CharFilter(field_name="cluster__slug")

    class Meta:
        model = Job
        fields = ["status", "kind", "team", "cluster"]


class JobViewSet(
    AuditedMixin, ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    model = Job
    serializer_class = s.JobSerializer
    permission_classes = [IsAuthenticated]
    select_related = ("team", "cluster", "host", "created_by")
    audit_kind = "Job"
    filterset_class = JobFilter
    search_fields = ["title", "kind"]
    ordering_fields = ["created", "status", "finished"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("steps")

    def _check_may_control(self, request, job):
        if request.user.is_staff or job.created_by_id == request.user.pk:
            return
        if team_role(request.user, job.team) not in MANAGING_ROLES:
            self.permission_denied(
                request, message="Only platform admins, the job's creator and team owners or maintainers may do this."
            )

    @extend_schema(request=None, responses=s.JobSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        job = self.get_object()
        self._check_may_control(request, job)
        audit_describe(request, team=job.team, name=str(job.pk))
        job = job_services.job_cancel(job=job, user=request.user)
        return Response(s.JobSerializer(job).data)

    @extend_schema(request=None, responses=s.JobSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        job = self.get_object()
        self._check_may_control(request, job)
        audit_describe(request, team=job.team, name=str(job.pk))
        new = job_services.job_resume(job=job, user=request.user)
        return Response(s.JobSerializer(new).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.JobEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        """Output after counter `after` (tail the log by passing the last counter seen)."""
        job = self.get_object()
        try:
            after = max(0, int(request.query_params.get("after", 0)))
        except ValueError:
            raise ValidationError({"after": ["Must be an integer."]}) from None
        events = JobEvent.objects.filter(job=job, counter__gt=after).select_related("step").order_by("counter")[:1000]
        return Response(s.JobEventSerializer(events, many=True).data)
