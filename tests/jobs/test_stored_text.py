"""Job texts made in a worker are shown in the reader's language: titles,
step names, the engine's own lines and failures are stored as message ids
with parameters and translated when the page or the API shows them; rows
from before (plain text only) show as they were written.

The Chinese sentences come from the project's catalogue: the stored rows
hold English ids, so Chinese on the page was made at display time."""

import pytest
from django.utils import translation
from django.utils.translation import gettext_noop

from jobs import services
from jobs.choices import EventStream, JobStatus
from jobs.models import Job, JobEvent, JobStep
from jobs.registry import JobKind, StepFailed, StepSpec, register
from jobs.runner import job_run
from portal import stored_text
from portal.stored_text import Message

pytestmark = pytest.mark.django_db


@register
class TranslatedJob(JobKind):
    """Its step titles, a log line and a failure are catalogue messages."""

    name = "test.translated"

    def steps(self, job):
        return [
            StepSpec("prepare", Message(gettext_noop("Prepare the host"))),
            StepSpec("gather", Message(gettext_noop("Gather facts"))),
        ]

    def run_step(self, ctx, step):
        if step.name == "prepare":
            ctx.log(Message(gettext_noop("Writing %(path)s"), path="/etc/hosts"), EventStream.SYSTEM)
            ctx.log("plain output of a host")
            return None
        raise StepFailed(Message(gettext_noop("The command exited with status %(status)d."), status=3))


def _run_translated(team) -> Job:
    job = services.job_create(
        kind="test.translated", title=Message(gettext_noop("Drain node %(node)s"), node="node-7"), team=team
    )
    assert job_run(job_id=job.pk) == JobStatus.FAILED
    job.refresh_from_db()
    return job


@pytest.fixture
def zh_viewer(client, world):
    client.force_login(world.viewer)
    client.cookies["django_language"] = "zh-hans"
    return client


def test_it_stores_ids_and_parameters_not_sentences(world):
    with translation.override("zh-hans"):  # a request in Chinese starting it changes nothing stored
        job = _run_translated(world.team_a)
    assert job.title == "Drain node node-7"
    assert job.i18n["title"] == {"msgid": "Drain node %(node)s", "params": {"node": "node-7"}}
    gather = job.steps.get(name="gather")
    assert gather.title == "Gather facts"
    assert gather.i18n["title"] == {"msgid": "Gather facts", "params": {}}
    assert gather.i18n["message"] == {
        "msgid": "The command exited with status %(status)d.",
        "params": {"status": 3},
    }
    # The job's failure names the step by its stored title, as a parameter.
    assert job.i18n["message"]["msgid"] == "Step %(position)s (%(title)s) failed: %(message)s"
    assert job.i18n["message"]["params"]["title"] == {"msgid": "Gather facts", "params": {}}
    assert job.message == "Step 2 (Gather facts) failed: The command exited with status 3."
    writing = JobEvent.objects.get(job=job, text__contains="Writing")
    # The step's header and the first portal line share one write: parts.
    assert writing.text == "Step 1: Prepare the host\nWriting /etc/hosts"
    assert [part if isinstance(part, str) else part["msgid"] for part in writing.text_i18n] == [
        "Step %(position)s: %(title)s",
        "\n",
        "Writing %(path)s",
    ]
    host_line = JobEvent.objects.get(job=job, text="plain output of a host")
    assert host_line.text_i18n is None


def test_the_job_page_translates_title_steps_and_engine_lines(world, zh_viewer):
    job = _run_translated(world.team_a)
    html = zh_viewer.get(f"/jobs/{job.pk}/").content.decode()
    assert "驱逐节点 node-7" in html  # the title, from the catalogue
    assert "准备主机" in html and "收集主机信息" in html  # the steps
    assert "正在写入 /etc/hosts" in html  # the portal's log line
    assert "plain output of a host" in html  # a host's output, as it is
    # The engine's sentence, translated, with its parameters (the step's title translated too).
    assert "第 2 步（收集主机信息）失败：命令以状态 3 退出。" in html
    assert "Drain node node-7" not in html
    zh_viewer.cookies["django_language"] = "en"
    english = zh_viewer.get(f"/jobs/{job.pk}/").content.decode()
    assert "Drain node node-7" in english and "Prepare the host" in english and "Writing /etc/hosts" in english


def test_the_events_poll_the_list_and_the_dashboard_translate_too(world, zh_viewer):
    job = _run_translated(world.team_a)
    poll = zh_viewer.get(f"/jobs/{job.pk}/events/?after=0").content.decode()
    assert "正在写入 /etc/hosts" in poll and "收集主机信息" in poll
    listing = zh_viewer.get("/jobs/").content.decode()
    assert "驱逐节点 node-7" in listing
    dashboard = zh_viewer.get("/").content.decode()
    assert "驱逐节点 node-7" in dashboard


def test_the_api_keeps_the_stored_fields_and_adds_displayed_ones(world, api):
    job = _run_translated(world.team_a)
    client = api.as_(world.viewer)
    data = client.get(f"/api/v1/jobs/{job.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert (data["title"], data["title_display"]) == ("Drain node node-7", "驱逐节点 node-7")
    steps = {step["name"]: step for step in data["steps"]}
    assert (steps["gather"]["title"], steps["gather"]["title_display"]) == ("Gather facts", "收集主机信息")
    assert steps["gather"]["message_display"] == "命令以状态 3 退出。"
    assert data["message_display"] == "第 2 步（收集主机信息）失败：命令以状态 3 退出。"
    events = client.get(f"/api/v1/jobs/{job.pk}/events/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    writing = next(e for e in events if "Writing" in e["text"])
    assert writing["text_display"].endswith("正在写入 /etc/hosts")


def test_a_job_canceled_before_it_started_says_so_in_the_readers_language(world, zh_viewer):
    job = services.job_create(kind="test.translated", title="Plain title", team=world.team_a)
    with translation.override("en"):
        services.job_cancel(job=job, user=world.admin)
    job.refresh_from_db()
    assert job.i18n["message"] == {
        "msgid": "Canceled by %(user)s before it started.",
        "params": {"user": world.admin.username},
    }
    html = zh_viewer.get(f"/jobs/{job.pk}/").content.decode()
    assert f"在开始前被 {world.admin.username} 取消。" in html


def test_rows_from_before_show_their_plain_text(world, zh_viewer):
    job = Job.objects.create(kind="demo", title="Old English title", team=world.team_a, message="It broke.")
    JobStep.objects.create(job=job, position=1, name="old", title="Old step", message="old failure")
    JobEvent.objects.create(job=job, counter=1, text="Step 1: Old step")
    html = zh_viewer.get(f"/jobs/{job.pk}/").content.decode()
    for text in ("Old English title", "It broke.", "Old step", "old failure", "Step 1: Old step"):
        assert text in html


def test_a_resumed_job_keeps_the_message_ids():
    job = services.job_create(kind="test.translated", title=Message(gettext_noop("Drain node %(node)s"), node="n"))
    job_run(job_id=job.pk)
    job.refresh_from_db()
    resumed = services.job_resume(job=job, user=_Anonymous())
    assert resumed.i18n == {"title": job.i18n["title"]}
    assert resumed.steps.get(name="prepare").i18n["title"]["msgid"] == "Prepare the host"


class _Anonymous:
    is_authenticated = False


def test_a_message_renders_through_gettext_with_its_parameters(monkeypatch):
    said = []

    def fake_gettext(msgid):
        said.append(msgid)
        return "«" + msgid + "»"

    monkeypatch.setattr(stored_text, "gettext", fake_gettext)
    stored = stored_text.to_json(
        Message("Step %(position)s (%(title)s) failed: %(message)s", position=2, title=Message("Wait"), message="x")
    )
    assert stored_text.render(stored) == "«Step 2 («Wait») failed: x»"
    assert said == ["Wait", "Step %(position)s (%(title)s) failed: %(message)s"]
    assert stored_text.english(stored) == "Step 2 (Wait) failed: x"


def test_a_translation_with_other_placeholders_falls_back_to_english(monkeypatch):
    monkeypatch.setattr(stored_text, "gettext", lambda msgid: "%(other)s 坏了")
    assert stored_text.render(Message("Evicted %(pod)s.", pod="a/b")) == "Evicted a/b."


def test_secrets_never_reach_a_parameter():
    message = Message("Connecting with %(password)s", password="hunter2-very-secret")
    hidden = stored_text.redact(message, ["hunter2-very-secret"], lambda text, s: text.replace(s[0], "[redacted]"))
    assert stored_text.to_json(hidden)["params"] == {"password": "[redacted]"}
