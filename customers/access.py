"""Row-level access: the one place that decides which customers a user may see.

Every list, detail, export, form and job that shows customer data starts from
`customers_visible_to`. Objects outside a user's scope are reported as missing (404), never as
forbidden, so their existence is not revealed. Helpers fail closed: an unknown role sees nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404

from .models import (
    Contact,
    ContactLog,
    Customer,
    Referral,
    SatisfactionSurvey,
    ServiceCase,
    Transaction,
)

if TYPE_CHECKING:
    from crm.models import User


def customers_visible_to(user: User) -> QuerySet[Customer]:
    qs = Customer.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.sees_all_teams:
        return qs
    if user.is_manager:
        return qs.filter(team_id=user.team_id) if user.team_id else qs.none()
    if user.is_rep:
        return qs.filter(owner_id=user.pk)
    return qs.none()


def customer_get_for_user(*, user: User, customer_id: int | str) -> Customer:
    """The customer, if `user` may see it; 404 alike for missing and not-yours."""
    try:
        pk = int(customer_id)
    except (TypeError, ValueError):
        raise Http404("No such customer") from None
    customer = customers_visible_to(user).select_related("owner", "team").filter(pk=pk).first()
    if customer is None:
        raise Http404("No such customer")
    return customer


def _related_visible_to(model, user: User, field: str = "customer"):
    return model.objects.filter(**{f"{field}__in": customers_visible_to(user).values("pk")})


def transactions_visible_to(user: User) -> QuerySet[Transaction]:
    return _related_visible_to(Transaction, user)


def contacts_visible_to(user: User) -> QuerySet[Contact]:
    return _related_visible_to(Contact, user)


def contact_logs_visible_to(user: User) -> QuerySet[ContactLog]:
    return _related_visible_to(ContactLog, user)


def service_cases_visible_to(user: User) -> QuerySet[ServiceCase]:
    return _related_visible_to(ServiceCase, user)


def surveys_visible_to(user: User) -> QuerySet[SatisfactionSurvey]:
    return _related_visible_to(SatisfactionSurvey, user)


def referrals_visible_to(user: User) -> QuerySet[Referral]:
    return _related_visible_to(Referral, user, field="referrer")
