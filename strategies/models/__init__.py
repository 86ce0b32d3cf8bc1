from .playbooks import Playbook, PlaybookStep, ServiceLevel, StepKind, StrategySettings
from .pool import PoolEvent, PoolEventKind
from .tasks import OPEN_STATUSES, Enrollment, EnrollmentReason, Task, TaskKind, TaskStatus

__all__ = [
    "OPEN_STATUSES",
    "Enrollment",
    "EnrollmentReason",
    "Playbook",
    "PlaybookStep",
    "PoolEvent",
    "PoolEventKind",
    "ServiceLevel",
    "StepKind",
    "StrategySettings",
    "Task",
    "TaskKind",
    "TaskStatus",
]
