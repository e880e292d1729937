"""`manage.py role_table`: what each team role may do, as Markdown
(rbac.role_table; docs/api-quickstart.md holds this output)."""

from django.core.management.base import BaseCommand

from rbac.role_table import role_table_markdown


class Command(BaseCommand):
    help = "Print what each team role may do, as a Markdown table built from the code's rules."

    def handle(self, *args, **options):
        self.stdout.write(role_table_markdown(), ending="")
