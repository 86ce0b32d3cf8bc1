from .enrollments import enrollment_save, enrollments_delete, pool_events_delete
from .generate import GenerateResult, strategies_generate, tasks_mark_missed
from .playbooks import playbook_save, playbooks_delete
from .pool import PoolSweepResult, pool_claim, pool_sweep
from .tasks import task_complete, task_snooze
from .touch import touch_due_refresh

__all__ = [
    "GenerateResult",
    "PoolSweepResult",
    "enrollment_save",
    "enrollments_delete",
    "playbook_save",
    "playbooks_delete",
    "pool_claim",
    "pool_events_delete",
    "pool_sweep",
    "strategies_generate",
    "task_complete",
    "task_snooze",
    "tasks_mark_missed",
    "touch_due_refresh",
]
