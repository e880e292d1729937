"""Reads for the tenancy app that pages and the API share."""

from collections import defaultdict

from django.contrib.auth import get_user_model

from portal.quantities import format_quantity, quota_bars, sum_quantities
from rbac.choices import NamespacePhase

# Namespaces that exist (or are being made or removed) in their cluster.
IN_CLUSTER = (NamespacePhase.PROVISIONING, NamespacePhase.READY, NamespacePhase.FAILED, NamespacePhase.TERMINATING)


def team_quota_totals(namespaces) -> tuple[list[dict], int]:
    """Hard and used summed over the team's namespaces, from what the reconciler
    last observed (one read per namespace would not scale). Returns the bar rows
    and how many namespaces contributed."""
    hard, used = defaultdict(list), defaultdict(list)
    counted = 0
    for namespace in namespaces:
        quota = (namespace.observed or {}).get("quota") or {}
        if not quota.get("hard"):
            continue
        counted += 1
        for resource, value in quota["hard"].items():
            hard[resource].append(value)
            used[resource].append((quota.get("used") or {}).get(resource, "0"))
    totals = {
        resource: {
            "hard": format_quantity(sum_quantities(hard[resource]), resource),
            "used": format_quantity(sum_quantities(used[resource]), resource),
        }
        for resource in sorted(hard)
    }
    # Bars from the formatted figures keep one parsing path.
    return quota_bars(totals), counted


# Enough to pick from on a phone; beyond it, the username is typed.
MEMBER_CANDIDATES_LIMIT = 500


def member_candidates(*, team, user) -> list[str]:
    """Usernames offered when adding a member to `team`: active users not in
    it yet. A platform admin sees every one; a team owner only people from their
    other teams (owners do not browse the portal's users; others are typed)."""
    users = get_user_model().objects.filter(is_active=True).exclude(memberships__team=team)
    if not user.is_staff:
        users = users.filter(memberships__team__memberships__user=user)
    return list(users.order_by("username").values_list("username", flat=True).distinct()[:MEMBER_CANDIDATES_LIMIT])
