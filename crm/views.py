from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.generic import TemplateView

from customers.selectors import my_day
from customers.services import can_manage_customers


class HomeView(LoginRequiredMixin, TemplateView):
    """ "My day": follow-ups due today and overdue, recently worked customers; managers also
    get the way to their team's view."""

    template_name = "crm/home.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        ctx["today"] = today
        ctx["day"] = my_day(user=self.request.user, today=today)
        ctx["is_manager"] = can_manage_customers(self.request.user)
        return ctx


def healthz(request):
    """Liveness for the orchestrator: the process answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def page_not_found(request, exception):
    return render(request, "404.html", status=404)
