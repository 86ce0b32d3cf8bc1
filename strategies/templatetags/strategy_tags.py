"""Tags other apps' pages use to show strategies without importing this app:
`{% load strategy_tags %}{% my_tasks user %}` (home) and `{% next_action customer %}`
(customer page, through customers' insight-panel registry)."""

from django import template
from django.utils import timezone

from segmentation.dimensions import class_label

from ..selectors import customer_next_action, task_buckets

register = template.Library()

# The home page shows a short list; the tasks page has the rest.
HOME_BUCKET_SIZE = 8


@register.inclusion_tag("strategies/partials/_my_tasks.html", takes_context=True)
def my_tasks(context, user):
    today = timezone.localdate()
    return {
        "buckets": task_buckets(user=user, today=today, size=HOME_BUCKET_SIZE),
        "today": today,
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
    }


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
