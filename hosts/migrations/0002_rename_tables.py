"""The tables taken over from clusters get this app's names, and the content
types (so admin permissions and log entries) follow the models."""

from django.db import migrations

MODELS = ("host", "sshcredential")


def _move_content_types(apps, schema_editor, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.using(schema_editor.connection.alias)
    for model in MODELS:
        if not types.filter(app_label=target, model=model).exists():
            types.filter(app_label=source, model=model).update(app_label=target)


def content_types_to_hosts(apps, schema_editor):
    _move_content_types(apps, schema_editor, "clusters", "hosts")


def content_types_to_clusters(apps, schema_editor):
    _move_content_types(apps, schema_editor, "hosts", "clusters")


class Migration(migrations.Migration):
    dependencies = [
        ("hosts", "0001_initial"),
        ("clusters", "0006_move_hosts_to_hosts_app"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelTable(name="sshcredential", table=None),
        migrations.AlterModelTable(name="host", table=None),
        migrations.RunPython(content_types_to_hosts, content_types_to_clusters),
    ]
