from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Dimensions offered as filters on the customer list (the RFM scores are in the export and the
# RFM segment filter covers them for daily work).
LIST_FILTER_DIMENSIONS = (
    "lifecycle",
    "value_tier",
    "loyalty",
    "potential",
    "value_potential",
    "frequency",
    "rfm_segment",
    # The RFM grid on the dashboards drills into one R × F cell.
    "rfm_r",
    "rfm_f",
    "churn_warning",
    "payment_risk",
    "problem_customer",
)


class SegmentationConfig(AppConfig):
    name = "segmentation"
    verbose_name = _("Segmentation")

    def ready(self) -> None:
        # Customers keeps registries; segmentation fills them (data flows one way).
        import django_filters

        from customers.extensions import (
            register_anonymiser,
            register_customer_data_flush,
            register_customer_filter,
            register_export_columns,
            register_insight_panel,
        )

        from .custom.selectors import (
            custom_class_choices,
            custom_classes_for_export,
            custom_export_headers,
        )
        from .hooks import register_post_run_hook
        from .models import CLASS_CHOICES, Dimension
        from .selectors import EXPORT_HEADERS, classes_for_export
        from .services.flush import segmentation_data_flush
        from .tasks import enqueue_classes_vacuum

        # First of the post-run hooks (strategies registers after): the class rows a run
        # wrote get their visibility map set before anyone pages through them.
        register_post_run_hook(enqueue_classes_vacuum)
        register_anonymiser("segmentation", _scrub_pins)
        register_insight_panel("segmentation/partials/_customer_classes.html")
        register_customer_data_flush(segmentation_data_flush)
        register_export_columns("segmentation", headers=EXPORT_HEADERS, fetch=classes_for_export)
        register_customer_filter(
            "active",
            django_filters.ChoiceFilter(
                choices=[("yes", _("New, repeat or loyal"))],
                label=_("Active customers"),
                method=_active_filter,
            ),
        )
        from .filters import MovedFilter

        register_customer_filter("moved", MovedFilter(label=_("Moved between classes")))
        register_export_columns(
            "segmentation_custom",
            headers=custom_export_headers,
            fetch=custom_classes_for_export,
        )
        # One filter for every custom dimension: its choices are read when the form renders,
        # so a dimension activated in the admin appears without a restart.
        register_customer_filter(
            "custom_class",
            django_filters.ChoiceFilter(
                choices=custom_class_choices,
                label=_("Custom class"),
                method=_custom_class_filter,
            ),
        )
        for dim in LIST_FILTER_DIMENSIONS:
            register_customer_filter(
                dim,
                django_filters.ChoiceFilter(
                    choices=CLASS_CHOICES[dim].choices,
                    label=Dimension(dim).label,
                    method=_class_filter(dim),
                ),
            )


def _class_filter(dimension: str):
    def filter_by_class(queryset, name, value):
        from .selectors import customers_in_class

        return customers_in_class(queryset, dimension=dimension, code=value) if value else queryset

    return filter_by_class


# Lifecycle classes that count as an active (buying) customer on the dashboards' headline.
ACTIVE_LIFECYCLES = ("new", "repeat", "loyal")


def _active_filter(queryset, name, value):
    if value != "yes":
        return queryset
    from .models import CustomerClasses
    from .selectors import run_current

    run = run_current()
    if run is None:
        return queryset.none()
    ids = CustomerClasses.objects.filter(run=run, lifecycle__in=ACTIVE_LIFECYCLES).values(
        "customer_id"
    )
    return queryset.filter(pk__in=ids)


def _custom_class_filter(queryset, name, value):
    from .custom.selectors import customers_in_custom_class

    if not value:
        return queryset
    key, _sep, code = value.partition(":")
    return customers_in_custom_class(queryset, key=key, class_code=code)


def _scrub_pins(customer_id: int) -> int:
    """Anonymisation: a pin's reason is free text about the customer (also in its history)."""
    from .models import ClassPin

    erased = "—"
    n = ClassPin.objects.filter(customer_id=customer_id).update(reason=erased)
    ClassPin.history.filter(customer_id=customer_id).update(reason=erased)
    return n
