"""API token authentication: `Authorization: Bearer kpt_...` (or `Token kpt_...`).

A token never reaches more than its owner, and often less: the request's user
carries the token's scope (`user.token_scope`, portal.scoping.TokenScope).
- A read-only token is refused (403) for every method but GET, HEAD and
  OPTIONS, before any view runs (`ReadOnlyTokenMiddleware`), audited as denied.
- A team-limited token narrows every `for_user()` to its teams, gives its user
  no role outside them, and impersonates only those teams' groups in the
  clusters (rbac.identity). A platform admin's team-limited token acts as a
  member of those teams only: its user's `is_staff` and `is_superuser` are
  lowered on this request's copy of the user, which refuses to be saved.
Session (browser) logins carry no scope and are unchanged.
"""

import copy
from datetime import timedelta

from django.http import JsonResponse
from django.utils import timezone
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from portal.scoping import TokenScope
from rbac.models import ApiToken

# Writing last_used_at on every request would turn reads into writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
KEYWORDS = ("bearer", "token")
# Where a request keeps its token once checked (the middleware and DRF both ask).
CHECKED = "_api_token_checked"


def _key_from_header(request) -> str | None:
    header = authentication.get_authorization_header(request).split()
    if not header or header[0].decode(errors="replace").lower() not in KEYWORDS:
        return None
    if len(header) != 2:
        raise exceptions.AuthenticationFailed(_("Invalid token header: give exactly one token."))
    try:
        key = header[1].decode()
    except UnicodeDecodeError:
        raise exceptions.AuthenticationFailed(_("Invalid token header.")) from None
    return key if key.startswith(ApiToken.PREFIX) else None  # None: not one of ours


def _usable_token(key: str) -> ApiToken:
    token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash_key(key)).first()
    if token is None:
        raise exceptions.AuthenticationFailed(_("Invalid token."))
    if token.revoked_at is not None:
        raise exceptions.AuthenticationFailed(_("This token has been revoked."))
    if token.expires_at is not None and token.expires_at <= timezone.now():
        raise exceptions.AuthenticationFailed(_("This token has expired."))
    if not token.user.is_active:
        raise exceptions.AuthenticationFailed(_("The token's user is inactive."))
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def _refuse_save(*args, **kwargs):
    raise RuntimeError(
        "This user acts through a team-limited API token: its platform-admin flags are lowered "
        "for this request only, so it must not be saved."
    )


def scoped_user(token: ApiToken):
    """The token's user for this request, carrying the token's scope (a copy:
    the token's own `user` is left as it was)."""
    user = copy.copy(token.user)
    team_ids = frozenset(token.teams.values_list("pk", flat=True)) or None
    user.token_scope = TokenScope(read_only=token.read_only, team_ids=team_ids)
    if team_ids is not None and (user.is_staff or user.is_superuser):
        # A limited token acts as a member of its teams only. The flags are
        # changed on this object, never in the database: saving it would make
        # the change lasting, so this object cannot be saved.
        user.is_staff = user.is_superuser = False
        user.save = _refuse_save
    return user


def authenticate_token(request):
    """(user, token) for a request carrying one of our tokens, None when it
    carries none; AuthenticationFailed for a bad, revoked or expired one.
    Checked once per request, whoever asks first."""
    request = getattr(request, "_request", request)
    if not hasattr(request, CHECKED):
        key = _key_from_header(request)
        if key is None:
            setattr(request, CHECKED, None)
        else:
            token = _usable_token(key)
            setattr(request, CHECKED, (scoped_user(token), token))
    return getattr(request, CHECKED)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        return authenticate_token(request)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ReadOnlyTokenMiddleware(MiddlewareMixin):
    """Refuses every change made with a read-only token, whatever the view:
    one rule at the door rather than one per view's permission classes. Runs
    after the audit middleware, which records the refusal (denied, with the
    token's user as actor, on the token channel)."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in SAFE_METHODS:
            return None
        try:
            found = authenticate_token(request)
        except exceptions.AuthenticationFailed:
            return None  # the API answers 401 itself, in its own words
        if found is None or not found[1].read_only:
            return None
        # Imported here: portal.errors imports DRF, whose settings import this module.
        from portal.errors import error_body

        request.user, request.auth = found
        message = gettext("This token is read-only: it may not change anything.")
        return JsonResponse(error_body(403, message), status=403)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Describes token authentication in the OpenAPI schema (Swagger UI's "Authorize")."""

    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": _(
                "A personal API token (kpt_...) from /tokens/, sent as `Authorization: Bearer <token>`. "
                "A read-only token is refused (403) for every method but GET, HEAD and OPTIONS; a token "
                "limited to some teams reaches only those teams (a platform admin's acts as a member "
                "of those teams only)."
            ),
        }
