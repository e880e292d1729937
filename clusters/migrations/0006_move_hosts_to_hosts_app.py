from django.db import migrations, models
import django.db.models.deletion

# Host and SSHCredential moved to their own app (hosts/). They leave this
# app's state only: the tables stay, hosts.0001 takes them over with their rows
# and hosts.0002 renames them; the foreign keys to them follow.


class Migration(migrations.Migration):
    dependencies = [
        ("clusters", "0005_move_jobs_to_jobs_app"),
        ("hosts", "0001_initial"),
        ("jobs", "0005_host_in_hosts_app"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="node",
                    name="host",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="nodes",
                        to="hosts.host",
                    ),
                ),
                migrations.RemoveField(model_name="host", name="cluster"),
                migrations.RemoveField(model_name="host", name="credential"),
                migrations.DeleteModel(name="Host"),
                migrations.DeleteModel(name="SSHCredential"),
            ],
        ),
    ]
