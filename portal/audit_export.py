"""Audit events exported as CSV or JSON Lines, streamed.

A year of events must not sit in the portal's memory: rows come from the
database in chunks (`.iterator()`, a server-side cursor on PostgreSQL), are
written out a few hundred at a time and dropped. The columns are the API's
fields, under the API's names.
"""

import csv

import orjson
from django.http import StreamingHttpResponse
from django.utils import timezone

from portal.keyset import ORDER

# What an event shows, under the API's field names (portal/api_audit.py), and
# where each comes from.
COLUMNS = {
    "id": "id",
    "created": "created",
    "actor_name": "actor_name",
    "channel": "channel",
    "action": "action",
    "team": "team__slug",
    "target_cluster": "target_cluster",
    "target_namespace": "target_namespace",
    "target_kind": "target_kind",
    "target_name": "target_name",
    "request_summary": "request_summary",
    "result": "result",
    "status_code": "status_code",
    "duration_ms": "duration_ms",
    "remote_addr": "remote_addr",
}
CHUNK_ROWS = 2000  # rows fetched from the database at a time
WRITE_ROWS = 500  # rows handed to the server at a time
# A spreadsheet runs a cell starting with one of these as a formula (CSV
# injection): such a cell gets a leading apostrophe, shown as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        text = orjson.dumps(value).decode()
    elif hasattr(value, "isoformat"):
        text = value.isoformat()
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _rows(queryset):
    return queryset.order_by(*ORDER).values(*COLUMNS.values()).iterator(chunk_size=CHUNK_ROWS)


class _Echo:
    """A file that hands back what is written, for csv.writer."""

    def write(self, value):
        return value


def csv_lines(queryset):
    writer = csv.writer(_Echo())
    batch = [writer.writerow(COLUMNS)]
    for row in _rows(queryset):
        batch.append(writer.writerow([csv_cell(row[source]) for source in COLUMNS.values()]))
        if len(batch) >= WRITE_ROWS:
            yield "".join(batch)
            batch = []
    yield "".join(batch)


def json_lines(queryset):
    batch = []
    for row in _rows(queryset):
        batch.append(orjson.dumps({name: row[source] for name, source in COLUMNS.items()}) + b"\n")
        if len(batch) >= WRITE_ROWS:
            yield b"".join(batch)
            batch = []
    yield b"".join(batch)


def export_response(queryset, fmt: str) -> StreamingHttpResponse:
    """The streamed download of `queryset` (already scoped and filtered) as `fmt`."""
    stream = csv_lines(queryset) if fmt == "csv" else json_lines(queryset)
    response = StreamingHttpResponse(stream, content_type=FORMATS[fmt])
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-events-{stamp}.{fmt}"'
    response["Cache-Control"] = "no-store, private"
    return response
