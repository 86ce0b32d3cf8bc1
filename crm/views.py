from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render
from django.views.generic import TemplateView

from customers.access import customers_visible_to


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "crm/home.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["recent_customers"] = (
            customers_visible_to(self.request.user)
            .select_related("owner", "team")
            .order_by("-updated_at", "-id")[:10]
        )
        return ctx


def healthz(request):
    """Liveness for the orchestrator: the process answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def page_not_found(request, exception):
    return render(request, "404.html", status=404)
