"""Every write of the API is audited once, and no secret reaches the trail.

The operations come from the OpenAPI schema, not from a list kept here, so a
new endpoint is called as soon as it is documented (and the schema test
requires every route to be documented). Each is called as a platform admin
with a body full of secret-looking values; whatever it answers (created,
refused, not found, invalid), exactly one audit event must record it, with
its method's action, the admin as actor, and none of the secret values.
"""

import json
import re

from drf_spectacular.generators import SchemaGenerator

from portal.models import AuditEvent

UNSAFE = ("post", "put", "patch", "delete")
SECRET = "s3cr3t-Value-that-must-never-be-stored"
# Keys the audit redacts by name, and a Secret manifest whose values it hides.
BODY = {
    "password": SECRET,
    "kubeconfig": SECRET,
    "private_key": SECRET,
    "token": SECRET,
    "passphrase": SECRET,
    "documents": [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"k": SECRET}}],
    "name": "audit-check",
}


def operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, methods in sorted(schema["paths"].items()):
        for method in methods:
            if method in UNSAFE:
                # Ids are digits; slugs, names, kinds and actions take letters: nothing by those exists.
                filled = re.sub(
                    r"\{([^}]+)\}",
                    lambda m: "9999" if m[1] in ("id", "pk") or m[1].endswith("_pk") else "nothing",
                    path,
                )
                yield method, filled


def test_every_write_of_the_api_is_audited_once_without_secrets(world, api):
    client = api.as_(world.admin)
    calls = list(operations())
    assert len(calls) > 60, calls
    missing, twice, leaked = [], [], []
    for method, path in calls:
        before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        response = getattr(client, method)(path, BODY, format="json")
        assert response.status_code < 500, (method, path, response.status_code, response.content[:300])
        events = list(AuditEvent.objects.filter(pk__gt=before))
        if not events:
            missing.append((method, path, response.status_code))
            continue
        if len(events) > 1:
            twice.append((method, path, [e.action for e in events]))
        for event in events:
            stored = json.dumps(
                [event.request_summary, event.action, event.target_name, event.target_namespace, event.target_kind]
            )
            if SECRET in stored:
                leaked.append((method, path, event.action))
            assert event.actor_id == world.admin.pk and event.status_code == response.status_code, (method, path)
    assert missing == [], f"writes with no audit event: {missing}"
    assert twice == [], f"writes with more than one audit event: {twice}"
    assert leaked == [], f"secrets in the audit trail: {leaked}"
