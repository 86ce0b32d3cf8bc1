"""Personal data in admin, by the rule of customers.privacy: whoever may open a customer in
admin but would see its phone, e-mail and WeChat masked on the workspace pages (a director
looking at another team, without `customers.export_personal_data`) sees them masked in admin
too — in change and view forms, in inlines and in history versions — and read-only, so a
masked value can never be saved over the real one. Searching by phone only finds customers
whose number the user may see in full (otherwise the search would confirm whose it is)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, Q
from django.utils.translation import gettext_lazy as _

from .models import Customer
from .privacy import (
    PERSONAL_FIELDS,
    full_view_q,
    mask,
    personal_data_visible,
    sees_all_personal_data,
)

MASKED = {name: f"masked_{name}" for name in PERSONAL_FIELDS}
_SEARCH_LOOKUPS = {"=": "iexact", "^": "istartswith"}


def _current_scope(request, customer_id: int | None) -> Customer | None:
    """Owner and team of the customer as they are now (one query per customer and request).

    A history version carries the owner and team of its day, but shows today's phone and
    e-mail (the history does not keep them): today's scope decides."""
    if customer_id is None:
        return None
    cache: dict[int, Customer | None] = request.__dict__.setdefault("_crm_customer_scope", {})
    if customer_id not in cache:
        cache[customer_id] = (
            Customer.objects.filter(pk=customer_id).only("owner_id", "team_id").first()
        )
    return cache[customer_id]


def _swap(fields: Any) -> Any:
    if isinstance(fields, list | tuple):
        return type(fields)(_swap(f) for f in fields)
    return MASKED.get(fields, fields)


class MasksPersonalData:
    """Mixin for ModelAdmins and inlines of models with personal fields (customer,
    contact). `customer_id_for(obj)` names the customer whose scope decides; for an inline,
    `obj` is the parent object."""

    model: type[Model]  # mixed into a ModelAdmin or an inline

    # Path from the model to the customer in search lookups ("customer__" for contacts).
    customer_path = ""

    def customer_id_for(self, obj) -> int | None:
        raise NotImplementedError

    def _personal_fields(self) -> list[str]:
        names = {f.name for f in self.model._meta.get_fields()}
        return [name for name in PERSONAL_FIELDS if name in names]

    def masks_personal_data(self, request, obj) -> bool:
        if obj is None or sees_all_personal_data(request.user):
            return False  # an add form shows nothing stored
        customer = _current_scope(request, self.customer_id_for(obj))
        return customer is None or not personal_data_visible(request.user, customer)

    def get_exclude(self, request, obj=None):
        exclude = super().get_exclude(request, obj)  # type: ignore[misc]
        if not self.masks_personal_data(request, obj):
            return exclude
        return [*(exclude or ()), *self._personal_fields()]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        if self.masks_personal_data(request, obj):
            readonly += [MASKED[name] for name in self._personal_fields()]
        return readonly

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)  # type: ignore[misc]
        if not self.masks_personal_data(request, obj):
            return fieldsets
        return [(title, {**opts, "fields": _swap(opts["fields"])}) for title, opts in fieldsets]

    @admin.display(description=_("phone"))
    def masked_phone(self, obj) -> str:
        return mask("phone", getattr(obj, "phone", ""))

    @admin.display(description=_("e-mail"))
    def masked_email(self, obj) -> str:
        return mask("email", getattr(obj, "email", ""))

    @admin.display(description=_("WeChat ID"))
    def masked_wechat(self, obj) -> str:
        return mask("wechat", getattr(obj, "wechat", ""))

    # ------------------------------------------------------------------ search

    @staticmethod
    def _searches_personal(term: str) -> bool:
        return term.lstrip("=^@").split("__")[-1] in PERSONAL_FIELDS

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)  # type: ignore[misc]
        if sees_all_personal_data(request.user):
            return fields
        return [f for f in fields if not self._searches_personal(f)]

    def get_search_results(self, request, queryset, search_term):
        found, duplicates = super().get_search_results(  # type: ignore[misc]
            request, queryset, search_term
        )
        scope = full_view_q(request.user, prefix=self.customer_path)
        term = search_term.strip()
        personal = [f for f in self.search_fields if self._searches_personal(f)]  # type: ignore[attr-defined]
        if scope is None or not term or not personal:
            return found, duplicates
        if not self.get_search_fields(request):
            found = queryset.none()  # the base search, with nothing left to search, keeps all
        match = Q()
        for field in personal:
            lookup = _SEARCH_LOOKUPS.get(field[0], "icontains")
            match |= Q(**{f"{field.lstrip('=^@')}__{lookup}": term})
        return found | queryset.filter(match).filter(scope), duplicates
