"""Pinning a host's key at registration, through the API and the pages, on
real test hosts: the fetched key's SHA256 fingerprint is shown and pinned only
when the admin confirms that very fingerprint, or a known_hosts line naming the
host is pasted. Nothing is ever pinned without one of the two."""

import pytest
from django.test import Client

from hosts import services, ssh
from hosts.models import Host

pytestmark = [pytest.mark.testhosts, pytest.mark.django_db]


@pytest.fixture
def registered(hosts, world):
    """The first test host, registered with a password, its key not yet pinned."""
    host = hosts[0]
    credential = services.ssh_credential_create(name="portal-pw", kind="password", password=host.password)
    record = services.host_create(
        name=host.name,
        address=host.address,
        username=host.username,
        sudo_mode="sudo_password",
        credential=credential,
    )
    assert record.host_key == ""
    return record


def test_the_api_shows_the_offered_key_without_pinning_it(api, world, registered, hosts):
    response = api.as_(world.admin).get(f"/api/v1/hosts/{registered.pk}/host-key/")
    assert response.status_code == 200
    assert response.json() == {"key": hosts[0].host_public_key, "fingerprint": hosts[0].fingerprint}
    registered.refresh_from_db()
    assert registered.host_key == "" and registered.host_key_fingerprint == ""


def test_the_api_pins_only_the_confirmed_fingerprint(api, world, registered, hosts):
    client = api.as_(world.admin)
    url = f"/api/v1/hosts/{registered.pk}/host-key/"
    for body in ({}, {"fingerprint": hosts[1].fingerprint}, {"fingerprint": ""}):  # none, another host's
        response = client.post(url, body, format="json")
        assert response.status_code == 400, body
        registered.refresh_from_db()
        assert registered.host_key == ""
    response = client.post(url, {"fingerprint": hosts[0].fingerprint}, format="json")
    assert response.status_code == 200
    assert response.json()["host_key_fingerprint"] == hosts[0].fingerprint
    registered.refresh_from_db()
    assert registered.host_key == hosts[0].host_public_key


def test_the_api_pins_a_known_hosts_line_for_the_host_only(api, world, registered, hosts):
    client = api.as_(world.admin)
    url = f"/api/v1/hosts/{registered.pk}/host-key/"
    response = client.post(url, {"known_hosts_line": hosts[1].known_hosts_line}, format="json")
    assert response.status_code == 400
    assert "not for" in response.json()["errors"]["known_hosts_line"][0]
    response = client.post(url, {"known_hosts_line": hosts[0].known_hosts_line}, format="json")
    assert response.status_code == 200
    registered.refresh_from_db()
    assert (registered.host_key, registered.host_key_fingerprint) == (hosts[0].host_public_key, hosts[0].fingerprint)


@pytest.mark.parametrize("role", ["owner", "developer", "outsider"])
def test_only_platform_admins_reach_the_host_key(api, world, registered, role):
    client = api.as_(world.users[role])
    assert client.get(f"/api/v1/hosts/{registered.pk}/host-key/").status_code in (403, 404)
    assert client.post(f"/api/v1/hosts/{registered.pk}/host-key/", {"fingerprint": "x"}).status_code in (403, 404)
    registered.refresh_from_db()
    assert registered.host_key == ""


def test_the_page_shows_the_fingerprint_and_pins_on_confirmation(world, registered, hosts):
    client = Client()
    client.force_login(world.admin)
    page = client.get(f"/hosts/{registered.pk}/")
    assert "No host key is pinned" in page.content.decode()
    page = client.get(f"/hosts/{registered.pk}/host-key/")
    assert page.status_code == 200 and hosts[0].fingerprint in page.content.decode()
    registered.refresh_from_db()
    assert registered.host_key == ""  # showing is not pinning
    refused = client.post(f"/hosts/{registered.pk}/host-key/", {"fingerprint": hosts[2].fingerprint})
    assert refused.status_code == 400 and "nothing was pinned" in refused.content.decode()
    done = client.post(f"/hosts/{registered.pk}/host-key/", {"fingerprint": hosts[0].fingerprint})
    assert done.status_code == 302
    registered.refresh_from_db()
    assert registered.host_key == hosts[0].host_public_key


def test_the_page_pins_a_pasted_known_hosts_line(world, registered, hosts):
    client = Client()
    client.force_login(world.admin)
    bad = client.post(f"/hosts/{registered.pk}/host-key/", {"known_hosts_line": "garbage"})
    assert bad.status_code == 400
    done = client.post(f"/hosts/{registered.pk}/host-key/", {"known_hosts_line": hosts[0].known_hosts_line})
    assert done.status_code == 302
    assert Host.objects.get(pk=registered.pk).host_key_fingerprint == hosts[0].fingerprint


def test_a_pinned_host_is_reached_and_a_moved_one_must_be_pinned_again(world, registered, hosts):
    services.host_key_pin(host=registered, known_hosts_line=hosts[0].known_hosts_line)
    target = ssh.Target(
        address=registered.address,
        username=registered.username,
        host_key=registered.host_key,
        password=hosts[0].password,
    )
    assert ssh.run(target, "hostname").stdout == f"{hosts[0].name}\n"
    moved = services.host_update(host=registered, address=hosts[1].address)
    assert moved.host_key == "" and moved.host_key_fingerprint == ""
