"""Fixtures for API tests against a real cluster: the tenancy world with a
registered devcluster (tests/rbac) and a namespace provisioned in it; the
devcluster's admin client comes from tests/conftest.py."""

import pytest

from rbac.choices import NamespacePhase
from rbac.reconcile import reconcile_cluster
from tests.rbac.conftest import make_team_namespace, tenancy, unique  # noqa: F401


@pytest.fixture
def ready_ns(tenancy, unique):  # noqa: F811
    """A namespace of team A, provisioned by the reconciler (`tenancy` deletes it afterwards)."""
    namespace = make_team_namespace(tenancy, tenancy.team_a, unique("api-a"))
    reconcile_cluster(cluster=tenancy.cluster, only=[namespace.pk])
    namespace.refresh_from_db()
    assert namespace.phase == NamespacePhase.READY, namespace.conditions
    return namespace
