"""Who the portal says a user is when it talks to Kubernetes for them.

Every call made for a team member impersonates `portal:<username>` with one
group per team role (`portal:team:<team>:<role>`); the RoleBindings the portal
puts in each team namespace grant those groups their ClusterRole. So the API
server itself refuses cross-team access, whatever the portal's own checks do.
"""

from clusters import kube
from portal.teams import Membership

GROUP_PREFIX = "portal:team:"


def team_role_group(team_slug: str, role: str) -> str:
    return f"{GROUP_PREFIX}{team_slug}:{role}"


def user_groups(user) -> list[str]:
    # Membership.for_user: a team-limited token's user has only its teams' groups.
    memberships = Membership.objects.for_user(user).filter(user=user).select_related("team").order_by("team__slug")
    return [team_role_group(m.team.slug, m.role) for m in memberships]


def identity_for(user) -> kube.Identity:
    """The impersonated identity for `user`: their name and their team-role groups."""
    return kube.Identity.for_username(user.get_username(), user_groups(user))
