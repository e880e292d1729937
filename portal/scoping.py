"""The one scoping path: every team-scoped model's queryset has `for_user()`.

A request made with a team-limited API token carries the token's scope on its
user (`user.token_scope`, set by rbac.authentication): every `for_user()`
then narrows to those teams, and the user acts as a member of those teams
only (a platform admin's limited token has no platform-admin powers).
"""

from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class TokenScope:
    """What one API token may reach of its owner's rights."""

    read_only: bool
    # The teams the token is limited to; None: every team of its owner.
    team_ids: frozenset[int] | None = None


def team_limit(user) -> frozenset[int] | None:
    """The teams `user`'s request is limited to (its token's), or None: no limit."""
    scope = getattr(user, "token_scope", None)
    return scope.team_ids if scope is not None else None


def within_team_limit(user, team_id) -> bool:
    limit = team_limit(user)
    return limit is None or team_id in limit


class TeamScopedQuerySet(models.QuerySet):
    """Platform admins see every row; team members see their teams' rows;
    anonymous users see nothing. `team_path` leads from the row to its Team
    ("" when the row is the team)."""

    team_path = "team"

    def for_user(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        prefix = f"{self.team_path}__" if self.team_path else ""
        rows = self.filter(**{f"{prefix}memberships__user": user})
        limit = team_limit(user)
        if limit is not None:
            rows = rows.filter(**{f"{prefix}pk__in": limit})
        return rows.distinct()
