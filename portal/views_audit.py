"""The audit trail's pages: the list (keyset pages) and its exports, filtered
by the same definition as the API (portal/audit_filters.py)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from portal.audit_export import export_response
from portal.audit_filters import AuditEventFilterSet
from portal.keyset import BAD_CURSOR, CURSOR_PARAM, InvalidCursor, keyset_page
from portal.models import AuditEvent

PAGE_SIZE = 50


def _filterset(request) -> AuditEventFilterSet:
    events = AuditEvent.objects.for_user(request.user).select_related("team")
    return AuditEventFilterSet(request.GET, queryset=events, request=request)


def _page(request, filterset, *, page=None, problems=(), status=200):
    return render(
        request,
        "portal/audit_list.html",
        {"filter": filterset, "page": page, "problems": problems},
        status=status,
    )


@login_required
def audit_list(request):
    filterset = _filterset(request)
    if not filterset.is_valid():
        return _page(request, filterset, status=400)
    try:
        page = keyset_page(filterset.qs, request.GET.get(CURSOR_PARAM), PAGE_SIZE)
    except InvalidCursor:
        return _page(request, filterset, problems=[BAD_CURSOR], status=400)
    return _page(request, filterset, page=page)


@login_required
def audit_export(request, fmt):
    filterset = _filterset(request)
    if not filterset.is_valid():
        return _page(request, filterset, status=400)
    return export_response(filterset.qs, fmt)
