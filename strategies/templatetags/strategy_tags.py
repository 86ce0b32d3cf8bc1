"""Tags other apps' pages use to show strategies without importing this app:
`{% next_action customer %}` (customer page, through customers' insight-panel registry).
The home page (pages.views) computes its task buckets itself and includes
strategies/partials/_my_tasks.html."""

from django import template
from django.utils import timezone

from segmentation.dimensions import class_label

from ..selectors import customer_next_action

register = template.Library()


@register.inclusion_tag("strategies/partials/_next_action.html", takes_context=True)
def next_action(context, customer):
    request = context.get("request")
    today = timezone.localdate()
    return {
        "action": customer_next_action(user=request.user, customer=customer, today=today),
        "customer": customer,
        "today": today,
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def class_name(dimension: str, code: str) -> str:
    return class_label(dimension, code)
