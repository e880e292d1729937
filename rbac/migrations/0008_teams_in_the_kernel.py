"""Teams and memberships left rbac/ for the kernel (portal/teams.py): their
state goes, their tables stay (portal owns them now), and rbac's links to them
point at portal.Team (state only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0006_teams_in_the_kernel"),
        ("portal", "0004_teams_in_the_kernel"),
        ("rbac", "0007_cluster_grants"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name="team",
                    name="allowed_clusters",
                ),
                migrations.RemoveField(
                    model_name="team",
                    name="allowed_plans",
                ),
                migrations.AlterField(
                    model_name="teamnamespace",
                    name="team",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="namespaces",
                        to="portal.team",
                        verbose_name="team",
                    ),
                ),
                migrations.AlterField(
                    model_name="apitoken",
                    name="teams",
                    field=models.ManyToManyField(
                        blank=True,
                        help_text="Teams the token is limited to; none: every team of its owner.",
                        related_name="+",
                        to="portal.team",
                        verbose_name="teams",
                    ),
                ),
                migrations.AlterField(
                    model_name="clustergrant",
                    name="teams",
                    field=models.ManyToManyField(
                        blank=True, related_name="grants", to="portal.team", verbose_name="teams"
                    ),
                ),
                migrations.DeleteModel(
                    name="Membership",
                ),
                migrations.DeleteModel(
                    name="Team",
                ),
            ],
        ),
    ]
