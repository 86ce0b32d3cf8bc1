"""Infrastructure views: the health check and the error page. The home page is pages.views
(it composes the apps; crm imports none of them)."""

from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render


def healthz(request):
    """Liveness for the orchestrator: the process answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def page_not_found(request, exception):
    return render(request, "404.html", status=404)
