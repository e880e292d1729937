"""Bulk registration from CSV and YAML: every row or none, an error per row."""

import pytest
from django.test import Client

from hosts import services
from hosts.models import Host

pytestmark = pytest.mark.django_db

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


@pytest.fixture
def admin_api(api, world):
    services.ssh_credential_create(name="pw", kind="password", password="pw-1")
    return api.as_(world.admin)


def _import(client, fmt, text):
    return client.post("/api/v1/hosts/import/", {"format": fmt, "text": text}, format="json")


def test_it_registers_every_row_of_a_csv(admin_api, world):
    text = (
        "name,address,port,username,sudo_mode,credential,cluster,role,known_hosts_line\n"
        "web-1,10.1.0.1,22,portal,sudo_password,pw,prod,worker,\n"
        f"web-2,10.1.0.2,2222,root,none,pw,,,[10.1.0.2]:2222 {KEY}\n"
    )
    response = _import(admin_api, "csv", text)
    assert response.status_code == 201, response.json()
    assert [h["name"] for h in response.json()] == ["web-1", "web-2"]
    web1, web2 = Host.objects.get(name="web-1"), Host.objects.get(name="web-2")
    assert (web1.cluster, web1.role, web1.sudo_mode, web1.host_key) == (world.cluster, "worker", "sudo_password", "")
    assert (web2.port, web2.host_key) == (2222, KEY) and web2.host_key_fingerprint.startswith("SHA256:")


def test_it_registers_none_and_names_each_bad_row(admin_api):
    text = "\n".join(
        [
            "- {name: db-1, address: 10.2.0.1, credential: pw}",
            '- {name: db-2, address: "bad address!", credential: pw}',
            "- {name: db-3, address: 10.2.0.3, credential: nope, port: ssh}",
            "- {name: db-1, address: 10.2.0.4, credential: pw, colour: blue}",
            f'- {{name: db-5, address: 10.2.0.5, credential: pw, known_hosts_line: "10.9.9.9 {KEY}"}}',
        ]
    )
    response = _import(admin_api, "yaml", text)
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "invalid" and "4 of 5 rows" in body["detail"]
    # One error shape: a path per row (0 is the file's first row) and field.
    errors = body["errors"]
    assert sorted({path.split("]")[0] + "]" for path in errors}) == ["rows[1]", "rows[2]", "rows[3]", "rows[4]"]
    assert "rows[1].address" in errors
    assert "rows[2].credential" in errors and "rows[2].port" in errors
    assert "appears twice" in errors["rows[3].name"][0] and "colour" in errors["rows[3]"][0]
    assert "not for" in errors["rows[4].known_hosts_line"][0]
    assert all(isinstance(m, list) and all(isinstance(x, str) for x in m) for m in errors.values())
    assert not Host.objects.exists()  # not even the good first row


@pytest.mark.parametrize(
    ("fmt", "text", "message"),
    [
        ("yaml", "a: [", "could not be read"),
        ("yaml", "just text", "list of hosts"),
        ("csv", "name,address,credential\n", "no hosts"),
    ],
)
def test_it_says_what_is_wrong_with_the_file(admin_api, fmt, text, message):
    response = _import(admin_api, fmt, text)
    assert response.status_code == 400 and message in response.json()["detail"]


@pytest.mark.parametrize("role", ["owner", "developer", "outsider"])
def test_only_platform_admins_import(api, world, role):
    response = _import(api.as_(world.users[role]), "csv", "name,address,credential\nx,10.0.0.1,pw\n")
    assert response.status_code == 403
    assert not Host.objects.exists()


def _logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_page_imports_or_lists_the_errors_per_row(admin_api, world):
    client = _logged_in(world.admin)
    assert "/hosts/import/" in client.get("/hosts/").content.decode()
    bad = client.post(
        "/hosts/import/", {"format": "csv", "text": "name,address,credential\nok,10.3.0.1,pw\nx,10.3.0.2,none\n"}
    )
    assert bad.status_code == 400
    page = bad.content.decode()
    assert "1 of 2 rows have errors" in page and "No SSH credential is named" in page and "10.3.0.2" in page
    assert not Host.objects.exists()
    done = client.post("/hosts/import/", {"format": "csv", "text": "name,address,credential\nok,10.3.0.1,pw\n"})
    assert done.status_code == 302 and Host.objects.filter(name="ok").exists()
    assert _logged_in(world.owner).get("/hosts/import/").status_code == 403
