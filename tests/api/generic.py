"""Shared API test cases, one subclass per resource (NetBox's ViewTestCases, for pytest).

A resource declares what it is and what every standing role may do with it;
the generic cases below check each cell of that table, the cross-team
isolation of lists and lookups, the one error shape, and the audit trail of
every mutation (denied ones included).

    class TestThings(APIResourceTests):
        url = "/api/v1/things/"
        basename = "thing"            # router basename: audit actions are "thing.create", ...
        kind = "Thing"                # AuditEvent.target_kind
        lookup = "slug"               # attribute used in detail URLs
        matrix = {
            #              list  sees  get  create update delete
            "admin":      (200, "ab", 200, 201,   200,   204),
            ...
        }

        def make_a(self, world): ...   # an object in team A's scope
        def make_b(self, world): ...   # an object in team B's scope
        def create_payload(self, world): ...
        def update_payload(self, world, obj): ...

`sees` lists which of the two objects the role finds in the list ("a", "b",
"ab" or ""). `get` is the status of retrieving object A; retrieving an object
the role does not see answers 404 (or the list's status when the role may not
list at all). Update is a PATCH of object A, delete a DELETE of object A.

Extra actions (`extra_actions`) are `ExtraAction(name, method, expect)`, with
`prepare(obj)` to bring the object into the state the action needs.

Cells that need a real cluster to mean anything (an import, a node cordoned)
name their roles in `live_create` or `ExtraAction(live=...)`: those cases are
marked `devcluster`, `self.devcluster` is the handle, and `prepare` and
`payload` are called as `(obj, devcluster)`. Everything else runs without one.
"""

from dataclasses import dataclass, field

import pytest

from portal.audit import REDACTED, SENSITIVE_KEY
from portal.models import AuditEvent

ROLES = ("admin", "owner", "maintainer", "developer", "viewer", "outsider", "anonymous")
ACTIONS = ("list", "sees", "retrieve", "create", "update", "destroy")
NOT_ALLOWED = 405


def result_of(status_code: int) -> str:
    """What the audit trail must say about a request that got `status_code`."""
    if status_code < 400:
        return "success"
    if status_code in (401, 403):
        return "denied"
    if status_code == 404:
        return "refused"
    if status_code < 500:
        return "invalid"
    return "failed"


def recorded(body):
    """What the audit trail keeps of a JSON request body: every key and item,
    secret-named keys as REDACTED, long strings cut at 200 characters."""
    if isinstance(body, dict):
        return {key: REDACTED if SENSITIVE_KEY.search(key) else recorded(value) for key, value in body.items()}
    if isinstance(body, list):
        return [recorded(item) for item in body]
    if isinstance(body, str) and len(body) > 200:
        return body[:200] + "…"
    return body


def assert_error_shape(response, status_code=None):
    """The one API error body: {"type", "detail", "errors"}."""
    if status_code is not None:
        assert response.status_code == status_code, response.content
    body = response.json()
    assert set(body) == {"type", "detail", "errors"}, body
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict)
    # Flat however deep the field: a path -> its messages (portal.errors.field_errors).
    for path, messages in body["errors"].items():
        assert isinstance(messages, list) and all(isinstance(m, str) for m in messages), (path, body)
    return body


@dataclass
class ExtraAction:
    name: str
    method: str
    expect: dict
    prepare: object = None  # callable(obj) -> None
    payload: object = None  # callable(obj) -> dict, the request body
    audited: bool = True
    success: tuple = field(default=(200, 201, 202, 204))
    live: tuple = ()  # roles whose case runs against the devcluster


class APIResourceTests:
    url: str = ""
    basename: str = ""
    kind: str = ""
    lookup: str = "pk"
    matrix: dict = {}
    extra_actions: tuple = ()
    # Fields of the update payload that the response does not echo back.
    unechoed_fields: tuple = ()
    # Roles whose create case needs the devcluster (see the module docstring).
    live_create: tuple = ()
    devcluster = None

    # --- what a resource declares ---------------------------------------------

    def make_a(self, world):
        raise NotImplementedError

    def make_b(self, world):
        raise NotImplementedError

    def create_payload(self, world) -> dict:
        return {}

    def update_payload(self, world, obj) -> dict:
        return {}

    def audit_name(self, obj) -> str:
        return str(getattr(obj, "slug", None) or getattr(obj, "name", None) or obj.pk)

    def audit_team(self, world, obj):
        """The team the audit event is filed under (None: not checked)."""
        return None

    def assert_destroyed(self, obj):
        assert not type(obj).objects.filter(pk=obj.pk).exists()

    def assert_not_destroyed(self, obj):
        assert type(obj).objects.filter(pk=obj.pk).exists()

    # --- helpers ----------------------------------------------------------------

    def expect(self, role: str, action: str):
        row = self.matrix[role]
        return dict(zip(ACTIONS, row, strict=True))[action]

    def expected_retrieve(self, role: str, which: str) -> int:
        if which == "a":
            return self.expect(role, "retrieve")
        if which in self.expect(role, "sees"):
            return 200
        listed = self.expect(role, "list")
        return 404 if listed == 200 else listed

    def client(self, api, world, role):
        return api.as_(None if role == "anonymous" else world.users[role])

    def detail_url(self, obj, suffix: str = "") -> str:
        return f"{self.url}{getattr(obj, self.lookup)}/{suffix}"

    def audit_events_since(self, last_id):
        return list(AuditEvent.objects.filter(pk__gt=last_id).order_by("pk"))

    def last_audit_id(self) -> int:
        return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def assert_audited(self, last_id, *, world, role, response, action, obj=None, name=None, payload=None):
        """Exactly one AuditEvent, naming who did what to what, and how it ended."""
        events = self.audit_events_since(last_id)
        assert len(events) == 1, [(e.action, e.result) for e in events]
        event = events[0]
        user = None if role == "anonymous" else world.users[role]
        assert event.actor_name == (user.username if user else "")
        assert event.actor_id == (user.pk if user else None)
        assert event.channel == "api"
        assert event.status_code == response.status_code
        assert event.result == result_of(response.status_code), (event.result, response.status_code)
        if response.status_code == NOT_ALLOWED:
            return event
        assert event.action == f"{self.basename}.{action}", event.action
        assert event.target_kind == self.kind
        if name is not None:
            assert event.target_name == name, (event.target_name, name)
        elif obj is not None:
            # A request refused before the lookup names what the URL named.
            assert event.target_name in {self.audit_name(obj), str(getattr(obj, self.lookup))}, event.target_name
        if obj is not None and response.status_code < 400:
            team = self.audit_team(world, obj)
            # A deleted team is named by target_name only.
            if team is not None and type(team).objects.filter(pk=team.pk).exists():
                assert event.team_id == team.pk
        # Every key of the request body, with its secrets redacted.
        assert event.request_summary == recorded(payload or {}), (event.request_summary, payload)
        return event

    @pytest.fixture
    def objects(self, world):
        return self.make_a(world), self.make_b(world)

    @pytest.fixture(autouse=True)
    def _live(self, request):
        if request.node.get_closest_marker("devcluster"):
            self.devcluster = request.getfixturevalue("devcluster")

    def _call(self, function, obj):
        return function(obj, self.devcluster) if self.devcluster is not None else function(obj)

    # --- the generic cases -------------------------------------------------------

    @pytest.mark.parametrize("role", ROLES)
    def test_it_lists_only_what_the_role_may_see(self, role, world, api, objects):
        obj_a, obj_b = objects
        response = self.client(api, world, role).get(self.url)
        assert response.status_code == self.expect(role, "list"), response.content
        if response.status_code != 200:
            assert_error_shape(response)
            return
        body = response.json()
        # Keyset-paged lists (the audit trail) have no count.
        assert set(body) >= {"next", "previous", "results"}
        ids = {item["id"] for item in body["results"]}
        seen = "".join(which for which, obj in (("a", obj_a), ("b", obj_b)) if obj.pk in ids)
        assert seen == self.expect(role, "sees"), f"{role} sees {seen!r}"

    @pytest.mark.parametrize("role", ROLES)
    def test_it_retrieves_only_what_the_role_may_see(self, role, world, api, objects):
        client = self.client(api, world, role)
        for which, obj in zip("ab", objects, strict=True):
            response = client.get(self.detail_url(obj))
            assert response.status_code == self.expected_retrieve(role, which), (which, response.content)
            if response.status_code == 200:
                assert response.json()["id"] == obj.pk
            else:
                assert_error_shape(response)

    def test_it_answers_anonymous_and_role_checks_on_create(self, role, world, api, objects):
        payload = self.create_payload(world)
        last = self.last_audit_id()
        response = self.client(api, world, role).post(self.url, payload, format="json")
        assert response.status_code == self.expect(role, "create"), response.content
        event = self.assert_audited(last, world=world, role=role, response=response, action="create", payload=payload)
        if response.status_code == 201:
            body = response.json()
            # The new object is in the creator's scope (NetBox re-checks after save).
            again = self.client(api, world, role).get(self.detail_url_from_body(body))
            assert again.status_code == 200, again.content
            assert event.target_name, "a create names its target"
        else:
            assert_error_shape(response)

    def detail_url_from_body(self, body) -> str:
        key = "slug" if self.lookup == "slug" else "id"
        return f"{self.url}{body[key]}/"

    @pytest.mark.parametrize("role", ROLES)
    def test_it_answers_role_checks_on_update(self, role, world, api, objects):
        obj_a, _ = objects
        payload = self.update_payload(world, obj_a)
        last = self.last_audit_id()
        response = self.client(api, world, role).patch(self.detail_url(obj_a), payload, format="json")
        assert response.status_code == self.expect(role, "update"), response.content
        self.assert_audited(
            last,
            world=world,
            role=role,
            response=response,
            action="partial_update",
            obj=obj_a,
            payload=payload,
            name=self.audit_name(type(obj_a).objects.get(pk=obj_a.pk)) if response.status_code == 200 else None,
        )
        if response.status_code == 200:
            body = response.json()
            for key, value in payload.items():
                if key not in self.unechoed_fields:
                    assert body[key] == value, (key, body[key], value)
        else:
            assert_error_shape(response)

    @pytest.mark.parametrize("role", ROLES)
    def test_it_answers_role_checks_on_delete(self, role, world, api, objects):
        obj_a, _ = objects
        name = self.audit_name(obj_a)
        last = self.last_audit_id()
        response = self.client(api, world, role).delete(self.detail_url(obj_a))
        assert response.status_code == self.expect(role, "destroy"), response.content
        self.assert_audited(
            last,
            world=world,
            role=role,
            response=response,
            action="destroy",
            obj=obj_a,
            name=name if response.status_code == 204 else None,
        )
        if response.status_code == 204:
            self.assert_destroyed(obj_a)
        else:
            assert_error_shape(response)
            self.assert_not_destroyed(obj_a)

    def test_it_never_writes_across_teams(self, role, world, api, objects):
        """An object the role cannot see can be neither changed nor deleted,
        and the answer does not tell it exists (run for the roles that do not
        see object B; see `cases`)."""
        _, obj_b = objects
        client = self.client(api, world, role)
        before = self.snapshot(obj_b)
        response = client.patch(self.detail_url(obj_b), self.update_payload(world, obj_b), format="json")
        assert response.status_code in (401, 403, 404, NOT_ALLOWED), response.content
        assert_error_shape(response)
        response = client.delete(self.detail_url(obj_b))
        assert response.status_code in (401, 403, 404, NOT_ALLOWED), response.content
        assert_error_shape(response)
        self.assert_not_destroyed(obj_b)
        assert self.snapshot(obj_b) == before
        for extra in self.extra_actions:
            if extra.method != "get":
                response = getattr(client, extra.method)(self.detail_url(obj_b, f"{extra.name}/"), format="json")
                assert response.status_code in (401, 403, 404), (extra.name, response.content)
        assert self.snapshot(obj_b) == before

    def snapshot(self, obj):
        fresh = type(obj)._base_manager.get(pk=obj.pk)
        return {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields}

    @classmethod
    def cases(cls, test_name: str) -> list | None:
        """The parameters of a generic case that takes them (None: it takes
        none). Only cases that apply are generated: no extra actions, no
        extra-action cases; a role that sees object B has no cross-team case."""
        live = pytest.mark.devcluster
        if test_name == "test_it_answers_role_checks_on_extra_actions":
            return [
                pytest.param(role, extra, id=f"{extra.name}-{role}", marks=[live] if role in extra.live else [])
                for extra in cls.extra_actions
                for role in ROLES
            ]
        if test_name == "test_it_never_writes_across_teams":
            return [role for role in ROLES if "b" not in cls.matrix[role][ACTIONS.index("sees")]]
        if test_name == "test_it_answers_anonymous_and_role_checks_on_create":
            return [pytest.param(role, id=role, marks=[live] if role in cls.live_create else []) for role in ROLES]
        return None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # A case with no parameters that apply is not collected (rather than
        # collected and skipped as an empty parameter set).
        for name in ("test_it_answers_role_checks_on_extra_actions", "test_it_never_writes_across_teams"):
            if cls.matrix and not cls.cases(name):
                setattr(cls, name, None)

    def pytest_generate_tests(self, metafunc):
        cases = self.cases(metafunc.function.__name__)
        if cases is not None:
            metafunc.parametrize(("role", "extra") if "extra" in metafunc.fixturenames else "role", cases)

    def test_it_answers_role_checks_on_extra_actions(self, role, extra, world, api, objects):
        obj_a, _ = objects
        if extra.prepare:
            self._call(extra.prepare, obj_a)
        last = self.last_audit_id()
        client = self.client(api, world, role)
        body = self._call(extra.payload, obj_a) if extra.payload else None
        response = getattr(client, extra.method)(self.detail_url(obj_a, f"{extra.name}/"), body, format="json")
        assert response.status_code == extra.expect[role], response.content
        if response.status_code >= 400:
            assert_error_shape(response)
        if extra.method != "get" and extra.audited:
            self.assert_audited(
                last, world=world, role=role, response=response, action=extra.name, obj=obj_a, payload=body
            )
        elif extra.method == "get":
            assert self.audit_events_since(last) == []
