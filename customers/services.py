"""Writes of the rep's workspace. Views parse and call one of these; access is checked by
the caller through customers.access (the object passed in was fetched with it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from crm.models import User

# "Anonymise customer" lives in customers.anonymise; still importable from here.
from .anonymise import ERASED, anonymised_name, customer_anonymise  # noqa: F401
from .extensions import contact_logs_changed
from .models import (
    Contact,
    ContactLog,
    Customer,
    CustomerMerge,
    Referral,
    SatisfactionSurvey,
    ServiceCase,
    Transaction,
)


def can_manage_customers(user: User) -> bool:
    """Managers (and above) reassign owners, merge and import; reps work their own book."""
    return bool(user.is_authenticated and (user.is_manager or user.is_crm_admin))


@transaction.atomic
def customer_create(*, actor: User, data: dict[str, Any]) -> Customer:
    """A new customer. A rep always owns what they create; a manager may name an owner from
    their team (the form scopes the choice) and defaults to themselves."""
    owner = data.pop("owner", None) if can_manage_customers(actor) else None
    data.pop("owner", None)
    owner = owner or actor
    customer = Customer(**data, owner=owner, team_id=owner.team_id)
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def customer_update(*, actor: User, customer: Customer, data: dict[str, Any]) -> Customer:
    fields = list(data)
    if "owner" in data:
        if not can_manage_customers(actor):
            raise PermissionDenied
        owner = data["owner"]
        customer.owner = owner
        customer.team_id = owner.team_id if owner else customer.team_id
        fields.append("team")
    for name, value in data.items():
        if name != "owner":
            setattr(customer, name, value)
    customer.full_clean()
    customer.save(update_fields=[*set(fields), "updated_at"])
    return customer


@transaction.atomic
def contact_save(
    *, customer: Customer, data: dict[str, Any], contact: Contact | None = None
) -> Contact:
    contact = contact or Contact(customer=customer)
    if contact.customer_id != customer.pk:
        raise PermissionDenied
    for name, value in data.items():
        setattr(contact, name, value)
    contact.full_clean()
    if data.get("is_primary"):
        # One primary contact per customer: the new one takes over.
        Contact.objects.filter(customer=customer, is_primary=True).exclude(pk=contact.pk).update(
            is_primary=False
        )
    contact.save()
    return contact


@transaction.atomic
def contact_log_create(*, actor: User, customer: Customer, data: dict[str, Any]) -> ContactLog:
    """A call, visit or message. Touching the customer bumps its `updated_at` so it shows up
    among recently worked customers."""
    contact = data.get("contact")
    if contact is not None and contact.customer_id != customer.pk:
        raise ValidationError({"contact": _("This person is not a contact of this customer.")})
    log = ContactLog(customer=customer, rep=actor, **data)
    log.full_clean()
    log.save()
    Customer.objects.filter(pk=customer.pk).update(updated_at=log.created_at)
    contact_logs_changed([customer.pk])
    return log


@transaction.atomic
def contact_log_save(*, log: ContactLog) -> ContactLog:
    """Saves a contact log edited (or added) in the admin, whose form has validated it. A
    log moved to another customer changes "last contact" of both: the layers that derive
    from it hear of both customers, in this transaction."""
    before = (
        ContactLog.objects.filter(pk=log.pk).values_list("customer_id", flat=True).first()
        if log.pk is not None
        else None
    )
    log.save()
    contact_logs_changed([before, log.customer_id])
    return log


@transaction.atomic
def contact_logs_delete(*, logs: QuerySet[ContactLog]) -> int:
    """Deletes contact logs (admin); returns how many. Their customers' "last contact"
    changes, so the layers that derive from it hear of them in this transaction."""
    customer_ids = list(logs.values_list("customer_id", flat=True).distinct())
    deleted, _per_model = logs.delete()
    contact_logs_changed(customer_ids)
    return deleted


# Profile fields a merge copies from the merged customer when the survivor has them empty.
MERGE_FILL_FIELDS = (
    "phone",
    "email",
    "website",
    "tax_number",
    "city",
    "address",
    "annual_budget",
    "annual_revenue",
    "employees",
    "growth_rate",
    "interest_since",
)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


@transaction.atomic
def customer_merge(*, actor: User, survivor: Customer, merged: Customer) -> CustomerMerge:
    """Moves everything of `merged` to `survivor`, records the merge and deletes `merged`.

    Both customers must have been fetched through customers.access for `actor`; only
    managers and admins merge. Rows are moved with set-based UPDATEs, not one by one."""
    if not can_manage_customers(actor):
        raise PermissionDenied
    if survivor.pk == merged.pk:
        raise ValidationError(_("A customer cannot be merged into itself."))
    # Lock both rows in a fixed order so two merges of the same pair cannot interleave.
    locked = {
        c.pk: c
        for c in Customer.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk])
    }
    if len(locked) != 2:
        raise ValidationError(_("One of the customers no longer exists."))
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    profile = {k: _json_safe(v) for k, v in model_to_dict(merged).items()}

    moved = {
        "transactions": Transaction.objects.filter(customer=merged).update(customer=survivor),
        "contact_logs": ContactLog.objects.filter(customer=merged).update(customer=survivor),
        "contacts": Contact.objects.filter(customer=merged).update(customer=survivor),
        "service_cases": ServiceCase.objects.filter(customer=merged).update(customer=survivor),
        "surveys": SatisfactionSurvey.objects.filter(customer=merged).update(customer=survivor),
    }
    # A referral between the two would become "referred itself": keep it as a named referral.
    Referral.objects.filter(referrer=survivor, referred=merged).update(
        referred=None, referred_name=merged.name
    )
    Referral.objects.filter(referrer=merged, referred=survivor).delete()
    moved["referrals"] = Referral.objects.filter(referrer=merged).update(referrer=survivor)
    Referral.objects.filter(referred=merged).update(referred=survivor)

    filled = []
    for name in MERGE_FILL_FIELDS:
        if getattr(survivor, name) in (None, "") and getattr(merged, name) not in (None, ""):
            setattr(survivor, name, getattr(merged, name))
            filled.append(name)
    if survivor.acquisition_cost is not None and merged.acquisition_cost:
        survivor.acquisition_cost += merged.acquisition_cost
        filled.append("acquisition_cost")
    moved["filled_fields"] = filled  # type: ignore[assignment]
    record = CustomerMerge.objects.create(
        survivor=survivor,
        merged_code=merged.external_code,
        merged_name=merged.name,
        merged_profile=profile,
        moved=moved,
        actor=actor,
    )
    # Earlier merges into the removed customer now point at the survivor.
    CustomerMerge.objects.filter(survivor=merged).update(survivor=survivor)
    merged.delete()
    survivor.save(update_fields=[*filled, "updated_at"])
    if moved["contact_logs"]:
        contact_logs_changed([survivor.pk])
    return record
