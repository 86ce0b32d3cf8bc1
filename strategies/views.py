"""Pages of the strategies app. Thin: parse, call one selector/service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from crm.http import AuthenticatedHttpRequest
from crm.pagination import CappedCountPaginator
from customers.access import customers_visible_to

from .forms import AdherenceFilterForm, TaskCompleteForm, TaskSnoozeForm
from .models import Playbook, StrategySettings
from .selectors import adherence_table, overdue_touch_for, task_buckets, task_get_for_user
from .selectors.rep_book import reps_for_book
from .services import pool_claim, task_complete, task_snooze
from .services.pool import claims_left, pool_claim_candidate, pool_customers_for

# Customers past their contact gap listed on the task page, the longest overdue first (a
# team can have tens of thousands; the rep book and the customer list have the rest).
TOUCH_LIST_SIZE = 50


def _is_manager(user) -> bool:
    return bool(user.is_manager or user.is_crm_admin)


class TaskListView(LoginRequiredMixin, TemplateView):
    """My tasks (a manager: the team's): overdue, today, upcoming, and customers past their
    longest allowed gap between contacts. `?owner=<id>` narrows a manager's list to one rep
    (the rep book links here); an owner outside the user's scope is a 404."""

    request: AuthenticatedHttpRequest

    template_name = "strategies/task_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        user = self.request.user
        owner = None
        if self.request.GET.get("owner"):
            try:
                owner_id = int(self.request.GET["owner"])
            except ValueError:
                raise Http404("No such owner") from None
            owner = reps_for_book(user=user).filter(pk=owner_id).first()
            if owner is None:
                raise Http404("No such owner")
        owner_pk = owner.pk if owner else None
        touch = overdue_touch_for(
            user=user, today=today, owner_id=owner_pk, limit=TOUCH_LIST_SIZE + 1
        )
        ctx.update(
            today=today,
            owner=owner,
            buckets=task_buckets(user=user, today=today, owner_id=owner_pk),
            overdue_touch=touch[:TOUCH_LIST_SIZE],
            more_overdue_touch=len(touch) > TOUCH_LIST_SIZE,
            touch_list_size=TOUCH_LIST_SIZE,
            is_manager=_is_manager(user),
        )
        return ctx


class _TaskActionView(LoginRequiredMixin, View):
    request: AuthenticatedHttpRequest

    form_class: type = TaskCompleteForm

    def act(self, form) -> None:
        raise NotImplementedError

    def post(self, request, pk):
        # Fetch first: a task the user may not see is a 404 before anything else happens.
        self.task = task_get_for_user(user=request.user, task_id=pk)
        form = self.form_class(request.POST)
        error = ""
        if form.is_valid():
            try:
                self.act(form)
            except ValidationError as exc:
                error = " ".join(exc.messages)
        else:
            error = " ".join(str(e) for errs in form.errors.values() for e in errs)
        if request.htmx:
            task = task_get_for_user(user=request.user, task_id=pk)
            return render(
                request,
                "strategies/partials/_task_row.html",
                {"task": task, "error": error, "today": timezone.localdate(), "just_acted": True},
            )
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Task updated."))
        return redirect(_same_site_path(request, request.POST.get("next")) or "strategies:tasks")


def _same_site_path(request, target: str | None) -> str | None:
    """`target` when it is a path on this site ("/customers/5/"), else None.

    `redirect()` would send a full URL off-site, and tries any string with a colon as a
    URL name (a 500 after the task was already saved)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return target


class TaskCompleteView(_TaskActionView):
    form_class = TaskCompleteForm

    def act(self, form) -> None:
        task_complete(
            actor=self.request.user,
            task_id=self.task.pk,
            log_contact=form.cleaned_data["log_contact"],
            summary=form.cleaned_data["summary"],
            outcome=form.cleaned_data["outcome"],
        )


class TaskSnoozeView(_TaskActionView):
    form_class = TaskSnoozeForm

    def act(self, form) -> None:
        task_snooze(actor=self.request.user, task_id=self.task.pk, days=form.cleaned_data["days"])


class PoolView(LoginRequiredMixin, TemplateView):
    """The team's public pool (公海): customers without an owner, claimable by reps."""

    request: AuthenticatedHttpRequest

    template_name = "strategies/pool.html"
    paginate_by = 50

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        qs = pool_customers_for(user).select_related("team").order_by("name", "id")
        page = CappedCountPaginator(qs, self.paginate_by).get_page(self.request.GET.get("page"))
        today = timezone.localdate()
        cfg = StrategySettings.load()
        # Names link to the customer page where the user may open it (a manager's team, a
        # director's all); a rep sees an unowned customer only once claimed. One query.
        linkable = set(
            customers_visible_to(user)
            .filter(pk__in=[c.pk for c in page.object_list])
            .values_list("pk", flat=True)
        )
        ctx.update(
            page=page,
            linkable=linkable,
            can_claim=bool(user.is_rep),
            claims_left=claims_left(user=user, today=today) if user.is_rep else None,
            settings=cfg,
        )
        return ctx


class PoolClaimView(LoginRequiredMixin, View):
    """Claiming spends one of the rep's limited claims, so it takes two steps: a POST without
    `confirmed=1` shows what will happen (the pool page asks in a <dialog> instead, and
    sends `confirmed=1`); only a confirmed POST claims."""

    def post(self, request, pk):
        if request.POST.get("confirmed") != "1":
            customer = pool_claim_candidate(actor=request.user, customer_id=pk)
            return render(
                request,
                "strategies/pool_claim_confirm.html",
                {
                    "customer": customer,
                    "claims_left": claims_left(user=request.user, today=timezone.localdate()),
                    "settings": StrategySettings.load(),
                },
            )
        try:
            customer = pool_claim(actor=request.user, customer_id=pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("strategies:pool")
        messages.success(request, _("%(name)s is now yours.") % {"name": customer.name})
        return redirect("customers:detail", customer.pk)


class AdherenceView(LoginRequiredMixin, TemplateView):
    """Whether the playbooks were followed: per rep, team or playbook over a period. Reps see
    their own row only; managers their team; directors and admins everyone."""

    request: AuthenticatedHttpRequest

    template_name = "strategies/adherence.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        form = AdherenceFilterForm(self.request.GET or None, today=today)
        rows = []
        if form.is_valid():
            data = form.cleaned_data
            rows = adherence_table(
                user=self.request.user,
                date_from=data["date_from"],
                date_to=data["date_to"],
                group_by=data["group_by"],
            )
        ctx.update(form=form, rows=rows)
        return ctx


class PlaybookListView(LoginRequiredMixin, TemplateView):
    """The playbook library, read-only (admins edit it in admin)."""

    template_name = "strategies/playbook_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["playbooks"] = Playbook.objects.filter(active=True).prefetch_related("steps")
        return ctx
