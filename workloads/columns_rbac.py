"""What lists and pages show of RBAC objects (Roles, ClusterRoles and their
bindings), and which of them the portal will not change: the API server's
built-in roles (`kubernetes.io/bootstrapping: rbac-defaults`, which it
restores at every start) and the objects the portal's own reconciler owns
(`app.kubernetes.io/managed-by`), whose changes it would revert.
"""

from django.utils.translation import gettext as _

from rbac.provisioning import MANAGED_BY, MANAGER
from workloads.columns import dig

BOOTSTRAPPING = "kubernetes.io/bootstrapping"
BUILT_IN = "rbac-defaults"
AGGREGATE_PREFIX = "rbac.authorization.k8s.io/aggregate-to-"


def _labels(obj: dict) -> dict:
    return dig(obj, "metadata", "labels", default={}) or {}


def origin(obj: dict) -> str:
    """ "built-in", "portal" or "" (made by someone with the cluster)."""
    labels = _labels(obj)
    if labels.get(BOOTSTRAPPING) == BUILT_IN:
        return "built-in"
    if labels.get(MANAGED_BY) == MANAGER:
        return "portal"
    return ""


def origin_shown(value: str) -> str:
    """The origin as a page says it (the API keeps the code word)."""
    return {"built-in": _("built-in"), "portal": _("the portal")}.get(value, value)


def locked(obj: dict) -> str:
    """Why the portal does not change this object, or "" when it may."""
    return {
        "built-in": _("A built-in role of the API server, restored at every start: read-only here."),
        "portal": _("Managed by the portal's reconciler, which would undo a change: read-only here."),
    }.get(origin(obj), "")


def rule_count(obj: dict) -> int:
    return len(obj.get("rules") or [])


def aggregation(obj: dict) -> str:
    """The roles this one aggregates into (its aggregate-to-* labels), and
    whether it is itself made of others (an aggregationRule)."""
    labels = _labels(obj)
    into = sorted(
        key[len(AGGREGATE_PREFIX) :] for key in labels if key.startswith(AGGREGATE_PREFIX) and labels[key] == "true"
    )
    parts = [_("into %(roles)s") % {"roles": ", ".join(into)}] if into else []
    if obj.get("aggregationRule"):
        parts.append(_("aggregated"))
    return "; ".join(parts)


def role_ref(obj: dict) -> str:
    ref = obj.get("roleRef") or {}
    return f"{ref.get('kind', '')}/{ref.get('name', '')}"


def subjects(obj: dict) -> str:
    """Who is bound, as kubectl's wide output names them."""
    named = []
    for subject in obj.get("subjects") or []:
        name = subject.get("name", "")
        if subject.get("kind") == "ServiceAccount":
            name = f"{subject.get('namespace', '')}/{name}"
        named.append(f"{subject.get('kind', '')}:{name}")
    return ", ".join(named)


# What Kubernetes' authorizers act on: the API verbs, RBAC's and admission's
# own, and the HTTP verbs of non-resource URLs. A verb outside these matches
# no request, so a rule with a typo ("lsit") silently grants nothing.
RESOURCE_VERBS = frozenset(
    {"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "*"}
    | {"impersonate", "bind", "escalate", "use", "approve", "sign", "attest"}
)
URL_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "*"})
ROLE_KINDS = ("Role", "ClusterRole")
SUBJECT_KINDS = ("User", "Group", "ServiceAccount")


def rules_errors(obj: dict) -> dict[str, list[str]]:
    """Field errors of a Role's or ClusterRole's rules that the API server lets through."""
    errors: dict[str, list[str]] = {}
    rules = obj.get("rules") or []
    if not isinstance(rules, list):
        return {"rules": [_("A list of rules.")]}
    cluster_role = obj.get("kind") == "ClusterRole"
    if not rules and not (cluster_role and obj.get("aggregationRule")):
        errors["rules"] = [_("Give at least one rule (or, for a ClusterRole, an aggregationRule).")]
    for index, rule in enumerate(rules):
        where = f"rules[{index}]"
        if not isinstance(rule, dict):
            errors[where] = [_("A rule is a mapping of apiGroups, resources and verbs.")]
            continue
        urls = rule.get("nonResourceURLs") or []
        allowed = URL_VERBS if urls and not rule.get("resources") else RESOURCE_VERBS
        verbs = rule.get("verbs") or []
        unknown = [verb for verb in verbs if verb not in allowed]
        if not verbs:
            errors[f"{where}.verbs"] = [_("Name at least one verb.")]
        elif unknown:
            errors[f"{where}.verbs"] = [
                _("Unknown verbs: %(unknown)s. Known: %(known)s.")
                % {"unknown": ", ".join(map(str, unknown)), "known": ", ".join(sorted(allowed))}
            ]
        if urls and not cluster_role:
            errors[f"{where}.nonResourceURLs"] = [_("Only a ClusterRole can grant non-resource URLs.")]
        if not urls and not rule.get("resources"):
            errors[f"{where}.resources"] = [_("Name the resources (or * for all) this rule grants.")]
    return errors


def binding_errors(obj: dict) -> dict[str, list[str]]:
    """Field errors of a RoleBinding's or ClusterRoleBinding's roleRef and subjects."""
    errors: dict[str, list[str]] = {}
    ref = obj.get("roleRef")
    kinds = ("ClusterRole",) if obj.get("kind") == "ClusterRoleBinding" else ROLE_KINDS
    if not isinstance(ref, dict) or not ref.get("name"):
        errors["roleRef.name"] = [_("Name the role to bind.")]
    elif ref.get("kind") not in kinds:
        errors["roleRef.kind"] = [_("One of: %(kinds)s.") % {"kinds": ", ".join(kinds)}]
    subjects = obj.get("subjects") or []
    if not subjects:
        errors["subjects"] = [_("Bind at least one subject: a user, a group or a ServiceAccount.")]
    for index, subject in enumerate(subjects if isinstance(subjects, list) else []):
        where = f"subjects[{index}]"
        if not isinstance(subject, dict) or subject.get("kind") not in SUBJECT_KINDS:
            errors[f"{where}.kind"] = [_("One of: %(kinds)s.") % {"kinds": ", ".join(SUBJECT_KINDS)}]
        elif not subject.get("name"):
            errors[f"{where}.name"] = [_("Name the subject.")]
        elif (
            subject["kind"] == "ServiceAccount"
            and obj.get("kind") == "ClusterRoleBinding"
            and not subject.get("namespace")
        ):
            errors[f"{where}.namespace"] = [_("A ServiceAccount is named with its namespace.")]
    return errors
