"""A host from registration to work, in a browser, as an admin does it: the
credential and the host through their forms, the host key confirmed by its
fingerprint, a preflight, then a job on the host whose live log and progress
bars the page follows while it runs. A real OpenSSH test host."""

import threading

import pytest
from django.db import connection

import tests.support.jobkinds  # noqa: F401  (test.host-commands)
from hosts.models import Host
from jobs import services as job_services
from jobs.models import Job
from jobs.runner import job_run

pytestmark = [
    pytest.mark.usefixtures("jobs_in_process"),
    pytest.mark.browser,
    pytest.mark.testhosts,
    pytest.mark.django_db(transaction=True),
]


def _run_in_background(job_id):
    def run():
        try:
            job_run(job_id=job_id)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_register_confirm_preflight_and_watch_a_job(world, page, login, testhosts):
    (machine,) = testhosts(1)
    login(page, world.admin)

    page.goto("/hosts/credentials/new/")
    page.fill("input[name=name]", "portal-key")
    page.select_option("select[name=kind]", "private_key")
    page.fill("textarea[name=private_key]", machine.private_key_pem)
    page.fill("input[name=password]", machine.password)  # what sudo asks for
    page.click("form.objectform button[type=submit]")
    page.wait_for_url("**/hosts/credentials/*/")

    page.goto("/hosts/new/")
    page.fill("input[name=name]", machine.name)
    page.fill("input[name=address]", machine.address)
    page.fill("input[name=username]", machine.username)
    page.select_option("select[name=sudo_mode]", "sudo_password")
    page.select_option("select[name=credential]", label="portal-key")
    page.fill("input[name=labels]", "zone=lab")
    page.click("form.objectform button[type=submit]")
    page.wait_for_url("**/hosts/*/")
    host = Host.objects.get(name=machine.name)
    assert host.host_key == "" and host.labels == {"zone": "lab"}

    # The fingerprint the portal shows is the one the machine has; confirming pins it.
    page.goto(f"/hosts/{host.pk}/host-key/")
    assert page.locator("[data-fingerprint]").inner_text() == machine.fingerprint
    page.click("button:has-text('Confirm and pin this key')")
    page.wait_for_url(f"**/hosts/{host.pk}/")
    assert machine.fingerprint in page.content()
    host.refresh_from_db()
    assert host.host_key == machine.host_public_key

    page.goto("/hosts/preflight/")
    page.check(f"input[name=control_plane][value={machine.name}]")
    page.click("form.objectform button[type=submit]")
    page.wait_for_url("**/hosts/preflight/*/")
    preflight = Job.objects.get(kind="hosts.preflight")
    _run_in_background(preflight.pk).join(120)
    page.locator("#preflight-verdict", has_text="Passed").wait_for(timeout=10_000)

    # A job of two steps on the host: the page shows the first step's output
    # while the second one still waits for its go-ahead, then both done.
    go = "/tmp/portal-browser-go"  # noqa: S108  (on the test host)
    job = job_services.job_create(
        kind="test.host-commands",
        title="Two steps",
        params={
            "hosts": [machine.name],
            "steps": [
                {"name": "hello", "title": "Hello", "command": "echo hello from the host"},
                {
                    "name": "wait",
                    "title": "Wait",
                    "command": f"echo waiting; while [ ! -e {go} ]; do sleep 0.2; done; echo released",
                },
            ],
        },
    )
    page.goto(f"/jobs/{job.pk}/")
    runner = _run_in_background(job.pk)
    try:
        page.locator("#joblog", has_text="waiting").wait_for(timeout=15_000)
        assert "hello from the host" in page.locator("#joblog").inner_text()
        row = page.locator(f"tr[data-host={machine.name}]")
        row.filter(has_text="1/2").wait_for(timeout=10_000)
        assert row.locator("[role=progressbar]").get_attribute("aria-valuenow") == "1"
        machine.run(f"touch {go}")
        page.locator("#job-status", has_text="Succeeded").wait_for(timeout=15_000)
        assert "released" in page.locator("#joblog").inner_text()
        assert page.locator("#job-progress [role=progressbar]").first.get_attribute("aria-valuenow") == "2"
    finally:
        machine.run(f"touch {go}")
        runner.join(60)
