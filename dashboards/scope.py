"""What a dashboard shows: the user's access scope (customers/access.py rules) narrowed by the
filter bar, and how to read the per-run aggregates for it.

Access rules, the same as customers.access.customers_visible_to: a rep sees their own book, a
manager their team, a director or admin everyone; an unknown role or a manager without a team
sees nothing (fail closed)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.db.models import Count, QuerySet, Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.models import Team, User
from customers.access import customers_visible_to
from customers.models import CompanySize, Customer, CustomerKind, Industry, Region
from customers.selectors import teams_visible_to, users_assignable_by
from segmentation.dimensions import dimension_spec
from segmentation.models import (
    ClassAggregate,
    ClassChange,
    CustomerClasses,
    Run,
    TransitionAggregate,
)
from segmentation.models.aggregates import (
    AGGREGATE_SUMS,
    ATTRIBUTES,
    GRAIN_ALL,
    GRAIN_ATTRS,
    GRAIN_OWNER,
    GRAIN_TEAM,
    PAIR_DIMENSIONS,
    PAIR_SEPARATOR,
)


def _choices(enum) -> list[tuple[str, str]]:
    return [("", _("All")), *enum.choices]


class DashboardFilterForm(forms.Form):
    """The filter bar. Querysets are scoped to the user: a manager only picks own team's reps,
    a director/admin any team and rep, a rep neither (their own book)."""

    # Querysets are set per user in __init__.
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, label=_("Team"))
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label=_("Rep"))
    industry = forms.ChoiceField(choices=_choices(Industry), required=False, label=_("Industry"))
    region = forms.ChoiceField(choices=_choices(Region), required=False, label=_("Region"))
    size = forms.ChoiceField(choices=_choices(CompanySize), required=False, label=_("Size"))
    kind = forms.ChoiceField(choices=_choices(CustomerKind), required=False, label=_("Type"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        team = cast(forms.ModelChoiceField, self.fields["team"])
        team.queryset = teams_visible_to(user=user).order_by("name")
        team.empty_label = _("All")
        owner = cast(forms.ModelChoiceField, self.fields["owner"])
        owner.queryset = users_assignable_by(user=user)
        owner.empty_label = _("All")
        if user.is_rep or not (user.is_manager or user.is_crm_admin):
            del self.fields["team"]
            del self.fields["owner"]
        elif not user.sees_all_teams:
            del self.fields["team"]


def filter_bar(form: DashboardFilterForm) -> list[dict]:
    """The filter bar's selects as plain data: {name, id, label, errors, options: [(value,
    label, selected)]}. Rendering Django's select widget template per option took most of a
    page's time (a director's rep list has hundreds of options)."""
    fields = []
    for bound in form:
        current = bound.value()
        current = "" if current is None else str(current)
        options = []
        # Every field of the bar is a choice field (selects).
        choices: Iterable[tuple[Any, Any]] = getattr(bound.field, "choices", ())
        for value, text in choices:
            value = "" if value is None else str(getattr(value, "value", value))
            options.append((value, text, value == current))
        fields.append(
            {
                "name": bound.html_name,
                "id": bound.auto_id,
                "label": bound.label,
                "errors": bound.errors,
                "options": options,
            }
        )
    return fields


@dataclass(frozen=True)
class Scope:
    """`nothing`: the user may see no customer. team_id / owner_id: the customers' team and
    owner (from access or filter). attrs: attribute filters (industry, region, size, kind)."""

    nothing: bool = False
    team_id: int | None = None
    owner_id: int | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    # The filter values the user chose (for the customer-list links and exports).
    chosen: dict[str, str] = field(default_factory=dict)
    is_rep_book: bool = False
    user: User | None = field(default=None, compare=False, repr=False)

    @property
    def grain(self) -> str | None:
        """The aggregate grain that answers this scope; None = read the run's rows (owner +
        attribute filters, only the current run and its baseline keep them)."""
        if self.attrs:
            return None if self.owner_id else GRAIN_ATTRS
        if self.owner_id:
            return GRAIN_OWNER
        if self.team_id:
            return GRAIN_TEAM
        return GRAIN_ALL

    def aggregate_filter(
        self, model=ClassAggregate, *, run: Run | int | None = None, runs=None
    ) -> QuerySet:
        """Rows of `model` (ClassAggregate / TransitionAggregate / ParetoCurve) for this scope
        and run (or runs); the caller groups and sums. Never mixes grains."""
        grain = self.grain
        if self.nothing or grain is None:
            return model.objects.none()
        qs = model.objects.filter(grain=grain)
        qs = qs.filter(run=run) if runs is None else qs.filter(run__in=runs)
        if self.team_id:
            qs = qs.filter(team_id=self.team_id)
        if self.owner_id:
            qs = qs.filter(owner_id=self.owner_id)
        if self.attrs:
            qs = qs.filter(**self.attrs)
        return qs

    def class_rows_live(self, *, run: Run | int, dimensions) -> list[dict]:
        """(dimension, code, customers, sums) straight from the run's CustomerClasses rows:
        the rep + attribute filter case (a rep's book is a few thousand rows, reached through
        the customers' owner index). Empty for runs whose rows retention removed."""
        if self.nothing:
            return []
        qs = CustomerClasses.objects.filter(run=run, customer_id__in=self.customers().values("pk"))
        out: list[dict] = []
        sums = {s: Sum(s) for s in AGGREGATE_SUMS}
        # One grouped query per dimension; dimensions are a fixed list (≤ 15), not data.
        for dim in dimensions:
            if dim in PAIR_DIMENSIONS:
                a, b = PAIR_DIMENSIONS[dim]
                for row in qs.values(a, b).annotate(customers=Count("pk"), **sums).order_by():
                    out.append(
                        {
                            "dimension": dim,
                            "code": f"{row.pop(a)}{PAIR_SEPARATOR}{row.pop(b)}",
                            **row,
                        }
                    )
            else:
                spec = dimension_spec(dim)
                if spec is None:
                    continue
                for row in (
                    qs.annotate(class_code=spec.class_expr())
                    .values("class_code")
                    .annotate(customers=Count("pk"), **sums)
                    .order_by()
                ):
                    out.append({"dimension": dim, "code": row.pop("class_code") or "", **row})
        return out

    def customers(self) -> QuerySet:
        """The customers of this scope (access rules + filters), for the few reads that list
        customers (risk lists): always through customers.access."""
        if self.nothing or self.user is None:
            return Customer.objects.none()
        qs = customers_visible_to(self.user)
        if self.team_id:
            qs = qs.filter(team_id=self.team_id)
        if self.owner_id:
            qs = qs.filter(owner_id=self.owner_id)
        return qs.filter(**self.attrs)

    def transition_rows(self, *, runs, dimension: str) -> list[dict]:
        """[{from_code, to_code, customers}] of `dimension` summed over `runs`: one aggregate
        query, or (rep + attribute filters) one query on ClassChange of that rep's customers."""
        if self.nothing or not runs:
            return []
        if self.grain is None:
            qs = ClassChange.objects.filter(
                run__in=runs,
                dimension=dimension,
                customer_id__in=self.customers().values("pk"),
            )
            return list(
                qs.values("from_code", "to_code").annotate(customers=Count("pk")).order_by()
            )
        return list(
            self.aggregate_filter(TransitionAggregate, runs=runs)
            .filter(dimension=dimension)
            .values("from_code", "to_code")
            .annotate(customers=Sum("customers"))
            .order_by()
        )

    def class_rows(self, *, run: Run | int | None, dimensions) -> list[dict]:
        """[{dimension, code, customers, revenue_window, …}] for this scope in `run`: one
        aggregate query (or the live path, see class_rows_live)."""
        if run is None or self.nothing:
            return []
        dimensions = list(dimensions)
        if self.grain is None:
            return self.class_rows_live(run=run, dimensions=dimensions)
        return list(
            self.aggregate_filter(run=run)
            .filter(dimension__in=dimensions)
            .values("dimension", "code")
            .annotate(customers=Sum("customers"), **{s: Sum(s) for s in AGGREGATE_SUMS})
            .order_by()
        )

    def customers_url(self, **classes: str) -> str:
        """The customer list filtered by this scope's chosen filters and the given class
        filters (e.g. lifecycle="dormant", moved="…")."""
        params = {**self.chosen, **{k: v for k, v in classes.items() if v not in (None, "")}}
        base = reverse("customers:list")
        return f"{base}?{urlencode(params)}" if params else base

    def query(self) -> str:
        return urlencode(self.chosen)


def scope_from_request(request) -> tuple[Scope, DashboardFilterForm]:
    """The scope of `request.user` narrowed by the filter bar (GET). An invalid filter value
    (e.g. a rep of another team) is reported by the form and ignored."""
    user = request.user
    form = DashboardFilterForm(request.GET or None, user=user)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope(nothing=True), form
    chosen: dict[str, str] = {}
    attrs = {a: data[a] for a in ATTRIBUTES if data.get(a)}
    chosen.update(attrs)
    if user.is_rep:
        return (
            Scope(owner_id=user.pk, attrs=attrs, chosen=chosen, is_rep_book=True, user=user),
            form,
        )
    if user.sees_all_teams:
        team = data.get("team")
        owner = data.get("owner")
        if team:
            chosen["team"] = str(team.pk)
        if owner:
            chosen["owner"] = str(owner.pk)
        return (
            Scope(
                team_id=team.pk if team else None,
                owner_id=owner.pk if owner else None,
                attrs=attrs,
                chosen=chosen,
                user=user,
            ),
            form,
        )
    if user.is_manager and user.team_id:
        owner = data.get("owner")
        if owner:
            chosen["owner"] = str(owner.pk)
        return (
            Scope(
                team_id=user.team_id,
                owner_id=owner.pk if owner else None,
                attrs=attrs,
                chosen=chosen,
                user=user,
            ),
            form,
        )
    return Scope(nothing=True), form


__all__ = ["DashboardFilterForm", "Scope", "scope_from_request"]
