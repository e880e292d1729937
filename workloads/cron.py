"""CronJob schedules as Kubernetes reads them, and when they run next.

Kubernetes validates `spec.schedule` with robfig/cron's standard parser
(`cron.ParseStandard`): five fields (minute, hour, day of month, month, day of
week) or a descriptor (@hourly, @daily, ..., @every <duration>), and refuses
TZ= / CRON_TZ= inside the schedule: the time zone is `spec.timeZone`. The same
rules are checked here, so a schedule is refused with the reason before the
API server is asked, and the next run times are the controller's:

- in `spec.timeZone` (an IANA name), or without one in the local time zone of
  the kube-controller-manager process, which is UTC on the clusters the
  portal runs (the devcluster and kubeadm's static pods set no TZ);
- across daylight saving changes as robfig/cron steps: a time that does not
  exist on the spring-forward day (02:30 in New York) is skipped that day, and
  one that happens twice on the fall-back day runs twice.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

# The kube-controller-manager's local time zone, used for a CronJob without spec.timeZone.
CONTROLLER_TIME_ZONE = "UTC"
NEXT_RUNS = 5
# robfig/cron gives up after five years without a match (Feb 30 never comes).
SEARCH_YEARS = 5

DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
MONTHS = {name: n for n, name in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
WEEKDAYS = {name: n for n, name in enumerate("sun mon tue wed thu fri sat".split())}
# (field name people read, minimum, maximum, names)
FIELDS = (
    (gettext_noop("minute"), 0, 59, {}),
    (gettext_noop("hour"), 0, 23, {}),
    (gettext_noop("day of month"), 1, 31, {}),
    (gettext_noop("month"), 1, 12, MONTHS),
    (gettext_noop("day of week"), 0, 6, WEEKDAYS),
)
# Go's time.ParseDuration units, for @every.
DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


class ScheduleError(ValueError):
    """A schedule or time zone Kubernetes would refuse; the message says why,
    `field` which of the two ("schedule" or "time_zone")."""

    def __init__(self, message: str, field: str = "schedule"):
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class Schedule:
    text: str  # as written
    # The five fields as explicit values (a descriptor's too), for croniter,
    # which reads some ranges and "?" otherwise than robfig/cron; "" for @every.
    cron: str = ""
    # robfig/cron: a day matches both day fields when either is "*" or "?",
    # and either of them otherwise.
    day_or: bool = True
    every: timedelta | None = None  # @every <duration>
    minutes: frozenset = frozenset()
    hours: frozenset = frozenset()


def parse_schedule(text: str) -> Schedule:
    """The schedule, or ScheduleError with the reason Kubernetes gives."""
    spec = (text or "").strip()
    if not spec:
        raise ScheduleError(_("The schedule is empty."))
    if "TZ" in spec:
        # Kubernetes: "cannot use TZ or CRON_TZ in schedule, use timeZone field instead".
        raise ScheduleError(
            _(
                "Kubernetes refuses TZ or CRON_TZ in the schedule; set the time zone in spec.timeZone "
                "(an IANA name such as Europe/Berlin) instead."
            )
        )
    if spec.startswith("@"):
        return _descriptor(spec)
    return _fields(spec, spec)


def _fields(text: str, spec: str) -> Schedule:
    fields = spec.split()
    if len(fields) != len(FIELDS):
        raise ScheduleError(
            _("A schedule has exactly 5 fields (minute, hour, day of month, month, day of week); found %(count)s.")
            % {"count": len(fields)}
        )
    values, stars = [], []
    for value, (label, low, high, names) in zip(fields, FIELDS, strict=True):
        parts = [_values(part, label, low, high, names) for part in value.split(",")]
        values.append(sorted(set().union(*(found for found, _star in parts))))
        stars.append(any(star for _found, star in parts))
    return Schedule(
        text,
        cron=" ".join(",".join(map(str, found)) for found in values),
        day_or=not (stars[2] or stars[4]),
        minutes=frozenset(values[0]),
        hours=frozenset(values[1]),
    )


def _descriptor(spec: str) -> Schedule:
    if spec in DESCRIPTORS:
        return _fields(spec, DESCRIPTORS[spec])
    if spec.startswith("@every "):
        return Schedule(spec, every=_duration(spec[len("@every ") :].strip()))
    raise ScheduleError(
        _("Unknown descriptor %(spec)s; Kubernetes knows %(known)s and @every <duration>.")
        % {"spec": spec, "known": ", ".join(DESCRIPTORS)}
    )


def _duration(text: str) -> timedelta:
    """A Go duration ("1h30m", "90s"); robfig/cron rounds it up to whole seconds, at least one."""
    if not text or DURATION.sub("", text) != "" or text == "0":
        raise ScheduleError(_("@every needs a duration such as 90s, 5m or 1h30m; got %(text)s.") % {"text": text})
    seconds = sum(float(number) * DURATION_UNITS[unit] for number, unit in DURATION.findall(text))
    return timedelta(seconds=max(1, -int(-seconds // 1)))


def _number(text: str, label: str, names: dict) -> int:
    if text.lower() in names:
        return names[text.lower()]
    if not text.isdigit():
        raise ScheduleError(_("%(field)s: %(text)s is not a number.") % {"field": _(label), "text": text})
    return int(text)


def _values(part: str, label: str, low: int, high: int, names: dict) -> tuple[set, bool]:
    """One element of a field: *, ?, N, N-M, each with an optional /step
    (robfig/cron's getRange): its values, and whether it is a star ("*" or
    "?" with no step above 1)."""
    field = _(label)
    range_text, *steps = part.split("/")
    if len(steps) > 1:
        raise ScheduleError(_("%(field)s: too many slashes in %(part)s.") % {"field": field, "part": part})
    bounds = range_text.split("-")
    if len(bounds) > 2:
        raise ScheduleError(_("%(field)s: too many hyphens in %(part)s.") % {"field": field, "part": part})
    if range_text in ("*", "?"):
        start, end = low, high
    else:
        start = _number(bounds[0], label, names)
        end = _number(bounds[1], label, names) if len(bounds) == 2 else (high if steps else start)
    if steps:
        if not steps[0].isdigit() or int(steps[0]) == 0:
            raise ScheduleError(
                _("%(field)s: the step in %(part)s must be a positive number.") % {"field": field, "part": part}
            )
    messages = (
        (start < low, _("%(field)s: %(part)s starts below the minimum %(low)s.")),
        (end > high, _("%(field)s: %(part)s ends above the maximum %(high)s.")),
        (start > end, _("%(field)s: %(part)s starts after it ends.")),
    )
    for wrong, message in messages:
        if wrong:
            raise ScheduleError(message % {"field": field, "part": part, "low": low, "high": high})
    step = int(steps[0]) if steps else 1
    return set(range(start, end + 1, step)), range_text in ("*", "?") and step == 1


def time_zone(name: str | None) -> ZoneInfo:
    """spec.timeZone as Kubernetes accepts it (an IANA name, not "Local");
    None or "" is the controller's own time zone."""
    if name is None or name == "":
        return ZoneInfo(CONTROLLER_TIME_ZONE)
    if name.lower() == "local":
        raise ScheduleError(
            _("The time zone must be an explicit IANA name (such as Europe/Berlin), not Local."), "time_zone"
        )
    if any(part in (".", "..") or part.startswith("-") for part in name.split("/")):
        raise ScheduleError(_("Unknown time zone %(name)s.") % {"name": name}, "time_zone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(_("Unknown time zone %(name)s.") % {"name": name}, "time_zone") from None


def next_runs(schedule: Schedule, zone: ZoneInfo, *, after: datetime, count: int = NEXT_RUNS) -> list[datetime]:
    """The next `count` run times after `after`, in `zone` (fewer if the
    schedule never comes, such as February 30)."""
    start = after.astimezone(zone)
    if schedule.every is not None:
        return [start + schedule.every * n for n in range(1, count + 1)]
    runs, found = [], croniter(schedule.cron, start, day_or=schedule.day_or)
    limit = start + timedelta(days=366 * SEARCH_YEARS)
    while len(runs) < count:
        try:
            run = found.get_next(datetime)
        except CroniterBadDateError:  # never again (February 30)
            break
        if run > limit:
            break
        # croniter moves a time the spring-forward gap swallowed to the next
        # hour; robfig/cron (the controller) skips it: so do we.
        if run.hour in schedule.hours and run.minute in schedule.minutes:
            runs.append(run)
    return runs


def upcoming(text: str, zone_name: str | None, *, after: datetime | None = None, count: int = NEXT_RUNS) -> dict:
    """The schedule's next run times, for people and the API: ISO times with
    the zone they are in. Raises ScheduleError (on "schedule" or "time_zone")."""
    schedule = parse_schedule(text)
    zone = time_zone(zone_name)
    runs = next_runs(schedule, zone, after=after or datetime.now(UTC), count=count)
    return {
        "schedule": schedule.text,
        "time_zone": zone.key,
        "time_zone_is_default": not zone_name,
        "next_runs": [{"at": run.isoformat(), "zone": run.tzname()} for run in runs],
    }
