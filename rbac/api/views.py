import yaml
from django.conf import settings
from django.db.models import Count
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from clusters import kube
from jobs.api.serializers import JobSerializer
from portal.audit import audit_describe
from portal.errors import ConflictError
from portal.permissions import MANAGERS, OWNER_ONLY, IsPlatformAdmin, IsPlatformAdminOrReadOnly, TeamRolePermission
from portal.teams import Membership, Team
from portal.viewsets import AuditedMixin, PortalModelViewSet, ScopedViewSetMixin
from rbac import live, services, tenancy
from rbac.api import serializers as s
from rbac.choices import ApiTokenAccess, NamespacePhase
from rbac.live import QUOTA_RESOURCES
from rbac.models import ApiToken, QuotaChangeRequest, QuotaPlan, TeamNamespace
from rbac.selectors import IN_CLUSTER, team_quota_totals
from rbac.team_kubeconfig import team_kubeconfig


class YAMLRenderer(BaseRenderer):
    """Text that already is YAML goes out as is; an error body is dumped."""

    media_type = "application/yaml"
    format = "yaml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        return text.encode("utf-8")


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

    @extend_schema(responses=s.TeamQuotaSerializer)
    @action(detail=True, methods=["get"])
    def quota(self, request, slug=None):
        """Hard and used summed over the team's namespaces (cpu, memory, pods,
        storage), from what the reconciler last observed; no live reads."""
        team = self.get_object()
        rows, counted = team_quota_totals(team.namespaces.filter(phase__in=IN_CLUSTER))
        quota = {
            row["resource"]: {"hard": row["hard"], "used": row["used"], "percent": row["percent"]}
            for row in rows
            if row["resource"] in QUOTA_RESOURCES
        }
        return Response(s.TeamQuotaSerializer({"team": team.slug, "namespaces": counted, "quota": quota}).data)

    @extend_schema(
        request=None,
        responses={(200, "application/yaml"): OpenApiTypes.STR},
        description="A kubeconfig for your team's ready namespaces, with freshly issued short-lived tokens. "
        "Members only. Returned this once, never stored (Cache-Control: no-store).",
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated],
        renderer_classes=[JSONRenderer, YAMLRenderer],
        # Minting issues tokens on every cluster: a budget of its own (portal.throttling).
        throttle_scope="kubeconfig",
    )
    def kubeconfig(self, request, slug=None):
        team = self.get_object()
        if team.role_of(request.user) is None:
            self.permission_denied(request, message=_("Only members of the team can download its kubeconfig."))
        ready = team.namespaces.filter(phase=NamespacePhase.READY).select_related("cluster")
        if not ready:
            raise ConflictError(_("Team %(team)s has no ready namespace yet.") % {"team": team})
        without = sorted({ns.cluster.name for ns in ready if not ns.cluster.kubeconfig})
        if without:
            raise ConflictError(
                _("Cluster %(clusters)s has no credentials; ask a platform admin to replace them.")
                % {"clusters": ", ".join(without)}
            )
        text = team_kubeconfig(user=request.user, team=team)
        response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="kubeconfig-{team.slug}.yaml"'
        response["Cache-Control"] = "no-store"
        return response


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

    @extend_schema(responses=s.NamespaceQuotaSerializer)
    @action(detail=True, methods=["get"])
    def quota(self, request, pk=None):
        """Hard vs used of the namespace's quota, read live (as you, for team members)."""
        namespace = self.get_object()
        if namespace.phase not in IN_CLUSTER:
            raise ConflictError(
                _("The namespace is %(phase)s: it has no quota in a cluster.")
                % {"phase": namespace.get_phase_display()}
            )
        try:
            quota = live.namespace_quota(user=request.user, namespace=namespace)
        except kube.KubeNotFound:
            raise ConflictError(
                _("The namespace has no quota in the cluster yet: it has not been provisioned.")
            ) from None
        except kube.KubeError as exc:
            # Unreachable stays 503, refused credentials 502 and so on; the message says where.
            raise type(exc)(
                _("The quota cannot be read from cluster %(cluster)s right now: %(message)s")
                % {"cluster": namespace.cluster, "message": exc.message}
            ) from None
        return Response(
            s.NamespaceQuotaSerializer(
                {"namespace": namespace.name, "cluster": namespace.cluster.slug, "quota": quota}
            ).data
        )


class QuotaChangeViewSet(
    AuditedMixin,
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Requests for another quota plan: team owners and maintainers ask,
    platform admins approve (the namespace moves to the plan) or reject."""

    model = QuotaChangeRequest
    serializer_class = s.QuotaChangeSerializer
    permission_classes = [TeamRolePermission]
    write_roles = MANAGERS
    select_related = ("namespace__team", "namespace__cluster", "plan", "previous_plan", "requested_by", "decided_by")
    audit_kind = "QuotaChange"
    filterset_fields = {"status": ["exact"], "namespace__team__slug": ["exact"], "namespace": ["exact"]}
    ordering_fields = ["created", "status"]

    def team_of(self, obj):
        return obj.namespace.team

    def team_of_new(self, request):
        pk = request.data.get("namespace") if hasattr(request.data, "get") else None
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            return None
        namespace = TeamNamespace.objects.for_user(request.user).filter(pk=pk).select_related("team").first()
        return namespace.team if namespace else None

    def audit_target(self, obj):
        ns = obj.namespace
        return {"team": ns.team, "cluster": ns.cluster.slug, "namespace": ns.name, "name": str(obj.pk)}

    def _decide(self, request, approve: bool):
        change = tenancy.quota_change_decide(change=self.get_object(), user=request.user, approve=approve)
        change = self.get_queryset().get(pk=change.pk)
        return Response(s.QuotaChangeSerializer(change, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=s.QuotaChangeSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsPlatformAdmin])
    def approve(self, request, pk=None):
        """Move the namespace to the requested plan (then it reconciles)."""
        return self._decide(request, approve=True)

    @extend_schema(request=None, responses=s.QuotaChangeSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsPlatformAdmin])
    def reject(self, request, pk=None):
        return self._decide(request, approve=False)


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

    def get_queryset(self):
        return super().get_queryset().prefetch_related("teams")

    @extend_schema(responses={201: s.ApiTokenCreatedSerializer})
    def create(self, request, *args, **kwargs):
        if isinstance(request.auth, ApiToken):
            # A leaked short-lived token must not be able to mint a lasting one.
            self.permission_denied(request, message=_("Create tokens from a signed-in session, not with a token."))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        days = serializer.validated_data.get("expires_in_days", settings.API_TOKEN_DEFAULT_DAYS)
        token, key = services.api_token_create(
            user=request.user,
            name=serializer.validated_data["name"],
            expires_in_days=days,
            access=serializer.validated_data.get("access", ApiTokenAccess.WRITE),
            teams=serializer.validated_data.get("teams", ()),
        )
        audit_describe(request, name=token.name)
        token.token = key
        return Response(s.ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)

    def destroy_object(self, instance):
        services.api_token_revoke(token=instance)
