"""Teams, their members and the roles members hold: the kernel every app
may import (clusters, jobs, rbac and workloads all scope by team).

A team's namespace policy names higher apps' models by string
(`clusters.Cluster`, `rbac.QuotaPlan`), so nothing here imports them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.roles import MANAGING_ROLES, TeamRole
from portal.scoping import TeamScopedQuerySet, within_team_limit
from portal.validators import dns_label


class TeamQuerySet(TeamScopedQuerySet):
    team_path = ""


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=50, unique=True, validators=[dns_label])
    description = models.TextField(_("description"), blank=True)
    # Namespace self-service policy.
    max_namespaces = models.PositiveIntegerField(_("maximum namespaces"), default=5)
    allowed_clusters = models.ManyToManyField(
        "clusters.Cluster",
        blank=True,
        related_name="+",
        verbose_name=_("allowed clusters"),
        help_text=_(
            "Clusters the team may request namespaces on; with none, only the clusters "
            "where the team already has namespaces."
        ),
    )
    allowed_plans = models.ManyToManyField(
        "rbac.QuotaPlan",
        blank=True,
        related_name="+",
        verbose_name=_("allowed quota plans"),
        help_text=_("Quota plans the team may choose for its namespaces; none means every plan."),
    )
    auto_approve_namespaces = models.BooleanField(_("approve namespace requests automatically"), default=False)
    created = models.DateTimeField(auto_now_add=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        # The tables keep the names they had when teams lived in rbac/.
        db_table = "rbac_team"
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def role_of(self, user) -> str | None:
        # A request with a team-limited token has no role outside its teams.
        if not user.is_authenticated or not within_team_limit(user, self.pk):
            return None
        membership = self.memberships.filter(user=user).only("role").first()
        return membership.role if membership else None

    def is_managed_by(self, user) -> bool:
        """Owners and maintainers manage the team's namespaces and jobs."""
        return self.role_of(user) in MANAGING_ROLES


class MembershipQuerySet(TeamScopedQuerySet):
    team_path = "team"


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("team"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=16, choices=TeamRole.choices, default=TeamRole.DEVELOPER)
    created = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        db_table = "rbac_membership"
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["team__name", "user__username"]
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="membership_unique_user")]

    def __str__(self):
        return f"{self.user} in {self.team} ({self.role})"
