"""{% personal customer obj "phone" %}: a personal field as the viewing user may see it
(customers.privacy decides; this tag only asks)."""

from django import template

from ..privacy import shown

register = template.Library()


@register.simple_tag(takes_context=True)
def personal(context, customer, obj, field: str):
    request = context.get("request")
    # Rendered only on signed-in pages (the views require a login).
    return shown(request.user, customer, obj, field)
