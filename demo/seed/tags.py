"""The need-type tag (需求类型: 成本敏感型 / 品质追求型 / 创新驱动型, DOMAIN.md) and its values
on the demo customers: reps set it by hand in real life, so the demo sets it on most customers
from what a rep would see — small buyers watch the price, large ones the quality, growing
technology firms the novelty."""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.db import transaction

from customers.models import TagDefinition, TagOption

from .gen_customers import INDUSTRIES, ChunkCustomers, office_time

NEED_TAG = ("need", "需求类型", "Need type")
NEED_OPTIONS = (
    ("cost", "成本敏感型", "Cost-sensitive"),
    ("quality", "品质追求型", "Quality-seeking"),
    ("innovation", "创新驱动型", "Innovation-driven"),
)
# Share of customers whose rep has set the tag.
TAGGED_SHARE = 0.65
# P(cost, quality, innovation) by size (large, medium, small); technology firms lean to
# innovation.
NEED_P = np.array([[0.2, 0.5, 0.3], [0.35, 0.35, 0.3], [0.6, 0.25, 0.15]])
TECH_P = np.array([0.15, 0.25, 0.6])


@transaction.atomic
def need_tag_ensure() -> int:
    """The need-type tag and its values (upserted by code); returns the tag's id."""
    key, name_zh, name_en = NEED_TAG
    tag, _created = TagDefinition.objects.update_or_create(
        key=key, defaults={"name_zh_hans": name_zh, "name_en": name_en}
    )
    for order, (code, label_zh, label_en) in enumerate(NEED_OPTIONS):
        TagOption.objects.update_or_create(
            tag=tag,
            code=code,
            defaults={"label_zh_hans": label_zh, "label_en": label_en, "order": order},
        )
    return tag.pk


def tags_generate(
    *, rng: np.random.Generator, first_id: int, customers: ChunkCustomers, tag_id: int
) -> pd.DataFrame:
    c = customers
    n = len(c.ids)
    tagged = rng.random(n) < TAGGED_SHARE
    p = np.where(
        (c.industry == INDUSTRIES.index("technology"))[:, None], TECH_P[None, :], NEED_P[c.size]
    )
    # One inverse-CDF draw per customer over its own row of probabilities.
    need = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1).clip(0, 2)
    codes = np.array([o[0] for o in NEED_OPTIONS])[need]
    ids = c.ids[tagged]
    return pd.DataFrame(
        {
            "id": np.arange(first_id, first_id + len(ids), dtype=np.int64),
            "customer_id": ids,
            "tag_id": tag_id,
            "value": codes[tagged],
            "set_by_id": None,
            "set_at": office_time(rng, -rng.integers(0, 365, len(ids))),
        }
    )
