from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StrategiesConfig(AppConfig):
    name = "strategies"
    verbose_name = _("Strategies")

    def ready(self) -> None:
        # Integrate into lower layers through their registries; they never import us.
        from customers.extensions import register_customer_filter, register_insight_panel
        from segmentation.hooks import register_post_run_hook

        from .filters import outcome_filter, playbook_filter
        from .tasks import enqueue_after_run

        register_post_run_hook(enqueue_after_run)
        register_insight_panel("strategies/partials/_customer_panel.html")
        # Drill-downs of the playbook dashboards (strategies.filters).
        register_customer_filter("playbook", playbook_filter())
        register_customer_filter("outcome", outcome_filter())
