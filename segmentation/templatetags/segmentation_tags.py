"""{% customer_classes customer %}: every current class with its reason, pins and the latest
changes, for the customer page (customers must not import segmentation, so the page loads
this tag). A constant number of queries per page."""

from django import template

from segmentation.forms import PinForm
from segmentation.selectors import customer_classes_get

register = template.Library()


@register.inclusion_tag("segmentation/partials/_classes.html", takes_context=True)
def customer_classes(context, customer, history_limit: int = 10):
    data = customer_classes_get(customer_id=customer.pk, history_limit=history_limit)
    request = context.get("request")
    user = getattr(request, "user", None)
    can_pin = bool(
        user is not None
        and user.is_authenticated
        and (user.is_crm_admin or user.is_manager or user.is_rep)
    )
    return {
        **data,
        "customer": customer,
        "can_pin": can_pin,
        "pin_form": PinForm() if can_pin else None,
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
