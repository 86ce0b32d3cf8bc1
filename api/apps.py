from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API and outbound events")

    def ready(self) -> None:
        # Class-changed events go out after a run, from a Celery task queued by this hook
        # (never inside the run itself). Registered after segmentation's and strategies' hooks.
        from segmentation.hooks import register_post_run_hook

        from . import schema  # noqa: F401 - registers the Bearer scheme with drf-spectacular
        from .tasks import enqueue_class_change_events

        register_post_run_hook(enqueue_class_change_events)
