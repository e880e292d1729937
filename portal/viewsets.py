"""The base of every API viewset: one scoping path, and audit details."""

from rest_framework import viewsets

from portal.audit import audit_describe


class AuditedMixin:
    """Names each mutation for the audit trail and hands it the request body."""

    audit_kind = ""

    def audit_target(self, obj) -> dict:
        return {"name": getattr(obj, "slug", None) or getattr(obj, "name", None) or str(obj.pk)}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            audit_describe(request, action=f"{self.basename}.{self.action}", kind=self.audit_kind)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
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


class PortalModelViewSet(AuditedMixin, ScopedViewSetMixin, viewsets.ModelViewSet):
    pass


class PortalReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
