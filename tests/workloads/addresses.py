"""The API and page addresses of live objects, and a signed-in page client,
for the devcluster tests of the kinds' pages and actions."""

import json
from types import SimpleNamespace

from django.test import Client

from clusters import kube
from rbac.identity import team_role_group
from workloads import objects


def api_url(namespace, plural, tail=""):
    return f"/api/v1/namespaces/{namespace.pk}/kinds/{plural}/{tail}"


def page_url(namespace, plural, tail=""):
    return f"/workloads/namespaces/{namespace.pk}/{plural}/{tail}"


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# Roles and RoleBindings are a team admin's (owner, maintainer): developers hold no RBAC rights.
RBAC_GROUP = "rbac.authorization.k8s.io"


def team_template(kind, name, team) -> dict:
    """The kind's template, bound within the team where it binds anyone
    (workloads/bindings.py: a team binds only its own)."""
    manifest = json.loads(json.dumps(kind.template(name)))  # no shared parts: YAML without aliases
    # (A cluster-wide binding keeps its template's made-up group: binding a
    # team's group cluster-wide would give the team more for other tests.)
    for subject in manifest.get("subjects") or [] if kind.namespaced else []:
        subject.update(kind="Group", name=team_role_group(team.slug, "viewer"))
    return manifest


def author_of(kind, tenancy):
    """Who makes objects of `kind` in the generic tests: a developer; a team
    admin for RBAC objects; a platform admin for cluster-scoped ones."""
    if not kind.namespaced:
        return tenancy.admin
    return tenancy.maintainer if kind.group == RBAC_GROUP else tenancy.developer


def place_of(kind, tenancy, namespace):
    """Where the generic tests find `kind`: the team namespace, or for
    cluster-scoped kinds the cluster's address (`<cluster>:*`)."""
    return namespace if kind.namespaced else SimpleNamespace(pk=f"{tenancy.cluster.slug}:*", name="")


def delete_cluster_object(tenancy, kind, name):
    """Cluster-scoped objects outlive the test's namespace: delete them (a finalizer)."""
    with kube.client_for(tenancy.cluster) as client:
        try:
            objects.delete_object(client, kind, "", name)
        except kube.KubeNotFound:
            pass
