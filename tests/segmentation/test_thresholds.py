"""Thresholds are declared once (segmentation.thresholds): the RuleSet columns, the frozen Rules
and the admin's fieldsets are all the declaration, with the same names, defaults and ranges."""

import dataclasses
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation

from segmentation.admin import RuleSetAdmin
from segmentation.models import RuleSet
from segmentation.rules import RULE_FIELDS, WEIGHT_FIELDS, Rules, rules_from_ruleset
from segmentation.thresholds import (
    AMOUNT,
    CHOICE,
    DAYS,
    GROUPS,
    PCT,
    THRESHOLD_BY_NAME,
    THRESHOLDS,
    WEIGHT,
    WINDOWS,
    Group,
    ValueMethod,
    declared_thresholds,
    threshold,
    threshold_fieldsets,
    threshold_model_fields,
)

# The RuleSet columns that are not thresholds: identity, audit and the note.
NON_THRESHOLD_FIELDS = {
    "id",
    "name",
    "version",
    "is_active",
    "based_on",
    "note",
    "created_by",
    "created_at",
}
DECLARED = [t.name for t in THRESHOLDS]


def _admin_threshold_fields() -> list[str]:
    first, *groups = RuleSetAdmin.fieldsets
    assert first[0] is None
    assert set(first[1]["fields"]) <= NON_THRESHOLD_FIELDS
    return [name for _title, options in groups for name in options["fields"]]


def test_model_rules_and_admin_have_exactly_the_declared_thresholds_in_order():
    model_fields = [f.name for f in RuleSet._meta.concrete_fields]
    assert [n for n in model_fields if n not in NON_THRESHOLD_FIELDS] == DECLARED
    rules_fields = [f.name for f in dataclasses.fields(Rules)]
    assert rules_fields == ["version", *DECLARED]
    assert list(RULE_FIELDS) == DECLARED
    assert _admin_threshold_fields() == DECLARED
    assert len(set(DECLARED)) == len(DECLARED) > 40


def test_the_history_model_keeps_every_threshold():
    history_fields = {f.name for f in RuleSet.history.model._meta.concrete_fields}
    assert set(DECLARED) <= history_fields


def test_admin_fieldsets_are_the_groups_with_their_titles():
    with translation.override("en"):
        titles = [str(title) for title, _options in RuleSetAdmin.fieldsets[1:]]
        assert titles == [str(g.title) for g in GROUPS]
    assert titles[:2] == ["Windows", "Lifecycle"]
    assert titles[-1] == "Anti-flapping"
    for (_title, options), group in zip(RuleSetAdmin.fieldsets[1:], GROUPS, strict=True):
        assert options["fields"] == [t.name for t in THRESHOLDS if t.group == group]


def test_every_editable_rule_set_field_is_in_the_admin():
    # A model field missing from the fieldsets would silently vanish from the admin's form.
    in_admin = {name for _title, options in RuleSetAdmin.fieldsets for name in options["fields"]}
    editable = {f.name for f in RuleSet._meta.concrete_fields if f.editable and f.name != "id"}
    assert editable <= in_admin


def test_defaults_agree_between_model_and_rules():
    unsaved = RuleSet(version=0)  # model defaults, no database
    assert rules_from_ruleset(unsaved) == Rules()
    for t in THRESHOLDS:
        field = RuleSet._meta.get_field(t.name)
        rules_default = getattr(Rules(), t.name)
        if t.optional:
            assert field.null, t.name
            assert field.blank, t.name
            assert not field.has_default(), t.name
            assert rules_default is None, t.name
        else:
            assert field.get_default() == rules_default, t.name
            assert type(rules_default) is t.kind.python_type, t.name


def test_known_defaults_are_unchanged():
    rules = Rules()
    assert (rules.window_days, rules.dormant_days, rules.churned_days) == (365, 120, 365)
    assert rules.value_basis == "revenue"
    assert rules.value_method == "pareto"
    assert rules.core_min_amount == 500000.0
    assert rules.churn_p_alive_below_pct is None
    assert rules.min_dwell_runs == 1
    assert sum(getattr(rules, w) for w in WEIGHT_FIELDS) == pytest.approx(1)


def test_rules_from_a_stored_version_are_plain_python_numbers():
    rule_set = RuleSet(
        version=7,
        core_min_amount=Decimal("250000.50"),
        churn_p_alive_below_pct=Decimal("12.5"),
        dormant_days=90,
    )
    rules = rules_from_ruleset(rule_set)
    assert rules.version == 7
    assert rules.core_min_amount == 250000.5
    assert type(rules.core_min_amount) is float
    assert rules.churn_p_alive_below_pct == 12.5
    assert type(rules.churn_p_alive_below_pct) is float
    assert rules.dormant_days == 90
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.dormant_days = 1  # type: ignore[misc]


def test_weight_fields_are_the_weight_kind():
    assert WEIGHT_FIELDS == (
        "weight_size",
        "weight_budget",
        "weight_outlook",
        "weight_growth",
        "weight_trend",
        "weight_breadth",
        "weight_expected_revenue",
    )
    assert all(THRESHOLD_BY_NAME[w].kind is WEIGHT for w in WEIGHT_FIELDS)


def _step(t):
    return 1 if t.kind.python_type is int else (Decimal("0.01") if t.kind is AMOUNT else 0.01)


BOUNDED = [t for t in THRESHOLDS if t.min is not None or t.max is not None]


@pytest.mark.parametrize("t", BOUNDED, ids=[t.name for t in BOUNDED])
def test_each_declared_range_is_the_model_fields_validation(t):
    field = RuleSet._meta.get_field(t.name)

    def check(value):
        field.run_validators(field.to_python(value))

    if t.min is not None:
        check(t.min)
        with pytest.raises(ValidationError):
            check(t.min - _step(t))
    if t.max is not None:
        check(t.max)
        with pytest.raises(ValidationError):
            check(t.max + _step(t))


def test_ranges_that_differ_from_their_kind_are_kept():
    assert (DAYS.min, DAYS.max) == (1, 3650)
    tenure = THRESHOLD_BY_NAME["value_min_tenure_days"]  # 0 = off, so no minimum
    assert (tenure.kind, tenure.min, tenure.max) == (DAYS, None, 3650)
    RuleSet._meta.get_field("value_min_tenure_days").run_validators(0)
    assert (THRESHOLD_BY_NAME["core_share_pct"].min, THRESHOLD_BY_NAME["core_share_pct"].max) == (
        0,
        100,
    )


def test_choice_thresholds_offer_their_options():
    field = RuleSet._meta.get_field("value_method")
    assert [value for value, _label in field.choices] == ["pareto", "percentile", "absolute"]
    with pytest.raises(ValidationError):
        field.clean("median", None)


# A throwaway rules class: one more line is all a new threshold needs.
@dataclasses.dataclass(frozen=True)
class _ProbeRules(Rules):
    probe_days: int = threshold(DAYS, 45, "probe window (days)", group=WINDOWS, max=60)


def test_a_new_threshold_is_one_declaration():
    probe = declared_thresholds(_ProbeRules)
    assert [t.name for t in probe] == [*DECLARED, "probe_days"]
    assert _ProbeRules().probe_days == 45

    # Its column, built like RuleSet's, on a throwaway abstract model.
    meta = type("Meta", (), {"abstract": True, "app_label": "segmentation"})
    attrs = {"__module__": __name__, "Meta": meta, **threshold_model_fields(probe)}
    probe_model = type("ProbeRuleSet", (models.Model,), attrs)
    field = probe_model._meta.get_field("probe_days")
    assert isinstance(field, models.PositiveIntegerField)
    assert field.get_default() == 45
    assert field.verbose_name == "probe window (days)"
    field.run_validators(60)
    for bad in (0, 61):
        with pytest.raises(ValidationError):
            field.run_validators(bad)

    # Its place in the admin: the end of its group's fieldset.
    windows = threshold_fieldsets(probe)[0]
    assert windows[0] == WINDOWS.title
    assert windows[1]["fields"][-1] == "probe_days"


def test_an_annotation_that_disagrees_with_the_kind_is_refused():
    @dataclasses.dataclass(frozen=True)
    class WrongType(Rules):
        probe_pct: int = threshold(PCT, 5, "probe share (%)", group=WINDOWS)

    with pytest.raises(TypeError, match=r"WrongType\.probe_pct is annotated"):
        declared_thresholds(WrongType)

    @dataclasses.dataclass(frozen=True)
    class NotOptional(Rules):
        probe_pct: float = threshold(PCT, None, "probe share (%)", group=WINDOWS, optional=True)

    with pytest.raises(TypeError, match=r"NotOptional\.probe_pct is annotated"):
        declared_thresholds(NotOptional)


def test_choices_belong_to_choice_thresholds_only():
    with pytest.raises(TypeError, match="choice threshold"):
        threshold(CHOICE, "a", "probe method", group=WINDOWS)
    with pytest.raises(TypeError, match="choice threshold"):
        threshold(DAYS, 5, "probe window (days)", group=WINDOWS, choices=ValueMethod, max_length=9)


def test_a_group_missing_from_groups_is_refused():
    stray = Group("stray", "Stray")

    @dataclasses.dataclass(frozen=True)
    class StrayGroup(Rules):
        probe_days: int = threshold(DAYS, 5, "probe window (days)", group=stray)

    with pytest.raises(TypeError, match="'stray' is not in GROUPS"):
        declared_thresholds(StrayGroup)
