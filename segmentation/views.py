"""Thin views: pin and unpin a class from the customer page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View

from customers.access import customer_get_for_user

from .forms import PinForm
from .services import class_pin_remove, class_pin_set


class PinCreateView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        customer = customer_get_for_user(user=request.user, customer_id=pk)
        form = PinForm(request.POST)
        if form.is_valid():
            dimension, code = form.split_target()
            try:
                class_pin_set(
                    actor=request.user,
                    customer_id=customer.pk,
                    dimension=dimension,
                    code=code,
                    reason=form.cleaned_data["reason"],
                    expires_on=form.cleaned_data["expires_on"],
                )
            except ValidationError as exc:
                for error in exc.messages:
                    messages.error(request, error)
            except PermissionDenied as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("The class is pinned."))
        else:
            for field, errors in form.errors.items():
                label = str(form.fields[field].label) if field in form.fields else ""
                for message in errors:
                    messages.error(request, f"{label}: {message}" if label else str(message))
        return redirect("customers:detail", pk=customer.pk)


class PinDeleteView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int, pin_id: int):
        customer = customer_get_for_user(user=request.user, customer_id=pk)
        try:
            class_pin_remove(actor=request.user, pin_id=pin_id, customer_id=customer.pk)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The pin is removed; the computed class applies again."))
        return redirect("customers:detail", pk=customer.pk)
