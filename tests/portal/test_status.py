"""Status badges and times (portal/templatetags/status.py): every state the
portal stores has a colour family on purpose, and times read one way."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.template import Context, Template
from django.utils import timezone, translation

from portal.templatetags import status
from portal.templatetags.portal import HEALTH_LABELS, cell

# Model fields holding a state; a new model with a state field is found too.
STATE_FIELDS = {"status", "phase", "result", "state", "previous"}


def stored_states() -> set[tuple[str, str]]:
    """(model.field, value) of every choices field that holds a state."""
    found = set()
    for model in apps.get_models():
        if model._meta.app_label not in {"portal", "jobs", "hosts", "clusters", "rbac", "workloads"}:
            continue
        for field in model._meta.get_fields():
            if getattr(field, "choices", None) and field.name in STATE_FIELDS:
                found |= {(f"{model.__name__}.{field.name}", value) for value, _label in field.flatchoices}
    return found


def test_it_finds_the_state_fields_it_checks():
    fields = {where for where, _value in stored_states()}
    for expected in ("Job.status", "JobStep.status", "Cluster.phase", "ClusterPhaseChange.previous"):
        assert expected in fields
    for expected in ("TeamNamespace.phase", "QuotaChangeRequest.status", "ClusterGrant.phase"):
        assert expected in fields
    assert {"PreflightCheck.status", "AuditEvent.result"} <= fields


def test_every_stored_state_has_a_family():
    missing = sorted(f"{where}={value}" for where, value in stored_states() if value not in status.STATE_FAMILIES)
    assert missing == []


def test_every_shown_state_outside_the_database_has_a_family():
    from workloads import columns

    shown = {columns.READY, columns.PROGRESSING, columns.PENDING, columns.FAILED}
    shown |= set(HEALTH_LABELS)  # cluster components and add-ons
    shown |= {"complete", "failed", "paused", "progressing"}  # a Deployment's rollout
    shown |= {"active", "expired", "revoked"}  # API tokens
    shown |= {"ready", "not_ready", "missing", "cordoned"}  # nodes
    assert sorted(shown - set(status.STATE_FAMILIES)) == []


def test_families_are_the_known_ones_and_colour_as_expected():
    assert set(status.STATE_FAMILIES.values()) <= set(status.FAMILIES)
    assert [status.family(s) for s in ("ready", "running", "pending_approval", "unreachable", "canceled")] == [
        "ok",
        "progress",
        "warning",
        "failed",
        "neutral",
    ]
    assert status.family("something-new") == "neutral"


def test_every_family_has_a_style():
    text = (Path(settings.BASE_DIR) / "static" / "portal" / "status.css").read_text()
    for family in status.FAMILIES:
        assert f".badge-{family} " in text


def test_the_badge_tag_renders_the_family_state_and_label():
    html = Template("{% load status %}{% badge state label %}").render(Context({"state": "failed", "label": "<b>"}))
    assert html == '<span class="badge badge-failed" data-state="failed">&lt;b&gt;</span>'
    assert Template("{% load status %}{% badge '' %}").render(Context()) == "—"
    named = Template('{% load status %}{% badge "ready" "Ready" id="cluster-phase" %}').render(Context())
    assert named == '<span class="badge badge-ok" data-state="ready" id="cluster-phase">Ready</span>'


def test_kubernetes_phases_are_worded_by_the_portal():
    # The API server's phases come without a label: each has a translatable word.
    phases = {state for state in status.STATE_FAMILIES if state[0].isupper()}
    assert phases and phases == set(status.DEFAULT_LABELS)
    rendered = Template("{% load status %}{% badge phase %}").render(Context({"phase": "Bound"}))
    assert rendered == '<span class="badge badge-ok" data-state="Bound">Bound</span>'


@pytest.mark.parametrize(
    ("kind", "value", "family", "label"),
    [
        ("Ready", "True", "ok", "是"),
        ("Ready", "False", "warning", "否"),
        ("MemoryPressure", "False", "ok", "否"),
        ("MemoryPressure", "True", "warning", "是"),
        ("ReplicaFailure", "True", "warning", "是"),
        ("Available", "Unknown", "neutral", "未知"),
    ],
)
def test_a_condition_status_is_read_against_its_type(kind, value, family, label):
    template = Template("{% load status %}{% condition_badge kind value %}")
    with translation.override("zh-hans"):
        html = template.render(Context({"kind": kind, "value": value}))
    assert html == f'<span class="badge badge-{family}" data-state="{value}">{label}</span>'
    assert Template("{% load status %}{% condition_badge 'Ready' '' %}").render(Context()) == "—"


WHEN = datetime(2026, 12, 4, 6, 1, 41, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        (
            "UTC",
            '<time datetime="2026-12-04T06:01:41+00:00" title="2026-12-04 06:01:41 UTC">2026-12-04 06:01</time>',
        ),
        (
            "Asia/Shanghai",
            '<time datetime="2026-12-04T14:01:41+08:00" title="2026-12-04 14:01:41 CST">2026-12-04 14:01</time>',
        ),
    ],
)
def test_a_time_reads_in_the_active_zone_with_the_zone_on_hover(zone, expected):
    with timezone.override(zone):
        assert status.when(WHEN) == expected
        # A stored ISO string (conditions, health checks) and the generic cell read the same.
        assert status.when(WHEN.isoformat()) == expected
        assert cell(WHEN) == expected
        assert Template("{% load status %}{{ at|when }}").render(Context({"at": WHEN})) == expected


def test_a_time_in_its_own_zone_nothing_and_text_stay_readable():
    shanghai = "2026-12-04T14:01:41+08:00"
    with timezone.override("UTC"):
        assert ">2026-12-04 14:01</time>" in status.when(shanghai, "own")
    assert status.when(None) == "—" and status.when("") == "—"
    assert status.when("not a time") == "not a time"
