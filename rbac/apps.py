from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RbacConfig(AppConfig):
    name = "rbac"
    verbose_name = _("Teams and access")

    def ready(self):
        import rbac.jobs  # noqa: F401  (registers the job kinds)
