"""PodTemplates in the team roles, for the tests that use them.

Kubernetes' built-in admin, edit and view roles (the team roles' sources,
rbac/team_roles.py) say nothing about PodTemplates, so a team member can
neither read nor write them. A cluster grants them the Kubernetes way: roles
labelled to aggregate into admin/edit/view, which the next reconcile copies
into the team roles. The tests apply those roles to the devcluster (and wait
for the aggregation) before their namespace is reconciled.
TODO(issue 11): the portal's reconciler should grant this itself."""

from clusters import kube
from tests.support.wait import wait_for

AGGREGATE = "rbac.authorization.k8s.io/aggregate-to-{}"
READ = ["get", "list", "watch"]
WRITE = ["create", "delete", "deletecollection", "patch", "update"]
ROLES = (
    ("kube-portal-test:podtemplates-view", ("view", "edit", "admin"), READ),
    ("kube-portal-test:podtemplates-edit", ("edit", "admin"), WRITE),
)


def grant_podtemplates(cluster) -> None:
    with kube.client_for(cluster) as client:
        for name, targets, verbs in ROLES:
            client.apply_object(
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "ClusterRole",
                    "metadata": {"name": name, "labels": {AGGREGATE.format(t): "true" for t in targets}},
                    "rules": [{"apiGroups": [""], "resources": ["podtemplates"], "verbs": verbs}],
                }
            )

        def aggregated():
            rules = client.to_dict(client.rbac.read_cluster_role("edit")).get("rules") or []
            granted = {
                verb for rule in rules if "podtemplates" in (rule.get("resources") or []) for verb in rule["verbs"]
            }
            return granted >= {*READ, *WRITE} or None

        wait_for(aggregated, 30, 0.5, what="PodTemplates aggregated into the edit role")
