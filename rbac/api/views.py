from django.conf import settings
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from clusters.api.serializers import JobSerializer
from portal.audit import audit_describe
from portal.permissions import MANAGERS, OWNER_ONLY, IsPlatformAdmin, IsPlatformAdminOrReadOnly, TeamRolePermission
from portal.viewsets import AuditedMixin, PortalModelViewSet, ScopedViewSetMixin
from rbac import services, tenancy
from rbac.api import serializers as s
from rbac.models import ApiToken, Membership, QuotaPlan, Team, TeamNamespace


def _team_from_request(request):
    slug = request.data.get("team") if hasattr(request.data, "get") else None
    if not isinstance(slug, str):
        return None
    return Team.objects.for_user(request.user).filter(slug=slug).first()


class TeamPermission(TeamRolePermission):
    def has_permission(self, request, view):
        if view.action in ("create", "destroy"):
            return bool(request.user and request.user.is_authenticated and request.user.is_staff)
        return super().has_permission(request, view)


class TeamViewSet(PortalModelViewSet):
    model = Team
    serializer_class = s.TeamSerializer
    permission_classes = [TeamPermission]
    write_roles = OWNER_ONLY
    lookup_field = "slug"
    audit_kind = "Team"
    search_fields = ["name", "slug", "description"]
    ordering_fields = ["name", "created"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .annotate(members_total=Count("memberships", distinct=True))
            .order_by(*Team._meta.ordering)  # an aggregate drops Meta.ordering
            .prefetch_related("allowed_clusters")
        )

    def team_of(self, obj):
        return obj

    def audit_target(self, obj):
        return {"team": obj if obj.pk else None, "name": obj.slug}

    def destroy_object(self, instance):
        services.team_delete(team=instance)


class MembershipViewSet(PortalModelViewSet):
    model = Membership
    serializer_class = s.MembershipSerializer
    permission_classes = [TeamRolePermission]
    write_roles = OWNER_ONLY
    select_related = ("team", "user")
    audit_kind = "Membership"
    filterset_fields = {"team__slug": ["exact"], "role": ["exact"], "user__username": ["exact"]}
    ordering_fields = ["created", "role"]

    def team_of(self, obj):
        return obj.team

    def team_of_new(self, request):
        return _team_from_request(request)

    def audit_target(self, obj):
        return {"team": obj.team, "name": f"{obj.team.slug}/{obj.user.username}"}

    def destroy_object(self, instance):
        services.membership_delete(membership=instance)


class QuotaPlanViewSet(PortalModelViewSet):
    model = QuotaPlan
    serializer_class = s.QuotaPlanSerializer
    permission_classes = [IsPlatformAdminOrReadOnly]
    lookup_field = "slug"
    audit_kind = "QuotaPlan"
    search_fields = ["name", "slug"]
    ordering_fields = ["name", "created"]

    def destroy_object(self, instance):
        services.quota_plan_delete(plan=instance)


class TeamNamespaceViewSet(PortalModelViewSet):
    model = TeamNamespace
    serializer_class = s.TeamNamespaceSerializer
    permission_classes = [TeamRolePermission]
    write_roles = MANAGERS
    select_related = ("team", "cluster", "plan", "requested_by")
    audit_kind = "Namespace"
    filterset_fields = {"team__slug": ["exact"], "cluster__slug": ["exact"], "phase": ["exact"]}
    search_fields = ["name"]
    ordering_fields = ["name", "created", "phase"]

    def team_of(self, obj):
        return obj.team

    def team_of_new(self, request):
        return _team_from_request(request)

    def audit_target(self, obj):
        return {"team": obj.team, "cluster": obj.cluster.slug, "namespace": obj.name, "name": obj.name}

    def destroy_object(self, instance):
        services.team_namespace_delete(namespace=instance)

    @extend_schema(
        request=s.NamespaceTerminateSerializer,
        responses={202: JobSerializer, 204: None},
        description="Delete the namespace from its cluster: a job waits for it to finalize. "
        "A request that never reached a cluster is simply marked deleted (204).",
    )
    @action(detail=True, methods=["post"])
    def terminate(self, request, pk=None):
        namespace = self.get_object()
        serializer = s.NamespaceTerminateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = tenancy.team_namespace_delete_start(
            namespace=namespace, user=request.user, confirm=serializer.validated_data["confirm"]
        )
        if job is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=s.TeamNamespaceSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsPlatformAdmin])
    def approve(self, request, pk=None):
        namespace = tenancy.team_namespace_approve(namespace=self.get_object(), user=request.user)
        return Response(s.TeamNamespaceSerializer(namespace, context=self.get_serializer_context()).data)

    @extend_schema(request=s.NamespaceRejectSerializer, responses=s.TeamNamespaceSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsPlatformAdmin])
    def reject(self, request, pk=None):
        namespace = self.get_object()
        serializer = s.NamespaceRejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        namespace = tenancy.team_namespace_reject(
            namespace=namespace, user=request.user, reason=serializer.validated_data.get("reason", "")
        )
        return Response(s.TeamNamespaceSerializer(namespace, context=self.get_serializer_context()).data)


class ApiTokenViewSet(
    AuditedMixin,
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your personal API tokens. DELETE revokes a token (it stays listed)."""

    model = ApiToken
    serializer_class = s.ApiTokenSerializer
    permission_classes = [IsAuthenticated]
    audit_kind = "ApiToken"
    ordering_fields = ["created", "name", "last_used_at"]

    @extend_schema(responses={201: s.ApiTokenCreatedSerializer})
    def create(self, request, *args, **kwargs):
        if isinstance(request.auth, ApiToken):
            # A leaked short-lived token must not be able to mint a lasting one.
            self.permission_denied(request, message=_("Create tokens from a signed-in session, not with a token."))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        days = serializer.validated_data.get("expires_in_days", settings.API_TOKEN_DEFAULT_DAYS)
        token, key = services.api_token_create(
            user=request.user, name=serializer.validated_data["name"], expires_in_days=days
        )
        audit_describe(request, name=token.name)
        token.token = key
        return Response(s.ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)

    def destroy_object(self, instance):
        services.api_token_revoke(token=instance)
