from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The composition root: settings, URLs, the API router, Celery, the
    dashboard and `make run`'s demo. It imports every app; no app imports it."""

    name = "config"
    verbose_name = "Portal site"
