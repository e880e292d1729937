"""Reading hosts: picking them by label."""

from django.db.models import QuerySet

from portal.labels import parse_selector


def hosts_with_labels(queryset: QuerySet, selector: str) -> QuerySet:
    """Hosts matching an equality selector (`zone=a,gpu`); raises
    ValidationError for a malformed one."""
    for key, value in parse_selector(selector):
        # A key lookup on the JSON column, on PostgreSQL and SQLite alike.
        queryset = (
            queryset.filter(labels__has_key=key) if value is None else queryset.filter(**{f"labels__{key}": value})
        )
    return queryset
