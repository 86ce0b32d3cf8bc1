"""The playbook dashboards (adherence, effectiveness, rep book): thin views over
dashboards.selectors.playbooks, on the DashboardView pattern (dashboards/__init__.py)."""

from __future__ import annotations

from django.utils import timezone

from .selectors.playbooks import (
    adherence_data,
    adherence_export,
    adherence_options,
    effectiveness_data,
    effectiveness_export,
    effectiveness_options,
    rep_book_data,
    rep_book_export,
)
from .views import DashboardView


class AdherenceDashboardView(DashboardView):
    template_name = "dashboards/playbook_adherence.html"
    page = "dashboards:adherence"
    export_name = "playbook-adherence"

    def get_data(self, scope):
        options = adherence_options(self.request.GET)
        return adherence_data(scope=scope, user=self.request.user, **options)

    def export_table(self, data):
        return adherence_export(data)


class EffectivenessDashboardView(DashboardView):
    template_name = "dashboards/playbook_effectiveness.html"
    page = "dashboards:effectiveness"
    export_name = "playbook-effectiveness"

    def get_data(self, scope):
        options = effectiveness_options(self.request.GET)
        return effectiveness_data(scope=scope, user=self.request.user, **options)

    def export_table(self, data):
        return effectiveness_export(data)


class RepBookView(DashboardView):
    """One rep's book (the rep chosen in the filter bar; a rep sees their own). A rep outside
    the user's scope never reaches here: the filter bar only offers reps in scope and
    rep_book_get answers 404 for any other id."""

    template_name = "dashboards/rep_book.html"
    page = "dashboards:rep_book"
    export_name = "rep-book"

    def get_data(self, scope):
        return rep_book_data(scope=scope, user=self.request.user, today=timezone.localdate())

    def export_table(self, data):
        return rep_book_export(data)
