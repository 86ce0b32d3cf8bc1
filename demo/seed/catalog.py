"""Product categories and products of the demo, upserted by code."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.db import transaction

from customers.models import Category, Product

from . import vocab

# Which categories an industry buys first (positions in vocab.CATEGORIES); the rest of a
# customer's categories are drawn around it, so breadth varies per customer.
INDUSTRY_PRIMARY = {
    "manufacturing": 0,
    "retail": 5,
    "technology": 2,
    "finance": 3,
    "healthcare": 8,
    "education": 7,
    "construction": 8,
    "logistics": 9,
    "energy": 6,
    "agriculture": 4,
    "hospitality": 5,
    "consumer": 4,
    "other": 1,
}


@dataclass
class Catalog:
    category_ids: np.ndarray  # (categories,)
    product_ids: np.ndarray  # (categories, tiers)
    price: np.ndarray  # (categories, tiers) yuan
    unit_cost: np.ndarray  # (categories, tiers) yuan


@transaction.atomic
def catalog_ensure() -> Catalog:
    tiers = len(vocab.PRODUCT_TIERS)
    shape = (len(vocab.CATEGORIES), tiers)
    product_ids = np.zeros(shape, dtype=np.int64)
    price = np.zeros(shape)
    cost = np.zeros(shape)
    category_ids = []
    for c, (code, name, name_en, base_price, margin) in enumerate(vocab.CATEGORIES):
        category, _ = Category.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en}
        )
        category_ids.append(category.pk)
        for t, (tier_zh, tier_en, factor) in enumerate(vocab.PRODUCT_TIERS):
            list_price = round(base_price * factor, 0)
            # Premium tiers carry a little more margin.
            unit_cost = round(list_price * (1 - margin - 0.02 * t / tiers), 2)
            product, _ = Product.objects.update_or_create(
                code=f"{code}-{t + 1:02d}",
                defaults={
                    "name": f"{name}{tier_zh} {name_en} {tier_en}",
                    "category": category,
                    "list_price": Decimal(str(list_price)),
                    "unit_cost": Decimal(str(unit_cost)),
                    "is_active": t != tiers - 1 or c % 3 != 0,
                },
            )
            product_ids[c, t] = product.pk
            price[c, t] = list_price
            cost[c, t] = unit_cost
    return Catalog(np.array(category_ids, dtype=np.int64), product_ids, price, cost)
