from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from portal.audit import login_described, login_failure_described

        user_logged_in.connect(login_described, dispatch_uid="portal.audit.login")
        user_login_failed.connect(login_failure_described, dispatch_uid="portal.audit.login_failed")
