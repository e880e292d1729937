from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HostsConfig(AppConfig):
    name = "hosts"
    verbose_name = _("Hosts")

    def ready(self):
        # Register the job kinds in every process (web, worker, beat).
        import hosts.job_kinds  # noqa: F401
