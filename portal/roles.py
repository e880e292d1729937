"""The roles a member holds in a team, and what each may change. Plain
choices, no models: settings and permission classes import them early."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TeamRole(models.TextChoices):
    # Manages members, requests namespaces, full edit rights in the team's namespaces.
    OWNER = "owner", _("Owner")
    # Requests namespaces and quota changes, edits workloads.
    MAINTAINER = "maintainer", _("Maintainer")
    # Edits workloads in the team's namespaces.
    DEVELOPER = "developer", _("Developer")
    # Reads only.
    VIEWER = "viewer", _("Viewer")


# Roles allowed to change the team's namespaces and quota requests.
MANAGING_ROLES = (TeamRole.OWNER, TeamRole.MAINTAINER)
# Roles allowed to change workloads.
EDITING_ROLES = (TeamRole.OWNER, TeamRole.MAINTAINER, TeamRole.DEVELOPER)
