"""Dimensions and their classes. Codes are stable (exports, filters, playbooks key on them);
labels are English msgids translated in segmentation/locale."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The options of the value-tier thresholds are declared with the thresholds.
from segmentation.thresholds import ValueBasis, ValueMethod  # noqa: F401 (re-exported)

# A class that the data cannot support: shown as "unclassified — why", never a silent guess.
UNCLASSIFIED = "unclassified"


class Dimension(models.TextChoices):
    LIFECYCLE = "lifecycle", _("Lifecycle")
    VALUE_TIER = "value_tier", _("Value tier")
    LOYALTY = "loyalty", _("Loyalty")
    POTENTIAL = "potential", _("Purchase potential")
    VALUE_POTENTIAL = "value_potential", _("Value × potential")
    FREQUENCY = "frequency", _("Purchase frequency")
    RFM_R = "rfm_r", _("RFM recency score")
    RFM_F = "rfm_f", _("RFM frequency score")
    RFM_M = "rfm_m", _("RFM monetary score")
    RFM_SEGMENT = "rfm_segment", _("RFM value class")
    CHURN_WARNING = "churn_warning", _("Churn warning")
    PAYMENT_RISK = "payment_risk", _("Payment risk")
    PROBLEM_CUSTOMER = "problem_customer", _("Problem customer")
    # Last: its reason reads the lifecycle and the value tier (docs/classification.md).
    VALUE_TIER_PEAK = "value_tier_peak", _("Value tier at its best")


# The sources' lifecycle words (docs/classification.md): 潜在客户, 意向客户, 新客户, 重复购买客户,
# 忠诚客户, 休眠客户, 流失客户.
class Lifecycle(models.TextChoices):
    PROSPECT = "prospect", pgettext_lazy("lifecycle", "Prospect")
    INTENT = "intent", pgettext_lazy("lifecycle", "Intent customer")
    NEW = "new", pgettext_lazy("lifecycle", "New customer")
    REPEAT = "repeat", pgettext_lazy("lifecycle", "Repeat buyer")
    LOYAL = "loyal", pgettext_lazy("lifecycle", "Loyal customer")
    DORMANT = "dormant", pgettext_lazy("lifecycle", "Dormant customer")
    CHURNED = "churned", pgettext_lazy("lifecycle", "Churned customer")
    UNCLASSIFIED = UNCLASSIFIED, _("Unclassified")


class ValueTier(models.TextChoices):
    CORE = "core", _("Core / VIP")
    IMPORTANT = "important", _("Important")
    ORDINARY = "ordinary", _("Ordinary")
    POTENTIAL = "potential", pgettext_lazy("value tier", "No purchase yet")
    UNCLASSIFIED = UNCLASSIFIED, _("Unclassified")


# The value tier of a customer's best 365 days (segmentation.metrics: peak_value), against
# today's cut points: a churned former core customer is a lost core customer.
class ValueTierPeak(models.TextChoices):
    CORE = "core", pgettext_lazy("value tier at its best", "Core at its best")
    IMPORTANT = "important", pgettext_lazy("value tier at its best", "Important at its best")
    ORDINARY = "ordinary", pgettext_lazy("value tier at its best", "Ordinary at its best")
    POTENTIAL = "potential", pgettext_lazy("value tier at its best", "Never bought")
    UNCLASSIFIED = UNCLASSIFIED, _("Unclassified")


# Attitude (how a customer feels), not behaviour: a churned or never-bought customer is
# "not applicable", never swing (摇摆 = weighing suppliers).
NOT_APPLICABLE = "not_applicable"


class Loyalty(models.TextChoices):
    LOYAL = "loyal", pgettext_lazy("loyalty", "Loyal")
    SWING = "swing", pgettext_lazy("loyalty", "Swing")
    NEW = "new", pgettext_lazy("loyalty", "Too new to tell")
    NOT_APPLICABLE = NOT_APPLICABLE, _("Not applicable")
    UNCLASSIFIED = UNCLASSIFIED, _("Unclassified")


class Potential(models.TextChoices):
    HIGH = "high", _("High potential")
    MEDIUM = "medium", _("Medium potential")
    LOW = "low", _("Low potential")
    UNCLASSIFIED = UNCLASSIFIED, _("Unclassified")


class ValuePotential(models.TextChoices):
    STAR = "star", _("Star")
    CASH_COW = "cash_cow", _("Cash cow")
    POTENTIAL = "potential", pgettext_lazy("value × potential", "Potential")
    LONG_TAIL = "long_tail", _("Long tail")
    # Never bought: placed by potential alone, never in the long tail.
    PROSPECT = "prospect", pgettext_lazy("value × potential", "Prospect to develop")
    UNCLASSIFIED = UNCLASSIFIED, _("Unclassified")


class Frequency(models.TextChoices):
    HIGH = "high", _("High frequency")
    LOW = "low", _("Low frequency")
    ZERO = "zero", _("No purchases in the last 365 days")
    UNCLASSIFIED = UNCLASSIFIED, _("Unclassified")


class RfmScore(models.TextChoices):
    S1 = "1", "1"
    S2 = "2", "2"
    S3 = "3", "3"
    S4 = "4", "4"
    S5 = "5", "5"
    UNCLASSIFIED = UNCLASSIFIED, _("Unclassified")


class RfmSegment(models.TextChoices):
    """The eight RFM value classes of Chinese practice: R, F and M each high (score ≥ 3) or
    low; M decides 重要 / 一般, R and F decide 价值 / 发展 / 保持 / 挽留."""

    IMPORTANT_VALUE = "important_value", _("Important value customer")
    IMPORTANT_DEVELOP = "important_develop", _("Important customer to develop")
    IMPORTANT_KEEP = "important_keep", _("Important customer to keep")
    IMPORTANT_RETAIN = "important_retain", _("Important customer to win back")
    GENERAL_VALUE = "general_value", _("General value customer")
    GENERAL_DEVELOP = "general_develop", _("General customer to develop")
    GENERAL_KEEP = "general_keep", _("General customer to keep")
    GENERAL_RETAIN = "general_retain", _("General customer to win back")
    UNCLASSIFIED = UNCLASSIFIED, _("Unclassified")


class Flag(models.TextChoices):
    YES = "yes", pgettext_lazy("flag", "Yes")
    NO = "no", pgettext_lazy("flag", "No")
    UNCLASSIFIED = UNCLASSIFIED, _("Unclassified")


# dimension → its class choices (the classifier, admin, filters and pins all read this).
CLASS_CHOICES: dict[str, type[models.TextChoices]] = {
    Dimension.LIFECYCLE: Lifecycle,
    Dimension.VALUE_TIER: ValueTier,
    Dimension.LOYALTY: Loyalty,
    Dimension.POTENTIAL: Potential,
    Dimension.VALUE_POTENTIAL: ValuePotential,
    Dimension.FREQUENCY: Frequency,
    Dimension.RFM_R: RfmScore,
    Dimension.RFM_F: RfmScore,
    Dimension.RFM_M: RfmScore,
    Dimension.RFM_SEGMENT: RfmSegment,
    Dimension.CHURN_WARNING: Flag,
    Dimension.PAYMENT_RISK: Flag,
    Dimension.PROBLEM_CUSTOMER: Flag,
    Dimension.VALUE_TIER_PEAK: ValueTierPeak,
}

DIMENSIONS: tuple[str, ...] = tuple(Dimension.values)


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


# Which class is better than which, per dimension: tiers from worst to best. Classes in one
# tier are neither better nor worse than each other (a "new" loyalty customer who turns
# "swing" has not slipped: both are short of loyal). "unclassified" is in no tier, so a move
# to or from it is never counted as better or worse. Playbook effectiveness ("did the
# customer move to a better class?") and the rep's book read this table, nothing else.
CLASS_ORDER: dict[str, tuple[tuple[str, ...], ...]] = {
    Dimension.LIFECYCLE: (
        (Lifecycle.CHURNED,),
        (Lifecycle.DORMANT,),
        (Lifecycle.PROSPECT,),
        (Lifecycle.INTENT,),
        (Lifecycle.NEW,),
        (Lifecycle.REPEAT,),
        (Lifecycle.LOYAL,),
    ),
    Dimension.VALUE_TIER: (
        (ValueTier.POTENTIAL,),
        (ValueTier.ORDINARY,),
        (ValueTier.IMPORTANT,),
        (ValueTier.CORE,),
    ),
    # Not applicable sits with swing and too-new: short of loyal, neither better nor worse.
    Dimension.LOYALTY: ((Loyalty.SWING, Loyalty.NEW, Loyalty.NOT_APPLICABLE), (Loyalty.LOYAL,)),
    Dimension.POTENTIAL: ((Potential.LOW,), (Potential.MEDIUM,), (Potential.HIGH,)),
    # Potential (low value, high potential) and cash cow (high value, low potential) are
    # different situations, not a better and a worse one.
    Dimension.VALUE_POTENTIAL: (
        (ValuePotential.PROSPECT,),
        (ValuePotential.LONG_TAIL,),
        (ValuePotential.POTENTIAL, ValuePotential.CASH_COW),
        (ValuePotential.STAR,),
    ),
    Dimension.FREQUENCY: ((Frequency.ZERO,), (Frequency.LOW,), (Frequency.HIGH,)),
    Dimension.RFM_R: tuple((s,) for s in ("1", "2", "3", "4", "5")),
    Dimension.RFM_F: tuple((s,) for s in ("1", "2", "3", "4", "5")),
    Dimension.RFM_M: tuple((s,) for s in ("1", "2", "3", "4", "5")),
    # Retain (R and F low) < keep (R low) and develop (F low) < value; M lifts a class.
    Dimension.RFM_SEGMENT: (
        (RfmSegment.GENERAL_RETAIN,),
        (RfmSegment.GENERAL_KEEP, RfmSegment.GENERAL_DEVELOP, RfmSegment.IMPORTANT_RETAIN),
        (RfmSegment.GENERAL_VALUE, RfmSegment.IMPORTANT_KEEP, RfmSegment.IMPORTANT_DEVELOP),
        (RfmSegment.IMPORTANT_VALUE,),
    ),
    # A flag going away is the better outcome.
    Dimension.CHURN_WARNING: ((Flag.YES,), (Flag.NO,)),
    Dimension.PAYMENT_RISK: ((Flag.YES,), (Flag.NO,)),
    Dimension.PROBLEM_CUSTOMER: ((Flag.YES,), (Flag.NO,)),
    Dimension.VALUE_TIER_PEAK: (
        (ValueTierPeak.POTENTIAL,),
        (ValueTierPeak.ORDINARY,),
        (ValueTierPeak.IMPORTANT,),
        (ValueTierPeak.CORE,),
    ),
}

_RANKS: dict[str, dict[str, int]] = {
    str(dim): {str(code): tier for tier, codes in enumerate(tiers) for code in codes}
    for dim, tiers in CLASS_ORDER.items()
}


def class_rank(dimension: str, code: str) -> int | None:
    """The tier of a class within its dimension (0 = worst); None for unranked classes."""
    return _RANKS.get(dimension, {}).get(code)


def class_move(dimension: str, from_code: str, to_code: str) -> int:
    """+1 when `to_code` is a better class than `from_code`, -1 when worse, 0 when neither
    (same tier, or either class unranked)."""
    a, b = class_rank(dimension, from_code), class_rank(dimension, to_code)
    if a is None or b is None or a == b:
        return 0
    return 1 if b > a else -1


def better_classes(dimension: str, code: str) -> tuple[str, ...]:
    """Every class of `dimension` better than `code` (empty for the best tier or unranked)."""
    return tuple(c for c in _RANKS.get(dimension, {}) if class_move(dimension, code, c) > 0)


def worse_classes(dimension: str, code: str) -> tuple[str, ...]:
    return tuple(c for c in _RANKS.get(dimension, {}) if class_move(dimension, code, c) < 0)
