"""Job kinds for tests only (a test stand-in, not product code).

Loaded into the test process by import and into Celery workers started by
tests with `-I tests.support.jobkinds`.
"""

import threading
import time

from jobs.registry import JobKind, StepFailed, StepSpec, StepTransientError, register


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


class FakeHostsRecorder:
    """What the fake-hosts kind did, for assertions: every (job, step, host) it
    ran, and the most steps it saw running at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.runs: list[tuple[int, str, str]] = []
            self.running = 0
            self.max_running = 0
            self.broken: set[tuple[str, str]] = set()  # (step, host) pairs that fail
            self.flaky: dict[tuple[str, str], int] = {}  # (step, host): transient failures left

    def enter(self, job_id, step, host):
        with self.lock:
            self.runs.append((job_id, step, host))
            self.running += 1
            self.max_running = max(self.max_running, self.running)

    def leave(self):
        with self.lock:
            self.running -= 1


FAKE_HOSTS = FakeHostsRecorder()


@register
class FakeHostsJob(JobKind):
    """A plan of stages over fake hosts: names only, no machine and no SSH
    behind them (the engine's parallelism, failure and resume are what is
    tested). `hosts`: the names; `seconds`: how long each host's "install"
    takes; `timeout`: the per-step timeout of "install"."""

    name = "test.fake_hosts"
    time_limit = 2400

    def steps(self, job):
        hosts = tuple(job.params.get("hosts", ()))
        return [
            StepSpec("plan", "Plan"),
            StepSpec(
                "install",
                "Install",
                hosts=hosts,
                timeout=job.params.get("timeout"),
                retries=job.params.get("retries", 0),
                retry_delay=0.05,
            ),
            StepSpec("verify", "Verify", hosts=hosts),
        ]

    def run_step(self, ctx, step):
        FAKE_HOSTS.enter(ctx.job.pk, step.name, step.host)
        try:
            ctx.log(f"{step.name} on {step.host or 'the portal'}")
            if step.name == "install" and ctx.job.params.get("command_seconds"):
                # Stands in for a command on the host that watches the cancel signal.
                ctx.canceled.wait(float(ctx.job.params["command_seconds"]))
                ctx.check_canceled()
            if step.name == "install":
                deadline = time.monotonic() + float(ctx.job.params.get("seconds", 0))
                while time.monotonic() < deadline:
                    ctx.check_canceled()
                    time.sleep(0.05)
            if FAKE_HOSTS.flaky.get((step.name, step.host)):
                FAKE_HOSTS.flaky[(step.name, step.host)] -= 1
                raise StepTransientError(f"{step.host}: dpkg lock held by another process.", exit_status=100)
            if (step.name, step.host) in FAKE_HOSTS.broken:
                ctx.log(f"E: {step.host}: package installer exited with 3", "stderr")
                raise StepFailed(f"{step.name} failed on {step.host}", exit_status=3)
            ctx.exit_status = 0
            return None
        finally:
            FAKE_HOSTS.leave()


# Secrets for test.host-commands by name, as a real kind would read them from
# encrypted storage: never in the job's params, which the API shows.
HOST_SECRETS: dict[str, str] = {}


@register
class HostCommandsJob(JobKind):
    """Shell commands on registered hosts over SSH, through hosts.jobwork.

    params: {"hosts": [host names], "steps": [{"name", "title", "command",
    "unless": a command that exits 0 when the step has nothing to do,
    "sudo": bool, "timeout": seconds, "env": {...}, "secret_env": {VAR:
    name in HOST_SECRETS}, "retries": n}]}."""

    name = "test.host-commands"

    def steps(self, job):
        hosts = tuple(job.params.get("hosts", ()))
        return [
            StepSpec(
                s["name"],
                s.get("title", s["name"]),
                hosts=hosts,
                timeout=s.get("timeout"),
                retries=s.get("retries", 0),
                retry_delay=0.2,
            )
            for s in job.params.get("steps", ())
        ]

    def run_step(self, ctx, step):
        from hosts import jobwork

        spec = next(s for s in ctx.job.params["steps"] if s["name"] == step.name)
        sudo = spec.get("sudo", False)
        if spec.get("unless") and jobwork.run(ctx, spec["unless"], sudo=sudo, check=False, quiet=True).ok:
            ctx.log("already done")
            return "skipped"
        env = {**spec.get("env", {}), **{k: HOST_SECRETS[v] for k, v in spec.get("secret_env", {}).items()}}
        jobwork.run(ctx, spec["command"], sudo=sudo, env=env)
        return None


@register
class HostActionsJob(JobKind):
    """hosts.actions on registered hosts: params {"hosts": [...], "actions":
    [{"run", "unless"} or {"path", "content", "mode", "secret"}]}; a step that
    changed nothing is skipped."""

    name = "test.host-actions"

    def steps(self, job):
        return [StepSpec("apply", "Apply", hosts=tuple(job.params["hosts"]))]

    def run_step(self, ctx, step):
        from hosts import actions

        todo = [
            actions.WriteFile(a["path"], a["content"], a.get("mode", 0o644), a.get("secret", False))
            if "path" in a
            else actions.Command(a["run"], a.get("unless", ""))
            for a in ctx.job.params["actions"]
        ]
        return None if actions.apply(ctx, todo) else "skipped"
