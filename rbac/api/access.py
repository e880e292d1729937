"""`GET /api/v1/who-can/`: the API server's answer to "who can do what"
(rbac/who_can.py), for platform admins and, in their team's namespaces, a
team's owners and maintainers."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from rbac.who_can import SUBJECT_CHOICES, WhoCanForm, answer


class WhoCanViewSet(viewsets.ViewSet):
    """What a subject may do in a namespace, and whether it may do one thing there."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_who_can",
        parameters=[
            OpenApiParameter("cluster", str, required=True, description="The cluster's slug."),
            OpenApiParameter("namespace", str, required=True, description="The namespace asked about."),
            OpenApiParameter("subject_kind", str, required=True, enum=[value for value, _label in SUBJECT_CHOICES]),
            OpenApiParameter(
                "subject", str, required=True, description="Username, team slug, group or <namespace>:<name>."
            ),
            OpenApiParameter("verb", str, description="With `resource`: may the subject do this?"),
            OpenApiParameter("resource", str, description="A resource, e.g. deployments."),
            OpenApiParameter("group", str, description="Its API group (empty: the core group)."),
            OpenApiParameter("subresource", str),
            OpenApiParameter("resource_name", str, description="One object's name."),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def list(self, request):
        form = WhoCanForm(request.query_params)
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors)
        return Response(answer(request.user, form))
