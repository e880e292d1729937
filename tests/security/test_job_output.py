"""Job output, step and job messages, and the job's audit row never carry a secret
a step declared with `ctx.hide()`; a Secret printed by mistake shows its mask."""

import json
import logging

import pytest

from hosts import services as host_services
from hosts.models import SSHCredential
from jobs import registry, runner
from jobs import services as job_services
from jobs.models import Job, JobEvent
from jobs.registry import StepFailed, StepSpec
from portal.models import AuditEvent

PASSWORD = "job-output-Pa55word"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.job-output-token-value"


class _SecretEcho(registry.JobKind):
    """Stand-in for a step that handles credentials: it echoes them the way a
    careless command would, having declared them with ctx.hide()."""

    name = "test-secret-echo"
    failure = RuntimeError

    def steps(self, job):
        return [StepSpec("echo", "Echo credentials"), StepSpec("fail", "Fail loudly")]

    def run_step(self, ctx, step):
        credential = SSHCredential.objects.get(name="pw")
        ctx.hide(credential.password.reveal())
        ctx.hide(TOKEN)
        if step.name == "echo":
            ctx.log(f"ssh with password {credential.password.reveal()} and token {TOKEN}")
            ctx.log(f"the credential object itself: {credential.password!r} {credential.password}")
            return None
        raise self.failure(f"login failed for password {credential.password.reveal()}")


class _SecretEchoStepFailed(_SecretEcho):
    name = "test-secret-echo-stepfailed"
    failure = StepFailed


@pytest.fixture
def kinds():
    saved = dict(registry._KINDS)
    registry.register(_SecretEcho)
    registry.register(_SecretEchoStepFailed)
    yield
    registry._KINDS.clear()
    registry._KINDS.update(saved)


def _run(world, kind):
    host_services.ssh_credential_create(name="pw", kind="password", password=PASSWORD)
    job = job_services.job_create(kind=kind, title="Echo", team=world.team_a, created_by=world.owner)
    assert runner.job_run(job_id=job.pk) == "failed"
    return Job.objects.get(pk=job.pk)


def _everything_about(job, api, world) -> str:
    texts = [e.text for e in JobEvent.objects.filter(job=job)]
    texts += [job.message, *job.steps.values_list("message", flat=True)]
    texts += [json.dumps(e.request_summary) for e in AuditEvent.objects.all()]
    client = api.as_(world.owner)
    texts.append(client.get(f"/api/v1/jobs/{job.pk}/events/").content.decode())
    texts.append(client.get(f"/api/v1/jobs/{job.pk}/").content.decode())
    return "\n".join(texts)


def test_job_output_hides_declared_secrets_and_masks_secret_objects(world, api, kinds):
    job = _run(world, "test-secret-echo")
    seen = _everything_about(job, api, world)
    assert "[redacted]" in seen and "********" in seen
    assert PASSWORD not in seen and TOKEN not in seen


def test_the_worker_log_hides_declared_secrets(world, api, kinds, caplog):
    caplog.set_level(logging.DEBUG)
    _run(world, "test-secret-echo")
    assert PASSWORD not in caplog.text


def test_a_step_failed_message_hides_declared_secrets(world, api, kinds):
    job = _run(world, "test-secret-echo-stepfailed")
    seen = _everything_about(job, api, world)
    assert PASSWORD not in seen
