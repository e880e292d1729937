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
from django.views import View
from django.views.generic import ListView

from portal.audit import audit_describe
from portal.errors import PortalError, in_use_error


def resolve(obj, column):
    """A cell's value: a callable of the object, or a dotted attribute path."""
    if callable(column):
        return column(obj)
    value = obj
    for part in column.split("."):
        value = getattr(value, part, "")
        if callable(value) and part.startswith("get_"):
            value = value()
    return value


class ScopedMixin(LoginRequiredMixin):
    model = None
    lookup_field = "pk"
    select_related: tuple = ()

    def get_queryset(self):
        queryset = self.model.objects.for_user(self.request.user)
        return queryset.select_related(*self.select_related) if self.select_related else queryset

    def get_object(self):
        return get_object_or_404(self.get_queryset(), **{self.lookup_field: self.kwargs[self.lookup_field]})

    def may_change(self, obj) -> bool:
        """Who may create (obj is None), edit or delete. Default: platform admins."""
        return self.request.user.is_staff

    def audit(self, obj, action: str):
        audit_describe(self.request, action=action, kind=self.model.__name__, **self.audit_target(obj))

    def audit_target(self, obj) -> dict:
        return {"name": getattr(obj, "slug", None) or getattr(obj, "name", None) or str(obj.pk)}


class ObjectListView(ScopedMixin, ListView):
    """A table; `columns` are (attribute or callable, heading) pairs."""

    template_name = "generic/object_list.html"
    paginate_by = 50
    columns: list = []
    search_fields: tuple = ()
    title = ""
    create_url_name = ""
    detail_url_name = ""

    def get_queryset(self):
        queryset = super().get_queryset()
        query = self.request.GET.get("q", "").strip()
        if query and self.search_fields:
            condition = Q()
            for field in self.search_fields:
                condition |= Q(**{f"{field}__icontains": query})
            queryset = queryset.filter(condition)
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            title=self.title,
            columns=self.columns,
            query=self.request.GET.get("q", ""),
            create_url_name=self.create_url_name if self.may_change(None) else "",
            detail_url_name=self.detail_url_name,
            lookup_field=self.lookup_field,
            rows=[(obj, [resolve(obj, column) for column, _h in self.columns]) for obj in context["object_list"]],
        )
        return context


class ObjectDetailView(ScopedMixin, View):
    template_name = "generic/object_detail.html"
    fields: list = []  # (attribute, label)
    edit_url_name = ""
    delete_url_name = ""

    def get(self, request, **kwargs):
        obj = self.get_object()
        context = {
            "object": obj,
            "title": str(obj),
            "fields": [(label, resolve(obj, attr)) for attr, label in self.fields],
            "may_change": self.may_change(obj),
            "edit_url_name": self.edit_url_name,
            "delete_url_name": self.delete_url_name,
            "lookup_value": getattr(obj, self.lookup_field),
        }
        context.update(self.extra_context(obj))
        return render(request, self.template_name, context)

    def extra_context(self, obj) -> dict:
        return {}


class ObjectEditView(ScopedMixin, View):
    """Create (no lookup kwarg) or edit one object through a service.

    Subclasses give `form_class` and implement `save(form, obj)`, which calls a
    service; PortalError and ValidationError become messages on the form.
    """

    template_name = "generic/object_form.html"
    form_class = None
    success_url_name = ""

    def _object(self):
        return self.get_object() if self.lookup_field in self.kwargs else None

    def get_form(self, obj, data=None, files=None):
        return self.form_class(data=data, files=files, instance=obj, user=self.request.user)

    def _check(self, obj):
        if not self.may_change(obj):
            raise PermissionDenied(_("You may not change this."))

    def get(self, request, **kwargs):
        obj = self._object()
        self._check(obj)
        return self.render_form(self.get_form(obj), obj)

    def post(self, request, **kwargs):
        obj = self._object()
        self._check(obj)
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
        return self.render_form(form, obj, status=400)

    @staticmethod
    def _add_errors(form, field_errors: dict, message: str):
        placed = False
        for field, errors in (field_errors or {}).items():
            for error in errors if isinstance(errors, list) else [errors]:
                if field in form.fields:
                    form.add_error(field, str(error))
                    placed = True
        if not placed:
            form.add_error(None, message)

    def render_form(self, form, obj, status=200):
        return render(
            self.request,
            self.template_name,
            {"form": form, "object": obj, "title": self.form_title(obj)},
            status=status,
        )

    def form_title(self, obj):
        name = self.model._meta.verbose_name
        return _("Edit %(object)s") % {"object": obj} if obj else _("New %(model)s") % {"model": name}

    def success_url(self, obj):
        return obj.get_absolute_url()

    def save(self, form, obj):
        raise NotImplementedError


class ObjectDeleteView(ScopedMixin, View):
    """Asks to type the object's name, then deletes it through a service."""

    template_name = "generic/object_confirm_delete.html"
    success_url_name = ""

    def get(self, request, **kwargs):
        obj = self.get_object()
        if not self.may_change(obj):
            raise PermissionDenied
        return render(request, self.template_name, {"object": obj, "confirm_name": self.confirm_name(obj)})

    def confirm_name(self, obj) -> str:
        return getattr(obj, "slug", None) or getattr(obj, "name", None) or str(obj.pk)

    def post(self, request, **kwargs):
        obj = self.get_object()
        if not self.may_change(obj):
            raise PermissionDenied
        expected = self.confirm_name(obj)
        if request.POST.get("confirm", "").strip() != expected:
            return render(
                request,
                self.template_name,
                {"object": obj, "confirm_name": expected, "error": _("Type %(name)s to confirm.") % {"name": expected}},
                status=400,
            )
        self.audit(obj, f"{self.model.__name__.lower()}.delete")
        try:
            self.delete(obj)
        except (ProtectedError, RestrictedError) as exc:
            return self._refuse(obj, expected, in_use_error(exc).message)
        except PortalError as exc:
            return self._refuse(obj, expected, exc.message)
        messages.success(request, _("Deleted %(object)s.") % {"object": obj})
        return HttpResponseRedirect(reverse(self.success_url_name))

    def _refuse(self, obj, expected, message):
        return render(
            self.request,
            self.template_name,
            {"object": obj, "confirm_name": expected, "error": message},
            status=409,
        )

    def delete(self, obj):
        raise NotImplementedError
