"""Keyset pagination, newest first by (created, id), for the audit trail.

An offset page makes the database count past every row before it, and a
count of a million rows is itself the slow part of a page; a keyset page
starts from the last row seen (the cursor) and reads one page of an index,
whatever its depth. Cursors are opaque to clients: `n` (next, older) or `p`
(previous, newer), the row's creation time and id.
"""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

ORDER = ("-created", "-id")
CURSOR_PARAM = "cursor"
BAD_CURSOR = _("This cursor is not valid: follow the next or previous link of a page.")


class InvalidCursor(ValueError):
    pass


def encode(row, *, backwards: bool = False) -> str:
    text = f"{'p' if backwards else 'n'}|{row.created.isoformat()}|{row.pk}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(token: str) -> tuple[str, datetime, int]:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        direction, created, pk = text.split("|")
        when = datetime.fromisoformat(created)
        if direction not in ("n", "p") or when.tzinfo is None:
            raise ValueError(direction)
        return direction, when, int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise InvalidCursor(token) from error


@dataclass
class KeysetPage:
    rows: list
    next: str | None
    previous: str | None


def keyset_page(queryset, cursor: str | None, size: int) -> KeysetPage:
    """One page of `queryset` after (or, for a previous cursor, before) the
    cursor's row; raises InvalidCursor for a cursor this module did not make."""
    if not cursor:
        rows = list(queryset.order_by(*ORDER)[: size + 1])
        return KeysetPage(rows[:size], encode(rows[size - 1]) if len(rows) > size else None, None)
    direction, created, pk = decode(cursor)
    if direction == "n":
        # `created <= c` bounds the index scan; the OR only settles ties on `created`.
        older = queryset.filter(created__lte=created).filter(Q(created__lt=created) | Q(id__lt=pk))
        rows = list(older.order_by(*ORDER)[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        return KeysetPage(rows, encode(rows[-1]) if more else None, encode(rows[0], backwards=True) if rows else None)
    newer = queryset.filter(created__gte=created).filter(Q(created__gt=created) | Q(id__gt=pk))
    rows = list(newer.order_by("created", "id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size][::-1]
    return KeysetPage(rows, encode(rows[-1]) if rows else None, encode(rows[0], backwards=True) if more else None)


def page_size(value, *, default: int, maximum: int) -> int:
    """A client's page size, bounded; nonsense falls back to the default
    (as DRF's own paginators do)."""
    try:
        size = int(value)
    except (TypeError, ValueError):
        return default
    return min(size, maximum) if size > 0 else default


class KeysetPagination(BasePagination):
    """The API face of `keyset_page`: `next` and `previous` links, no count."""

    default_size = 50
    max_size = 500
    size_param = "page_size"

    def paginate_queryset(self, queryset, request, view=None):
        size = page_size(request.query_params.get(self.size_param), default=self.default_size, maximum=self.max_size)
        try:
            self.page = keyset_page(queryset, request.query_params.get(CURSOR_PARAM), size)
        except InvalidCursor:
            raise ValidationError({CURSOR_PARAM: [BAD_CURSOR]}) from None
        self.url = request.build_absolute_uri()
        return self.page.rows

    def _link(self, token):
        return replace_query_param(self.url, CURSOR_PARAM, token) if token else None

    def get_paginated_response(self, data):
        return Response(
            {"next": self._link(self.page.next), "previous": self._link(self.page.previous), "results": data}
        )

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": link | {"description": "The next (older) page; null on the last page."},
                "previous": link | {"description": "The previous (newer) page; null on the first page."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": CURSOR_PARAM,
                "required": False,
                "in": "query",
                "description": "The page's cursor, from a `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.size_param,
                "required": False,
                "in": "query",
                "description": f"Events per page (default {self.default_size}, at most {self.max_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_size},
            },
        ]
