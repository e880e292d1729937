from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClustersConfig(AppConfig):
    name = "clusters"
    verbose_name = _("Clusters")

    def ready(self):
        # Register the job kinds in every process (web, worker, beat).
        import clusters.jobs.kinds  # noqa: F401
