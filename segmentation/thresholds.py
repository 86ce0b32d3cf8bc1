"""Every classification threshold, declared once.

`Rules` below is the declaration: one line per threshold gives its name, Python type, kind,
default, label, range, help text and admin group. Everything else is built from it:
- the RuleSet model's threshold fields (`Threshold.model_field`, looped in models/ruleset.py),
- the frozen rules the classifiers read (`Rules` itself: a frozen dataclass),
- single-field validation (the kind's and the threshold's min/max become the field validators),
- the admin's fieldsets (`threshold_fieldsets`, one per group, in declaration order).
Checks across thresholds (dormant before churned, weights adding up to 1, …) stay in
segmentation.rules.ruleset_errors.

Adding a threshold is one line here (plus its translations) and a migration for the new column;
tests/segmentation/test_thresholds.py proves that the model, the rules and the admin agree.

Why a dataclass and not a list fed to dataclasses.make_dataclass: mypy cannot see the fields of a
generated class, and a typed stub beside it would be a second declaration. Written as a dataclass
whose defaults carry the threshold in the field metadata, mypy checks every `rules.<name>` the
classifiers read, and the import-time check below keeps annotation and kind in step.

This module imports no model (the RuleSet model imports it), so it is safe to import anywhere."""

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:  # django-stubs' name for "a str or a lazy translation"
    from django_stubs_ext import StrOrPromise
else:  # django-stubs is a dev requirement only
    StrOrPromise = str | Promise

# The options of the two choice thresholds. They live here, beside the thresholds they are
# options of, so that this module needs no model; segmentation.models re-exports them.


class ValueMethod(models.TextChoices):
    PARETO = "pareto", _("Cumulative share (Pareto / ABC)")
    PERCENTILE = "percentile", _("Percentile rank")
    ABSOLUTE = "absolute", _("Absolute amounts")


class ValueBasis(models.TextChoices):
    REVENUE = "revenue", _("Revenue")
    PROFIT = "profit", _("Profit")


@dataclass(frozen=True)
class Group:
    """A titled group of thresholds: one fieldset in the admin."""

    key: str
    title: StrOrPromise


WINDOWS = Group("windows", _("Windows"))
LIFECYCLE = Group("lifecycle", _("Lifecycle"))
VALUE_TIER = Group("value_tier", _("Value tier"))
LOYALTY = Group("loyalty", _("Loyalty"))
POTENTIAL = Group("potential", _("Purchase potential"))
FREQUENCY_RISK = Group("frequency_risk", _("Frequency and risk"))
ANTI_FLAPPING = Group("anti_flapping", _("Anti-flapping"))
GROUPS = (WINDOWS, LIFECYCLE, VALUE_TIER, LOYALTY, POTENTIAL, FREQUENCY_RISK, ANTI_FLAPPING)


@dataclass(frozen=True)
class Kind:
    """What a threshold measures: its stored field, its Python type in Rules and its usual
    range (a threshold may override min or max, or drop one with None)."""

    key: str
    field_class: type[models.Field]
    python_type: type
    min: float | None = None
    max: float | None = None
    field_options: tuple[tuple[str, Any], ...] = ()


DAYS = Kind("days", models.PositiveIntegerField, int, min=1, max=3650)
COUNT = Kind("count", models.PositiveSmallIntegerField, int)
NUMBER = Kind("number", models.FloatField, float)
PCT = Kind("pct", models.FloatField, float, min=0, max=100)
WEIGHT = Kind("weight", models.FloatField, float, min=0, max=1)
AMOUNT = Kind(
    "amount",
    models.DecimalField,
    float,  # Decimals become floats for numpy
    field_options=(("max_digits", 16), ("decimal_places", 2)),
)
CHOICE = Kind("choice", models.CharField, str)  # needs choices and max_length


class _KindRange:
    """Marks min/max left to the kind's range (None means: no bound)."""


KIND_RANGE: Any = _KindRange()


@dataclass(frozen=True)
class Threshold:
    name: str
    kind: Kind
    default: Any  # as stored in the model (None for an optional threshold)
    label: StrOrPromise
    group: Group
    help_text: StrOrPromise = ""
    min: float | None = None
    max: float | None = None
    optional: bool = False  # empty = this check is off
    choices: type[models.TextChoices] | None = None
    max_length: int | None = None

    @property
    def rules_default(self) -> Any:
        """The default as the classifiers read it (Decimals and ints of a float kind as float)."""
        return None if self.default is None else self.kind.python_type(self.default)

    def to_rules(self, value: Any) -> Any:
        """A stored value as the classifiers read it."""
        return None if value is None else self.kind.python_type(value)

    def validators(self) -> list[Any]:
        bounds: list[Any] = []
        if self.min is not None:
            bounds.append(MinValueValidator(self.min))
        if self.max is not None:
            bounds.append(MaxValueValidator(self.max))
        return bounds

    def model_field(self) -> models.Field:
        """The RuleSet column of this threshold (a fresh field on every call)."""
        options: dict[str, Any] = dict(self.kind.field_options)
        if self.optional:
            options.update(null=True, blank=True)
        else:
            options["default"] = self.default
        if self.choices is not None:
            options["choices"] = self.choices.choices
        if self.max_length is not None:
            options["max_length"] = self.max_length
        validators = self.validators()
        if validators:
            options["validators"] = validators
        if self.help_text:
            options["help_text"] = self.help_text
        return self.kind.field_class(self.label, **options)


_META = "threshold"


def threshold(
    kind: Kind,
    default: Any,
    label: StrOrPromise,
    *,
    group: Group,
    help_text: StrOrPromise = "",
    min: float | None = KIND_RANGE,
    max: float | None = KIND_RANGE,
    optional: bool = False,
    choices: type[models.TextChoices] | None = None,
    max_length: int | None = None,
) -> Any:
    """One field of `Rules`: its default for the classifiers, and the threshold in its metadata
    (named after the field once the class exists)."""
    if (kind is CHOICE) != (choices is not None and max_length is not None):
        raise TypeError("A choice threshold, and only one, takes choices and max_length.")
    spec = Threshold(
        name="",
        kind=kind,
        default=None if optional else default,
        label=label,
        group=group,
        help_text=help_text,
        min=kind.min if min is KIND_RANGE else min,
        max=kind.max if max is KIND_RANGE else max,
        optional=optional,
        choices=choices,
        max_length=max_length,
    )
    return dataclasses.field(default=spec.rules_default, metadata={_META: spec})


@dataclass(frozen=True)
class Rules:
    """The rule set as the classifiers read it: plain numbers, frozen. Field order is the
    admin's order within each group."""

    version: int = 0

    window_days: int = threshold(
        DAYS,
        365,
        _("analysis window (days)"),
        group=WINDOWS,
        help_text=_(
            "Orders, revenue and cases count "
            "within this many days before the run date; the spend trend compares it "
            "with the window before."
        ),
    )
    contact_window_days: int = threshold(DAYS, 90, _("contact window (days)"), group=WINDOWS)
    intent_window_days: int = threshold(
        DAYS,
        180,
        _("interest stays fresh (days)"),
        group=WINDOWS,
        help_text=_("A prospect who showed interest within this many days is an intent customer."),
    )

    dormant_days: int = threshold(
        DAYS, 120, _("dormant after (days without purchase)"), group=LIFECYCLE
    )
    churned_days: int = threshold(
        DAYS, 365, _("churned after (days without purchase)"), group=LIFECYCLE
    )
    rhythm_min_orders: int = threshold(
        COUNT,
        3,
        _("orders needed to know a customer's rhythm"),
        group=LIFECYCLE,
        min=2,
        max=100,
    )
    dormant_rhythm_factor: float = threshold(
        NUMBER,
        2.0,
        _("dormant after × own interval"),
        group=LIFECYCLE,
        min=1,
        max=20,
        help_text=_(
            "A customer with a known rhythm is dormant only when the silence is also "
            "longer than this many of their usual intervals."
        ),
    )
    churned_rhythm_factor: float = threshold(
        NUMBER, 4.0, _("churned after × own interval"), group=LIFECYCLE, min=1, max=40
    )
    loyal_min_orders: int = threshold(
        COUNT, 6, _("loyal: minimum orders in window"), group=LIFECYCLE, min=2
    )
    loyal_min_tenure_days: int = threshold(
        DAYS, 365, _("loyal: minimum days since first purchase"), group=LIFECYCLE
    )

    value_basis: str = threshold(
        CHOICE,
        ValueBasis.REVENUE,
        _("value measured by"),
        group=VALUE_TIER,
        choices=ValueBasis,
        max_length=10,
    )
    value_method: str = threshold(
        CHOICE,
        ValueMethod.PARETO,
        _("value tier method"),
        group=VALUE_TIER,
        choices=ValueMethod,
        max_length=12,
    )
    core_share_pct: float = threshold(
        PCT, 80, _("Pareto: core customers make up this share (%)"), group=VALUE_TIER
    )
    important_share_pct: float = threshold(
        PCT, 95, _("Pareto: core + important make up this share (%)"), group=VALUE_TIER
    )
    core_top_pct: float = threshold(PCT, 20, _("Percentile: core is the top (%)"), group=VALUE_TIER)
    important_top_pct: float = threshold(
        PCT, 50, _("Percentile: core + important is the top (%)"), group=VALUE_TIER
    )
    core_min_amount: float = threshold(
        AMOUNT, 500000, _("Absolute: core from this amount"), group=VALUE_TIER, min=0
    )
    important_min_amount: float = threshold(
        AMOUNT, 100000, _("Absolute: important from this amount"), group=VALUE_TIER, min=0
    )
    value_min_tenure_days: int = threshold(
        DAYS,
        0,
        _("value tier needs this much history (days)"),
        group=VALUE_TIER,
        min=None,
        help_text=_("Customers whose first purchase is more recent stay unclassified; 0 = off."),
    )

    loyalty_min_tenure_days: int = threshold(
        DAYS, 365, _("loyalty: minimum days as a buyer"), group=LOYALTY
    )
    loyalty_min_active_months: int = threshold(
        COUNT, 6, _("loyalty: active months in the last 12"), group=LOYALTY, min=1, max=12
    )
    loyalty_min_referrals: int = threshold(
        COUNT, 2, _("loyalty: referrals that also count as loyal"), group=LOYALTY, min=1
    )
    loyalty_min_satisfaction: int = threshold(
        COUNT, 4, _("loyalty: minimum latest satisfaction (1–5)"), group=LOYALTY, min=1, max=5
    )

    # The potential weights must add up to 1 (rules.ruleset_errors).
    weight_size: float = threshold(WEIGHT, 0.20, _("weight: company size"), group=POTENTIAL)
    weight_budget: float = threshold(WEIGHT, 0.25, _("weight: annual budget"), group=POTENTIAL)
    weight_outlook: float = threshold(WEIGHT, 0.15, _("weight: industry outlook"), group=POTENTIAL)
    weight_growth: float = threshold(WEIGHT, 0.15, _("weight: growth rate"), group=POTENTIAL)
    weight_trend: float = threshold(WEIGHT, 0.15, _("weight: spend trend"), group=POTENTIAL)
    weight_breadth: float = threshold(WEIGHT, 0.10, _("weight: category breadth"), group=POTENTIAL)
    # Predicted value (segmentation.prediction): 0 keeps the score on the profile alone.
    weight_expected_revenue: float = threshold(
        WEIGHT, 0.0, _("weight: expected revenue, next 365 days"), group=POTENTIAL
    )
    budget_full_amount: float = threshold(
        AMOUNT, 1000000, _("budget that scores full marks"), group=POTENTIAL, min=1
    )
    expected_revenue_full_amount: float = threshold(
        AMOUNT,
        100000,
        _("expected revenue (next 365 days) that scores full marks"),
        group=POTENTIAL,
        min=1,
    )
    growth_full_pct: float = threshold(
        NUMBER,
        20,
        _("growth rate that scores full marks (%)"),
        group=POTENTIAL,
        min=1,
        max=1000,
    )
    breadth_full_categories: int = threshold(
        COUNT, 5, _("categories that score full marks"), group=POTENTIAL, min=1
    )
    potential_high_min: float = threshold(PCT, 60, _("high potential from score"), group=POTENTIAL)
    potential_medium_min: float = threshold(
        PCT, 35, _("medium potential from score"), group=POTENTIAL
    )

    frequency_high_min_orders: int = threshold(
        COUNT, 6, _("high frequency: minimum orders in window"), group=FREQUENCY_RISK, min=2
    )
    churn_trend_drop_pct: float = threshold(
        PCT, 30, _("churn warning: spend fell by at least (%)"), group=FREQUENCY_RISK
    )
    churn_trend_min_orders: int = threshold(
        COUNT,
        5,
        _("churn warning: judge falling spend from this many orders in the previous window"),
        group=FREQUENCY_RISK,
        min=1,
        max=1000,
        help_text=_(
            "A customer who buys two to four times a year swings by a third from one order "
            "more or less; the spend trend warns only when the previous window had at least "
            "this many orders. The buying-rhythm warning still covers the rest."
        ),
    )
    churn_rhythm_overdue_factor: float = threshold(
        NUMBER,
        1.5,
        _("churn warning: silence longer than × own interval"),
        group=FREQUENCY_RISK,
        min=1,
        max=20,
    )
    churn_p_alive_below_pct: float | None = threshold(
        PCT,
        None,
        _("churn warning: chance still active below (%)"),
        group=FREQUENCY_RISK,
        optional=True,
        help_text=_(
            "Empty = off. The model's probability that the customer still buys; customers "
            "already dormant or churned are not warned again."
        ),
    )
    payment_min_on_time_pct: float = threshold(
        PCT, 80, _("payment risk: on-time payments below (%)"), group=FREQUENCY_RISK
    )
    payment_min_due_orders: int = threshold(
        COUNT,
        3,
        _("payment risk: judge punctuality from this many invoices"),
        group=FREQUENCY_RISK,
        min=1,
    )
    payment_grace_days: int = threshold(
        COUNT,
        30,
        _("payment risk: overdue by more than (days)"),
        group=FREQUENCY_RISK,
        max=3650,
    )
    problem_min_cases: int = threshold(
        COUNT,
        3,
        _("problem customer: complaints + returns + repairs in window"),
        group=FREQUENCY_RISK,
        min=1,
    )

    min_dwell_runs: int = threshold(
        COUNT,
        1,
        _("runs a new class must persist before it applies"),
        group=ANTI_FLAPPING,
        min=1,
        max=30,
        help_text=_(
            "1 = change at once; 2 = a change applies after two consecutive runs agree, "
            "so customers near a threshold do not bounce every night."
        ),
    )


def declared_thresholds(rules_class: type) -> tuple[Threshold, ...]:
    """The thresholds of a Rules class in declaration order, each named after its field; raises
    TypeError when a field's annotation disagrees with its kind, or its group is not in GROUPS
    (run at import for Rules)."""
    named = []
    for field in dataclasses.fields(rules_class):
        if _META not in field.metadata:
            continue
        spec = dataclasses.replace(field.metadata[_META], name=field.name)
        expected = spec.kind.python_type | None if spec.optional else spec.kind.python_type
        if field.type != expected:
            raise TypeError(
                f"{rules_class.__name__}.{field.name} is annotated {field.type!r}; "
                f"a {spec.kind.key} threshold is {expected!r}."
            )
        if spec.group not in GROUPS:
            raise TypeError(
                f"{rules_class.__name__}.{field.name}: group {spec.group.key!r} is not in GROUPS."
            )
        named.append(spec)
    return tuple(named)


THRESHOLDS = declared_thresholds(Rules)
THRESHOLD_BY_NAME = {t.name: t for t in THRESHOLDS}


def threshold_model_fields(
    thresholds: tuple[Threshold, ...] = THRESHOLDS,
) -> dict[str, models.Field]:
    """The RuleSet columns, in declaration order (fresh fields: one model per call)."""
    return {t.name: t.model_field() for t in thresholds}


def threshold_fieldsets(
    thresholds: tuple[Threshold, ...] = THRESHOLDS,
) -> list[tuple[StrOrPromise, dict[str, list[str]]]]:
    """The admin's fieldsets: one per group that has thresholds, in the order of GROUPS."""
    fieldsets: list[tuple[StrOrPromise, dict[str, list[str]]]] = []
    for group in GROUPS:
        names = [t.name for t in thresholds if t.group == group]
        if names:
            fieldsets.append((group.title, {"fields": names}))
    return fieldsets
