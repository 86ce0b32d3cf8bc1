"""The rep's workspace: customer list, customer page, logging a contact, editing."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from crm.http import AuthenticatedHttpRequest
from crm.models import User

from ..access import customer_get_for_user, customers_visible_to
from ..extensions import insight_panels
from ..forms import ContactForm, ContactLogForm, CustomerForm, MergeForm
from ..models import Contact
from ..paging import InvalidCursor
from ..privacy import PERSONAL_FIELDS, personal_data_visible
from ..selectors import SORT_OPTIONS, customer_key_figures, customer_list, customer_timeline
from ..services import (
    can_manage_customers,
    contact_log_create,
    contact_save,
    customer_create,
    customer_merge,
    customer_update,
)
from ..tags import can_tag, customer_tags_get


def _page_number(value) -> int:
    try:
        return max(1, min(int(value), 10_000))
    except (TypeError, ValueError):
        return 1


class CustomerMixin(LoginRequiredMixin):
    """Fetches the customer of the URL through customers.access (404 when not visible)."""

    # Mixed into a view (LoginRequiredMixin first: the user is signed in).
    request: HttpRequest
    kwargs: dict[str, Any]

    def get_customer(self):
        if not hasattr(self, "_customer"):
            self._customer = customer_get_for_user(
                user=cast(User, self.request.user), customer_id=self.kwargs["pk"]
            )
        return self._customer


def _hide_personal_fields(form, user, customer):
    """Who may not see a customer's phone and e-mail in full does not get them in an edit
    form either (saving a masked value would overwrite the real one)."""
    if not personal_data_visible(user, customer):
        for name in PERSONAL_FIELDS:
            form.fields.pop(name, None)
    return form


class ManagerRequiredMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_manage_customers(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


# (label, sort key or None) of the list's columns; sortable ones have a keyset index.
LIST_COLUMNS = [
    (gettext_lazy("Code"), "code"),
    (gettext_lazy("Name"), "name"),
    (gettext_lazy("Industry"), None),
    (gettext_lazy("Size"), None),
    (gettext_lazy("Region"), None),
    (gettext_lazy("Owner"), None),
    (gettext_lazy("Updated"), "updated"),
]


def _sort_columns(current: str, filter_query: str) -> list[dict]:
    columns = []
    for label, key in LIST_COLUMNS:
        col: dict[str, Any] = {"label": label, "url": None, "active": None}
        if key:
            active = "asc" if current == key else "desc" if current == f"-{key}" else None
            # "updated" reads best newest first; the others A→Z first.
            first = f"-{key}" if key == "updated" else key
            nxt = (key if current.startswith("-") else f"-{key}") if active else first
            sep = "&" if filter_query else ""
            col.update(url=f"?{filter_query}{sep}sort={nxt}", active=active)
        columns.append(col)
    return columns


class CustomerListView(LoginRequiredMixin, TemplateView):
    request: AuthenticatedHttpRequest

    template_name = "customers/customer_list.html"

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except InvalidCursor:
            # A page link that was edited or cut short: say so and offer the first page,
            # rather than a 500 or silently showing another page.
            return render(
                request,
                "400.html",
                {
                    "reason": _(
                        "This page link is not valid (it was changed or cut short). "
                        "Start again from the first page."
                    ),
                    "back_url": reverse("customers:list"),
                    "back_label": _("First page of customers"),
                },
                status=400,
            )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        params = self.request.GET
        filterset, page = customer_list(user=self.request.user, params=params)
        # The URL without cursor/sort, so sort links and page links keep the filters.
        keep = params.copy()
        for key in ("after", "before", "sort"):
            keep.pop(key, None)
        ctx.update(
            columns=_sort_columns(page.sort, keep.urlencode()),
            filter=filterset,
            page=page,
            customers=page.items,
            filter_query=keep.urlencode(),
            sort_options=SORT_OPTIONS,
            current_sort=page.sort,
            has_filters=any(v for k, v in keep.items()),
            can_manage=can_manage_customers(self.request.user),
            export_query=params.urlencode(),
        )
        return ctx

    def get_template_names(self):
        if self.request.htmx and self.request.htmx.target == "customer-results":
            return ["customers/partials/_customer_results.html"]
        return [self.template_name]


class CustomerDetailView(CustomerMixin, TemplateView):
    request: AuthenticatedHttpRequest

    template_name = "customers/customer_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        customer = self.get_customer()
        page = _page_number(self.request.GET.get("tpage"))
        entries, has_more = customer_timeline(customer=customer, page=page)
        ctx.update(
            customer=customer,
            contacts=list(Contact.objects.filter(customer=customer)),
            merges=list(customer.merges.select_related("actor")[:10]),
            figures=customer_key_figures(customer=customer, today=timezone.localdate()),
            timeline=entries,
            timeline_page=page,
            timeline_has_more=has_more,
            log_form=kwargs.get("log_form") or ContactLogForm(customer=customer),
            insight_panels=insight_panels(),
            can_manage=can_manage_customers(self.request.user),
            tags=customer_tags_get(customer=customer),
            can_tag=can_tag(self.request.user),
        )
        return ctx


class TimelineView(CustomerMixin, View):
    """A page of the timeline, as a fragment (htmx "older entries")."""

    def get(self, request, pk):
        customer = self.get_customer()
        page = _page_number(request.GET.get("tpage"))
        entries, has_more = customer_timeline(customer=customer, page=page)
        return render(
            request,
            "customers/partials/_timeline.html",
            {
                "customer": customer,
                "timeline": entries,
                "timeline_page": page,
                "timeline_has_more": has_more,
            },
        )


class ContactLogCreateView(CustomerMixin, View):
    """Log a call/visit/message. With htmx the answer is the refreshed timeline (and a clean
    form swapped out of band); without it, a redirect to the customer page."""

    def post(self, request, pk):
        customer = self.get_customer()
        form = ContactLogForm(request.POST, customer=customer)
        if form.is_valid():
            try:
                contact_log_create(actor=request.user, customer=customer, data=form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
        if form.errors:
            if request.htmx:
                response = render(
                    request,
                    "customers/partials/_log_form.html",
                    {"customer": customer, "log_form": form},
                )
                response["HX-Retarget"] = "#log-form"
                response["HX-Reswap"] = "outerHTML"
                return response
            view = CustomerDetailView()
            view.setup(request, pk=pk)
            ctx = view.get_context_data(log_form=form)
            return render(request, CustomerDetailView.template_name, ctx, status=400)
        if request.htmx:
            entries, has_more = customer_timeline(customer=customer, page=1)
            return render(
                request,
                "customers/partials/_log_saved.html",
                {
                    "customer": customer,
                    "timeline": entries,
                    "timeline_page": 1,
                    "timeline_has_more": has_more,
                    "log_form": ContactLogForm(customer=customer),
                    "saved": True,
                },
            )
        messages.success(request, _("Contact logged."))
        return HttpResponseRedirect(reverse("customers:detail", args=[customer.pk]))


class CustomerCreateView(LoginRequiredMixin, View):
    template_name = "customers/customer_form.html"

    def get(self, request):
        if not (request.user.is_rep or can_manage_customers(request.user)):
            raise PermissionDenied
        form = CustomerForm(actor=request.user, initial={"owner": request.user.pk})
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        if not (request.user.is_rep or can_manage_customers(request.user)):
            raise PermissionDenied
        form = CustomerForm(request.POST, actor=request.user)
        if form.is_valid():
            try:
                customer = customer_create(actor=request.user, data=form.service_data())
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Customer created."))
                return HttpResponseRedirect(reverse("customers:detail", args=[customer.pk]))
        return render(request, self.template_name, {"form": form}, status=400)


class CustomerUpdateView(CustomerMixin, View):
    template_name = "customers/customer_form.html"

    def get(self, request, pk):
        customer = self.get_customer()
        form = _hide_personal_fields(
            CustomerForm(instance=customer, actor=request.user), request.user, customer
        )
        return render(request, self.template_name, {"form": form, "customer": customer})

    def post(self, request, pk):
        customer = self.get_customer()
        form = _hide_personal_fields(
            CustomerForm(request.POST, instance=customer, actor=request.user),
            request.user,
            customer,
        )
        if form.is_valid():
            data = {k: form.cleaned_data[k] for k in form.changed_data if k in form.fields}
            data.pop("confirm_duplicate", None)
            try:
                customer_update(actor=request.user, customer=customer, data=data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Customer saved."))
                return HttpResponseRedirect(reverse("customers:detail", args=[customer.pk]))
        return render(request, self.template_name, {"form": form, "customer": customer}, status=400)


class ContactEditView(CustomerMixin, View):
    """Add (no contact_id) or edit a contact of a visible customer."""

    template_name = "customers/contact_form.html"

    def get_contact(self, customer):
        contact_id = self.kwargs.get("contact_id")
        if contact_id is None:
            return None
        return get_object_or_404(Contact, pk=contact_id, customer=customer)

    def get(self, request, pk, contact_id=None):
        customer = self.get_customer()
        contact = self.get_contact(customer)
        form = _hide_personal_fields(ContactForm(instance=contact), request.user, customer)
        return render(
            request, self.template_name, {"form": form, "customer": customer, "contact": contact}
        )

    def post(self, request, pk, contact_id=None):
        customer = self.get_customer()
        contact = self.get_contact(customer)
        form = _hide_personal_fields(
            ContactForm(request.POST, instance=contact), request.user, customer
        )
        if form.is_valid():
            try:
                contact_save(customer=customer, contact=contact, data=form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Contact saved."))
                return HttpResponseRedirect(reverse("customers:detail", args=[customer.pk]))
        return render(
            request,
            self.template_name,
            {"form": form, "customer": customer, "contact": contact},
            status=400,
        )


class CustomerMergeView(ManagerRequiredMixin, CustomerMixin, View):
    template_name = "customers/customer_merge.html"

    def get(self, request, pk):
        customer = self.get_customer()
        form = MergeForm(initial={"other_code": request.GET.get("other", "")})
        return render(request, self.template_name, {"form": form, "customer": customer})

    def post(self, request, pk):
        customer = self.get_customer()
        form = MergeForm(request.POST)
        if form.is_valid():
            code = form.cleaned_data["other_code"].strip()
            other = customers_visible_to(request.user).filter(external_code=code).first()
            if other is None:
                form.add_error("other_code", _("No customer you can see has the code “%s”.") % code)
            else:
                try:
                    record = customer_merge(actor=request.user, survivor=customer, merged=other)
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    messages.success(
                        request,
                        _("%(name)s (%(code)s) was merged into this customer.")
                        % {"name": record.merged_name, "code": record.merged_code},
                    )
                    return HttpResponseRedirect(reverse("customers:detail", args=[customer.pk]))
        return render(request, self.template_name, {"form": form, "customer": customer}, status=400)
