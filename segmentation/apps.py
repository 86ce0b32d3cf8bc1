from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentationConfig(AppConfig):
    name = "segmentation"
    verbose_name = _("Segmentation")

    def ready(self) -> None:
        # Customers keeps registries; segmentation fills them (data flows one way).
        import django_filters
        from django.utils.functional import lazy

        from customers.extensions import (
            register_anonymiser,
            register_customer_data_flush,
            register_customer_filter,
            register_export_columns,
            register_insight_panel,
        )

        from .dimensions import BUILTIN, grouped_class_choices
        from .hooks import register_post_run_hook
        from .selectors import classes_for_export, export_headers
        from .services.flush import segmentation_data_flush
        from .tasks import enqueue_classes_vacuum

        # First of the post-run hooks (strategies registers after): the class rows a run
        # wrote get their visibility map set before anyone pages through them.
        register_post_run_hook(enqueue_classes_vacuum)
        register_anonymiser("segmentation", _scrub_pins)
        register_insight_panel("segmentation/partials/_customer_classes.html")
        register_customer_data_flush(segmentation_data_flush)
        register_export_columns("segmentation", headers=export_headers, fetch=classes_for_export)
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
        # One filter for any class of any dimension (`?in_class=<dimension>:<class>`): its
        # choices are read when the form renders, so a dimension an admin activates appears
        # without a restart; and one filter per dimension known at start-up.
        register_customer_filter(
            "in_class",
            django_filters.ChoiceFilter(
                choices=grouped_class_choices,
                label=_("Class (any dimension)"),
                method=_any_class_filter,
            ),
        )
        for spec in BUILTIN:
            if spec.list_filter:
                register_customer_filter(
                    spec.key,
                    django_filters.ChoiceFilter(
                        choices=spec.choices,
                        label=lazy(spec.name, str)(),
                        method=_class_filter(spec.key),
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


def _any_class_filter(queryset, name, value):
    from .selectors import customers_in_class

    if not value:
        return queryset
    key, _sep, code = value.partition(":")
    return customers_in_class(queryset, dimension=key, code=code)


def _scrub_pins(customer_id: int) -> int:
    """Anonymisation: a pin's reason is free text about the customer (also in its history)."""
    from .models import ClassPin

    erased = "—"
    n = ClassPin.objects.filter(customer_id=customer_id).update(reason=erased)
    ClassPin.history.filter(customer_id=customer_id).update(reason=erased)
    return n
