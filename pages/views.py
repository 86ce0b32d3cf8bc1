"""The home page ("My day"). It composes the customers app's follow-ups with the strategies
app's playbook tasks, so it lives above both (crm, at the bottom, imports no app)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils import timezone
from django.views.generic import TemplateView

from crm.http import AuthenticatedHttpRequest
from customers.selectors import my_day
from customers.services import can_manage_customers
from strategies.selectors import task_buckets

# The home page shows a short list of playbook tasks per bucket; the tasks page has the rest.
HOME_BUCKET_SIZE = 8


class HomeView(LoginRequiredMixin, TemplateView):
    """ "My day": follow-ups due today and overdue, recently worked customers, the playbook
    tasks due; managers also get the way to their team's view."""

    request: AuthenticatedHttpRequest

    template_name = "pages/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        today = timezone.localdate()
        ctx["today"] = today
        ctx["day"] = my_day(user=user, today=today)
        ctx["is_manager"] = can_manage_customers(user)
        ctx["buckets"] = task_buckets(user=user, today=today, size=HOME_BUCKET_SIZE)
        return ctx
