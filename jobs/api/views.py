"""The jobs API: list and read jobs in the user's scope, tail their output,
cancel and resume them."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from jobs import selectors
from jobs import services as job_services
from jobs.api import serializers as s
from jobs.models import Job
from portal.audit import audit_describe
from portal.viewsets import AuditedMixin, ScopedViewSetMixin

# The most events one request returns; the client asks again from the last counter.
EVENTS_PAGE = 1000


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
        if not job.may_be_controlled_by(request.user):
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

    @extend_schema(
        responses=s.JobEventSerializer(many=True),
        parameters=[
            OpenApiParameter(
                "after",
                int,
                description="Only events after this counter: pass the last counter seen to tail the log.",
                default=0,
            ),
            OpenApiParameter(
                "host",
                str,
                description=(
                    "Only the output of this host. Present but empty: only the portal's own output "
                    "(work on no host). Absent: every host's."
                ),
            ),
        ],
    )
    # A bare list, tailed with `after`: not one of the paginated lists.
    @action(detail=True, methods=["get"], pagination_class=None)
    def events(self, request, pk=None):
        """The job's output, oldest first, at most 1000 events: tail it by
        passing the last counter seen as `after`; `host` keeps one host's."""
        job = self.get_object()
        try:
            after = max(0, int(request.query_params.get("after", 0)))
        except ValueError:
            raise ValidationError({"after": ["Must be an integer."]}) from None
        events = selectors.job_events(job, after=after, host=request.query_params.get("host"))
        return Response(s.JobEventSerializer(events.select_related("step")[:EVENTS_PAGE], many=True).data)
