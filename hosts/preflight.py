"""Preflight: read-only checks of every host of a planned cluster at once.

The plan (control-plane hosts, workers, pod and service CIDRs) is validated
before any job starts. The job then probes each host in parallel (stage
"probe": SSH, privilege, facts, listeners, leftovers of a cluster) and checks
what one host can tell; a second stage compares the hosts (hostnames unique,
the CIDRs against every host's networks). Each outcome is stored as a
PreflightCheck; the job fails when any check failed, naming them.
"""

import ipaddress
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from hosts import checks, facts
from hosts.choices import HostRole
from hosts.models import Host, PreflightCheck, PreflightStatus
from jobs.choices import EventStream, JobStatus
from jobs.registry import JobCanceled, StepFailed
from portal.errors import PortalError
from portal.stored_text import Message, join

KIND = "hosts.preflight"
DEFAULT_POD_CIDR = "10.244.0.0/16"
DEFAULT_SERVICE_CIDR = "10.96.0.0/12"
PROBE_TIMEOUT = 120.0

# What facts do not tell: listeners, and the traces a cluster leaves on a node.
PROBE_SECTIONS = r"""
section listeners; cat /proc/net/tcp /proc/net/tcp6 2>/dev/null
section kube_files
for f in /etc/kubernetes/kubelet.conf /etc/kubernetes/admin.conf /etc/kubernetes/manifests/*.yaml; do
  [ -e "$f" ] && echo "$f"
done
section kubelet
for d in /proc/[0-9]*; do [ "$(cat "$d/comm" 2>/dev/null)" = kubelet ] && echo "${d#/proc/}"; done
"""
PROBE_SCRIPT = facts.script(PROBE_SECTIONS)


@dataclass(frozen=True)
class Plan:
    control_plane: tuple[str, ...]
    workers: tuple[str, ...]
    pod_cidr: str = DEFAULT_POD_CIDR
    service_cidr: str = DEFAULT_SERVICE_CIDR

    @property
    def hosts(self) -> tuple[str, ...]:
        return (*self.control_plane, *self.workers)

    def role_of(self, name: str) -> str:
        return HostRole.CONTROL_PLANE if name in self.control_plane else HostRole.WORKER

    def as_params(self) -> dict:
        return {
            "control_plane": list(self.control_plane),
            "workers": list(self.workers),
            "pod_cidr": self.pod_cidr,
            "service_cidr": self.service_cidr,
        }

    @classmethod
    def from_params(cls, params: dict) -> "Plan":
        return cls(
            control_plane=tuple(params.get("control_plane", ())),
            workers=tuple(params.get("workers", ())),
            pod_cidr=params.get("pod_cidr", DEFAULT_POD_CIDR),
            service_cidr=params.get("service_cidr", DEFAULT_SERVICE_CIDR),
        )


def _network(text: str, errors: dict, field: str):
    try:
        return ipaddress.ip_network((text or "").strip(), strict=True)
    except ValueError:
        errors.setdefault(field, []).append(
            _("Enter a network in CIDR notation with no host bits set, e.g. %(example)s.")
            % {"example": DEFAULT_POD_CIDR if field == "pod_cidr" else DEFAULT_SERVICE_CIDR}
        )
        return None


def plan_validate(*, control_plane, workers, pod_cidr="", service_cidr="") -> Plan:
    """The plan, or PortalError with a message per field: unknown hosts, a
    host in both roles or twice, no control plane, bad or overlapping CIDRs."""
    errors: dict[str, list[str]] = {}
    control_plane = [str(n).strip() for n in control_plane or []]
    workers = [str(n).strip() for n in workers or []]
    if not control_plane:
        errors["control_plane"] = [_("A cluster needs at least one control-plane host.")]
    known = set(Host.objects.filter(name__in=[*control_plane, *workers]).values_list("name", flat=True))
    for field, names in (("control_plane", control_plane), ("workers", workers)):
        unknown = sorted({n for n in names if n not in known})
        if unknown:
            errors.setdefault(field, []).append(_("No such host: %(names)s.") % {"names": ", ".join(unknown)})
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            errors.setdefault(field, []).append(_("Listed twice: %(names)s.") % {"names": ", ".join(repeated)})
    both = sorted(set(control_plane) & set(workers))
    if both:
        errors.setdefault("workers", []).append(
            _("A host has one role; these are also control-plane hosts: %(names)s.") % {"names": ", ".join(both)}
        )
    pod = _network(pod_cidr or DEFAULT_POD_CIDR, errors, "pod_cidr")
    service = _network(service_cidr or DEFAULT_SERVICE_CIDR, errors, "service_cidr")
    if pod and service and pod.version == service.version and pod.overlaps(service):
        errors.setdefault("service_cidr", []).append(
            _("The service CIDR %(service)s overlaps the pod CIDR %(pod)s.") % {"service": service, "pod": pod}
        )
    if errors:
        raise PortalError(_("The plan is not valid."), field_errors=errors)
    return Plan(tuple(control_plane), tuple(workers), str(pod), str(service))


def preflight_start(*, plan: Plan, user=None):
    """Start a preflight job for a validated plan."""
    from jobs.services import job_create

    return job_create(
        kind=KIND,
        title=Message(gettext_noop("Preflight of %(count)s hosts"), count=len(plan.hosts)),
        params=plan.as_params(),
        created_by=user,
    )


# --- in the job --------------------------------------------------------------------


def _store(job, host: Host | None, name: str, role: str, outcomes: list[checks.Outcome]) -> None:
    with transaction.atomic():
        for outcome in outcomes:
            PreflightCheck.objects.update_or_create(
                job=job,
                host_name=name,
                key=outcome.key,
                defaults={
                    "host": host,
                    "role": role,
                    "position": checks.KEYS.index(outcome.key) if outcome.key in checks.KEYS else 99,
                    "status": outcome.status,
                    "code": outcome.code,
                    "params": outcome.params,
                },
            )


def _log(ctx, outcomes: list[checks.Outcome]) -> None:
    """Each outcome's line, stored as the check's msgids with its parameters:
    the job log shows it in its reader's language, as the results page does."""
    for outcome in outcomes:
        message, remedy = checks.MESSAGES.get(outcome.code, (outcome.code, ""))
        params = {
            "rerun": Message(checks.RERUN),
            **{k: v if isinstance(v, (str, int, float)) else str(v) for k, v in outcome.params.items()},
        }
        title = Message(checks.TITLES[outcome.key]) if outcome.key in checks.TITLES else outcome.key
        stream = EventStream.STDERR if outcome.status == checks.FAIL else EventStream.STDOUT
        ctx.log(join(f"[{outcome.status}] ", title, ": ", Message(message, **params)), stream)
        if remedy and outcome.status != checks.PASS:
            what_to_do = Message(gettext_noop("What to do: %(remedy)s"), remedy=Message(remedy, **params))
            ctx.log(join("  ", what_to_do), stream)


def probe(ctx) -> None:
    """Stage 1 on one host: every check one host can answer. An unreachable
    host is a failed check, not a failed step, so the other hosts' results
    and the comparison are still made."""
    from hosts import jobwork

    plan = Plan.from_params(ctx.job.params)
    host = jobwork.host_of(ctx)
    role = plan.role_of(host.name)
    PreflightCheck.objects.filter(job=ctx.job, host_name=host.name).delete()  # a retry starts afresh
    try:
        output = jobwork.run(ctx, PROBE_SCRIPT, quiet=True)
        started = facts.now()
        clock = jobwork.run(ctx, facts.CLOCK_COMMAND, quiet=True)
        offset = facts.clock_offset(clock.stdout, started, facts.now())
        privilege = jobwork.run(ctx, "id -u", sudo=True, check=False, quiet=True)
    except JobCanceled:
        raise
    except StepFailed as exc:
        outcomes = [checks.Outcome("ssh", checks.FAIL, "ssh.failed", {"error": str(exc)})]
        _store(ctx.job, host, host.name, role, outcomes)
        _log(ctx, outcomes)
        return
    found = facts.parse(output.stdout)
    found["time_offset_seconds"] = offset
    facts.facts_store(host=host, facts=found)
    outcomes = [checks.Outcome("ssh", checks.PASS, "ssh.ok", {"user": host.username}), _privilege(host, privilege)]
    outcomes += host_outcomes(host, role, found, facts.sections(output.stdout))
    _store(ctx.job, host, host.name, role, outcomes)
    _log(ctx, outcomes)


def _privilege(host: Host, result) -> checks.Outcome:
    uid = result.stdout.strip()
    if result.exit_status == 0 and uid == "0":
        return checks.Outcome("privilege", checks.PASS, f"privilege.{host.sudo_mode}")
    if result.exit_status == 0:
        return checks.Outcome("privilege", checks.FAIL, "privilege.not_root", {"uid": uid, "user": host.username})
    error = result.stderr.strip() or _("exit status %(status)s") % {"status": result.exit_status}
    return checks.Outcome("privilege", checks.FAIL, "privilege.failed", {"user": host.username, "error": error[:300]})


def host_outcomes(host: Host, role: str, found: dict, sections: dict) -> list[checks.Outcome]:
    """The checks one host's probe answers (all but SSH and privilege)."""
    control_plane = role == HostRole.CONTROL_PLANE
    outcomes = [checks.check_os(found.get("os") or {}), checks.check_hostname(found.get("hostname", ""))]
    if control_plane:
        outcomes += checks.check_resources(found)
    outcomes += [
        checks.check_ports(checks.listening_ports(sections.get("listeners", [])), control_plane=control_plane),
        checks.check_swap(found),
        checks.check_time(found.get("time_offset_seconds")),
        checks.check_cgroup(found.get("cgroup_version")),
        checks.check_cluster(
            portal_cluster=host.cluster.name if host.cluster_id else "",
            files=sections.get("kube_files", []),
            kubelet_pids=sections.get("kubelet", []),
        ),
    ]
    return outcomes


def compare(ctx) -> None:
    """Stage 2: the checks across hosts, for every host the probe reached.
    Fails the step (and the job) when any check of the preflight failed."""
    plan = Plan.from_params(ctx.job.params)
    reached = set(
        PreflightCheck.objects.filter(job=ctx.job, key="ssh", status=PreflightStatus.PASS).values_list(
            "host_name", flat=True
        )
    )
    hosts = {h.name: h for h in Host.objects.filter(name__in=reached)}
    hostnames = {name: (host.facts or {}).get("hostname", "") for name, host in hosts.items()}
    unique = checks.check_hostnames_unique(hostnames)
    for name in plan.hosts:
        host = hosts.get(name)
        if host is None:
            continue
        addresses = (host.facts or {}).get("addresses", [])
        outcomes = [
            unique[name],
            checks.check_cidr("pod_cidr", plan.pod_cidr, addresses, DEFAULT_POD_CIDR),
            checks.check_cidr("service_cidr", plan.service_cidr, addresses, DEFAULT_SERVICE_CIDR),
        ]
        _store(ctx.job, host, name, plan.role_of(name), outcomes)
        ctx.log(f"{name}:", EventStream.SYSTEM)
        _log(ctx, outcomes)
    failed = PreflightCheck.objects.filter(job=ctx.job, status=PreflightStatus.FAIL).order_by("host_name", "position")
    if failed:
        listing = "; ".join(f"{check.host_name}: {check.title}" for check in failed[:20])
        raise StepFailed(
            Message(
                gettext_noop("Preflight failed: %(count)s check(s) failed (%(checks)s)."),
                count=len(failed),
                checks=listing,
            )
        )
    ctx.log(
        Message(gettext_noop("Preflight passed on all %(count)s hosts."), count=len(plan.hosts)), EventStream.SYSTEM
    )


# --- reading the results -------------------------------------------------------------


def results(job) -> dict:
    """A preflight job's outcome per host and check, in the plan's order."""
    plan = Plan.from_params(job.params)
    by_host: dict[str, list[PreflightCheck]] = {name: [] for name in plan.hosts}
    for check in PreflightCheck.objects.filter(job=job).order_by("host_name", "position"):
        by_host.setdefault(check.host_name, []).append(check)
    statuses = [c.status for rows in by_host.values() for c in rows]
    complete = job.is_terminal and all(by_host.values())
    return {
        "job": job,
        "plan": plan,
        "hosts": [
            {
                "name": name,
                "role": plan.role_of(name),
                "checks": rows,
                "status": _worst([c.status for c in rows]) if rows else "",
                "status_label": PreflightStatus(_worst([c.status for c in rows])).label if rows else "",
            }
            for name, rows in by_host.items()
        ],
        # Passed: the job finished, every host answered and nothing failed.
        "passed": complete and PreflightStatus.FAIL not in statuses and job.status == JobStatus.SUCCEEDED,
        "failed_count": statuses.count(PreflightStatus.FAIL),
        "warning_count": statuses.count(PreflightStatus.WARN),
    }


def latest_checks(host: Host) -> list[PreflightCheck]:
    """The checks of the host's most recent preflight (none: never checked)."""
    latest = PreflightCheck.objects.filter(host=host).order_by("-job__created", "-job_id").first()
    if latest is None:
        return []
    return list(PreflightCheck.objects.filter(job_id=latest.job_id, host=host).select_related("job"))


def _worst(statuses: list[str]) -> str:
    for status in (PreflightStatus.FAIL, PreflightStatus.WARN):
        if status in statuses:
            return status
    return PreflightStatus.PASS
