"""The local demo's hosts: `make run` starts a few test hosts (real OpenSSH
servers, each in its own namespaces: testhosts/) and registers them here, so
a newcomer finds hosts to try facts, preflight and jobs on.

They are registered through the same services as an admin's registration,
with one difference: their host keys are pinned without asking anyone. That
is safe only because the portal started these hosts itself and reads each
key from the file it generated for that host, never from the network; every
other host's key is confirmed by an admin.
"""

from dataclasses import dataclass, field

from django.db import transaction

from hosts import services as host_services
from hosts.choices import CredentialKind, SudoMode
from hosts.models import Host, SSHCredential
from portal.audit import audit_record
from portal.models import AuditChannel

CREDENTIAL_NAME = "demo-testhosts"
# Marks the records `make run` owns: a host of the same name without it is an
# admin's, and is left alone.
DEMO_LABEL = ("demo", "testhosts")


@dataclass
class DemoHosts:
    registered: list[Host] = field(default_factory=list)
    # Names taken by hosts `make run` did not make, left as they are.
    skipped: list[str] = field(default_factory=list)


def _credential(private_key_pem: str) -> SSHCredential:
    """The run's key (every test host of a run takes it); replaced each run."""
    credential = SSHCredential.objects.filter(name=CREDENTIAL_NAME).first()
    if credential is None:
        return host_services.ssh_credential_create(
            name=CREDENTIAL_NAME, kind=CredentialKind.PRIVATE_KEY, private_key=private_key_pem
        )
    return host_services.ssh_credential_update(
        credential=credential, kind=CredentialKind.PRIVATE_KEY, private_key=private_key_pem
    )


def _is_demo(host: Host) -> bool:
    key, value = DEMO_LABEL
    return host.labels.get(key) == value


@transaction.atomic
def demo_hosts_register(run) -> DemoHosts:
    """Register (or point at this run) a Host for each test host of `run`
    (a started testhosts.TestHosts), with the run's key credential, the
    `automation` login (sudo without a password) and the host key pinned."""
    result = DemoHosts()
    if not len(run):
        return result
    credential = _credential(run[0].private_key_pem)
    for test_host in run:
        existing = Host.objects.filter(name=test_host.name).first()
        if existing is not None and not _is_demo(existing):
            result.skipped.append(test_host.name)
            continue
        fields = {
            "address": test_host.address,
            "port": test_host.port,
            "username": test_host.nopasswd_username,
            "sudo_mode": SudoMode.NOPASSWD,
            "credential": credential,
            "labels": {**(existing.labels if existing else {}), DEMO_LABEL[0]: DEMO_LABEL[1]},
        }
        if existing is None:
            host = host_services.host_create(name=test_host.name, **fields)
        else:
            host = host_services.host_update(host=existing, **fields)
        # Trusted because the portal made this host: the line comes from the
        # host key it generated for it, not from what answers on the network.
        host = host_services.host_key_pin(host=host, known_hosts_line=test_host.known_hosts_line)
        audit_record(
            channel=AuditChannel.SYSTEM,
            action="host.demo_register",
            kind="Host",
            name=host.name,
            summary={"address": host.address, "host_key_fingerprint": host.host_key_fingerprint},
        )
        result.registered.append(host)
    return result
