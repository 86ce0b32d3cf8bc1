from .aggregates import ClassAggregate, ParetoCurve, TransitionAggregate
from .choices import (
    CLASS_CHOICES,
    CLASS_ORDER,
    DIMENSIONS,
    UNCLASSIFIED,
    Dimension,
    RunStatus,
    ValueBasis,
    ValueMethod,
    better_classes,
    class_label,
    class_move,
    class_rank,
    worse_classes,
)
from .ruleset import RuleSet
from .runs import METRIC_FIELDS, WHY_FIELDS, ClassChange, ClassPin, CustomerClasses, Run

__all__ = [
    "CLASS_CHOICES",
    "CLASS_ORDER",
    "DIMENSIONS",
    "METRIC_FIELDS",
    "UNCLASSIFIED",
    "WHY_FIELDS",
    "ClassAggregate",
    "ClassChange",
    "ClassPin",
    "CustomerClasses",
    "Dimension",
    "ParetoCurve",
    "RuleSet",
    "Run",
    "RunStatus",
    "TransitionAggregate",
    "ValueBasis",
    "ValueMethod",
    "better_classes",
    "class_label",
    "class_move",
    "class_rank",
    "worse_classes",
]
