"""`manage.py bench_workloads` runs end to end at a tiny size: its own
devcluster, a provisioned team namespace, pods, the portal under gunicorn,
and a table whose portal rows answered with the API server's page."""

import io
import re

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.devcluster, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_it_measures_a_tiny_namespace():
    out = io.StringIO()
    call_command(
        "bench_workloads",
        "--small=3",
        "--pods=5",
        "--cluster-pods=8",
        "--namespaces=2",
        "--repeat=2",
        "--warmup=1",
        "--concurrency=2",
        stdout=out,
    )
    text = out.getvalue()
    for case in ("3 pods in the namespace", "5 pods in the namespace", "platform admin (not a member)"):
        for request in ("raw API server GET", "portal API", "portal HTML page"):
            assert re.search(rf"\| {re.escape(case)}[^|]* \| {request} \| [\d.]+ ms \| [\d.]+ ms \|", text), (
                case,
                text,
            )
    peaks = re.findall(r"\| [\d.]+ MiB \| ([\d.]+) MiB \|", text)
    assert len(peaks) == 5 and all(float(p) > 20 for p in peaks), text
    assert "created 3 pods in bench-0" in text and "created 3 pods in bench-1" in text, text
