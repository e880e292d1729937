"""Every API resource through the shared generic cases: who may list, read,
create, change and delete what, cross-team isolation, and the audit trail."""

from django.contrib.auth import get_user_model

from clusters.choices import JobStatus, StepStatus
from clusters.models import Cluster, Host, Job, JobEvent, JobStep, Node, SSHCredential
from portal.audit import audit_record
from rbac.choices import TeamRole
from rbac.models import ApiToken, Membership, QuotaPlan, Team, TeamNamespace
from rbac.services import api_token_create
from tests.api.generic import APIResourceTests, ExtraAction

ANON = (401, "", 401, 401, 401, 401)
NOBODY = (403, "", 403, 403, 403, 403)


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

    def make_a(self, world):
        return cluster_for(world.team_a, "alpha")

    def make_b(self, world):
        return cluster_for(world.team_b, "beta")

    def create_payload(self, world):
        return {"name": "Gamma", "slug": "gamma", "description": "a new one"}

    def update_payload(self, world, obj):
        return {"description": "changed"}


class TestNodes(APIResourceTests):
    url = "/api/v1/nodes/"
    basename = "node"
    kind = ""
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
    )

    def create_payload(self, world):
        return {"team": "team-a", "cluster": "prod", "name": "team-a-new", "plan": "small", "labels": {"env": "dev"}}

    def update_payload(self, world, obj):
        return {"network_isolated": False, "labels": {"cost-center": "42"}}

    def audit_team(self, world, obj):
        return obj.team


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


def test_every_api_resource_has_its_permission_matrix():
    """A new resource registered on the router must join the generic cases above."""
    from portal.api import router

    covered = {cls.basename for cls in APIResourceTests.__subclasses__()}
    registered = {basename for _, _, basename in router.registry}
    assert registered <= covered, f"no generic test cases for: {sorted(registered - covered)}"
