"""The customer list's filters (django-filter). Other apps add theirs through
customers.extensions.register_customer_filter."""

from __future__ import annotations

import operator
from functools import reduce

import django_filters
from django import forms
from django.db.models import BooleanField, F, Func, Q, QuerySet, TextField, Value
from django.db.models.functions import Upper
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from crm.db import is_postgresql
from crm.models import Team, User

from .models import CompanySize, Contact, Customer, CustomerKind, Industry, Market, Region

# A search term shorter than this would match half the table; it is ignored.
MIN_SEARCH_LENGTH = 1
MAX_SEARCH_LENGTH = 100
TRIGRAM_LENGTH = 3


class _PlainSelect(forms.Select):
    """A <select> whose options are written here, not by a template each: Django renders
    every <option> through its own template (~40 µs), and the list's filter form has ~250
    options for a manager and ~850 for a director (every owner) — 10-25 ms of each full
    list page. Same markup as Django's select.html, less the blank lines."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        html: list[str] = [
            format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))
        ]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                html.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in options:
                # Escaped here (value and label are data); only `selected` comes as an attribute.
                code = escape(str(option["value"]))
                selected = " selected" if option["selected"] else ""
                label = conditional_escape(option["label"])
                html.append(f'\n  <option value="{code}"{selected}>{label}</option>')
            if group_name:
                html.append("\n  </optgroup>")
        html.append("\n</select>")
        return mark_safe("".join(html))  # noqa: S308 - every part escaped above


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

        # The owner list is a label per user: no team, no other column (~600 for a director).
        self.filters["owner"].queryset = (
            users_assignable_by(user=user)
            .select_related(None)
            .only("pk", "username", "first_name", "last_name")
        )
        self.filters["team"].queryset = teams_visible_to(user=user)
        if user.is_rep:
            # A rep only ever sees their own customers; these filters would be noise.
            del self.filters["owner"]
            del self.filters["team"]
        elif not user.sees_all_teams:
            del self.filters["team"]

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            for field in form.fields.values():
                if type(field.widget) is forms.Select:
                    field.widget = _PlainSelect(attrs=field.widget.attrs, choices=field.choices)
        return self._form

    def filter_search(self, queryset: QuerySet[Customer], name: str, value: str):
        branches = search_branches(value)
        if not branches:
            return queryset
        return queryset.filter(reduce(operator.or_, branches))

    def split_search(self) -> tuple[QuerySet[Customer], str]:
        """The queryset with every filter but the search, and the search term. The customer
        list pages each of the term's branches (search_branches) on its own index
        (customers.paging), where one OR would make PostgreSQL read the whole scope. Call
        after is_valid()."""
        queryset = self.queryset.all()
        for name, value in self.form.cleaned_data.items():
            if name != "q":
                queryset = self.filters[name].filter(queryset, value)
        return queryset, (self.form.cleaned_data.get("q") or "").strip()


def _characters(expression) -> Func:
    """`string_to_array(UPPER(x), NULL)`: the upper-cased characters of x, as an array."""
    return Func(
        Upper(expression), Value(None), function="string_to_array", output_field=TextField()
    )


class _Contains(Func):
    """`a @> b` (PostgreSQL): array a holds every element of array b."""

    arg_joiner = " @> "
    template = "%(expressions)s"
    output_field = BooleanField()


def _name_has_every_character(term: str) -> _Contains:
    # The expression customer_name_chars_idx holds (migration 0008); a test keeps them equal.
    return _Contains(_characters(F("name")), _characters(Value(term)))


def uses_character_index(value: str) -> bool:
    """Whether the name branch of this term goes through customer_name_chars_idx."""
    term = value.strip()
    return MIN_SEARCH_LENGTH <= len(term) < TRIGRAM_LENGTH and is_postgresql()


def search_branches(value: str, *, common: bool = False) -> list[Q]:
    """The search box's conditions, one per index that can answer it (a customer matches if
    any does): name contains the term, code starts with it, phone starts with it, and from
    three characters on a contact's name contains it.

    Trigrams (migration 0003) need three characters. A one- or two-character term (a
    surname, "科技") is looked up on PostgreSQL in the per-character GIN index first (every
    character of the term in the name), then checked with LIKE — otherwise it would read
    every name in the user's scope. Unless the caller knows the term is `common` (it found
    more names than it counts): then walking the name order with LIKE finds a page of
    matches sooner than loading all of them from the index to sort them."""
    term = value.strip()
    if len(term) < MIN_SEARCH_LENGTH:
        return []
    name = Q(name__icontains=term)
    if uses_character_index(term) and not common:
        name = Q(_name_has_every_character(term)) & name
    branches = [
        name,
        Q(external_code__istartswith=term),
        Q(phone__startswith=term),
    ]
    if len(term) >= TRIGRAM_LENGTH:
        branches.append(
            Q(pk__in=Contact.objects.filter(name__icontains=term).values("customer_id"))
        )
    return branches
