"""API for portal accounts: platform admins list, create and change users
(never delete them: deactivate instead); everyone may read their own account
at /users/me/."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from portal import users as user_services
from portal.permissions import IsPlatformAdmin
from portal.serializers import ServiceModelSerializer
from portal.viewsets import AuditedMixin


class UserSerializer(ServiceModelSerializer):
    password = serializers.CharField(
        write_only=True,
        required=False,
        style={"input_type": "password"},
        trim_whitespace=False,
        help_text=_("Checked by the portal's password rules. Never returned."),
    )
    is_staff = serializers.BooleanField(
        required=False, default=False, help_text=_("Platform admin: may manage clusters, teams, users and every team.")
    )
    is_active = serializers.BooleanField(
        required=False, default=True, help_text=_("False: the user cannot sign in and their API tokens are refused.")
    )

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "is_staff", "is_active", "password", "date_joined", "last_login"]
        read_only_fields = ["date_joined", "last_login"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is None:
            fields["password"].required = True
        else:
            fields["username"].read_only = True  # other records name the account by it
        return fields

    def create_with_service(self, data):
        return user_services.user_create(**data)

    def update_with_service(self, instance, data):
        data.pop("username", None)
        return user_services.user_update(user=instance, by=self.context["request"].user, **data)


class UserFilter(filters.FilterSet):
    username = filters.CharFilter(field_name="username", lookup_expr="icontains")
    active = filters.BooleanFilter(field_name="is_active")
    staff = filters.BooleanFilter(field_name="is_staff", help_text=_("Platform admins only (true) or the others."))

    class Meta:
        model = get_user_model()
        fields = ["username", "active", "staff"]


class UserViewSet(
    AuditedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Portal users. Platform admins only, except `/users/me/`. There is no
    DELETE: deactivate a user (`is_active: false`) instead."""

    serializer_class = UserSerializer
    permission_classes = [IsPlatformAdmin]
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_class = UserFilter
    search_fields = ["username", "email"]
    ordering_fields = ["username", "date_joined", "last_login"]
    audit_kind = "User"

    def get_queryset(self):
        return get_user_model().objects.order_by("username")

    def audit_target(self, obj):
        return {"name": obj.get_username()}

    @extend_schema(responses=UserSerializer)
    @action(detail=False, methods=["get"], permission_classes=[IsAuthenticated])
    def me(self, request):
        """The account you are signed in as (any user)."""
        return Response(self.get_serializer(request.user).data)
