import django.db.models.deletion
from django.db import migrations, models

# Host moved from clusters to its own app (hosts/) over the same table: the
# foreign key follows in state only.


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0004_step_attempts"),
        ("hosts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="job",
                    name="host",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="jobs",
                        to="hosts.host",
                    ),
                ),
            ],
        ),
    ]
