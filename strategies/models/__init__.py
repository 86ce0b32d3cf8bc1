from .outcomes import (
    OUTCOME_ATTRIBUTES,
    OUTCOME_WINDOWS,
    AdherenceRollup,
    PlaybookOutcome,
    PlaybookOutcomeRollup,
    StepsKept,
)
from .playbooks import Playbook, PlaybookStep, ServiceLevel, StepKind, StrategySettings
from .pool import PoolEvent, PoolEventKind
from .tasks import OPEN_STATUSES, Enrollment, EnrollmentReason, Task, TaskKind, TaskStatus
from .touch import TouchDue

__all__ = [
    "OPEN_STATUSES",
    "OUTCOME_ATTRIBUTES",
    "OUTCOME_WINDOWS",
    "AdherenceRollup",
    "Enrollment",
    "EnrollmentReason",
    "Playbook",
    "PlaybookOutcome",
    "PlaybookOutcomeRollup",
    "PlaybookStep",
    "PoolEvent",
    "PoolEventKind",
    "ServiceLevel",
    "StepKind",
    "StepsKept",
    "StrategySettings",
    "Task",
    "TaskKind",
    "TaskStatus",
    "TouchDue",
]
