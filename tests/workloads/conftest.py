"""Fixtures for the kinds' actions against the devcluster: the tenancy world
(tests/rbac) and a ready namespace of team A (tests/api)."""

from tests.api.conftest import ready_ns  # noqa: F401
from tests.rbac.conftest import make_team_namespace, tenancy, unique  # noqa: F401
