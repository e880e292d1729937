"""Host labels: Kubernetes syntax, set by form, API and bulk import, used to pick hosts."""

import pytest

from hosts import services
from hosts.models import Host

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(api, world):
    services.ssh_credential_create(name="pw", kind="password", password="pw-1")
    return api.as_(world.admin)


def _create(client, name, labels):
    body = {"name": name, "address": f"{name}.example.test", "credential": "pw", "labels": labels}
    return client.post("/api/v1/hosts/", body, format="json")


def test_labels_are_set_and_hosts_are_picked_by_selector(admin_api):
    assert _create(admin_api, "a", {"zone": "east", "disk": "ssd"}).status_code == 201
    assert _create(admin_api, "b", {"zone": "west", "example.com/gpu": ""}).status_code == 201
    assert _create(admin_api, "c", {}).status_code == 201

    def names(selector):
        response = admin_api.get("/api/v1/hosts/", {"label": selector})
        assert response.status_code == 200, response.json()
        return sorted(h["name"] for h in response.json()["results"])

    assert names("zone=east") == ["a"]
    assert names("zone") == ["a", "b"]
    assert names("zone=west,example.com/gpu") == ["b"]
    assert names("disk=hdd") == []


def test_bad_labels_and_selectors_are_field_errors(admin_api):
    response = _create(admin_api, "a", {"-bad": "x", "ok": "not ok!"})
    assert response.status_code == 400
    messages = " ".join(response.json()["errors"]["labels"])
    assert "-bad" in messages and "ok:" in messages
    assert not Host.objects.exists()
    response = admin_api.get("/api/v1/hosts/", {"label": "zone=a b"})
    assert response.status_code == 400 and "label" in response.json()["errors"]


def test_the_form_reads_and_writes_labels_as_text(client, world):
    services.ssh_credential_create(name="pw", kind="password", password="pw-1")
    client.force_login(world.admin)
    form = {"name": "a", "address": "a.example.test", "port": 22, "username": "root", "sudo_mode": "none"}
    form["credential"] = Host._meta.get_field("credential").related_model.objects.get().pk
    response = client.post("/hosts/new/", {**form, "labels": "zone=east, disk=ssd"})
    assert response.status_code == 302, response.content.decode()[:2000]
    host = Host.objects.get()
    assert host.labels == {"zone": "east", "disk": "ssd"}
    assert "disk=ssd, zone=east" in client.get(f"/hosts/{host.pk}/edit/").content.decode()
    response = client.post(f"/hosts/{host.pk}/edit/", {**form, "labels": "zone"})
    assert response.status_code == 400 and "key=value" in response.content.decode()
    host.refresh_from_db()
    assert host.labels == {"zone": "east", "disk": "ssd"}


def test_bulk_import_takes_labels_in_csv_and_yaml(admin_api):
    csv = 'name,address,credential,labels\nweb-1,10.1.0.1,pw,"zone=a, disk=ssd"\n'
    assert admin_api.post("/api/v1/hosts/import/", {"format": "csv", "text": csv}, format="json").status_code == 201
    yaml = "- {name: web-2, address: 10.1.0.2, credential: pw, labels: {zone: b}}\n"
    assert admin_api.post("/api/v1/hosts/import/", {"format": "yaml", "text": yaml}, format="json").status_code == 201
    bad = "- {name: web-3, address: 10.1.0.3, credential: pw, labels: 'zone=a b'}\n"
    response = admin_api.post("/api/v1/hosts/import/", {"format": "yaml", "text": bad}, format="json")
    assert response.status_code == 400 and "rows[0].labels" in response.json()["errors"]
    assert dict(Host.objects.values_list("name", "labels")) == {
        "web-1": {"zone": "a", "disk": "ssd"},
        "web-2": {"zone": "b"},
    }
