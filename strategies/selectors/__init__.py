from .adherence import AdherenceRow, adherence_table, cadence_kept
from .tasks import (
    TaskBuckets,
    customer_next_action,
    overdue_touch_for,
    task_buckets,
    task_get_for_user,
    tasks_visible_to,
)

__all__ = [
    "AdherenceRow",
    "TaskBuckets",
    "adherence_table",
    "cadence_kept",
    "customer_next_action",
    "overdue_touch_for",
    "task_buckets",
    "task_get_for_user",
    "tasks_visible_to",
]
