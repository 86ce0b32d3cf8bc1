"""Reference tables an import resolves names against, loaded once per import."""

from __future__ import annotations

from django.utils.translation import gettext as _

from crm.models import Team, User

from ..models import Category, Product
from . import parsers as p
from .specs import LOOKUP_CATEGORY, LOOKUP_PRODUCT, LOOKUP_TEAM, LOOKUP_USER


class Lookups:
    """Small reference tables (users, teams, categories, products) as dicts, scoped to
    what the actor may assign."""

    def __init__(self, actor: User | None):
        from ..selectors import teams_visible_to, users_assignable_by

        users = User.objects.all() if actor is None else users_assignable_by(user=actor)
        self.user = {u.username.lower(): (u.pk, u.team_id) for u in users}
        teams = Team.objects.all() if actor is None else teams_visible_to(user=actor)
        self.team = {t.name.lower(): t.pk for t in teams}
        self.category: dict[str, int] = {}
        for c in Category.objects.all():
            self.category[c.code.lower()] = c.pk
            self.category.setdefault(c.name.lower(), c.pk)
        self.product = {pr.code.lower(): pr.pk for pr in Product.objects.all()}

    def resolve(self, lookup: str, value: str):
        table = getattr(self, lookup)
        hit = table.get(value.lower())
        if hit is None:
            reasons = {
                LOOKUP_USER: _("unknown user name"),
                LOOKUP_TEAM: _("unknown team"),
                LOOKUP_CATEGORY: _("unknown product category"),
                LOOKUP_PRODUCT: _("unknown product code"),
            }
            raise p.CellError(reasons[lookup])
        return hit
