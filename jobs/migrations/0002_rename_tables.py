"""The tables taken over from clusters get this app's names, and the content
types (so admin permissions and log entries) follow the models."""

from django.db import migrations

MODELS = ("job", "jobstep", "jobevent")


def _move_content_types(apps, schema_editor, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.using(schema_editor.connection.alias)
    for model in MODELS:
        if not types.filter(app_label=target, model=model).exists():
            types.filter(app_label=source, model=model).update(app_label=target)


def content_types_to_jobs(apps, schema_editor):
    _move_content_types(apps, schema_editor, "clusters", "jobs")


def content_types_to_clusters(apps, schema_editor):
    _move_content_types(apps, schema_editor, "jobs", "clusters")


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelTable(name="job", table=None),
        migrations.AlterModelTable(name="jobstep", table=None),
        migrations.AlterModelTable(name="jobevent", table=None),
        migrations.RunPython(content_types_to_jobs, content_types_to_clusters),
    ]
