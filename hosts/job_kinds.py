"""Job kinds of the hosts app: gathering facts and preflight. Both only read
the hosts, so a rerun changes nothing on them."""

from django.urls import reverse
from django.utils.translation import gettext_noop

from hosts import facts, preflight
from jobs.registry import JobKind, StepSpec, register
from portal.stored_text import Message

FACTS_TIMEOUT = 120.0


@register
class GatherFacts(JobKind):
    name = "hosts.facts"

    def steps(self, job):
        return [
            StepSpec(
                "gather",
                Message(gettext_noop("Gather facts")),
                hosts=tuple(job.params.get("hosts", ())),
                timeout=FACTS_TIMEOUT,
            )
        ]

    def run_step(self, ctx, step):
        from hosts import jobwork

        host = jobwork.host_of(ctx)
        found = facts.gather(ctx)
        facts.facts_store(host=host, facts=found)
        ctx.log(facts.summary(found))
        return None


@register
class Preflight(JobKind):
    name = preflight.KIND

    def steps(self, job):
        plan = preflight.Plan.from_params(job.params)
        return [
            StepSpec(
                "probe", Message(gettext_noop("Probe the host")), hosts=plan.hosts, timeout=preflight.PROBE_TIMEOUT
            ),
            StepSpec("compare", Message(gettext_noop("Compare the hosts")), timeout=60.0),
        ]

    def result_url(self, job):
        return reverse("hosts:preflight-results", args=[job.pk])

    def run_step(self, ctx, step):
        if step.name == "probe":
            preflight.probe(ctx)
        elif step.name == "compare":
            preflight.compare(ctx)
        return None
