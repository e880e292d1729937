from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from clusters.models import Cluster
from portal.errors import PortalError
from portal.serializers import ServiceModelSerializer, SlugRelatedField
from portal.teams import Membership, Team
from rbac import services, tenancy
from rbac.choices import NamespacePhase
from rbac.models import ApiToken, QuotaChangeRequest, QuotaPlan, TeamNamespace, token_teams_choosable


class ScopedSlugField(SlugRelatedField):
    """A related object chosen by slug among those the requesting user can see."""

    def get_queryset(self):
        return self.queryset.model.objects.for_user(self.context["request"].user)


class UsableClusterField(ScopedSlugField):
    """A cluster to request a namespace on: one the user sees, or one a team of
    theirs may use (a team with no allowed clusters may use every one; the
    service then checks the chosen team's own policy). As the HTML form does."""

    def get_queryset(self):
        return Cluster.objects.usable_by(self.context["request"].user)


class SlugFromNameMixin:
    """A slug that may be left out when creating: the service makes it from
    the name, as the HTML form does. Once made, a slug is not blanked."""

    SLUG_KWARGS = {
        "required": False,
        "allow_blank": True,
        "help_text": "Left out or blank when creating: made from the name (ASCII letters and digits joined by '-').",
    }

    def validate_slug(self, value):
        if self.instance is not None and not value:
            raise serializers.ValidationError(_("A slug cannot be blank."))
        return value


class TeamSerializer(SlugFromNameMixin, ServiceModelSerializer):
    # Scoped like every lookup: naming a cluster one cannot see must not tell it exists.
    allowed_clusters = ScopedSlugField(slug_field="slug", queryset=Cluster.objects.all(), many=True, required=False)
    member_count = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "max_namespaces",
            "allowed_clusters",
            "auto_approve_namespaces",
            "member_count",
            "created",
        ]
        read_only_fields = ["created"]
        extra_kwargs = {"slug": SlugFromNameMixin.SLUG_KWARGS}

    def get_member_count(self, obj) -> int:
        # Lists annotate the count (one query for the page); a single object counts.
        return obj.members_total if hasattr(obj, "members_total") else obj.memberships.count()

    def create_with_service(self, data):
        return services.team_create(**data)

    def update_with_service(self, instance, data):
        return services.team_update(team=instance, by=self.context["request"].user, **data)


class MembershipSerializer(ServiceModelSerializer):
    team = ScopedSlugField(slug_field="slug", queryset=Team.objects.all())
    # A username typed in: the browsable API's form must not offer every
    # account (staff included) as choices to whoever can open it.
    user = SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        style={"base_template": "input.html"},
    )

    class Meta:
        model = Membership
        fields = ["id", "team", "user", "role", "created"]
        read_only_fields = ["created"]
        # The service reports a duplicate on the `user` field; DRF's generic
        # unique-together message would name no field.
        validators = []

    def validate(self, attrs):
        if self.instance is not None:
            for field in ("team", "user"):
                if field in attrs and attrs[field] != getattr(self.instance, field):
                    raise serializers.ValidationError(
                        {field: [_("Cannot be changed; remove the membership and add a new one.")]}
                    )
        return attrs

    def create_with_service(self, data):
        return services.membership_create(**data)

    def update_with_service(self, instance, data):
        return services.membership_update(membership=instance, role=data.get("role", instance.role))


class QuotaPlanSerializer(SlugFromNameMixin, ServiceModelSerializer):
    resource_quota_hard = serializers.DictField(read_only=True)
    limit_range_container = serializers.DictField(read_only=True)

    class Meta:
        model = QuotaPlan
        fields = [
            "id",
            "name",
            "slug",
            "description",
            *QuotaPlan.QUOTA_FIELDS.values(),
            *QuotaPlan.LIMIT_FIELDS,
            "resource_quota_hard",
            "limit_range_container",
            "created",
        ]
        read_only_fields = ["created"]
        extra_kwargs = {"slug": SlugFromNameMixin.SLUG_KWARGS}

    def create_with_service(self, data):
        return services.quota_plan_create(**data)

    def update_with_service(self, instance, data):
        return services.quota_plan_update(plan=instance, **data)


class TeamNamespaceSerializer(ServiceModelSerializer):
    team = ScopedSlugField(slug_field="slug", queryset=Team.objects.all())
    cluster = UsableClusterField(slug_field="slug", queryset=Cluster.objects.all())
    plan = ScopedSlugField(slug_field="slug", queryset=QuotaPlan.objects.all())
    requested_by = SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    labels = serializers.DictField(
        child=serializers.CharField(max_length=63, allow_blank=True, trim_whitespace=False), required=False
    )

    class Meta:
        model = TeamNamespace
        fields = [
            "id",
            "team",
            "cluster",
            "name",
            "plan",
            "labels",
            "network_isolated",
            "requested_by",
            "phase",
            "conditions",
            "observed",
            "last_reconciled",
            "created",
        ]
        read_only_fields = ["phase", "conditions", "observed", "last_reconciled", "created"]

    def validate(self, attrs):
        if self.instance is not None:
            for field in ("team", "cluster", "name"):
                if field in attrs and attrs[field] != getattr(self.instance, field):
                    raise serializers.ValidationError({field: [_("Cannot be changed after the request.")]})
            # Another plan is another quota: team members ask, a platform admin decides.
            if "plan" in attrs and attrs["plan"] != self.instance.plan and not self.context["request"].user.is_staff:
                raise serializers.ValidationError(
                    {"plan": [_("Request a quota change; a platform admin approves a new plan.")]}
                )
        return attrs

    def validate_labels(self, labels):
        # Keys that change how Kubernetes treats a namespace are for platform admins only.
        try:
            return services.namespace_labels_check(labels, may_set_reserved=self.context["request"].user.is_staff)
        except PortalError as exc:
            raise serializers.ValidationError(exc.field_errors["labels"]) from None

    def create_with_service(self, data):
        return services.team_namespace_request(requested_by=self.context["request"].user, **data)

    def update_with_service(self, instance, data):
        data = {k: v for k, v in data.items() if k not in ("team", "cluster", "name")}
        return services.team_namespace_update(namespace=instance, **data)


class NamespaceTerminateSerializer(serializers.Serializer):
    confirm = serializers.CharField(max_length=63, help_text=_("The namespace's name, typed again."))


class NamespaceRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class TokenTeamsField(SlugRelatedField):
    """A team the token's owner is a member of (any other is "does not exist")."""

    def get_queryset(self):
        return token_teams_choosable(self.context["request"].user)


class ApiTokenSerializer(serializers.ModelSerializer):
    expires_in_days = serializers.IntegerField(
        write_only=True,
        required=False,
        allow_null=True,
        min_value=1,
        max_value=3650,
        help_text=_("Days until the token expires; null for a token that does not expire."),
    )
    active = serializers.BooleanField(source="is_active", read_only=True)
    teams = TokenTeamsField(
        slug_field="slug",
        queryset=Team.objects.all(),
        many=True,
        required=False,
        help_text=_(
            "Slugs of teams of yours the token is limited to; empty: all your teams. A platform admin's "
            "limited token acts as a member of those teams only, without platform-admin rights."
        ),
    )

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "key_prefix",
            "access",
            "teams",
            "expires_in_days",
            "created",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "active",
        ]
        read_only_fields = ["key_prefix", "created", "expires_at", "last_used_at", "revoked_at"]


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text=_("The token itself. Shown this once only."))

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]


class QuotaFigureSerializer(serializers.Serializer):
    hard = serializers.CharField()
    used = serializers.CharField()


class NamespaceQuotaSerializer(serializers.Serializer):
    namespace = serializers.CharField()
    cluster = serializers.CharField()
    quota = serializers.DictField(
        child=QuotaFigureSerializer(), help_text=_("Hard limit and use per resource, read live from the cluster.")
    )


class TeamQuotaFigureSerializer(QuotaFigureSerializer):
    percent = serializers.IntegerField()


class TeamQuotaSerializer(serializers.Serializer):
    team = serializers.CharField()
    namespaces = serializers.IntegerField(help_text=_("Namespaces whose quota the reconciler has observed."))
    quota = serializers.DictField(
        child=TeamQuotaFigureSerializer(),
        help_text=_("Summed over the team's namespaces, as the reconciler last observed them."),
    )


class ScopedNamespaceField(serializers.PrimaryKeyRelatedField):
    """A team namespace the requesting user can see (another team's reads like a missing one)."""

    def get_queryset(self):
        return TeamNamespace.objects.for_user(self.context["request"].user).select_related("team", "cluster")


class QuotaChangeSerializer(serializers.ModelSerializer):
    namespace = ScopedNamespaceField()
    namespace_name = serializers.CharField(source="namespace.name", read_only=True)
    team = SlugRelatedField(source="namespace.team", slug_field="slug", read_only=True)
    cluster = SlugRelatedField(source="namespace.cluster", slug_field="slug", read_only=True)
    plan = ScopedSlugField(slug_field="slug", queryset=QuotaPlan.objects.all())
    previous_plan = SlugRelatedField(slug_field="slug", read_only=True)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    requested_by = SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    decided_by = SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = QuotaChangeRequest
        fields = [
            "id",
            "namespace",
            "namespace_name",
            "team",
            "cluster",
            "plan",
            "previous_plan",
            "reason",
            "status",
            "requested_by",
            "decided_by",
            "decided",
            "created",
        ]
        read_only_fields = ["status", "decided", "created"]

    def validate_namespace(self, namespace):
        if namespace.phase in (NamespacePhase.DELETED, NamespacePhase.REJECTED, NamespacePhase.TERMINATING):
            raise serializers.ValidationError(_("This namespace is gone or going; its quota cannot change."))
        return namespace

    def create(self, validated_data):
        return tenancy.quota_change_request(user=self.context["request"].user, **validated_data)
