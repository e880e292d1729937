from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from hosts import bulk, preflight, services
from hosts.api import serializers as s
from hosts.models import Host, SSHCredential
from hosts.selectors import hosts_with_labels
from jobs.api.serializers import JobSerializer
from jobs.models import Job
from portal.audit import audit_describe
from portal.errors import PortalError, error_body, field_errors
from portal.permissions import IsPlatformAdmin
from portal.viewsets import PortalModelViewSet


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

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "label", str, description=_("Label selector: key=value,key2 (a bare key: the label is set).")
            )
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list" and self.request.query_params.get("label"):
            try:
                queryset = hosts_with_labels(queryset, self.request.query_params["label"])
            except DjangoValidationError as exc:
                raise ValidationError({"label": exc.messages}) from None
        return queryset

    @extend_schema(methods=["get"], request=None, responses=s.HostKeyOfferSerializer)
    @extend_schema(methods=["post"], request=s.HostKeyPinSerializer, responses=s.HostSerializer)
    @action(detail=True, methods=["get", "post"], url_path="host-key")
    def host_key(self, request, pk=None):
        """GET: the key the host offers now and its fingerprint (nothing is pinned).
        POST: pin it, confirming that fingerprint, or pin a pasted known_hosts line."""
        host = self.get_object()
        if request.method == "GET":
            key = services.host_key_fetch(host=host)
            return Response(s.HostKeyOfferSerializer({"key": key.line, "fingerprint": key.fingerprint}).data)
        audit_describe(request, action="host.pin_host_key", kind="Host", name=host.name)
        data = s.HostKeyPinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        host = services.host_key_pin(
            host=host,
            known_hosts_line=data.validated_data.get("known_hosts_line", ""),
            confirmed_fingerprint=data.validated_data.get("fingerprint", ""),
        )
        return Response(s.HostSerializer(host).data)

    @extend_schema(request=s.HostImportSerializer, responses={201: s.HostSerializer(many=True)})
    @action(detail=False, methods=["post"], url_path="import")
    def bulk_import(self, request):
        """Register many hosts from CSV or YAML: all rows, or none with an error per row."""
        audit_describe(request, action="host.import", kind="Host")
        data = s.HostImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            created = bulk.hosts_import(text=data.validated_data["text"], fmt=data.validated_data["format"])
        except PortalError as exc:
            if not hasattr(exc, "rows"):
                raise
            # The one error shape: a path per row and field (rows[0] is the file's first row).
            rows = {f"rows[{problem['row'] - 1}]": problem["errors"] for problem in exc.rows}
            return Response(error_body(400, exc.message, field_errors(rows)), status=status.HTTP_400_BAD_REQUEST)
        return Response(s.HostSerializer(created, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.FactsGatherSerializer, responses={202: JobSerializer})
    @action(detail=False, methods=["post"], url_path="facts")
    def facts_gather(self, request):
        """Read the facts of the named hosts, in parallel, in a job."""
        audit_describe(request, action="host.gather_facts", kind="Host")
        data = s.FactsGatherSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.facts_gather(hosts=data.validated_data["hosts"], user=request.user)
        audit_describe(request, name=",".join(job.params["hosts"])[:253])
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    # Its own operationId: the list route's default is the same.
    @extend_schema(request=None, responses={202: JobSerializer}, operation_id="v1_hosts_facts_host_create")
    @action(detail=True, methods=["post"], url_path="facts")
    def host_facts_gather(self, request, pk=None):
        """Read this host's facts in a job."""
        host = self.get_object()
        audit_describe(request, action="host.gather_facts", kind="Host", name=host.name)
        job = services.facts_gather(hosts=[host], user=request.user)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=s.PreflightPlanSerializer, responses={202: JobSerializer})
    @action(detail=False, methods=["post"], url_path="preflight")
    def preflight_start(self, request):
        """Check, read-only, every host of a planned cluster. The plan is
        validated first (400 with a message per field); the results are read
        at preflight/<job id>/."""
        audit_describe(request, action="host.preflight", kind="Job")
        data = s.PreflightPlanSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = preflight.plan_validate(**data.validated_data)
        job = preflight.preflight_start(plan=plan, user=request.user)
        audit_describe(request, name=job.pk)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=s.PreflightResultSerializer)
    @action(detail=False, methods=["get"], url_path=r"preflight/(?P<job_id>[0-9]+)")
    def preflight_results(self, request, job_id=None):
        """A preflight's results per host and check, and whether it passed."""
        job = get_object_or_404(Job.objects.for_user(request.user), pk=job_id, kind=preflight.KIND)
        return Response(s.PreflightResultSerializer(preflight.results(job)).data)
