"""A job's team is the kernel's Team now (state only: the column and its
foreign key to rbac_team are unchanged)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0005_host_in_hosts_app"),
        ("portal", "0004_teams_in_the_kernel"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="job",
                    name="team",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="jobs",
                        to="portal.team",
                    ),
                ),
            ],
        ),
    ]
