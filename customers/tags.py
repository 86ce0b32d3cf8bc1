"""Tags on the customer page: reading a customer's tags (with every active tag's allowed
values) and setting one. Callers fetch the customer through customers.access first."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.models import User

from .models import Customer, CustomerTag, TagDefinition, TagOption


def can_tag(user: User) -> bool:
    """Who may edit a customer may tag it: reps (their own book), managers and admins, on
    customers they can see (the caller checked that through customers.access)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_rep or user.is_manager or user.is_crm_admin)
    )


@dataclass(frozen=True)
class TagView:
    tag: TagDefinition
    options: list[TagOption]
    value: str
    value_label: str


def customer_tags_get(*, customer: Customer) -> list[TagView]:
    """Every active tag with its allowed values and this customer's value ('' if unset).
    Three queries (tags, their values, the customer's tags)."""
    current = dict(CustomerTag.objects.filter(customer=customer).values_list("tag_id", "value"))
    out = []
    for tag in TagDefinition.objects.filter(active=True).prefetch_related("options"):
        options = list(tag.options.all())
        value = current.get(tag.pk, "")
        label = next((o.label for o in options if o.code == value), value)
        out.append(TagView(tag=tag, options=options, value=value, value_label=label))
    return out


@transaction.atomic
def customer_tag_set(
    *, actor: User, customer: Customer, key: str, value: str
) -> CustomerTag | None:
    """Sets tag `key` of `customer` to `value` ("" removes it). Raises PermissionDenied for a
    role that may not tag and ValidationError (naming the tag and value) for a bad pair."""
    if not can_tag(actor):
        raise PermissionDenied(_("Only reps, managers and admins can tag customers."))
    tag = TagDefinition.objects.filter(key=key, active=True).first()
    if tag is None:
        raise ValidationError(_("There is no tag “{key}”.").format(key=key))
    if not value:
        CustomerTag.objects.filter(customer=customer, tag=tag).delete()
        return None
    if not tag.options.filter(code=value).exists():
        raise ValidationError(
            _("“{value}” is not a value of the tag {tag}.").format(value=value, tag=tag.name)
        )
    tagged, _created = CustomerTag.objects.update_or_create(
        customer=customer, tag=tag, defaults={"value": value, "set_by": actor}
    )
    return tagged
