"""Shared fixtures: standing users of every role, records, API clients, and
the real services (Redis, the devcluster, the browser)."""

import os
from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

pytest_plugins = [
    "devcluster.pytest_plugin",
    "testhosts.pytest_plugin",
    "tests.support.services",
    "tests.support.celery_worker",
]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness costs seconds per fixture; tests don't need it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language_between_tests():
    # A request in Chinese leaves its language active in the thread (LocaleMiddleware
    # activates, nothing deactivates): the next test must not inherit it.
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    # API throttle counters live in the cache: one test's requests must not count against the next's.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def jobs_in_process(monkeypatch):
    """The test runs jobs itself (jobs.runner.job_run): committed jobs are not
    sent to a broker."""
    monkeypatch.setattr("jobs.services.job_run.apply_async", lambda *a, **k: None)


@pytest.fixture
def make_user(django_user_model):
    def make(username, *, staff=False):
        return django_user_model.objects.create_user(
            username=username, password=PASSWORD, is_staff=staff, email=f"{username}@example.test"
        )

    return make


@pytest.fixture
def world(db, make_user):
    """Two teams, one cluster, a plan, a namespace each, and the standing users:
    admin, owner / maintainer / developer / viewer of team A, and an outsider
    (owner of team B)."""
    from clusters.models import Cluster
    from portal.roles import TeamRole
    from portal.teams import Membership, Team
    from rbac.choices import NamespacePhase
    from rbac.models import QuotaPlan, TeamNamespace

    cluster = Cluster.objects.create(name="Prod", slug="prod")
    plan = QuotaPlan.objects.create(
        name="Small",
        slug="small",
        requests_cpu="2",
        requests_memory="4Gi",
        limits_cpu="4",
        limits_memory="8Gi",
        pods=20,
    )
    team_a = Team.objects.create(name="Team A", slug="team-a")
    team_b = Team.objects.create(name="Team B", slug="team-b")
    users = {
        "admin": make_user("admin", staff=True),
        "owner": make_user("owner"),
        "maintainer": make_user("maintainer"),
        "developer": make_user("developer"),
        "viewer": make_user("viewer"),
        "outsider": make_user("outsider"),
    }
    for role in (TeamRole.OWNER, TeamRole.MAINTAINER, TeamRole.DEVELOPER, TeamRole.VIEWER):
        Membership.objects.create(team=team_a, user=users[role.value], role=role)
    Membership.objects.create(team=team_b, user=users["outsider"], role=TeamRole.OWNER)
    ns_a = TeamNamespace.objects.create(
        team=team_a, cluster=cluster, name="team-a-dev", plan=plan, phase=NamespacePhase.READY
    )
    ns_b = TeamNamespace.objects.create(
        team=team_b, cluster=cluster, name="team-b-dev", plan=plan, phase=NamespacePhase.READY
    )
    return SimpleNamespace(
        cluster=cluster, plan=plan, team_a=team_a, team_b=team_b, ns_a=ns_a, ns_b=ns_b, users=users, **users
    )


# --- the devcluster (helpers in tests/support/live.py) ------------------------------
# Everything a fixture here makes in the shared devcluster is deleted when the
# test ends, so no test depends on what an earlier one left.


@pytest.fixture
def admin_kubeconfig(devcluster) -> str:
    from tests.support import live

    return live.admin_kubeconfig(devcluster)


@pytest.fixture
def admin(admin_kubeconfig):
    """The portal's client (clusters.kube) with the devcluster admin's credentials."""
    from clusters import kube

    with kube.client_from_kubeconfig(admin_kubeconfig) as client:
        yield client


@pytest.fixture
def make_namespace(admin):
    """`make_namespace(prefix)`: a namespace of the test's own, deleted afterwards."""
    from tests.support import live

    made = []

    def make(prefix="t"):
        made.append(live.create_namespace(admin.core, prefix))
        return made[-1]

    yield make
    for name in made:
        live.delete_namespace(admin.core, name)


@pytest.fixture
def namespace(make_namespace):
    return make_namespace()


@pytest.fixture
def cluster_admin_token(devcluster):
    """`cluster_admin_token()` -> (kubeconfig, token) of a new ServiceAccount
    bound to cluster-admin; both objects are deleted afterwards."""
    from tests.support import live

    made = []

    def make(prefix="portal-api"):
        made.append(live.unique(prefix))
        return live.token_kubeconfig(devcluster, made[-1])

    yield make
    for name in made:
        live.delete_token_identity(devcluster, name)


@pytest.fixture
def api():
    """An API client; `api.as_(user)` logs in through the session."""
    client = APIClient()

    def as_(user):
        client.logout()
        if user is not None:
            client.force_authenticate(user=user)
        return client

    client.as_ = as_
    return client


@pytest.fixture
def portal_cleanup(devcluster):
    """Request it before registering the devcluster as a cluster: when the
    test ends, the namespaces and member identities the portal made there for
    the test's records are deleted (tests.support.live.delete_portal_objects)."""
    from tests.support import live

    yield
    live.delete_portal_objects(devcluster)
