"""Team namespaces get a uid, written on the namespace the portal creates, so
the reconciler only ever touches namespaces that carry it; reserved names are
refused by the model."""

import uuid

from django.db import migrations, models

import portal.validators
import rbac.validators


def give_uids(apps, schema_editor):
    TeamNamespace = apps.get_model("rbac", "TeamNamespace")
    for tn in TeamNamespace.objects.filter(uid__isnull=True).only("pk"):
        TeamNamespace.objects.filter(pk=tn.pk).update(uid=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("rbac", "0004_team_allowed_plans"),
    ]

    operations = [
        migrations.AddField(
            model_name="teamnamespace",
            name="uid",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(give_uids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="teamnamespace",
            name="uid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="teamnamespace",
            name="name",
            field=models.CharField(
                max_length=63,
                validators=[portal.validators.dns_label, rbac.validators.not_reserved],
                verbose_name="name",
            ),
        ),
        migrations.AlterField(
            model_name="team",
            name="allowed_clusters",
            field=models.ManyToManyField(
                blank=True,
                help_text=(
                    "Clusters the team may request namespaces on; with none, only the clusters "
                    "where the team already has namespaces."
                ),
                related_name="+",
                to="clusters.cluster",
                verbose_name="allowed clusters",
            ),
        ),
    ]
