"""The base of every API viewset: one scoping path, and audit details."""

from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS

from portal.audit import audit_describe

# The action a viewset would name a method by, for requests it has no handler
# for (a POST to a read-only resource is still an attempt worth naming).
_METHOD_ACTIONS = {"post": "create", "put": "update", "patch": "partial_update", "delete": "destroy"}


class AuditedMixin:
    """Names each mutation for the audit trail and hands it the request body.

    The action, kind and the object named by the URL are described before
    authentication and permission checks run, so that a refused attempt is
    recorded as precisely as an allowed one.
    """

    audit_kind = ""

    def audit_target(self, obj) -> dict:
        return {"name": getattr(obj, "slug", None) or getattr(obj, "name", None) or str(obj.pk)}

    def audit_action(self, request) -> str:
        method = request.method.lower()
        action = self.action or _METHOD_ACTIONS.get(method, method)
        return f"{self.basename}.{action}"

    def initial(self, request, *args, **kwargs):
        if request.method not in SAFE_METHODS:
            lookup = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
            audit_describe(request, action=self.audit_action(request), kind=self.audit_kind, name=lookup or "")
        super().initial(request, *args, **kwargs)

    def check_object_permissions(self, request, obj):
        # The object is known before its permission check: a denial names it too.
        if request.method not in SAFE_METHODS:
            self._describe(obj)
        super().check_object_permissions(request, obj)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method not in SAFE_METHODS:
            try:
                request._request.audit_data = request.data
            except Exception:  # an unparsable body was already answered with 400/413
                request._request.audit_data = {}
        return response

    def perform_create(self, serializer):
        obj = serializer.save()
        self._describe(obj)

    def perform_update(self, serializer):
        obj = serializer.save()
        self._describe(obj)

    def perform_destroy(self, instance):
        self._describe(instance)
        self.destroy_object(instance)

    def destroy_object(self, instance):
        instance.delete()

    def _describe(self, obj):
        target = self.audit_target(obj)
        audit_describe(self.request, **target)


class ScopedViewSetMixin:
    """Every list and lookup goes through the model's `for_user()`."""

    model = None
    select_related: tuple = ()

    def get_queryset(self):
        queryset = self.model.objects.for_user(self.request.user)
        return queryset.select_related(*self.select_related) if self.select_related else queryset

    def get_object(self):
        # No stored slug or name holds NUL, and PostgreSQL refuses it in a query (a 500).
        if "\x00" in str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, "")):
            raise NotFound()
        return super().get_object()


class PortalModelViewSet(AuditedMixin, ScopedViewSetMixin, viewsets.ModelViewSet):
    # An action may name a rate of its own: @action(..., throttle_scope="kubeconfig").
    throttle_scope = None


class PortalReadOnlyViewSet(AuditedMixin, ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Read-only; attempts to write are still named in the audit trail."""
