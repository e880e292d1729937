"""A preflight's job log stores each check's line as the check's msgids with
its parameters, so the log reads in its reader's language as the results
page does; the stored text stays English."""

import pytest
from django.utils import translation

from hosts import checks, preflight
from jobs import services
from jobs.models import JobEvent
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
