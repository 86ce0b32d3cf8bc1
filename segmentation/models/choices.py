"""Dimensions and their classes. Codes are stable (exports, filters, playbooks key on them);
labels are English msgids translated in segmentation/locale."""

from django.db import models
from django.utils.translation import gettext_lazy as _

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
    RFM_SEGMENT = "rfm_segment", _("RFM segment")
    CHURN_WARNING = "churn_warning", _("Churn warning")
    PAYMENT_RISK = "payment_risk", _("Payment risk")
    PROBLEM_CUSTOMER = "problem_customer", _("Problem customer")


class Lifecycle(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    INTENT = "intent", _("Intent")
    NEW = "new", _("New (first purchase)")
    REPEAT = "repeat", _("Repeat buyer")
    LOYAL = "loyal", _("Loyal")
    DORMANT = "dormant", _("Dormant")
    CHURNED = "churned", _("Churned")
    UNCLASSIFIED = UNCLASSIFIED, _("Unclassified")


class ValueTier(models.TextChoices):
    CORE = "core", _("Core / VIP")
    IMPORTANT = "important", _("Important")
    ORDINARY = "ordinary", _("Ordinary")
    POTENTIAL = "potential", _("Potential (no purchases yet)")
    UNCLASSIFIED = UNCLASSIFIED, _("Unclassified")


class Loyalty(models.TextChoices):
    LOYAL = "loyal", _("Loyal")
    SWING = "swing", _("Swing")
    NEW = "new", _("New")
    UNCLASSIFIED = UNCLASSIFIED, _("Unclassified")


class Potential(models.TextChoices):
    HIGH = "high", _("High potential")
    MEDIUM = "medium", _("Medium potential")
    LOW = "low", _("Low potential")
    UNCLASSIFIED = UNCLASSIFIED, _("Unclassified")


class ValuePotential(models.TextChoices):
    STAR = "star", _("Star")
    CASH_COW = "cash_cow", _("Cash cow")
    POTENTIAL = "potential", _("Potential")
    LONG_TAIL = "long_tail", _("Long tail")
    UNCLASSIFIED = UNCLASSIFIED, _("Unclassified")


class Frequency(models.TextChoices):
    HIGH = "high", _("High frequency")
    LOW = "low", _("Low frequency")
    ZERO = "zero", _("No purchases in window")
    UNCLASSIFIED = UNCLASSIFIED, _("Unclassified")


class RfmScore(models.TextChoices):
    S1 = "1", "1"
    S2 = "2", "2"
    S3 = "3", "3"
    S4 = "4", "4"
    S5 = "5", "5"
    UNCLASSIFIED = UNCLASSIFIED, _("Unclassified")


class RfmSegment(models.TextChoices):
    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal customers")
    POTENTIAL_LOYALIST = "potential_loyalist", _("Potential loyalists")
    NEW = "new", _("New customers")
    PROMISING = "promising", _("Promising")
    NEED_ATTENTION = "need_attention", _("Need attention")
    ABOUT_TO_SLEEP = "about_to_sleep", _("About to sleep")
    AT_RISK = "at_risk", _("At risk")
    CANT_LOSE = "cant_lose", _("Can't lose them")
    HIBERNATING = "hibernating", _("Hibernating")
    LOST = "lost", _("Lost")
    UNCLASSIFIED = UNCLASSIFIED, _("Unclassified")


class Flag(models.TextChoices):
    YES = "yes", _("Flagged")
    NO = "no", _("Not flagged")
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
    Dimension.LOYALTY: ((Loyalty.SWING, Loyalty.NEW), (Loyalty.LOYAL,)),
    Dimension.POTENTIAL: ((Potential.LOW,), (Potential.MEDIUM,), (Potential.HIGH,)),
    # Potential (low value, high potential) and cash cow (high value, low potential) are
    # different situations, not a better and a worse one.
    Dimension.VALUE_POTENTIAL: (
        (ValuePotential.LONG_TAIL,),
        (ValuePotential.POTENTIAL, ValuePotential.CASH_COW),
        (ValuePotential.STAR,),
    ),
    Dimension.FREQUENCY: ((Frequency.ZERO,), (Frequency.LOW,), (Frequency.HIGH,)),
    Dimension.RFM_R: tuple((s,) for s in ("1", "2", "3", "4", "5")),
    Dimension.RFM_F: tuple((s,) for s in ("1", "2", "3", "4", "5")),
    Dimension.RFM_M: tuple((s,) for s in ("1", "2", "3", "4", "5")),
    Dimension.RFM_SEGMENT: (
        (RfmSegment.LOST,),
        (RfmSegment.HIBERNATING,),
        (RfmSegment.ABOUT_TO_SLEEP, RfmSegment.AT_RISK, RfmSegment.CANT_LOSE),
        (RfmSegment.NEED_ATTENTION, RfmSegment.PROMISING, RfmSegment.NEW),
        (RfmSegment.POTENTIAL_LOYALIST,),
        (RfmSegment.LOYAL,),
        (RfmSegment.CHAMPIONS,),
    ),
    # A flag going away is the better outcome.
    Dimension.CHURN_WARNING: ((Flag.YES,), (Flag.NO,)),
    Dimension.PAYMENT_RISK: ((Flag.YES,), (Flag.NO,)),
    Dimension.PROBLEM_CUSTOMER: ((Flag.YES,), (Flag.NO,)),
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
