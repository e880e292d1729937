"""The first token, for automation: POST /api/v1/auth/token/ with a username
and password returns a new personal API token, shown once.

It is a login by another door, so it is guarded like one: each failure counts
against django-axes' lockout of the (username, address) pair exactly as a
failed sign-in on the login page does, a locked-out pair is refused before any
password check, and the door has a tight rate per address on top. A wrong
password, an unknown username and an inactive account all get the same
answer, so the door does not tell which accounts exist.
"""

import math

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from portal.audit import audit_describe
from portal.models import AuditResult
from portal.serializers import SlugRelatedField
from portal.throttling import AnonThrottle, client_address
from portal.viewsets import AuditedMixin
from rbac import services
from rbac.api.serializers import ApiTokenCreatedSerializer, ApiTokenSerializer
from rbac.choices import ApiTokenAccess
from rbac.models import token_teams_choosable

# Far below the API's general rate: each request here is a password guess.
DEFAULT_RATE = "10/minute"


class TokenObtainThrottle(SimpleRateThrottle):
    """Per client address (as the login lockout sees it); the rate is the
    `token_obtain` entry of DEFAULT_THROTTLE_RATES when set, else 10/minute."""

    scope = "token_obtain"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or DEFAULT_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


class TokenObtainSerializer(ApiTokenSerializer):
    username = serializers.CharField(write_only=True, max_length=150)
    password = serializers.CharField(write_only=True, style={"input_type": "password"}, trim_whitespace=False)
    # Slugs only here: which teams are the user's is known once the password is checked (create()).
    teams = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        help_text=ApiTokenSerializer._declared_fields["teams"].help_text,
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = ["username", "password", "name", "access", "teams", "expires_in_days"]


def _teams_of(user, slugs: list[str]) -> list:
    """The user's teams named by `slugs`; a slug of no team of theirs reads as missing."""
    teams = {team.slug: team for team in token_teams_choosable(user).filter(slug__in=slugs)}
    missing = [slug for slug in slugs if slug not in teams]
    if missing:
        message = SlugRelatedField.default_error_messages["does_not_exist"]
        raise exceptions.ValidationError({"teams": [message.format(slug_name="slug", value=missing[0])]})
    return [teams[slug] for slug in dict.fromkeys(slugs)]


BAD_CREDENTIALS = _("These credentials do not sign anyone in.")


class TokenObtainViewSet(AuditedMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Exchange a username and password for a new personal API token."""

    serializer_class = TokenObtainSerializer
    # Credentials come in the body; a session or a token is not needed (nor used).
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonThrottle, TokenObtainThrottle]
    audit_kind = "ApiToken"

    def audit_action(self, request) -> str:
        return "apitoken.obtain"

    @extend_schema(
        request=TokenObtainSerializer,
        responses={201: ApiTokenCreatedSerializer},
        description="Sign in with a username and password and get a new personal API token, returned this once, "
        "read-write or read-only (`access`), optionally limited to some of your teams (`teams`). "
        "Send it as `Authorization: Bearer <token>`. Wrong credentials and inactive accounts get one generic "
        "400; repeated failures lock the username out from your address as failed logins do (429).",
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # django-axes counts and locks out on the Django request it sees.
        django_request = request._request
        user = authenticate(django_request, username=data["username"], password=data["password"])
        audit_describe(request, action=self.audit_action(request), name=data["name"])
        if getattr(django_request, "axes_locked_out", False):
            # Answered here in the API's error shape, not by axes' HTML page.
            django_request.axes_locked_out = False
            audit_describe(request, action="apitoken.obtain.locked_out", result=AuditResult.DENIED)
            seconds = settings.AXES_COOLOFF_TIME.total_seconds()
            raise exceptions.Throttled(
                wait=math.ceil(seconds),
                detail=str(_("Too many failed sign-ins for this account from your address; try again later.")),
            )
        if user is None:
            audit_describe(request, result=AuditResult.DENIED)
            raise exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [BAD_CREDENTIALS]})
        # The event names who obtained the token (this request carries no session).
        django_request.user = user
        days = data.get("expires_in_days", settings.API_TOKEN_DEFAULT_DAYS)
        token, key = services.api_token_create(
            user=user,
            name=data["name"],
            expires_in_days=days,
            access=data.get("access", ApiTokenAccess.WRITE),
            teams=_teams_of(user, data.get("teams", [])),
        )
        token.token = key
        return Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)
