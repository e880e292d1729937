"""Personal API tokens: create (value shown once), list, revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.audit import audit_describe
from portal.errors import PortalError
from rbac import services
from rbac.forms import ApiTokenForm
from rbac.models import ApiToken


@login_required
def token_list(request):
    form = ApiTokenForm(request.POST or None, user=request.user)
    created_key = None
    status = 200
    if request.method == "POST":
        audit_describe(request, action="apitoken.create", kind="ApiToken")
        if form.is_valid():
            try:
                token, created_key = services.api_token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    expires_in_days=form.cleaned_data["expires_in_days"],
                    access=form.cleaned_data["access"],
                    teams=form.cleaned_data["teams"],
                )
                audit_describe(request, name=token.name)
                form = ApiTokenForm(user=request.user)
            except PortalError as exc:
                for field in exc.field_errors or ["name"]:
                    form.add_error(field if field in form.fields else None, exc.message)
                status = 400
        else:
            status = 400
    return render(
        request,
        "rbac/token_list.html",
        {
            "tokens": ApiToken.objects.for_user(request.user).prefetch_related("teams"),
            "form": form,
            "created_key": created_key,
        },
        status=status,
    )


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken.objects.for_user(request.user), pk=pk)
    audit_describe(request, action="apitoken.revoke", kind="ApiToken", name=token.name)
    services.api_token_revoke(token=token)
    messages.success(request, _("Revoked %(name)s.") % {"name": token.name})
    return redirect("tokens:token-list")
