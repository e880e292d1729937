"""Fixtures for hosts/: the session's real test hosts (testhosts.pytest_plugin)
and the portal's three ways in (key, passphrase-protected key, password with
sudo), plus the test hosts' `automation` user (key, sudo without a password)."""

import pytest
from django.utils import translation

from hosts import ssh


@pytest.fixture(autouse=True)
def _english():
    # Messages are matched in English; a test elsewhere may leave another language active.
    with translation.override("en"):
        yield


@pytest.fixture
def hosts(testhosts_shared):
    """Three hosts for the session: what a test leaves on one, it removes."""
    return testhosts_shared


def key_target(host, **changes) -> ssh.Target:
    fields = dict(
        address=host.address,
        port=host.port,
        username=host.username,
        host_key=host.host_public_key,
        private_key=host.private_key_pem,
        sudo_mode=ssh.SUDO_PASSWORD,
        password="",
        sudo_password=host.password,  # the portal user's sudo asks for it, whichever way it logged in
    )
    return ssh.Target(**{**fields, **changes})


def passphrase_target(host, **changes) -> ssh.Target:
    return key_target(host, **{"private_key": host.passphrase_key_pem, "passphrase": host.passphrase, **changes})


def password_target(host, **changes) -> ssh.Target:
    return key_target(host, **{"private_key": "", "password": host.password, **changes})


def nopasswd_target(host, **changes) -> ssh.Target:
    return key_target(host, **{"username": host.nopasswd_username, "sudo_mode": ssh.SUDO_NOPASSWD, **changes})


def register(hosts, prefix: str = "") -> list:
    """The three test hosts as the portal registers them, the three ways in:
    a key, a passphrase-protected key, a password; all as the `portal` user,
    whose sudo asks for its password (kept with the credential). Host keys
    pinned from the known_hosts lines the test hosts were made with."""
    from hosts import services

    ways = [
        dict(kind="private_key", private_key=hosts[0].private_key_pem),
        dict(kind="private_key", private_key=hosts[1].passphrase_key_pem, passphrase=hosts[1].passphrase),
        dict(kind="password"),
    ]
    registered = []
    for host, way in zip(hosts, ways, strict=False):
        credential = services.ssh_credential_create(name=f"{prefix}{host.name}", password=host.password, **way)
        record = services.host_create(
            name=f"{prefix}{host.name}",
            address=host.address,
            port=host.port,
            username=host.username,
            sudo_mode="sudo_password",
            credential=credential,
        )
        registered.append(services.host_key_pin(host=record, known_hosts_line=host.known_hosts_line))
    return registered
