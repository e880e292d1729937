"""Host work's texts in jobs: a preflight's job log stores each check's line
as the check's msgids with its parameters, so the log reads in its reader's
language as the results page does; an SSH failure keeps its msgid for the
step that stores it. The stored plain text stays English."""

import pytest
from django.utils import translation

from hosts import checks, preflight, ssh
from hosts.errors import HostKeyError
from jobs import services
from jobs.models import JobEvent
from jobs.registry import StepFailed
from jobs.runner import JobContext
from portal import stored_text

pytestmark = pytest.mark.django_db


def test_each_checks_line_is_stored_as_ids_and_shown_translated():
    job = services.job_create(kind=preflight.KIND, title="Preflight", params={"hosts": [], "control_plane": []})
    outcomes = [
        checks.Outcome("memory", checks.FAIL, "memory.low", {"memory": "1.0 GiB", "minimum": "1.7 GiB"}),
        checks.Outcome("swap", checks.WARN, "swap.on", {"total": "2.0 GiB"}),
    ]
    with translation.override("zh-hans"):  # the worker's language changes nothing stored
        preflight._log(JobContext(job), outcomes)
    lines = list(JobEvent.objects.filter(job=job).order_by("counter"))
    assert [line.text for line in lines] == [
        "[fail] Memory: Only 1.0 GiB of memory: a control plane needs at least 1.7 GiB.",
        "  What to do: Give the host at least 1.7 GiB of memory, or make it a worker.",
        "[warn] Swap: Swap is on (2.0 GiB).",
        "  What to do: Nothing to do: the bootstrap turns swap off, as the kubelet expects, and keeps it off.",
    ]
    assert lines[0].text_i18n[1] == {"msgid": "Memory", "params": {}}
    assert lines[0].text_i18n[3]["msgid"] == "Only %(memory)s of memory: a control plane needs at least %(minimum)s."
    with translation.override("zh-hans"):
        assert lines[0].text_display == "[fail] 内存: 内存只有 1.0 GiB：控制平面至少需要 1.7 GiB。"
        assert lines[3].text_display == "  处理建议：无需处理：引导过程会按 kubelet 的要求关闭 swap，并保持关闭。"


def test_the_results_page_reads_the_same_msgids_in_the_active_language():
    with translation.override("zh-hans"):
        assert checks.title("memory") == "内存"
        assert checks.render("swap.on", {"total": "2.0 GiB"})[0] == "swap 已开启（2.0 GiB）。"
    assert checks.title("no-such-check") == "no-such-check"
    assert stored_text.english(checks.RERUN) == "then run preflight again."


def test_an_ssh_failure_keeps_its_message_id_for_the_job_that_stores_it():
    target = ssh.Target("127.0.0.1", port=9, host_key="", password="x")
    with translation.override("zh-hans"), pytest.raises(HostKeyError) as refused:
        ssh.run(target, "true")  # no pinned key: refused before connecting
    assert refused.value.text.msgid == (
        "No host key is pinned for %(host)s: confirm its fingerprint first; nothing was run."
    )
    assert refused.value.text.params == {"host": "127.0.0.1"}
    failed = StepFailed(refused.value.text)
    assert str(failed) == stored_text.english(refused.value.text)  # what the plain columns keep
    assert str(failed).startswith("No host key is pinned for 127.0.0.1")
