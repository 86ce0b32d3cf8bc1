"""The fields a custom rule may read: the run's metrics, the customer's attributes, tags and the
built-in dimensions' classes, with their labels and kinds (the catalog the schema checks rules
against and reasons label conditions with)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models.choices import (
    CompanySize,
    CustomerKind,
    Industry,
    IndustryOutlook,
    Market,
    Region,
    SourceChannel,
)
from segmentation.models import CLASS_CHOICES, METRIC_FIELDS, CustomerClasses
from segmentation.models.choices import Dimension

Kind = Literal["number", "choice"]
Source = Literal["metric", "attribute", "tag", "class"]


@dataclass(frozen=True)
class RuleField:
    name: str  # as written in a rule; also the column of the evaluation frame
    kind: Kind
    source: Source
    label: Any  # lazy translated label
    # Allowed values → labels (None: any value, e.g. owner/team ids).
    choices: Mapping[str, Any] | None = None
    percent: bool = False


# Customer attributes: (name, kind, label, choices). owner/team are ids.
_ATTRIBUTE_CHOICES: dict[str, Any] = {
    "industry": (Industry, gettext_lazy("industry")),
    "size": (CompanySize, gettext_lazy("size")),
    "region": (Region, gettext_lazy("region")),
    "kind": (CustomerKind, gettext_lazy("type")),
    "market": (Market, gettext_lazy("domestic / international")),
    "source_channel": (SourceChannel, gettext_lazy("source channel")),
    "industry_outlook": (IndustryOutlook, gettext_lazy("industry outlook")),
}
ATTRIBUTE_NUMBERS: dict[str, Any] = {
    "annual_budget": gettext_lazy("annual purchasing budget"),
    "annual_revenue": gettext_lazy("annual revenue"),
    "employees": gettext_lazy("employees"),
    "growth_rate": gettext_lazy("growth rate (%)"),
}
ATTRIBUTE_IDS: dict[str, Any] = {
    "owner": gettext_lazy("owner (user id)"),
    "team": gettext_lazy("team (team id)"),
}
# Attribute fields and the Customer column each one reads.
ATTRIBUTE_COLUMNS: dict[str, str] = {
    **{name: name for name in _ATTRIBUTE_CHOICES},
    **{name: name for name in ATTRIBUTE_NUMBERS},
    "owner": "owner_id",
    "team": "team_id",
}
_PERCENT_METRICS = {"margin_pct", "on_time_pct", "spend_trend_pct", "growth_rate"}


def _static_fields() -> dict[str, RuleField]:
    out: dict[str, RuleField] = {}
    labels = {f.name: f.verbose_name for f in CustomerClasses._meta.concrete_fields}
    for name in METRIC_FIELDS:
        out[name] = RuleField(
            name, "number", "metric", labels.get(name, name), percent=name in _PERCENT_METRICS
        )
    for name, (choices, label) in _ATTRIBUTE_CHOICES.items():
        out[name] = RuleField(name, "choice", "attribute", label, dict(choices.choices))
    for name, label in ATTRIBUTE_NUMBERS.items():
        out[name] = RuleField(name, "number", "attribute", label, percent=name in _PERCENT_METRICS)
    for name, label in ATTRIBUTE_IDS.items():
        out[name] = RuleField(name, "choice", "attribute", label, None)
    for dim in Dimension:
        choices = {k: v for k, v in CLASS_CHOICES[dim.value].choices}
        out[dim.value] = RuleField(dim.value, "choice", "class", dim.label, choices)
    return out


@dataclass
class Catalog:
    """Every field a rule may use. Tags come from the database (see catalog_load)."""

    fields: dict[str, RuleField] = field(default_factory=_static_fields)

    def add_tag(self, key: str, label: Any, options: Mapping[str, Any]) -> None:
        name = f"tag.{key}"
        self.fields[name] = RuleField(name, "choice", "tag", label, dict(options))


def catalog_load() -> Catalog:
    """The catalog with the active tags and their values (two queries)."""
    from customers.models import TagDefinition

    catalog = Catalog()
    for tag in TagDefinition.objects.filter(active=True).prefetch_related("options"):
        catalog.add_tag(tag.key, tag.name, {o.code: o.label for o in tag.options.all()})
    return catalog


# ---- compiled form -------------------------------------------------------------------------


def catalog_help() -> str:
    """The fields a rule may use, for the admin's help text (English field names)."""
    catalog = Catalog()
    metrics = [n for n, f in catalog.fields.items() if f.source == "metric"]
    attributes = [n for n, f in catalog.fields.items() if f.source == "attribute"]
    classes = [n for n, f in catalog.fields.items() if f.source == "class"]
    return _(
        "Numbers (the run's metrics): {metrics}. Customer attributes: {attributes}. "
        "Built-in classes: {classes}. Tags: tag.<key>."
    ).format(
        metrics=", ".join(metrics), attributes=", ".join(attributes), classes=", ".join(classes)
    )
