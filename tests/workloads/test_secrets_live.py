"""Secrets against the devcluster: their values hidden in lists, pages, API
answers and the audit trail; revealed only when asked, as the API server
allows (a viewer's `view` role reads no Secrets), and the asking audited."""

import base64
import html
import json
import re
from functools import partial

import pytest
import yaml

from clusters import kube
from portal.audit import redact
from portal.models import AuditEvent
from tests.api.generic import assert_error_shape
from tests.workloads import addresses
from tests.workloads.addresses import page_client
from workloads import objects
from workloads.kinds import KINDS

pytestmark = pytest.mark.devcluster

SECRETS = KINDS["secrets"]
PASSWORD, TOKEN = "hunter2-correct-horse", "tok-0123456789"
BINARY = bytes(range(250, 256))
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def url(namespace, tail=""):
    return addresses.api_url(namespace, "secrets", tail)


def page_url(namespace, tail=""):
    return addresses.page_url(namespace, "secrets", tail)


def manifest(name: str) -> dict:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name},
        "type": "Opaque",
        "stringData": {"db-password": PASSWORD},
        "data": {"api": base64.b64encode(TOKEN.encode()).decode(), "blob": base64.b64encode(BINARY).decode()},
    }
    # As `kubectl apply` would leave it: the whole manifest, values included.
    secret["metadata"]["annotations"] = {LAST_APPLIED: json.dumps(secret)}
    return secret


def assert_no_values(text: str):
    for secret in (PASSWORD, TOKEN, base64.b64encode(TOKEN.encode()).decode(), base64.b64encode(BINARY).decode()):
        assert secret not in text


def last_event():
    return AuditEvent.objects.latest("pk")


def test_a_secret_s_values_are_hidden_in_answers_pages_and_the_audit(api, tenancy, ready_ns, unique):
    name = unique("secret")
    developer = partial(api.as_, tenancy.developer)

    # Applied as JSON: the answer names the keys and hides the values; so does the audit.
    response = developer().post(url(ready_ns, "apply/"), {"documents": [manifest(name)]}, format="json")
    assert response.status_code == 201, response.content
    assert_no_values(response.content.decode())
    applied = response.json()["results"][0]["object"]
    assert set(applied["data"]) == {"db-password", "api", "blob"}
    assert set(applied["data"].values()) == {"(hidden)"}
    event = last_event()
    assert (event.action, event.target_kind, event.target_name) == ("secret.apply", "Secret", name)
    assert_no_values(json.dumps(event.request_summary))
    (document,) = event.request_summary["documents"]
    assert document["stringData"] == {"db-password": "[redacted]"}
    assert document["metadata"]["annotations"][LAST_APPLIED] == "[redacted]"

    # Applied again as YAML text through the page: the audit keeps the keys, not the values.
    text = yaml.safe_dump(manifest(name))
    again = page_client(tenancy.developer).post(page_url(ready_ns, "new/"), {"manifest": text, "apply": "1"})
    assert again.status_code == 302, again.content
    event = last_event()
    assert event.action == "secret.apply" and event.result == "success"
    assert_no_values(json.dumps(event.request_summary))
    assert event.request_summary["manifest"][0]["data"] == {"api": "[redacted]", "blob": "[redacted]"}

    # The list row: type and key count; the object: keys, values hidden (the annotation too).
    row = developer().get(url(ready_ns), {"name": name}).json()["items"][0]
    assert row["columns"]["type"] == "Opaque" and row["columns"]["keys"] == 3
    detail = developer().get(url(ready_ns, f"{name}/"))
    assert_no_values(detail.content.decode())
    obj = detail.json()["object"]
    assert obj["data"] == {"api": "(hidden)", "blob": "(hidden)", "db-password": "(hidden)"}
    assert obj["metadata"]["annotations"][LAST_APPLIED] == "(hidden)"

    # The page: keys, no values, and the reveal form.
    page = page_client(tenancy.developer).get(page_url(ready_ns, f"{name}/"))
    assert page.status_code == 200
    body = page.content.decode()
    assert_no_values(body)
    assert "db-password: (hidden)" in body and 'id="reveal-form"' in body
    listed = page_client(tenancy.developer).get(page_url(ready_ns), {"name": name}).content.decode()
    assert_no_values(listed)
    assert 'id="values-hidden"' in listed


def test_reveal_answers_the_values_as_the_api_server_allows_and_is_audited(api, tenancy, ready_ns, unique):
    name = unique("secret")
    developer = partial(api.as_, tenancy.developer)
    assert developer().post(url(ready_ns, "apply/"), manifest(name), format="json").status_code == 201

    revealed = developer().post(url(ready_ns, f"{name}/reveal/"), {}, format="json")
    assert revealed.status_code == 200, revealed.content
    answer = revealed.json()
    assert answer["values"] == {
        "api": TOKEN,
        "blob": base64.b64encode(BINARY).decode(),  # bytes that are not text stay base64
        "db-password": PASSWORD,
    }
    assert answer["binary"] == ["blob"]
    event = last_event()
    assert (event.action, event.result, event.target_kind, event.target_name, event.actor) == (
        "secret.reveal",
        "success",
        "Secret",
        name,
        tenancy.developer,
    )
    assert_no_values(json.dumps(event.request_summary))

    one = developer().post(url(ready_ns, f"{name}/reveal/"), {"key": "api"}, format="json")
    assert one.status_code == 200 and one.json()["values"] == {"api": TOKEN}
    missing = assert_error_shape(
        developer().post(url(ready_ns, f"{name}/reveal/"), {"key": "nope"}, format="json"), 400
    )
    assert "has no key nope" in missing["errors"]["key"][0]
    assert assert_error_shape(developer().get(url(ready_ns, f"{name}/reveal/")), 405)

    # A viewer may ask, and the API server refuses: Kubernetes' view role reads no Secrets.
    refused = assert_error_shape(api.as_(tenancy.viewer).post(url(ready_ns, f"{name}/reveal/"), {}, format="json"), 403)
    assert "Forbidden by the cluster" in refused["detail"] and PASSWORD not in refused["detail"]
    assert (last_event().action, last_event().result, last_event().actor) == (
        "secret.reveal",
        "denied",
        tenancy.viewer,
    )
    with kube.client_for(tenancy.cluster) as client:  # the portal's own credential reads it
        assert objects.get_object(client, SECRETS, ready_ns.name, name)["data"]["api"]

    # Another team's member finds no such namespace.
    other = api.as_(tenancy.users["b-owner"]).post(url(ready_ns, f"{name}/reveal/"), {}, format="json")
    assert_error_shape(other, 404)

    # Through the page without JavaScript: the POST answers the values, shown once, and is audited the same.
    browser = page_client(tenancy.developer)
    page = browser.post(page_url(ready_ns, f"{name}/reveal/"), {"key": "api"})
    assert page.status_code == 200
    shown = re.search(
        r'<table class="objects compact" id="secret-values-table">(.*?)</table>', page.content.decode(), re.S
    )
    assert shown and re.findall(r"<td>([^<]*)</td><td><code>([^<]*)</code>", shown.group(1)) == [("api", TOKEN)]
    assert "no-store" in page["Cache-Control"] and "private" in page["Cache-Control"]
    event = last_event()
    assert (event.action, event.result, event.target_name, event.channel) == ("secret.reveal", "success", name, "ui")
    assert_no_values(json.dumps(event.request_summary))
    # Kept nowhere: no message waits in the session for the next page, which shows none of them.
    assert_no_values(str(dict(browser.session.items())) + str(browser.cookies))
    assert_no_values(browser.get(page_url(ready_ns, f"{name}/")).content.decode())
    every = browser.post(page_url(ready_ns, f"{name}/reveal/"), {})
    values = dict(re.findall(r"<td>([^<]*)</td><td><code>([^<]*)</code>", html.unescape(every.content.decode())))
    assert values == {"api": TOKEN, "blob": base64.b64encode(BINARY).decode(), "db-password": PASSWORD}
    assert "(bytes, in base64)" in every.content.decode()
    missing_page = browser.post(page_url(ready_ns, f"{name}/reveal/"), {"key": "nope"})
    assert missing_page.status_code == 400 and "has no key nope" in missing_page.content.decode()
    viewer_page = page_client(tenancy.viewer).post(page_url(ready_ns, f"{name}/reveal/"), {})
    assert viewer_page.status_code == 403 and PASSWORD not in viewer_page.content.decode()

    assert developer().delete(url(ready_ns, f"{name}/")).status_code == 204


def test_the_audit_summary_of_a_secret_manifest_keeps_its_keys_only():
    secret = manifest("s")
    as_json = redact({"documents": [secret, {"kind": "ConfigMap", "data": {"plain": "shown"}}]})
    assert as_json["documents"][0]["data"] == {"api": "[redacted]", "blob": "[redacted]"}
    assert as_json["documents"][1]["data"] == {"plain": "shown"}  # only Secrets' data is secret
    as_text = redact({"yaml": yaml.safe_dump_all([secret, {"kind": "ConfigMap"}])})
    assert_no_values(json.dumps(as_text))
    assert as_text["yaml"][0]["stringData"] == {"db-password": "[redacted]"}
    # Text that names a Secret but cannot be read as YAML is not recorded at all.
    broken = redact({"manifest": f"kind: Secret\nstringData: {{pw: {PASSWORD}\n"})
    assert broken == {"manifest": "[redacted]"}
    aliased = redact({"manifest": f"kind: Secret\na: &x {PASSWORD}\nb: *x\n"})
    assert aliased == {"manifest": "[redacted]"}
