from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClustersConfig(AppConfig):
    name = "clusters"
    verbose_name = _("Clusters")

    def ready(self):
        # Register the job kinds in every process (web, worker, beat).
        import clusters.bootstrap.job  # noqa: F401
        import clusters.bootstrap.lifecycle  # noqa: F401
        import clusters.job_kinds  # noqa: F401

        _remove_old_key_files()


def _remove_old_key_files() -> None:
    """Earlier versions let the Kubernetes client write decoded client keys
    to var/kube-tmp, where a crash left them; clients now keep keys in memory."""
    import shutil

    from portal.env import VAR_DIR

    shutil.rmtree(VAR_DIR / "kube-tmp", ignore_errors=True)
