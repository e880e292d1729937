"""Password guessing on both login pages: a username is locked for the
address that keeps guessing it, with a visible, audited 429."""

import pytest
from django.test import Client

from portal.models import AuditEvent
from tests.conftest import PASSWORD

LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]


def _login(client, url, username, password):
    return client.post(url, {"username": username, "password": password})


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_thirty_wrong_passwords_lock_out_even_the_right_one(world, settings, url):
    client = Client()
    first = _login(client, url, "admin", "not-the-password")
    assert first.status_code == 200  # a plain failed login, shown on the form
    for _ in range(29):
        assert _login(client, url, "admin", "not-the-password").status_code in (200, 429)

    refused = _login(client, url, "admin", PASSWORD)

    assert refused.status_code == 429
    assert not _logged_in(client)
    assert int(refused["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    page = refused.content.decode()
    assert "Too many failed logins for this account from your address" in page
    assert PASSWORD not in page
    event = AuditEvent.objects.filter(action="session.login_locked_out").latest("pk")
    assert (event.result, event.status_code, event.actor_name) == ("denied", 429, "")
    assert event.request_summary["username"] == "admin"
    assert event.request_summary["password"] == "[redacted]"
    failed = AuditEvent.objects.filter(action="session.login_failed", result="denied")
    assert failed.count() == settings.AXES_FAILURE_LIMIT - 1  # the last failure already answers 429


@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_the_lock_holds_one_username_at_one_address(world, url):
    guesser = Client()
    for _ in range(30):
        _login(guesser, url, "admin", "not-the-password")
    assert _login(guesser, url, "admin", PASSWORD).status_code == 429

    elsewhere = Client(REMOTE_ADDR="192.0.2.7")
    assert _login(elsewhere, url, "admin", PASSWORD).status_code == 302
    assert _logged_in(elsewhere)
    other_user = Client()
    assert _login(other_user, "/accounts/login/", "owner", PASSWORD).status_code == 302
    assert _logged_in(other_user)


def test_a_successful_login_clears_the_count(world, settings):
    client = Client()
    for _ in range(2):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert _login(client, "/accounts/login/", "owner", "not-the-password").status_code == 200
        assert _login(client, "/accounts/login/", "owner", PASSWORD).status_code == 302
        client.logout()
    assert AuditEvent.objects.filter(action="session.login", actor_name="owner").count() == 2


def test_the_limit_and_the_wait_come_from_the_settings(world, settings):
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    assert _login(client, "/accounts/login/", "owner", "not-the-password").status_code == 200
    assert _login(client, "/accounts/login/", "owner", "not-the-password").status_code == 429
    assert _login(client, "/accounts/login/", "owner", PASSWORD).status_code == 429


def test_a_forged_forwarded_for_header_buys_no_fresh_count(world, settings):
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login_from(client, "admin", "not-the-password", forwarded=f"203.0.113.{n}")
    assert _login_from(client, "admin", PASSWORD, forwarded="203.0.113.200").status_code == 429


def test_behind_a_trusted_proxy_each_client_address_has_its_own_count(world, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")  # every request arrives from the proxy
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login_from(proxy, "admin", "not-the-password", forwarded="203.0.113.9")
    # What the client wrote on the left is ignored: the proxy's own entry counts.
    assert _login_from(proxy, "admin", PASSWORD, forwarded="198.51.100.1, 203.0.113.9").status_code == 429
    assert _login_from(proxy, "admin", PASSWORD, forwarded="203.0.113.10").status_code == 302


def _login_from(client, username, password, *, forwarded):
    return client.post("/accounts/login/", {"username": username, "password": password}, HTTP_X_FORWARDED_FOR=forwarded)
