"""Setting a customer's tags from the customer page (htmx swaps the tag box in place)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from ..tags import can_tag, customer_tag_set, customer_tags_get
from .workspace import CustomerMixin


class CustomerTagsView(CustomerMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        customer = self.get_customer()  # 404 outside the user's scope
        error = ""
        try:
            customer_tag_set(
                actor=request.user,
                customer=customer,
                key=request.POST.get("tag", ""),
                value=request.POST.get("value", ""),
            )
        except PermissionDenied:
            raise
        except ValidationError as exc:
            error = "; ".join(exc.messages)
        if request.htmx:
            return render(
                request,
                "customers/partials/_tags.html",
                {
                    "customer": customer,
                    "tags": customer_tags_get(customer=customer),
                    "can_tag": can_tag(request.user),
                    "tag_error": error,
                    "tag_saved": not error,
                },
                status=400 if error else 200,
            )
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Tag saved."))
        return HttpResponseRedirect(reverse("customers:detail", args=[customer.pk]))
