"""Job kinds for tests only (a test stand-in, not product code).

Loaded into the test process by import and into Celery workers started by
tests with `-I tests.support.jobkinds`.
"""

import time

from jobs.registry import JobKind, StepFailed, StepSpec, register


@register
class SleepyJob(JobKind):
    """Waits `seconds` in its second step, logging each tick; fails on request."""

    name = "test.sleepy"

    def steps(self, job):
        return [
            StepSpec("prepare", "Prepare"),
            StepSpec("wait", "Wait"),
            StepSpec("finish", "Finish"),
        ]

    def run_step(self, ctx, step):
        params = ctx.job.params
        if step.name == "prepare":
            if params.get("secret"):
                ctx.hide(params["secret"])
                ctx.log(f"connecting with password {params['secret']}")
            if params.get("skip_prepare"):
                return "skipped"
            ctx.log("prepared")
        elif step.name == "wait":
            deadline = time.monotonic() + float(params.get("seconds", 0))
            tick = 0
            while time.monotonic() < deadline:
                ctx.check_canceled()
                tick += 1
                ctx.log(f"tick {tick}")
                time.sleep(0.2)
            if params.get("fail_in_wait"):
                raise StepFailed("the wait step was told to fail")
        elif step.name == "finish":
            if params.get("crash_in_finish"):
                raise RuntimeError(f"unexpected crash {params.get('secret', '')}")
            ctx.log("finished")
        return None
