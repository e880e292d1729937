"""Limits on how fast anyone may guess passwords or mint credentials.

- Logins (`/accounts/login/`, `/admin/login/`): django-axes counts failed
  logins per (username, address) in the database and refuses that pair for
  LOGIN_LOCKOUT_MINUTES after LOGIN_FAILURE_LIMIT failures; a successful login
  clears the count. The refusal is a 429 page with Retry-After, audited.
- The API: DRF throttles per user, per anonymous address, and per user for
  scoped actions (`kubeconfig`), counted in the default cache. Refusals are
  429 with Retry-After in the API's one error shape.
- HTML views that mint credentials take the same scoped budget as their API
  twin through `throttled(scope)`: one limit, whichever door is used.
"""

import math
from functools import wraps
from types import SimpleNamespace

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle

from portal.audit import audit_describe
from portal.models import AuditResult


def client_address(request) -> str:
    """The address a request came from, for login lockouts and API throttles
    alike. REMOTE_ADDR, unless TRUSTED_PROXY_COUNT reverse proxies stand in
    front of the portal: then the address the outermost of them saw, counted
    from the right of X-Forwarded-For (each proxy appends what it saw, so the
    left part is whatever the client wrote). Without trusted proxies a
    client's own X-Forwarded-For is never believed: it would give a guesser a
    fresh count with every request."""
    meta = request.META
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return meta.get("REMOTE_ADDR", "")


class LoginLockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out (username, address) pair before any password check.

    Every login that comes from the network comes with its request (Django's
    login views, the admin's, DRF's authentication classes pass it). Code that
    authenticates without one (a shell, the test client's `login()`) is not a
    guess from an address, and is left to the next backend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class _RatesFromSettings:
    """Rates read when a request is counted, not when DRF was imported, so a
    changed REST_FRAMEWORK setting applies at once; addresses as the login
    lockout sees them."""

    def get_ident(self, request):
        return client_address(request)

    def get_rate(self):
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError:
            raise ImproperlyConfigured(f"No throttle rate set for scope {self.scope!r}.") from None


class AnonThrottle(_RatesFromSettings, AnonRateThrottle):
    pass


class UserThrottle(_RatesFromSettings, UserRateThrottle):
    pass


class ScopedThrottle(_RatesFromSettings, ScopedRateThrottle):
    """Applies to views and actions that set `throttle_scope`."""


def too_many_requests(request, *, title: str, message: str, seconds: float):
    """The HTML answer to a refused request: 429 with Retry-After."""
    response = render(request, "429.html", {"title": title, "message": message}, status=429)
    response["Retry-After"] = str(max(1, math.ceil(seconds)))
    return response


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' answer for a locked-out login (AXES_LOCKOUT_CALLABLE)."""
    seconds = settings.AXES_COOLOFF_TIME.total_seconds()
    minutes = math.ceil(seconds / 60)
    audit_describe(request, action="session.login_locked_out", result=AuditResult.DENIED)
    return too_many_requests(
        request,
        title=_("Too many failed logins"),
        message=ngettext(
            "Too many failed logins for this account from your address. Try again in %(minutes)s minute.",
            "Too many failed logins for this account from your address. Try again in %(minutes)s minutes.",
            minutes,
        )
        % {"minutes": minutes},
        seconds=seconds,
    )


def throttled(scope: str):
    """Count a plain Django view against the API's scoped rate `scope`."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            throttle = ScopedThrottle()
            if not throttle.allow_request(request, SimpleNamespace(throttle_scope=scope)):
                seconds = math.ceil(throttle.wait() or 1)
                return too_many_requests(
                    request,
                    title=_("Too many requests"),
                    message=ngettext(
                        "Too many requests of this kind; try again in %(seconds)s second.",
                        "Too many requests of this kind; try again in %(seconds)s seconds.",
                        seconds,
                    )
                    % {"seconds": seconds},
                    seconds=seconds,
                )
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
