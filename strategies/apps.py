from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StrategiesConfig(AppConfig):
    name = "strategies"
    verbose_name = _("Strategies")

    def ready(self) -> None:
        # Integrate into lower layers through their registries; they never import us.
        from customers.extensions import (
            register_anonymiser,
            register_contact_logs_changed,
            register_customer_filter,
            register_insight_panel,
        )
        from segmentation.hooks import register_post_run_hook

        from .filters import outcome_filter, playbook_filter
        from .services.touch import touch_due_contact_logs_changed
        from .tasks import enqueue_after_run

        register_post_run_hook(enqueue_after_run)
        register_insight_panel("strategies/partials/_customer_panel.html")
        # Drill-downs of the playbook dashboards (strategies.filters).
        register_customer_filter("playbook", playbook_filter())
        register_customer_filter("outcome", outcome_filter())
        register_anonymiser("strategies", _scrub_free_text)
        # A contact logged, edited or removed moves the customer's next contact deadline.
        register_contact_logs_changed(touch_due_contact_logs_changed)


def _scrub_free_text(customer_id: int) -> int:
    """Anonymisation: task notes, copied pin reasons and pool-event reasons are free text."""
    from .models import Enrollment, PoolEvent, Task

    return (
        Task.objects.filter(customer_id=customer_id).exclude(note="").update(note="")
        + Enrollment.objects.filter(customer_id=customer_id)
        .exclude(pin_reason="")
        .update(pin_reason="")
        + PoolEvent.objects.filter(customer_id=customer_id).exclude(reason="").update(reason="")
    )
