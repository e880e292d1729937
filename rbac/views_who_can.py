"""The "who can do what" page: a form, and the API server's answer under it."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from portal.errors import PortalError
from rbac.who_can import WhoCanForm, answer


@login_required
def who_can(request):
    """Asked with GET (a read: the page's address can be shared and bookmarked)."""
    form = WhoCanForm(request.GET or None)
    result, error, status = None, "", 200
    if form.is_bound and form.is_valid():
        try:
            result = answer(request.user, form)
        except PortalError as exc:
            error, status = exc.message, exc.status_code
            for field, messages in exc.field_errors.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
    elif form.is_bound:
        status = 400
    return render(request, "rbac/who_can.html", {"form": form, "result": result, "error": error}, status=status)
