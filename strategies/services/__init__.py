from .generate import GenerateResult, strategies_generate, tasks_mark_missed
from .pool import PoolSweepResult, pool_claim, pool_sweep
from .tasks import task_complete, task_snooze

__all__ = [
    "GenerateResult",
    "PoolSweepResult",
    "pool_claim",
    "pool_sweep",
    "strategies_generate",
    "task_complete",
    "task_snooze",
    "tasks_mark_missed",
]
