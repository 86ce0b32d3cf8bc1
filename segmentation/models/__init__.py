from .choices import (
    CLASS_CHOICES,
    DIMENSIONS,
    UNCLASSIFIED,
    Dimension,
    RunStatus,
    ValueBasis,
    ValueMethod,
    class_label,
)
from .ruleset import RuleSet
from .runs import METRIC_FIELDS, WHY_FIELDS, ClassChange, ClassPin, CustomerClasses, Run

__all__ = [
    "CLASS_CHOICES",
    "DIMENSIONS",
    "METRIC_FIELDS",
    "UNCLASSIFIED",
    "WHY_FIELDS",
    "ClassChange",
    "ClassPin",
    "CustomerClasses",
    "Dimension",
    "RuleSet",
    "Run",
    "RunStatus",
    "ValueBasis",
    "ValueMethod",
    "class_label",
]
