"""API pagination: page numbers with a client-chosen size, bounded."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class PortalPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500
    page_size_query_description = _("How many results per page: 1 or more; more than 500 gives 500.")

    def get_page_size(self, request):
        """The size asked for, capped at the bound; a size that is not a whole
        number of 1 or more is refused (DRF would quietly use the default)."""
        asked = request.query_params.get(self.page_size_query_param)
        if asked is None:
            return self.page_size
        try:
            size = int(asked)
        except ValueError:
            size = 0
        if size < 1:
            raise ValidationError({self.page_size_query_param: [_("A whole number of 1 or more.")]})
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters
