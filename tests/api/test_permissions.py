"""Every API resource through the shared generic cases: who may list, read,
create, change and delete what, cross-team isolation, and the audit trail."""

import pytest
from django.contrib.auth import get_user_model

from clusters.models import Cluster, Node
from hosts.models import Host, SSHCredential
from jobs.choices import JobStatus, StepStatus
from jobs.models import Job, JobEvent, JobStep
from portal.audit import audit_record
from portal.roles import TeamRole
from portal.teams import Membership, Team
from rbac.choices import NamespacePhase
from rbac.grants import ClusterGrant
from rbac.models import ApiToken, QuotaChangeRequest, QuotaPlan, TeamNamespace
from rbac.services import api_token_create
from tests.api.generic import APIResourceTests, ExtraAction
from tests.support import credentials, live

ANON = (401, "", 401, 401, 401, 401)
NOBODY = (403, "", 403, 403, 403, 403)
# Platform-admin actions: every other role is refused before the lookup.
ADMIN_ONLY = {"owner": 403, "maintainer": 403, "developer": 403, "viewer": 403, "outsider": 403, "anonymous": 401}


def cluster_for(team, slug):
    """A cluster the team sees because it may request namespaces on it."""
    cluster = Cluster.objects.create(name=slug.title(), slug=slug)
    team.allowed_clusters.add(cluster)
    return cluster


def team_like(world, slug, members):
    team = Team.objects.create(name=slug.title(), slug=slug)
    for username, role in members.items():
        Membership.objects.create(team=team, user=world.users[username], role=role)
    return team


def credential(name):
    return SSHCredential.objects.create(name=name, kind="password", password="pw-" + name)


class TestClusters(APIResourceTests):
    url = "/api/v1/clusters/"
    basename = "cluster"
    kind = "Cluster"
    lookup = "slug"
    matrix = {
        #              list  sees  get  create update delete
        "admin": (200, "ab", 200, 201, 200, 204),
        "owner": (200, "a", 200, 403, 403, 403),
        "maintainer": (200, "a", 200, 403, 403, 403),
        "developer": (200, "a", 200, 403, 403, 403),
        "viewer": (200, "a", 200, 403, 403, 403),
        "outsider": (200, "b", 404, 403, 403, 403),
        "anonymous": ANON,
    }

    # An import is saved only when the cluster answers: the admin's cell imports
    # the devcluster for real. The others are refused before any connection.
    live_create = ("admin",)
    extra_actions = (
        ExtraAction(
            "credentials",
            "post",
            {"admin": 200} | ADMIN_ONLY,
            payload=lambda cluster, devcluster=None: {
                "kubeconfig": live.cert_kubeconfig(devcluster) if devcluster else credentials.kubeconfig()
            },
            live=("admin",),
        ),
        ExtraAction(
            "check",
            "post",
            {"admin": 200} | ADMIN_ONLY,
            prepare=lambda cluster, devcluster=None: (
                devcluster and live.set_credentials(cluster, live.admin_kubeconfig(devcluster))
            ),
            live=("admin",),
        ),
        # Queued after commit: the cell needs no cluster (tests/rbac/test_reconcile_now.py runs one).
        ExtraAction("reconcile", "post", {"admin": 202} | ADMIN_ONLY),
        ExtraAction(
            "health",
            "get",
            {"admin": 200, "owner": 200, "maintainer": 200, "developer": 200, "viewer": 200}
            | {"outsider": 404, "anonymous": 401},
        ),
    )

    def make_a(self, world):
        return cluster_for(world.team_a, "alpha")

    def make_b(self, world):
        return cluster_for(world.team_b, "beta")

    def create_payload(self, world):
        kubeconfig = live.admin_kubeconfig(self.devcluster) if self.devcluster else credentials.kubeconfig()
        return {"name": "Gamma", "slug": "gamma", "description": "a new one", "kubeconfig": kubeconfig}

    def update_payload(self, world, obj):
        return {"description": "changed"}


def _real_node(node, devcluster=None):
    """Point the node's cluster at the devcluster and the row at a Node object of
    the test's own there (created by TestNodes.live_node)."""
    if devcluster:
        live.set_credentials(node.cluster, live.admin_kubeconfig(devcluster))
        Node.objects.filter(pk=node.pk).update(name=TestNodes.live_name)
        node.name = TestNodes.live_name


class TestNodes(APIResourceTests):
    url = "/api/v1/nodes/"
    basename = "node"
    kind = "Node"
    live_name = ""
    extra_actions = (
        ExtraAction("cordon", "post", {"admin": 200} | ADMIN_ONLY, prepare=_real_node, live=("admin",)),
        ExtraAction("uncordon", "post", {"admin": 200} | ADMIN_ONLY, prepare=_real_node, live=("admin",)),
        # A drain is a job: enqueued after commit, so the cell needs no cluster.
        ExtraAction("drain", "post", {"admin": 202} | ADMIN_ONLY, payload=lambda node: {"timeout_seconds": 60}),
        ExtraAction(
            "labels",
            "put",
            {"admin": 200} | ADMIN_ONLY,
            prepare=_real_node,
            payload=lambda node, devcluster=None: {"labels": {"portal-test": "api", "tier": "gold"}},
            live=("admin",),
        ),
        ExtraAction(
            "taints",
            "put",
            {"admin": 200} | ADMIN_ONLY,
            prepare=_real_node,
            payload=lambda node, devcluster=None: {
                "taints": [{"key": "dedicated", "value": "x", "effect": "NoSchedule"}]
            },
            live=("admin",),
        ),
        ExtraAction("pods", "get", {"admin": 200} | ADMIN_ONLY, prepare=_real_node, live=("admin",)),
    )

    @pytest.fixture(autouse=True)
    def live_node(self, _live):
        if self.devcluster is None:
            yield
            return
        TestNodes.live_name = live.create_node(self.devcluster)
        yield
        live.delete_node(self.devcluster, TestNodes.live_name)

    matrix = {
        "admin": (200, "ab", 200, 405, 405, 405),
        "owner": (200, "a", 200, 405, 405, 405),
        "maintainer": (200, "a", 200, 405, 405, 405),
        "developer": (200, "a", 200, 405, 405, 405),
        "viewer": (200, "a", 200, 405, 405, 405),
        "outsider": (200, "b", 404, 405, 405, 405),
        "anonymous": ANON,
    }

    def make_a(self, world):
        return Node.objects.create(cluster=cluster_for(world.team_a, "alpha"), name="node-a", ready=True)

    def make_b(self, world):
        return Node.objects.create(cluster=cluster_for(world.team_b, "beta"), name="node-b", ready=True)


class TestHosts(APIResourceTests):
    url = "/api/v1/hosts/"
    basename = "host"
    kind = "Host"
    matrix = {
        "admin": (200, "ab", 200, 201, 200, 204),
        "owner": NOBODY,
        "maintainer": NOBODY,
        "developer": NOBODY,
        "viewer": NOBODY,
        "outsider": NOBODY,
        "anonymous": ANON,
    }

    def make_a(self, world):
        return Host.objects.create(name="host-a", address="10.0.0.1", credential=credential("cred-a"))

    def make_b(self, world):
        return Host.objects.create(name="host-b", address="10.0.0.2", credential=credential("cred-b"))

    def create_payload(self, world):
        credential("cred-new")
        return {"name": "host-c", "address": "10.0.0.3", "credential": "cred-new", "username": "ubuntu"}

    def update_payload(self, world, obj):
        return {"port": 2222}

    def audit_name(self, obj):
        return obj.name


class TestSSHCredentials(APIResourceTests):
    url = "/api/v1/ssh-credentials/"
    basename = "sshcredential"
    kind = "SSHCredential"
    matrix = TestHosts.matrix

    def make_a(self, world):
        return credential("cred-a")

    def make_b(self, world):
        return credential("cred-b")

    def create_payload(self, world):
        return {"name": "cred-new", "kind": "password", "password": "not-in-any-output"}

    def update_payload(self, world, obj):
        return {"name": "cred-renamed"}


class TestTeams(APIResourceTests):
    url = "/api/v1/teams/"
    basename = "team"
    kind = "Team"
    lookup = "slug"
    matrix = {
        "admin": (200, "ab", 200, 201, 200, 204),
        "owner": (200, "a", 200, 403, 200, 403),
        "maintainer": (200, "a", 200, 403, 403, 403),
        "developer": (200, "a", 200, 403, 403, 403),
        "viewer": (200, "a", 200, 403, 403, 403),
        "outsider": (200, "b", 404, 403, 404, 403),
        "anonymous": ANON,
    }

    extra_actions = (
        ExtraAction(
            "quota",
            "get",
            {"admin": 200, "owner": 200, "maintainer": 200, "developer": 200, "viewer": 200}
            | {"outsider": 404, "anonymous": 401},
        ),
        # Members only (a platform admin outside the team too is refused). The
        # members' cells reach for a cluster that does not answer (503);
        # tests/api/test_live.py downloads a working one.
        ExtraAction(
            "kubeconfig",
            "post",
            {"admin": 403, "owner": 503, "maintainer": 503, "developer": 503, "viewer": 503}
            | {"outsider": 404, "anonymous": 401},
            prepare=lambda team: _in_unreachable_cluster(
                TeamNamespace.objects.create(
                    team=team, cluster=world_cluster(), name=f"{team.slug}-dev", plan=QuotaPlan.objects.first()
                )
            ),
        ),
    )

    def make_a(self, world):
        roles = ("owner", "maintainer", "developer", "viewer")
        return team_like(world, "team-c", {r: r for r in roles})

    def make_b(self, world):
        return team_like(world, "team-d", {"outsider": TeamRole.OWNER})

    def create_payload(self, world):
        return {"name": "Team E", "slug": "team-e", "max_namespaces": 3}

    def update_payload(self, world, obj):
        return {"description": "changed"}

    def audit_team(self, world, obj):
        return obj


class TestMemberships(APIResourceTests):
    url = "/api/v1/memberships/"
    basename = "membership"
    kind = "Membership"
    matrix = {
        "admin": (200, "ab", 200, 201, 200, 204),
        "owner": (200, "a", 200, 201, 200, 204),
        "maintainer": (200, "a", 200, 403, 403, 403),
        "developer": (200, "a", 200, 403, 403, 403),
        "viewer": (200, "a", 200, 403, 403, 403),
        # Team A is not one the outsider can name: a field error, not a hint it exists.
        "outsider": (200, "b", 404, 400, 404, 404),
        "anonymous": ANON,
    }

    def make_a(self, world):
        user = get_user_model().objects.create_user("member-a")
        return Membership.objects.create(team=world.team_a, user=user, role=TeamRole.DEVELOPER)

    def make_b(self, world):
        user = get_user_model().objects.create_user("member-b")
        return Membership.objects.create(team=world.team_b, user=user, role=TeamRole.DEVELOPER)

    def create_payload(self, world):
        get_user_model().objects.get_or_create(username="newbie")
        return {"team": "team-a", "user": "newbie", "role": "viewer"}

    def update_payload(self, world, obj):
        return {"role": "maintainer"}

    def audit_name(self, obj):
        return f"{obj.team.slug}/{obj.user.username}"

    def audit_team(self, world, obj):
        return obj.team


class TestQuotaPlans(APIResourceTests):
    url = "/api/v1/quota-plans/"
    basename = "quotaplan"
    kind = "QuotaPlan"
    lookup = "slug"
    matrix = {
        "admin": (200, "ab", 200, 201, 200, 204),
        "owner": (200, "ab", 200, 403, 403, 403),
        "maintainer": (200, "ab", 200, 403, 403, 403),
        "developer": (200, "ab", 200, 403, 403, 403),
        "viewer": (200, "ab", 200, 403, 403, 403),
        "outsider": (200, "ab", 200, 403, 403, 403),
        "anonymous": ANON,
    }

    def make_a(self, world):
        return QuotaPlan.objects.create(name="Plan A", slug="plan-a", requests_cpu="1")

    def make_b(self, world):
        return QuotaPlan.objects.create(name="Plan B", slug="plan-b", requests_cpu="1")

    def create_payload(self, world):
        return {"name": "Large", "slug": "large", "requests_cpu": "8", "limits_memory": "32Gi", "pods": 100}

    def update_payload(self, world, obj):
        return {"limits_memory": "16Gi", "pods": 50}


class TestNamespaces(APIResourceTests):
    url = "/api/v1/namespaces/"
    basename = "teamnamespace"
    kind = "Namespace"
    matrix = {
        "admin": (200, "ab", 200, 201, 200, 204),
        "owner": (200, "a", 200, 201, 200, 204),
        "maintainer": (200, "a", 200, 201, 200, 204),
        "developer": (200, "a", 200, 403, 403, 403),
        "viewer": (200, "a", 200, 403, 403, 403),
        "outsider": (200, "b", 404, 400, 404, 404),
        "anonymous": ANON,
    }

    def make_a(self, world):
        return TeamNamespace.objects.create(
            team=world.team_a, cluster=world.cluster, name="team-a-extra", plan=world.plan
        )

    def make_b(self, world):
        return TeamNamespace.objects.create(
            team=world.team_b, cluster=world.cluster, name="team-b-extra", plan=world.plan
        )

    extra_actions = (
        ExtraAction(
            "terminate",
            "post",
            {"admin": 202, "owner": 202, "maintainer": 202, "developer": 403, "viewer": 403}
            | {"outsider": 404, "anonymous": 401},
            prepare=lambda ns: TeamNamespace.objects.filter(pk=ns.pk).update(phase="ready"),
            payload=lambda ns: {"confirm": ns.name},
        ),
        ExtraAction(
            "reconcile",
            "post",
            {"admin": 202, "owner": 202, "maintainer": 202, "developer": 403, "viewer": 403}
            | {"outsider": 404, "anonymous": 401},
            prepare=lambda ns: TeamNamespace.objects.filter(pk=ns.pk).update(phase="ready"),
        ),
        ExtraAction(
            "approve",
            "post",
            {"admin": 200, "owner": 403, "maintainer": 403, "developer": 403, "viewer": 403}
            | {"outsider": 403, "anonymous": 401},
        ),
        ExtraAction(
            "reject",
            "post",
            {"admin": 200, "owner": 403, "maintainer": 403, "developer": 403, "viewer": 403}
            | {"outsider": 403, "anonymous": 401},
            payload=lambda ns: {"reason": "not now"},
        ),
        # Read live: whoever sees the namespace gets past the checks to the cluster,
        # here one that does not answer (503). tests/api/test_live.py reads a real one.
        ExtraAction(
            "quota",
            "get",
            {"admin": 503, "owner": 503, "maintainer": 503, "developer": 503, "viewer": 503}
            | {"outsider": 404, "anonymous": 401},
            prepare=lambda ns: _in_unreachable_cluster(ns),
        ),
    )

    def create_payload(self, world):
        return {"team": "team-a", "cluster": "prod", "name": "team-a-new", "plan": "small", "labels": {"env": "dev"}}

    def update_payload(self, world, obj):
        return {"network_isolated": False, "labels": {"cost-center": "42"}}

    def audit_team(self, world, obj):
        return obj.team


def world_cluster():
    return Cluster.objects.get(slug="prod")


def bigger_plan():
    return QuotaPlan.objects.get_or_create(slug="bigger", defaults={"name": "Bigger", "requests_cpu": "8"})[0]


def _in_unreachable_cluster(ns):
    live.set_credentials(ns.cluster, live.unreachable_kubeconfig())
    TeamNamespace.objects.filter(pk=ns.pk).update(phase=NamespacePhase.READY)


def _fail(job):
    Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED)
    job.steps.update(status=StepStatus.FAILED)


class TestJobs(APIResourceTests):
    url = "/api/v1/jobs/"
    basename = "job"
    kind = "Job"
    matrix = {
        "admin": (200, "ab", 200, 405, 405, 405),
        "owner": (200, "a", 200, 405, 405, 405),
        "maintainer": (200, "a", 200, 405, 405, 405),
        "developer": (200, "a", 200, 405, 405, 405),
        "viewer": (200, "a", 200, 405, 405, 405),
        "outsider": (200, "b", 404, 405, 405, 405),
        "anonymous": ANON,
    }
    extra_actions = (
        ExtraAction(
            "cancel",
            "post",
            {"admin": 200, "owner": 200, "maintainer": 200, "developer": 403, "viewer": 403}
            | {"outsider": 404, "anonymous": 401},
        ),
        ExtraAction(
            "resume",
            "post",
            {"admin": 201, "owner": 201, "maintainer": 201, "developer": 403, "viewer": 403}
            | {"outsider": 404, "anonymous": 401},
            prepare=_fail,
        ),
        ExtraAction(
            "events",
            "get",
            {"admin": 200, "owner": 200, "maintainer": 200, "developer": 200, "viewer": 200}
            | {"outsider": 404, "anonymous": 401},
        ),
    )

    def _job(self, team, title):
        job = Job.objects.create(kind="noop", title=title, team=team)
        step = JobStep.objects.create(job=job, position=1, name="only", title="Only step")
        JobEvent.objects.create(job=job, counter=1, step=step, text=f"output of {title}")
        return job

    def make_a(self, world):
        return self._job(world.team_a, "Job A")

    def make_b(self, world):
        return self._job(world.team_b, "Job B")

    def audit_name(self, obj):
        return str(obj.pk)

    def audit_team(self, world, obj):
        return obj.team


class TestQuotaChanges(APIResourceTests):
    url = "/api/v1/quota-changes/"
    basename = "quotachange"
    kind = "QuotaChange"
    matrix = {
        # Requests are decided, not edited.
        "admin": (200, "ab", 200, 201, 405, 405),
        "owner": (200, "a", 200, 201, 405, 405),
        "maintainer": (200, "a", 200, 201, 405, 405),
        "developer": (200, "a", 200, 403, 405, 405),
        "viewer": (200, "a", 200, 403, 405, 405),
        # Team A's namespace is not one the outsider can name: a field error.
        "outsider": (200, "b", 404, 400, 405, 405),
        "anonymous": ANON,
    }
    extra_actions = (
        ExtraAction("approve", "post", {"admin": 200} | ADMIN_ONLY),
        ExtraAction("reject", "post", {"admin": 200} | ADMIN_ONLY),
    )

    def _change(self, world, team, name):
        ns = TeamNamespace.objects.create(
            team=team, cluster=world.cluster, name=name, plan=world.plan, phase=NamespacePhase.READY
        )
        return QuotaChangeRequest.objects.create(
            namespace=ns, plan=bigger_plan(), previous_plan=world.plan, reason="launch", requested_by=world.admin
        )

    def make_a(self, world):
        return self._change(world, world.team_a, "team-a-extra")

    def make_b(self, world):
        return self._change(world, world.team_b, "team-b-extra")

    def create_payload(self, world):
        return {"namespace": world.ns_a.pk, "plan": bigger_plan().slug, "reason": "more pods"}

    def audit_name(self, obj):
        return str(obj.pk)

    def audit_team(self, world, obj):
        return obj.namespace.team


class TestAuditEvents(APIResourceTests):
    url = "/api/v1/audit-events/"
    basename = "auditevent"
    kind = ""
    matrix = {
        "admin": (200, "ab", 200, 405, 405, 405),
        "owner": (200, "a", 200, 405, 405, 405),
        "maintainer": (200, "a", 200, 405, 405, 405),
        "developer": (200, "", 404, 405, 405, 405),
        "viewer": (200, "", 404, 405, 405, 405),
        "outsider": (200, "b", 404, 405, 405, 405),
        "anonymous": ANON,
    }

    def make_a(self, world):
        return audit_record(channel="api", action="team.partial_update", team=world.team_a, actor=world.owner)

    def make_b(self, world):
        return audit_record(channel="api", action="team.partial_update", team=world.team_b, actor=world.outsider)


class TestTokens(APIResourceTests):
    url = "/api/v1/tokens/"
    basename = "apitoken"
    kind = "ApiToken"
    matrix = {
        # Tokens are personal: even a platform admin sees only their own.
        "admin": (200, "", 404, 201, 405, 404),
        "owner": (200, "a", 200, 201, 405, 204),
        "maintainer": (200, "", 404, 201, 405, 404),
        "developer": (200, "", 404, 201, 405, 404),
        "viewer": (200, "", 404, 201, 405, 404),
        "outsider": (200, "b", 404, 201, 405, 404),
        "anonymous": ANON,
    }

    def make_a(self, world):
        return api_token_create(user=world.owner, name="tok-a", expires_in_days=30)[0]

    def make_b(self, world):
        return api_token_create(user=world.outsider, name="tok-b", expires_in_days=30)[0]

    def create_payload(self, world):
        return {"name": "ci", "expires_in_days": 7}

    def assert_destroyed(self, obj):
        # DELETE revokes: the token stays listed, unusable.
        assert ApiToken.objects.get(pk=obj.pk).revoked_at is not None

    def assert_not_destroyed(self, obj):
        assert ApiToken.objects.get(pk=obj.pk).revoked_at is None


def test_the_creator_of_a_job_may_cancel_it_whatever_their_role(world, api):
    job = Job.objects.create(kind="noop", title="Mine", team=world.team_a, created_by=world.developer)
    response = api.as_(world.developer).post(f"/api/v1/jobs/{job.pk}/cancel/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "canceled"


# Live objects (workloads/kinds.py) have no rows to make here: their one generic
# case, with the same standing roles, runs for every registered kind against the
# devcluster in tests/api/test_kinds_live.py.
# A platform admin's resource: everyone else is refused everything.
PLATFORM_ONLY = (403, "", 403, 403, 403, 403)


class TestClusterGrants(APIResourceTests):
    url = "/api/v1/cluster-grants/"
    basename = "clustergrant"
    kind = "ClusterGrant"
    matrix = {
        #              list  sees  get  create update delete
        "admin": (200, "ab", 200, 201, 200, 204),
        "owner": PLATFORM_ONLY,
        "maintainer": PLATFORM_ONLY,
        "developer": PLATFORM_ONLY,
        "viewer": PLATFORM_ONLY,
        "outsider": PLATFORM_ONLY,
        "anonymous": ANON,
    }

    def make_a(self, world):
        grant = ClusterGrant.objects.create(cluster=world.cluster, name="grant-a", role="view")
        grant.teams.set([world.team_a])
        return grant

    def make_b(self, world):
        grant = ClusterGrant.objects.create(cluster=world.cluster, name="grant-b", role="view")
        grant.teams.set([world.team_b])
        return grant

    def create_payload(self, world):
        return {"cluster": world.cluster.slug, "name": "readers", "role": "view", "teams": [world.team_a.slug]}

    def update_payload(self, world, obj):
        return {"role": "edit"}


# Not a resource but a question to the API server: tests/rbac/test_who_can_live.py.
QUESTIONS = {"who-can"}
LIVE_RESOURCES = {"liveobject"}
# Not a resource but a sign-in door (POST only, for anyone): tests/api/test_token_obtain.py.
DOORS = {"token-obtain"}
# Routes of another resource's action, tested as its extra action ("reconcile" of
# TestClusters and TestNamespaces).
ACTION_ROUTES = {"cluster-reconcile", "namespace-reconcile"}


def test_every_api_resource_has_its_permission_matrix():
    """A new resource registered on the router must join the generic cases above."""
    import tests.api.test_permissions_users  # noqa: F401  (its cases register as subclasses)
    from config.api import router

    covered = {cls.basename for cls in APIResourceTests.__subclasses__()} | LIVE_RESOURCES | DOORS | ACTION_ROUTES
    covered |= QUESTIONS
    registered = {basename for _, _, basename in router.registry}
    assert registered <= covered, f"no generic test cases for: {sorted(registered - covered)}"
