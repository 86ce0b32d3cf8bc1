"""Infrastructure tasks."""

from celery import shared_task


@shared_task(acks_late=True)
def worker_ping(*, user_id: int) -> str:
    """Round-trip through the broker and the database: proves a worker is up and reads the
    same database as the web process (used by the health check and the CI worker test)."""
    from .models import User

    return User.objects.only("username").get(pk=user_id).username
