"""Teams and memberships move from rbac/ into the kernel (portal/teams.py).

Only the migration state moves: the tables keep their names (rbac_team,
rbac_membership, rbac_team_allowed_*), so no row is copied. The content types
are renamed, so permissions given on teams stay with them."""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def rename_content_types(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in ("team", "membership"):
        if not content_type.objects.filter(app_label="portal", model=model).exists():
            content_type.objects.filter(app_label="rbac", model=model).update(app_label="portal")


def restore_content_types(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in ("team", "membership"):
        if not content_type.objects.filter(app_label="rbac", model=model).exists():
            content_type.objects.filter(app_label="portal", model=model).update(app_label="rbac")


class Migration(migrations.Migration):
    dependencies = [
        ("clusters", "0007_cluster_bootstrap"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("portal", "0003_audit_indexes_refused"),
        ("rbac", "0007_cluster_grants"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Team",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=100, unique=True, verbose_name="name")),
                        (
                            "slug",
                            models.SlugField(
                                unique=True,
                                validators=[
                                    django.core.validators.RegexValidator(
                                        "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
                                        "Use at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit.",
                                    )
                                ],
                                verbose_name="slug",
                            ),
                        ),
                        ("description", models.TextField(blank=True, verbose_name="description")),
                        ("max_namespaces", models.PositiveIntegerField(default=5, verbose_name="maximum namespaces")),
                        (
                            "auto_approve_namespaces",
                            models.BooleanField(default=False, verbose_name="approve namespace requests automatically"),
                        ),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        (
                            "allowed_clusters",
                            models.ManyToManyField(
                                blank=True,
                                help_text="Clusters the team may request namespaces on; with none, only the clusters where the team already has namespaces.",
                                related_name="+",
                                to="clusters.cluster",
                                verbose_name="allowed clusters",
                            ),
                        ),
                        (
                            "allowed_plans",
                            models.ManyToManyField(
                                blank=True,
                                help_text="Quota plans the team may choose for its namespaces; none means every plan.",
                                related_name="+",
                                to="rbac.quotaplan",
                                verbose_name="allowed quota plans",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "team",
                        "verbose_name_plural": "teams",
                        "db_table": "rbac_team",
                        "ordering": ["name"],
                    },
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="team",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="portal.team",
                    ),
                ),
                migrations.CreateModel(
                    name="Membership",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "role",
                            models.CharField(
                                choices=[
                                    ("owner", "Owner"),
                                    ("maintainer", "Maintainer"),
                                    ("developer", "Developer"),
                                    ("viewer", "Viewer"),
                                ],
                                default="developer",
                                max_length=16,
                                verbose_name="role",
                            ),
                        ),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="memberships",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="user",
                            ),
                        ),
                        (
                            "team",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="memberships",
                                to="portal.team",
                                verbose_name="team",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "membership",
                        "verbose_name_plural": "memberships",
                        "db_table": "rbac_membership",
                        "ordering": ["team__name", "user__username"],
                        "constraints": [
                            models.UniqueConstraint(fields=("team", "user"), name="membership_unique_user")
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(rename_content_types, restore_content_types),
    ]
