"""The "API tokens" page of one's own account (reached from the header's user menu)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from ..models import ApiToken
from ..tokens import token_create, token_revoke, tokens_of

EXPIRY_CHOICES = [
    ("30", gettext_lazy("30 days")),
    ("90", gettext_lazy("90 days")),
    ("365", gettext_lazy("1 year")),
    ("", gettext_lazy("Never (revoke it by hand)")),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("What the token is for"),
        max_length=100,
        help_text=gettext_lazy("e.g. “ERP order sync” — so you recognise it in the list."),
    )
    expires = forms.ChoiceField(
        label=gettext_lazy("Expires after"), choices=EXPIRY_CHOICES, required=False, initial="90"
    )


class TokenListView(LoginRequiredMixin, View):
    template_name = "api/tokens.html"

    def _render(self, request, form, new_token=None, status=200):
        return render(
            request,
            self.template_name,
            {"form": form, "tokens": list(tokens_of(user=request.user)), "new_token": new_token},
            status=status,
        )

    def get(self, request):
        return self._render(request, TokenForm())

    def post(self, request):
        form = TokenForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        days = form.cleaned_data["expires"]
        _row, token = token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            expires_in_days=int(days) if days else None,
        )
        # Shown in this response only: never stored, never in a redirect or the session.
        response = self._render(request, TokenForm(), new_token=token)
        response["Cache-Control"] = "no-store"
        return response


class TokenRevokeView(LoginRequiredMixin, View):
    def post(self, request, pk: int):
        try:
            # Only one's own tokens here (admins revoke others' in admin).
            row = tokens_of(user=request.user).get(pk=pk)
        except ApiToken.DoesNotExist:
            raise Http404("No such token") from None
        token_revoke(actor=request.user, token_id=row.pk)
        messages.success(request, _("The token %(prefix)s… was revoked.") % {"prefix": row.prefix})
        return HttpResponseRedirect(reverse("api:tokens"))


class ApiNotFoundView(APIView):
    schema = None  # not an operation of the API

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise NotFound()

    def get(self, request, *args, **kwargs):
        raise NotFound()

    post = put = patch = delete = get
