"""CronJob schedules as Kubernetes reads them (workloads/cron.py): what is
refused and why, and the next run times in a time zone across DST changes.
The refusals were checked against the devcluster's API server (v1.37.2),
which answers the same for each (tests/workloads/test_batch_live.py)."""

from datetime import UTC, datetime

import pytest

from workloads import cron


def times(answer):
    return [run["at"] for run in answer["next_runs"]]


@pytest.mark.parametrize(
    ("schedule", "reason"),
    [
        ("", "empty"),
        ("* * * *", "exactly 5 fields"),
        ("0 * * * * *", "found 6"),
        ("61 * * * *", "above the maximum 59"),
        ("0 24 * * *", "above the maximum 23"),
        ("0 0 0 * *", "below the minimum 1"),
        ("0 0 * 13 *", "above the maximum 12"),
        ("0 0 * * 7", "above the maximum 6"),  # robfig/cron: Sunday is 0 only
        ("*/0 * * * *", "positive number"),
        ("5-1 * * * *", "starts after it ends"),
        ("1-2-3 * * * *", "too many hyphens"),
        ("1/2/3 * * * *", "too many slashes"),
        ("x * * * *", "not a number"),
        ("@fortnightly", "Unknown descriptor"),
        ("@every soon", "@every needs a duration"),
        ("TZ=Europe/Berlin 0 3 * * *", "spec.timeZone"),
        ("CRON_TZ=UTC 0 3 * * *", "spec.timeZone"),
    ],
)
def test_it_refuses_what_kubernetes_refuses_with_the_reason(schedule, reason):
    with pytest.raises(cron.ScheduleError) as refused:
        cron.parse_schedule(schedule)
    assert reason in refused.value.message
    assert refused.value.field == "schedule"


@pytest.mark.parametrize(
    "schedule",
    ["0 3 * * *", "*/15 9-17 * * MON-FRI", "0 0 1 jan,jul *", "5/10 * * * *", "? * * * *", "0 0 * * SUN", "@hourly"],
)
def test_it_accepts_what_kubernetes_accepts(schedule):
    assert cron.parse_schedule(schedule).text == schedule


@pytest.mark.parametrize(
    ("macro", "expanded"),
    [
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
    ],
)
def test_it_reads_the_macros(macro, expanded):
    read, fields = cron.parse_schedule(macro), cron.parse_schedule(expanded)
    assert (read.text, read.cron, read.day_or) == (macro, fields.cron, fields.day_or)


@pytest.mark.parametrize(("zone", "reason"), [("Local", "not Local"), ("Mars/Base", "Unknown"), ("../etc", "Unknown")])
def test_it_refuses_a_time_zone_kubernetes_refuses(zone, reason):
    with pytest.raises(cron.ScheduleError) as refused:
        cron.upcoming("0 3 * * *", zone)
    assert reason in refused.value.message and refused.value.field == "time_zone"


def test_without_a_time_zone_it_is_the_controllers_utc():
    answer = cron.upcoming("0 3 * * *", None, after=datetime(2027, 1, 1, 12, tzinfo=UTC), count=2)
    assert (answer["time_zone"], answer["time_zone_is_default"]) == ("UTC", True)
    assert times(answer) == ["2027-01-02T03:00:00+00:00", "2027-01-03T03:00:00+00:00"]


def test_the_same_wall_time_moves_in_utc_when_berlin_springs_forward():
    # Europe/Berlin leaves CET (+01:00) for CEST (+02:00) on 28 March 2027.
    answer = cron.upcoming("0 9 * * *", "Europe/Berlin", after=datetime(2027, 3, 26, 12, tzinfo=UTC), count=3)
    assert times(answer) == ["2027-03-27T09:00:00+01:00", "2027-03-28T09:00:00+02:00", "2027-03-29T09:00:00+02:00"]
    assert [run["zone"] for run in answer["next_runs"]] == ["CET", "CEST", "CEST"]
    as_utc = [datetime.fromisoformat(at).astimezone(UTC).hour for at in times(answer)]
    assert as_utc == [8, 7, 7]


def test_a_time_the_spring_forward_gap_swallows_is_skipped_that_day():
    # New York: 02:00-03:00 does not exist on 14 March 2027; the controller
    # (robfig/cron) does not run a 02:30 schedule that day.
    answer = cron.upcoming("30 2 * * *", "America/New_York", after=datetime(2027, 3, 12, 12, tzinfo=UTC), count=3)
    assert times(answer) == ["2027-03-13T02:30:00-05:00", "2027-03-15T02:30:00-04:00", "2027-03-16T02:30:00-04:00"]


def test_an_hour_that_happens_twice_in_the_fall_runs_twice():
    answer = cron.upcoming("30 1 * * *", "America/New_York", after=datetime(2027, 11, 7, 4, tzinfo=UTC), count=3)
    assert times(answer) == ["2027-11-07T01:30:00-04:00", "2027-11-07T01:30:00-05:00", "2027-11-08T01:30:00-05:00"]


def test_every_is_a_fixed_delay_and_a_date_that_never_comes_has_no_runs():
    after = datetime(2027, 1, 1, 12, tzinfo=UTC)
    assert times(cron.upcoming("@every 1h30m", None, after=after, count=2)) == [
        "2027-01-01T13:30:00+00:00",
        "2027-01-01T15:00:00+00:00",
    ]
    assert cron.upcoming("0 0 30 2 *", None, after=after)["next_runs"] == []


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        # "?" is "*" in any field, as robfig/cron reads it (croniter alone refuses it for minutes).
        ("? 0 * * *", ["2027-01-01T00:00:00+00:00", "2027-01-01T00:01:00+00:00"]),
        # A one-day range is that day (Saturday), a step from a number runs to the maximum.
        ("0 0 * * 6-6", ["2027-01-02T00:00:00+00:00", "2027-01-09T00:00:00+00:00"]),
        ("50/5 0 * * *", ["2027-01-01T00:50:00+00:00", "2027-01-01T00:55:00+00:00"]),
        # Both day fields restricted: either matches (the 15th, or a Monday)...
        ("0 0 15 * 1", ["2027-01-04T00:00:00+00:00", "2027-01-11T00:00:00+00:00"]),
        # ...one of them a star: both must (Mondays only).
        ("0 0 * * 1", ["2027-01-04T00:00:00+00:00", "2027-01-11T00:00:00+00:00"]),
        # A star with a step is no star: odd days, or Mondays.
        ("0 0 */2 * 1", ["2027-01-01T00:00:00+00:00", "2027-01-03T00:00:00+00:00", "2027-01-04T00:00:00+00:00"]),
    ],
)
def test_it_reads_fields_as_the_controller_does(schedule, expected):
    after = datetime(2026, 12, 31, 23, 59, 30, tzinfo=UTC)
    assert times(cron.upcoming(schedule, "UTC", after=after, count=len(expected))) == expected
