"""Generic HTML views over the apps' models, in NetBox's manner: each page
declares its model, columns and form; the base narrows every queryset through
`for_user()` and sends writes through services."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ProtectedError, Q, RestrictedError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import ListView

from portal.audit import audit_describe
from portal.errors import PortalError


def resolve(obj, column):
    """A cell's value: a callable of the object, or a dotted attribute path."""
    if callable(column):
        return column(obj)
    value = obj
    for part in column.split("."):
        value = getattr(value, part, "")
        if value is None:
            return None
        if callable(value) and part.startswith("get_"):
            value = value()
    return value


def in_use_message(exc: ProtectedError | RestrictedError) -> str:
    """A translated "still in use" message naming a few of the dependent records."""
    objects = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
    names = sorted({str(obj) for obj in list(objects)[:5]})
    return _("It is still in use by: %(names)s.") % {"names": ", ".join(names)}


def add_errors(form, field_errors: dict, message: str, default_field=None):
    """Put a service's errors on the form's fields; what names no field of the
    form goes to `default_field`, or to the top of the form."""
    placed = False
    for field, errors in (field_errors or {}).items():
        for error in errors if isinstance(errors, list) else [errors]:
            if field in form.fields:
                form.add_error(field, error if isinstance(error, str) else str(error))  # a Shown stays one
                placed = True
    if not placed:
        form.add_error(default_field if default_field in form.fields else None, message)


class ScopedMixin(LoginRequiredMixin):
    """Every page reads through the model's `for_user()`: what a user may not
    see does not exist for them (404). `staff_only` pages answer 403 to others."""

    model = None
    lookup_field = "pk"
    select_related: tuple = ()
    staff_only = False
    list_url_name = ""
    detail_url_name = ""

    def dispatch(self, request, *args, **kwargs):
        if self.staff_only and request.user.is_authenticated and not request.user.is_staff:
            raise PermissionDenied(_("Only platform admins may see this."))
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        queryset = self.model.objects.for_user(self.request.user)
        return queryset.select_related(*self.select_related) if self.select_related else queryset

    def get_object(self):
        return get_object_or_404(self.get_queryset(), **{self.lookup_field: self.kwargs[self.lookup_field]})

    def may_change(self, obj) -> bool:
        """Who may create (obj is None), edit or delete. Default: platform admins."""
        return self.request.user.is_staff

    def may_delete(self, obj) -> bool:
        """Who may delete; by default whoever may change."""
        return self.may_change(obj)

    def check_may_change(self, obj):
        if not self.may_change(obj):
            raise PermissionDenied(_("Your role does not allow this change."))

    def audit(self, obj, action: str):
        audit_describe(self.request, action=action, kind=self.model.__name__, **self.audit_target(obj))

    def audit_target(self, obj) -> dict:
        return {"name": getattr(obj, "slug", None) or getattr(obj, "name", None) or str(obj.pk)}

    def detail_url(self, obj) -> str:
        return reverse(self.detail_url_name, args=[getattr(obj, self.lookup_field)])

    def list_url(self) -> str:
        return reverse(self.list_url_name) if self.list_url_name else reverse("dashboard")

    def parent_crumbs(self, obj):
        """The breadcrumbs above an object's page ([(url, label)], after the
        dashboard), or None for the trail its address gives (section, list)."""
        return None

    def crumbs_to(self, obj) -> dict:
        """Context for the breadcrumbs of a page about `obj` (edit, delete): its
        parents and the object's own page."""
        parents = self.parent_crumbs(obj)
        if parents is None or obj is None:
            return {"breadcrumbs": parents} if parents is not None else {}
        return {"breadcrumbs": [*parents, (self.detail_url(obj), str(obj))]}


class ObjectListView(ScopedMixin, ListView):
    """A table; `columns` are (attribute or callable, heading) pairs.

    `filters` are (GET parameter, label, choices) triples offered as selects
    next to the search box; a chosen value filters the field of the same name.
    """

    template_name = "generic/object_list.html"
    paginate_by = 50
    columns: list = []
    search_fields: tuple = ()
    filters: list = []
    title = ""
    create_url_name = ""
    # The empty state: what the list holds and how it gets a first row; the
    # create button's label (for whoever may create), what others can do.
    empty_message = gettext_lazy("Nothing here yet.")
    empty_action = gettext_lazy("Add the first one")
    empty_hint = ""
    # (field, states) of rows whose state is changing on its own (a cluster
    # provisioning, a job running): while the page shows one, its table
    # refreshes itself; the answer without one carries no trigger and it stops.
    changing: tuple[str, tuple] | None = None

    def get_queryset(self):
        queryset = super().get_queryset()
        query = self.request.GET.get("q", "").strip()
        if query and self.search_fields:
            condition = Q()
            for field in self.search_fields:
                condition |= Q(**{f"{field}__icontains": query})
            queryset = queryset.filter(condition)
        for param, _label, choices in self.filters:
            value = self.request.GET.get(param, "")
            if value and value in {str(v) for v, _l in choices}:
                queryset = queryset.filter(**{param: value})
        return queryset

    def links_to(self, obj) -> bool:
        """Whether the row's first cell links to the object's page."""
        return True

    def is_changing(self, objects) -> bool:
        if self.changing is None:
            return False
        field, states = self.changing
        return any(getattr(obj, field) in states for obj in objects)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            changing=self.is_changing(context["object_list"]),
            title=self.title,
            columns=self.columns,
            query=self.request.GET.get("q", ""),
            filters=[
                (param, label, choices, self.request.GET.get(param, "")) for param, label, choices in self.filters
            ],
            create_url_name=self.create_url_name if self.may_change(None) else "",
            filtered=any(self.request.GET.get(param) for param in ("q", *(f[0] for f in self.filters))),
            empty_message=self.empty_message,
            empty_action=self.empty_action,
            empty_hint=self.empty_hint,
            detail_url_name=self.detail_url_name,
            lookup_field=self.lookup_field,
            rows=[
                (obj, [resolve(obj, column) for column, _h in self.columns], self.links_to(obj))
                for obj in context["object_list"]
            ],
        )
        return context


class ObjectDetailView(ScopedMixin, View):
    template_name = "generic/object_detail.html"
    fields: list = []  # (attribute, label)
    edit_url_name = ""
    delete_url_name = ""

    def get(self, request, **kwargs):
        return self.render_page(self.get_object())

    def render_page(self, obj, *, status=200, **extra):
        context = {
            "object": obj,
            "title": str(obj),
            "fields": [(label, resolve(obj, attr)) for attr, label in self.fields],
            "may_change": self.may_change(obj),
            # The page offers only what the delete view will allow.
            "may_delete": self.may_delete(obj),
            "edit_url_name": self.edit_url_name,
            "delete_url_name": self.delete_url_name,
            "lookup_value": getattr(obj, self.lookup_field),
            "list_url": self.list_url(),
        }
        if (parents := self.parent_crumbs(obj)) is not None:
            context["breadcrumbs"] = parents
        context.update(self.extra_context(obj))
        context.update(extra)
        return render(self.request, self.template_name, context, status=status)

    def extra_context(self, obj) -> dict:
        return {}


class ObjectEditView(ScopedMixin, View):
    """Create (no lookup kwarg) or edit one object through a service.

    Subclasses give `form_class`, `title_new` and implement `save(form, obj)`,
    which calls a service; PortalError and ValidationError become messages on
    the form. Errors that name no form field go to `default_error_field` (or
    the top of the form).
    """

    template_name = "generic/object_form.html"
    form_class = None
    title_new = ""
    default_error_field = None

    def _object(self):
        return self.get_object() if self.lookup_field in self.kwargs else None

    def get_form(self, obj, data=None, files=None):
        return self.form_class(data=data, files=files, instance=obj, user=self.request.user)

    def get(self, request, **kwargs):
        obj = self._object()
        self.check_may_change(obj)
        return self.render_form(self.get_form(obj), obj, self.form_title(obj))

    def post(self, request, **kwargs):
        obj = self._object()
        self.check_may_change(obj)
        title = self.form_title(obj)  # before a failed save changes the object in memory
        form = self.get_form(obj, request.POST, request.FILES)
        if form.is_valid():
            try:
                saved = self.save(form, obj)
            except PortalError as exc:
                self._add_errors(form, exc.field_errors, exc.message)
            except ValidationError as exc:
                self._add_errors(form, getattr(exc, "message_dict", {}), " ".join(exc.messages))
            else:
                self.audit(saved, f"{self.model.__name__.lower()}.{'update' if obj else 'create'}")
                messages.success(request, _("Saved %(object)s.") % {"object": saved})
                return HttpResponseRedirect(self.success_url(saved))
        return self.render_form(form, obj, title, status=400)

    def _add_errors(self, form, field_errors: dict, message: str):
        add_errors(form, field_errors, message, default_field=self.default_error_field)

    def render_form(self, form, obj, title, status=200):
        cancel_url = self.success_url(obj) if obj is not None else self.list_url()
        return render(
            self.request,
            self.template_name,
            {"form": form, "object": obj, "title": title, "cancel_url": cancel_url, **self.crumbs_to(obj)},
            status=status,
        )

    def form_title(self, obj):
        return _("Edit %(object)s") % {"object": obj} if obj else self.title_new

    def success_url(self, obj):
        return self.detail_url(obj)

    def save(self, form, obj):
        raise NotImplementedError


class ObjectDeleteView(ScopedMixin, View):
    """Asks to type the object's name, then deletes it through a service."""

    template_name = "generic/object_confirm_delete.html"
    success_url_name = ""
    # Said on the confirmation page, above the name to type (what deleting does and does not do).
    warning = ""

    def confirm_name(self, obj) -> str:
        return getattr(obj, "slug", None) or getattr(obj, "name", None) or str(obj.pk)

    def render_page(self, obj, *, error="", status=200):
        return render(
            self.request,
            self.template_name,
            {
                "object": obj,
                "title": _("Delete %(object)s") % {"object": obj},
                "confirm_name": self.confirm_name(obj),
                "cancel_url": self.detail_url(obj),
                "error": error,
                "warning": self.warning,
                **self.crumbs_to(obj),
            },
            status=status,
        )

    def check_may_delete(self, obj):
        if not self.may_delete(obj):
            raise PermissionDenied(_("Your role does not allow this change."))

    def get(self, request, **kwargs):
        obj = self.get_object()
        self.check_may_delete(obj)
        return self.render_page(obj)

    def post(self, request, **kwargs):
        obj = self.get_object()
        self.check_may_delete(obj)
        expected = self.confirm_name(obj)
        if request.POST.get("confirm", "").strip() != expected:
            return self.render_page(obj, error=_("Type %(name)s to confirm.") % {"name": expected}, status=400)
        self.audit(obj, f"{self.model.__name__.lower()}.delete")
        try:
            self.delete(obj)
        except (ProtectedError, RestrictedError) as exc:
            return self.render_page(obj, error=in_use_message(exc), status=409)
        except PortalError as exc:
            return self.render_page(obj, error=exc.message, status=409)
        messages.success(request, _("Deleted %(object)s.") % {"object": obj})
        return HttpResponseRedirect(reverse(self.success_url_name))

    def delete(self, obj):
        raise NotImplementedError


# --- resource figures for bars (quota hard vs used, node capacity) ----------
