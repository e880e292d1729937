"""`make run` registers test hosts as demo hosts when the machine allows it:
each with the run's key credential and its host key pinned (the portal made
it), reachable over SSH with that record; when it cannot, it says why and the
portal runs on; the hosts stop when make run stops."""

import io
import re
import sqlite3
import time

import pytest

from config.demo_hosts import CREDENTIAL_NAME, demo_hosts_register
from config.management.commands.rundev import Command
from hosts import ssh
from hosts.choices import SudoMode
from hosts.models import Host, SSHCredential
from portal.models import AuditEvent
from testhosts import network, pytest_plugin
from testhosts.errors import TestHostsError
from testhosts.fleet import runs_dir, unavailable_reason
from tests.support import rundev


def _target(host: Host) -> ssh.Target:
    """How a job reaches the host: only what its record holds."""
    return ssh.Target(
        address=host.address,
        port=host.port,
        username=host.username,
        host_key=host.host_key,
        private_key=host.credential.private_key.reveal(),
        sudo_mode=host.sudo_mode,
    )


@pytest.mark.django_db
def test_it_registers_each_test_host_with_the_runs_key_and_its_pinned_host_key(testhosts):
    run = testhosts(2)
    result = demo_hosts_register(run)
    assert [h.name for h in result.registered] == ["testhost-1", "testhost-2"] and result.skipped == []
    credential = SSHCredential.objects.get(name=CREDENTIAL_NAME)
    assert credential.private_key.reveal() == run[0].private_key_pem
    for test_host in run:
        host = Host.objects.select_related("credential").get(name=test_host.name)
        assert (host.address, host.port, host.credential) == (test_host.address, 22, credential)
        assert (host.username, host.sudo_mode) == ("automation", SudoMode.NOPASSWD)
        assert host.host_key_fingerprint == test_host.fingerprint
        assert host.host_key.split()[:2] == test_host.host_public_key.split()
        assert host.labels == {"demo": "testhosts"}
        # The record alone is enough to log in and become root on that very host.
        with ssh.Session(_target(host)) as session:
            assert session.run("hostname").stdout.strip() == test_host.name
            assert session.run("id -u", sudo=True).stdout.strip() == "0"
    audited = AuditEvent.objects.filter(action="host.demo_register").values_list("target_name", "channel")
    assert sorted(audited) == [("testhost-1", "system"), ("testhost-2", "system")]


@pytest.mark.django_db
def test_a_new_run_repoints_the_demo_records_and_leaves_an_admins_host_alone(testhosts):
    run = testhosts(2)
    demo_hosts_register(run)
    old = Host.objects.get(name="testhost-1")
    # As if from an earlier run: another address, another key; an admin added a label.
    Host.objects.filter(pk=old.pk).update(
        address="198.19.250.11",
        host_key="ssh-ed25519 AAAAold",
        host_key_fingerprint="SHA256:old",
        labels={
            "demo": "testhosts",
            "rack": "r1",
        },
    )
    # An admin's own host that happens to have a demo host's name.
    admins = Host.objects.get(name="testhost-2")
    Host.objects.filter(pk=admins.pk).update(address="10.9.9.9", labels={})
    result = demo_hosts_register(run)
    assert [h.name for h in result.registered] == ["testhost-1"] and result.skipped == ["testhost-2"]
    fresh = Host.objects.get(name="testhost-1")
    assert (fresh.pk, fresh.address, fresh.host_key_fingerprint) == (old.pk, run[0].address, run[0].fingerprint)
    assert fresh.labels == {"demo": "testhosts", "rack": "r1"}
    assert Host.objects.get(name="testhost-2").address == "10.9.9.9"
    assert SSHCredential.objects.filter(name=CREDENTIAL_NAME).count() == 1


def _cannot_start(*_args, **_kwargs):
    raise TestHostsError("debootstrap could not reach the mirror")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "reason, start, said",
    [
        (
            "test hosts need root (namespaces, a bridge, overlay mounts)",
            None,
            "No demo hosts: test hosts need root (namespaces, a bridge, overlay mounts); the portal runs without them.",
        ),
        (None, _cannot_start, "could not start, the portal runs without them: debootstrap could not reach the mirror"),
    ],
)
def test_make_run_says_why_there_are_no_demo_hosts_and_goes_on(monkeypatch, reason, start, said):
    monkeypatch.setattr("testhosts.fleet.unavailable_reason", lambda: reason)
    if start is not None:
        monkeypatch.setattr("testhosts.fleet.TestHosts.start", start)
    out = io.StringIO()
    assert Command(stdout=out, stderr=out)._demo_hosts(3) is None
    assert said in out.getvalue()
    assert not Host.objects.exists()


# --- the whole `make run` path --------------------------------------------------------


@pytest.mark.slow
def test_make_run_registers_demo_hosts_and_stops_them_when_it_stops(tmp_path):
    reason = unavailable_reason()
    if reason:
        pytest_plugin._unavailable(reason)
    log = tmp_path / "run.log"
    process = rundev.start(
        rundev.environment(tmp_path / "var"),
        log,
        *("--no-devcluster", "--no-worker", "--demo-hosts", "2", "--addr", f"127.0.0.1:{rundev.free_port()}"),
    )
    try:
        deadline = time.monotonic() + 180  # a first start builds the hosts' base root
        while "Portal running" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        output = log.read_text()
        registered = re.findall(r"Demo host '(testhost-\d)' registered: automation@(198\.1[89]\.\d+\.\d+)", output)
        assert [name for name, _a in registered] == ["testhost-1", "testhost-2"], output
        assert "pinned without asking: the portal made these hosts" in output
        slot = int(registered[0][1].split(".")[2])
        bridge = network.bridge_name(slot)
        assert network.link_exists(bridge) and (runs_dir() / str(slot) / "state.json").exists()
        with sqlite3.connect(tmp_path / "var" / "portal.sqlite3") as db:
            rows = db.execute("select name, address, host_key_fingerprint from hosts_host order by name").fetchall()
        assert [(name, address) for name, address, _f in rows] == registered
        assert all(fingerprint.startswith("SHA256:") for _n, _a, fingerprint in rows)
    finally:
        rundev.stop(process, 60)
    assert "Stopping the demo hosts" in log.read_text()
    # The hosts (their run's directory, with their state) and their bridge are gone with make run.
    assert not network.link_exists(bridge)
    assert not (runs_dir() / str(slot)).exists()
