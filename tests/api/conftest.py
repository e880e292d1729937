"""Fixtures for API tests against a real cluster: the devcluster's admin client
(tests/clusters) and the tenancy world with a registered devcluster (tests/rbac)."""

from tests.clusters.conftest import admin, admin_kubeconfig  # noqa: F401
from tests.rbac.conftest import tenancy, unique  # noqa: F401
