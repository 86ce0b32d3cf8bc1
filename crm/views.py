"""Infrastructure views: the health check (error pages: crm.errors). The home page is
pages.views (it composes the apps; crm imports none of them)."""

from django.db import connection
from django.http import HttpResponse


def healthz(request):
    """Liveness for the orchestrator: the process answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
