"""A schema-driven fuzzing run over every operation of the API (schemathesis):
requests generated from the OpenAPI schema, sent to the portal as a platform
admin, and every answer checked against the same schema. It fails on a
server error, an answer outside its schema, an undocumented status code or a
wrong content type, so the contract that clients are generated from stays true.

The world is `world`'s (two teams, a cluster without credentials), so calls
that reach a cluster answer its documented errors. (One test drives every
operation: schemathesis's pytest plugin does not run under pytest 9 yet.)"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from rbac.models import ApiToken

# Enough to find the shapes each operation answers with, at a CI-friendly size.
EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def admin_token(world) -> str:
    key = ApiToken.generate_key()
    ApiToken.objects.create(user=world.admin, name="fuzz", key_prefix=key[:12], key_hash=ApiToken.hash_key(key))
    return key


@pytest.fixture
def api_schema(admin_token):
    # The portal's own WSGI handler closes the database connection after each
    # request; the test's transaction lives on it (Django's test client does the same).
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    headers = {"Authorization": f"Bearer {admin_token}"}
    yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, headers=headers)
    for signal in signals:
        signal.connect(close_old_connections)


def test_every_operation_answers_as_the_schema_says(api_schema, admin_token):
    headers = {"Authorization": f"Bearer {admin_token}"}
    failures, tried = {}, 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        tried += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,  # the same requests every run: a failure here is reproducible
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failure, not only the first
            failures[f"{operation.method.upper()} {operation.path}"] = str(exc)[:2000]
    assert tried > 90
    assert not failures, "\n\n".join(f"{name}:\n{message}" for name, message in failures.items())
