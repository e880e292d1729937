"""The one scoping path: every team-scoped model's queryset has `for_user()`."""

from django.db import models


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
        return self.filter(**{f"{prefix}memberships__user": user}).distinct()
