"""Hand-set classes (pins): a rep or manager overrides a class, with a reason, until a date."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.access import customer_get_for_user
from segmentation.dimensions import dimension_spec
from segmentation.models import ClassPin

# A pin is a deliberate, temporary exception; a year is the longest it may silence the engine.
MAX_PIN_DAYS = 366


def _check_actor(actor) -> None:
    if not (actor.is_crm_admin or actor.is_manager or actor.is_rep):
        raise PermissionDenied(_("Only reps, managers and admins can pin classes."))


def class_pin_errors(
    *, dimension: str, code: str, reason: str, expires_on: dt.date | None
) -> dict[str, list[str]]:
    """What is wrong with a pin, per field (empty when it is fine). The admin form and the
    service share it."""
    errors: dict[str, list[str]] = {}
    spec = dimension_spec(dimension)
    if spec is None:
        errors["dimension"] = [_("Unknown dimension “{d}”.").format(d=dimension)]
    elif not spec.active:
        errors["dimension"] = [_("The dimension “{d}” is no longer computed.").format(d=spec.label)]
    elif code not in {c for c, _label in spec.pin_choices()}:
        errors["code"] = [_("“{c}” is not a class of {d}.").format(c=code, d=spec.label)]
    if not (reason or "").strip():
        errors["reason"] = [_("Say why the class is pinned; the next person needs to know.")]
    today = timezone.localdate()
    if expires_on is None:
        errors["expires_on"] = [_("Say until when the pin applies.")]
    elif expires_on <= today:
        errors["expires_on"] = [_("The pin must end after today ({d}).").format(d=today)]
    elif (expires_on - today).days > MAX_PIN_DAYS:
        errors["expires_on"] = [
            _("A pin can last at most {n} days (until {d}).").format(
                n=MAX_PIN_DAYS, d=today + dt.timedelta(days=MAX_PIN_DAYS)
            )
        ]
    return errors


@transaction.atomic
def class_pin_set(
    *,
    actor,
    customer_id: int,
    dimension: str,
    code: str,
    reason: str,
    expires_on: dt.date,
) -> ClassPin:
    """Pins `dimension` of a customer the actor may see (404 otherwise) to `code`. A second
    pin on the same dimension replaces the first."""
    _check_actor(actor)
    customer = customer_get_for_user(user=actor, customer_id=customer_id)
    reason = (reason or "").strip()
    errors = class_pin_errors(dimension=dimension, code=code, reason=reason, expires_on=expires_on)
    if errors:
        raise ValidationError(errors)
    pin, _created = ClassPin.objects.update_or_create(
        customer=customer,
        dimension=dimension,
        defaults={
            "code": code,
            "reason": reason[:300],
            "expires_on": expires_on,
            "created_by": actor,
        },
    )
    return pin


@transaction.atomic
def class_pin_remove(*, actor, pin_id: int, customer_id: int) -> None:
    """Removes a pin of a customer the actor may see (404 otherwise, also for a pin of
    another customer)."""
    _check_actor(actor)
    customer = customer_get_for_user(user=actor, customer_id=customer_id)
    pin = ClassPin.objects.filter(pk=pin_id, customer=customer).first()
    if pin is None:
        raise Http404("No such pin")
    pin.delete()
