"""The one filter definition of the audit trail, for the page, the API and
the exports alike: what one finds, the other finds."""

import django_filters
from django import forms
from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from portal.models import AuditChannel, AuditEvent, AuditResult

# Free text looks in what names an event: its action, who, and its target.
TEXT_FIELDS = ("action", "actor_name", "target_name", "target_namespace", "target_kind")


# On PostgreSQL, the fields as one text (a line each, so a match does not span
# two fields), searched with ILIKE: migration 0003's trigram index is on this
# very expression, so a rare word is found in the index, not by reading the
# table. Change both together (tests/portal/test_audit_trail.py checks).
EVENT_TEXT_SQL = " || E'\\n' || ".join(f'"{field}"' for field in TEXT_FIELDS)


def _like_pattern(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class AuditEventFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label=_("Text"), help_text=_("In action, actor and target."))
    actor = django_filters.CharFilter(field_name="actor_name", label=_("Actor"))
    team = django_filters.CharFilter(method="filter_team", label=_("Team"), help_text=_("The team's slug."))
    cluster = django_filters.CharFilter(field_name="target_cluster", label=_("Cluster"))
    namespace = django_filters.CharFilter(field_name="target_namespace", label=_("Namespace"))
    kind = django_filters.CharFilter(field_name="target_kind", label=_("Kind"))
    action = django_filters.CharFilter(field_name="action", lookup_expr="startswith", label=_("Action starts with"))
    result = django_filters.ChoiceFilter(choices=AuditResult.choices, label=_("Result"), empty_label=_("Any result"))
    channel = django_filters.ChoiceFilter(
        choices=AuditChannel.choices, label=_("Channel"), empty_label=_("Any channel")
    )
    since = django_filters.IsoDateTimeFilter(
        field_name="created",
        lookup_expr="gte",
        label=_("Since"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    until = django_filters.IsoDateTimeFilter(
        field_name="created",
        lookup_expr="lt",
        label=_("Until"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    class Meta:
        model = AuditEvent
        fields = ["q", "actor", "team", "cluster", "namespace", "kind", "action", "result", "channel", "since", "until"]

    def filter_text(self, queryset, name, value):
        if connection.vendor == "postgresql":
            # Constant SQL; the user's text is a parameter.
            condition = RawSQL(  # noqa: S611
                f"({EVENT_TEXT_SQL}) ILIKE %s", [_like_pattern(value)], output_field=BooleanField()
            )
            return queryset.filter(condition)
        matches = Q()
        for field in TEXT_FIELDS:
            matches |= Q(**{f"{field}__icontains": value})
        return queryset.filter(matches)

    def filter_team(self, queryset, name, value):
        # The team's id first, then an equality on team_id: the (team, created, id)
        # index serves the page, where a join on the slug would not.
        teams = AuditEvent._meta.get_field("team").related_model.objects
        team_id = teams.filter(slug=value).values_list("pk", flat=True).first()
        return queryset.none() if team_id is None else queryset.filter(team_id=team_id)
