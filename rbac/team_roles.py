"""The ClusterRoles team members are bound to in their namespaces.

Kubernetes' built-in `admin` and `edit` let their holders act as another
identity in the namespace: `impersonate` on serviceaccounts, and `create` on
`serviceaccounts/token`. In a team namespace that is a way to climb from
developer to whatever a ServiceAccount there is bound to. So team roles are
the built-in ones minus those rules: `kube-portal:team-admin` from `admin`,
`kube-portal:team-edit` from `edit`, `kube-portal:team-view` from `view`.

They are derived from the cluster's own roles at every reconcile, so
permissions that add-ons aggregate into `admin`/`edit`/`view` (their custom
resources) reach teams too. And because a team admin no longer holds
`impersonate`, RBAC's escalation check stops them from binding the built-in
`edit` or `admin` to anyone.
"""

from portal.roles import TeamRole

ADMIN = "kube-portal:team-admin"
EDIT = "kube-portal:team-edit"
VIEW = "kube-portal:team-view"

# Team ClusterRole -> the built-in ClusterRole it is derived from.
SOURCES = {ADMIN: "admin", EDIT: "edit", VIEW: "view"}

# Portal team role -> the ClusterRole its members get in the team's namespaces.
ROLE_CLUSTERROLES = {
    TeamRole.OWNER: ADMIN,
    TeamRole.MAINTAINER: ADMIN,
    TeamRole.DEVELOPER: EDIT,
    TeamRole.VIEWER: VIEW,
}

# Kinds the portal manages (workloads/kinds.py) that Kubernetes' built-in
# roles leave out: PodTemplates. Team roles grant them as the built-ins grant
# their neighbours (ConfigMaps): read for viewers, read and write for the rest.
_READ = ["get", "list", "watch"]
_WRITE = ["create", "update", "patch", "delete", "deletecollection"]
PORTAL_RULES = {
    ADMIN: [{"apiGroups": [""], "resources": ["podtemplates"], "verbs": _READ + _WRITE}],
    EDIT: [{"apiGroups": [""], "resources": ["podtemplates"], "verbs": _READ + _WRITE}],
    VIEW: [{"apiGroups": [""], "resources": ["podtemplates"], "verbs": _READ}],
}

# What lets a holder act as another identity.
WITHHELD_VERBS = frozenset({"impersonate"})
WITHHELD_RESOURCES = frozenset({"serviceaccounts/token"})
# A "*" verb on these would include impersonate: it is spelled out instead.
_IMPERSONABLE = frozenset({"*", "users", "groups", "serviceaccounts", "uids", "userextras/*"})
_PLAIN_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]


def _without_identity_rights(rule: dict) -> dict | None:
    verbs = list(rule.get("verbs") or [])
    resources = list(rule.get("resources") or [])
    if "*" in verbs and _IMPERSONABLE.intersection(resources):
        verbs = [v for v in verbs if v != "*"] + [v for v in _PLAIN_VERBS if v not in verbs]
    verbs = [v for v in verbs if v not in WITHHELD_VERBS]
    kept_resources = [r for r in resources if r not in WITHHELD_RESOURCES]
    if not verbs or (resources and not kept_resources):
        return None
    derived = {key: value for key, value in rule.items() if value}
    derived["verbs"] = verbs
    if resources:
        derived["resources"] = kept_resources
    return derived


def team_role_rules(source_rules: list[dict], role: str = "") -> list[dict]:
    """The rules of team ClusterRole `role`: those of its built-in source,
    minus every verb or resource that lets one act as another identity, plus
    the portal's kinds the built-ins leave out."""
    rules = [dict(rule) for rule in PORTAL_RULES.get(role, [])]
    for rule in source_rules or []:
        derived = _without_identity_rights(rule)
        if derived is not None:
            rules.append(derived)
    return rules
