"""The customer list's filters (django-filter). Other apps add theirs through
customers.extensions.register_customer_filter."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from crm.models import Team, User

from .models import CompanySize, Contact, Customer, CustomerKind, Industry, Market, Region

# A search term shorter than this would match half the table; it is ignored.
MIN_SEARCH_LENGTH = 1
MAX_SEARCH_LENGTH = 100
TRIGRAM_LENGTH = 3


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_search",
        label=_("Search"),
        max_length=MAX_SEARCH_LENGTH,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, code, phone or contact name")}
        ),
    )
    industry = django_filters.ChoiceFilter(choices=Industry.choices, label=_("Industry"))
    size = django_filters.ChoiceFilter(choices=CompanySize.choices, label=_("Size"))
    region = django_filters.ChoiceFilter(choices=Region.choices, label=_("Region"))
    kind = django_filters.ChoiceFilter(choices=CustomerKind.choices, label=_("Type"))
    market = django_filters.ChoiceFilter(
        choices=Market.choices, label=_("Domestic / international")
    )
    owner = django_filters.ModelChoiceFilter(queryset=User.objects.none(), label=_("Owner"))
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.none(), label=_("Team"))

    class Meta:
        model = Customer
        fields: list[str] = []

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        from .selectors import teams_visible_to, users_assignable_by

        self.filters["owner"].queryset = users_assignable_by(user=user)
        self.filters["team"].queryset = teams_visible_to(user=user)
        if user.is_rep:
            # A rep only ever sees their own customers; these filters would be noise.
            del self.filters["owner"]
            del self.filters["team"]
        elif not user.sees_all_teams:
            del self.filters["team"]

    def filter_search(self, queryset: QuerySet[Customer], name: str, value: str):
        term = value.strip()
        if len(term) < MIN_SEARCH_LENGTH:
            return queryset
        # A UNION of index-backed lookups (trigram on names, pattern indexes on code and
        # phone; migration 0003) instead of one OR, which would scan the whole table. Trigrams
        # need three characters: shorter terms (a two-character Chinese word) skip the
        # contact-name branch, which would otherwise scan every contact.
        parts: list[QuerySet] = [
            Customer.objects.filter(external_code__istartswith=term).values("pk").order_by(),
            Customer.objects.filter(phone__startswith=term).values("pk").order_by(),
        ]
        if len(term) >= TRIGRAM_LENGTH:
            parts.append(
                Contact.objects.filter(name__icontains=term).values("customer_id").order_by()
            )
        matches = (
            Customer.objects.filter(name__icontains=term).values("pk").order_by().union(*parts)
        )
        return queryset.filter(pk__in=matches)
