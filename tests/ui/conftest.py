"""Fixtures for the HTML page tests: the standing users of tests/conftest.py
`world`, logged in through Django's test client, plus records with real secrets."""

from types import SimpleNamespace

import pytest
from django.test import Client

from tests.support import credentials

ROLES = ["admin", "owner", "maintainer", "developer", "viewer", "outsider", "anonymous"]
TEAM_A = ["owner", "maintainer", "developer", "viewer"]

KUBECONFIG_TOKEN = "kubeconfig-bearer-token-7f3a9c2e51d04b8f"


def kubeconfig(token=KUBECONFIG_TOKEN, server="https://127.0.0.1:6443") -> str:
    """A token kubeconfig (the token is the secret the page tests hunt for)."""
    return credentials.kubeconfig(server=server, user={"token": token})


@pytest.fixture
def client_as(world):
    """`client_as("viewer")`: a test client logged in as a standing user (or anonymous)."""

    def make(role):
        client = Client()
        if role != "anonymous":
            client.force_login(world.users[role])
        return client

    return make


@pytest.fixture
def more(world):
    """Records beyond `world`: a cluster only team B uses, a node on each cluster,
    a job for each team, an SSH credential (key with passphrase), a host."""
    from clusters.models import Cluster, Node
    from hosts.services import host_create, ssh_credential_create
    from jobs.models import Job, JobEvent, JobStep
    from rbac.choices import NamespacePhase
    from rbac.models import TeamNamespace

    edge = Cluster.objects.create(name="Edge", slug="edge")
    TeamNamespace.objects.create(
        team=world.team_b, cluster=edge, name="team-b-edge", plan=world.plan, phase=NamespacePhase.READY
    )
    node_prod = Node.objects.create(cluster=world.cluster, name="prod-node-1", ready=True, roles=["control-plane"])
    node_edge = Node.objects.create(cluster=edge, name="edge-node-1", ready=False, roles=["worker"])
    job_a = Job.objects.create(kind="demo", title="Team A job", team=world.team_a, cluster=world.cluster)
    JobStep.objects.create(job=job_a, position=1, name="first", title="First step")
    JobEvent.objects.create(job=job_a, counter=1, text="hello from team A")
    job_b = Job.objects.create(kind="demo", title="Team B job", team=world.team_b, cluster=edge)
    passphrase = "ssh-key-passphrase-91c0d7"
    key = credentials.ssh_private_key(passphrase)
    credential = ssh_credential_create(name="deploy-key", kind="private_key", private_key=key, passphrase=passphrase)
    host = host_create(name="node-a", address="127.0.0.2", port=22, username="root", credential=credential)
    return SimpleNamespace(
        edge=edge,
        node_prod=node_prod,
        node_edge=node_edge,
        job_a=job_a,
        job_b=job_b,
        credential=credential,
        host=host,
        private_key=key,
        passphrase=passphrase,
    )
