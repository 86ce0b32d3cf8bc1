"""Personal data: who sees customers' and contacts' phone numbers and e-mail addresses in
full, and the one masking helper every page and export uses.

Rule (docs/security.md):
- pages: a rep sees their own customers' details in full, a manager their team's; anyone else
  (a director looking at another team, for example) sees them masked, unless they hold the
  `customers.export_personal_data` permission (administrators have every permission);
- exports: values are in full only for holders of that permission, masked for everyone else;
  the export log records which of the two it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

if TYPE_CHECKING:
    from crm.models import User

    from .models import Customer

PERSONAL_DATA_PERM = "customers.export_personal_data"
# Which fields are personal, and how each is masked.
PERSONAL_FIELDS = ("phone", "email", "wechat")
MASK = "****"


def mask_phone(value: str) -> str:
    """138****5678: the first three and last four digits stay, so a rep can still tell two
    numbers apart on the phone with the customer; short numbers keep their last two."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) >= 8:
        return value[:3] + MASK + value[-4:]
    return MASK + value[-2:] if len(value) > 2 else MASK


def mask_email(value: str) -> str:
    """a***@example.com: the first letter and the domain stay."""
    value = (value or "").strip()
    if not value:
        return ""
    local, at, domain = value.partition("@")
    if not at:
        return mask_text(value)
    return f"{local[:1]}***@{domain}"


def mask_text(value: str) -> str:
    """wx****: the first two characters stay (WeChat IDs and other handles)."""
    value = (value or "").strip()
    if not value:
        return ""
    return value[:2] + MASK if len(value) > 4 else MASK


MASKERS = {"phone": mask_phone, "email": mask_email, "wechat": mask_text}


def mask(field: str, value: Any) -> Any:
    """The masked form of `value` of the personal `field` (phone, email, wechat)."""
    if not value:
        return value
    return MASKERS[field](str(value))


def looks_masked(value: Any) -> bool:
    """A value that came out of a masked export (re-importing it would overwrite the real
    number with stars)."""
    return isinstance(value, str) and (MASK in value or "***@" in value)


def sees_all_personal_data(user: User) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_crm_admin or user.has_perm(PERSONAL_DATA_PERM))
    )


def personal_data_visible(user: User, customer: Customer) -> bool:
    """May `user` see `customer`'s (and its contacts') phone and e-mail in full on a page?
    The caller has already checked that the user may see the customer at all."""
    if not getattr(user, "is_authenticated", False):
        return False
    if customer.owner_id is not None and customer.owner_id == user.pk:
        return True
    if user.is_manager and user.team_id and customer.team_id == user.team_id:
        return True
    return sees_all_personal_data(user)


def full_view_q(user: User, *, prefix: str = "") -> Q | None:
    """The customers whose personal data `user` sees in full, as a filter (`prefix` e.g.
    "customer__" for contacts); None means all of them. The same rule as
    `personal_data_visible`, for querysets (admin searches by phone must not confirm a number
    the result would show masked)."""
    if sees_all_personal_data(user):
        return None
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    q = Q(**{f"{prefix}owner_id": user.pk})
    if user.is_manager and user.team_id:
        q |= Q(**{f"{prefix}team_id": user.team_id})
    return q


def shown(user: User, customer: Customer, obj: Any, field: str) -> Any:
    """`obj.field` (obj: the customer or one of its contacts) as `user` may see it."""
    value = getattr(obj, field, "")
    if personal_data_visible(user, customer):
        return value
    return mask(field, value)
