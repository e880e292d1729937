"""Privilege: root login, sudo without a password, or sudo with the password
kept with the credential (for a key credential too)."""

import pytest
from django.core.exceptions import ValidationError

from hosts import jobwork, services, ssh
from portal.errors import PortalError

pytestmark = pytest.mark.django_db


def _host(credential, sudo_mode):
    return services.host_create(
        name="h", address="h.example.test", username="portal", sudo_mode=sudo_mode, credential=credential
    )


def test_sudo_with_a_password_needs_one_with_the_credential(hosts):
    key_only = services.ssh_credential_create(name="key", kind="private_key", private_key=hosts[0].private_key_pem)
    with pytest.raises(ValidationError) as refused:
        _host(key_only, "sudo_password")
    assert "sudo asks for a password" in str(refused.value)
    assert _host(key_only, "sudo").sudo_mode == "sudo"


def test_a_key_credential_keeps_the_sudo_password_and_the_target_uses_it(hosts):
    credential = services.ssh_credential_create(
        name="key", kind="private_key", private_key=hosts[0].private_key_pem, password="sudo-pw-1"
    )
    target = jobwork.target_for(_host(credential, "sudo_password"))
    # The key logs in; the password only answers sudo.
    assert target.private_key and target.password == ""
    assert target.sudo_password == "sudo-pw-1" and target.sudo_mode == ssh.SUDO_PASSWORD


def test_a_password_credential_logs_in_and_answers_sudo_with_the_same_password():
    credential = services.ssh_credential_create(name="pw", kind="password", password="pw-1")
    target = jobwork.target_for(_host(credential, "sudo_password"))
    assert (target.password, target.sudo_password, target.private_key) == ("pw-1", "pw-1", "")


def test_a_key_credential_without_a_key_is_refused():
    with pytest.raises(PortalError):
        services.ssh_credential_create(name="k", kind="private_key", password="x")
