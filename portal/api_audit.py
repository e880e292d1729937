"""The audit trail in the API (read-only): filtered by the one definition of
portal/audit_filters.py, paged by keyset, exported streamed."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation

from portal.audit_export import COLUMNS, FORMATS, export_response
from portal.audit_filters import AuditEventFilterSet
from portal.keyset import KeysetPagination
from portal.models import AuditEvent
from portal.serializers import SlugRelatedField
from portal.viewsets import PortalReadOnlyViewSet


class AuditEventSerializer(serializers.ModelSerializer):
    # Events of no team (platform actions) and of a since deleted team have none.
    team = SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = list(COLUMNS)  # the exports' columns too
        read_only_fields = fields


EXPORT_FORMAT = "`csv` or `jsonl` (JSON Lines: one event per line)."
EXPORT = "The filtered events, newest first, streamed: CSV or JSON Lines, as the path says."


class _AnyAccept(BaseContentNegotiation):
    """An export answers its own media type, whatever the client accepts:
    a download asked for with `Accept: text/csv` is not a 406."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class AuditEventViewSet(PortalReadOnlyViewSet):
    model = AuditEvent
    serializer_class = AuditEventSerializer
    select_related = ("team",)
    filterset_class = AuditEventFilterSet
    # Newest first, always: the keyset order is the only order (no `ordering`).
    filter_backends = [DjangoFilterBackend]
    pagination_class = KeysetPagination

    @extend_schema(
        parameters=[OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=list(FORMATS), description=EXPORT_FORMAT)],
        responses={
            (200, media): OpenApiResponse(OpenApiTypes.BINARY, description=EXPORT) for media in FORMATS.values()
        },
    )
    @action(
        detail=False,
        methods=["get"],
        url_path=f"export/(?P<fmt>{'|'.join(FORMATS)})",
        pagination_class=None,
        content_negotiation_class=_AnyAccept,
    )
    def export(self, request, fmt):
        return export_response(self.filter_queryset(self.get_queryset()), fmt)
