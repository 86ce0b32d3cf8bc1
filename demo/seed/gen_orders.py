"""Vectorised generation of a chunk's transactions from its customers' purchase patterns.

Order dates follow each customer's own rhythm (a personal interval around the pattern's, with
jitter); spend is log-normal per customer and scaled by size, which gives the Pareto-like skew
a value-tier (ABC) analysis needs; costs come from the product so margins differ by category;
payment terms, late payers and bad payers give on-time, late, open and overdue invoices."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .catalog import INDUSTRY_PRIMARY, Catalog
from .gen_customers import INDUSTRIES, INTERVAL, ChunkCustomers, P, office_time, pick

PAY_COMPANY = (
    ("bank_transfer", "credit_terms", "alipay", "wechat_pay", "card", "other"),
    (0.55, 0.30, 0.05, 0.03, 0.05, 0.02),
)
PAY_PERSON = (("alipay", "wechat_pay", "card", "cash", "other"), (0.35, 0.35, 0.20, 0.08, 0.02))
# Typical order value in yuan: large, medium, small company; a private person.
ORDER_VALUE = np.array([30_000.0, 8_000.0, 2_500.0])
PERSON_ORDER_VALUE = 600.0
TIER_P = (0.25, 0.35, 0.15, 0.08, 0.12, 0.05)
REFUNDED, CANCELLED = 0.015, 0.012
_PRIMARY = np.array([INDUSTRY_PRIMARY[k] for k in INDUSTRIES])


@dataclass
class ChunkOrders:
    ids: np.ndarray
    customer_pos: np.ndarray  # position of the customer in the chunk, per order
    day: np.ndarray
    start: np.ndarray  # per customer: position of its first order
    count: np.ndarray  # per customer: number of orders


def _order_days(rng: np.random.Generator, c: ChunkCustomers):
    n = len(c.ids)
    pat = c.pattern
    interval = INTERVAL[pat] * rng.uniform(0.8, 1.25, n)
    regular = interval > 0
    count = np.zeros(n, dtype=np.int64)
    count[regular] = (c.last[regular] - c.first[regular]) // interval[regular] + 1
    count[np.isin(pat, [P["new"], P["one_off"]])] = 1
    irregular = pat == P["irregular"]
    count[irregular] = rng.integers(2, 7, int(irregular.sum()))

    pos = np.repeat(np.arange(n), count)
    start = np.cumsum(count) - count
    j = np.arange(len(pos)) - start[pos]
    first, last = c.first[pos], c.last[pos]
    step = interval[pos]
    day = first + j * step + rng.normal(0, 1, len(pos)) * 0.12 * step
    spread = first + rng.random(len(pos)) * (last - first)
    day = np.where(irregular[pos], spread, day)
    day = np.where(j == 0, first, day)
    day = np.where(irregular[pos] & (j == count[pos] - 1), last, day)
    day = np.clip(np.rint(day), first, np.minimum(last, 0)).astype(np.int64)

    # Declining customers skip half of their orders in the last year (and spend less, below).
    drop = (pat[pos] == P["declining"]) & (day > -365) & (j > 0) & (rng.random(len(pos)) < 0.5)
    pos, day = pos[~drop], day[~drop]
    order = np.lexsort((day, pos))
    pos, day = pos[order], day[order]
    count = np.bincount(pos, minlength=n)
    return pos, day, np.cumsum(count) - count, count


# Long on purpose: a vectorised recipe of the demo's order columns, one after the other.
def orders_generate(
    *, rng: np.random.Generator, first_id: int, customers: ChunkCustomers, catalog: Catalog
) -> tuple[pd.DataFrame, ChunkOrders]:
    c = customers
    n = len(c.ids)
    pos, day, start, count = _order_days(rng, c)
    total = len(pos)

    base = np.where(c.is_company, ORDER_VALUE[c.size], PERSON_ORDER_VALUE)
    base = base * rng.lognormal(0, 0.9, n)
    base = base * np.select(
        [c.pattern == P["weekly"], c.pattern == P["semiannual"]], [0.4, 2.5], 1.0
    )
    breadth = np.where(
        c.is_company,
        1 + rng.binomial(4, np.array([0.6, 0.4, 0.2])[c.size]),
        1 + rng.binomial(2, 0.2, n),
    )
    n_cat = len(catalog.category_ids)
    cat = (_PRIMARY[c.industry][pos] + rng.integers(0, breadth[pos])) % n_cat
    tier = rng.choice(len(TIER_P), size=total, p=TIER_P)
    price = catalog.price[cat, tier]
    target = base[pos] * rng.lognormal(0, 0.35, total)
    # Falling spend: from 130% to 35% of the usual order over a declining customer's history.
    progress = (day - c.first[pos]) / np.maximum(1, -c.first[pos])
    target = np.where(c.pattern[pos] == P["declining"], target * (1.3 - 0.95 * progress), target)
    qty = np.clip(np.rint(target / price), 1, 5_000)
    # Big accounts negotiate bigger discounts.
    discount = rng.uniform(0, 0.08, n) + np.array([0.08, 0.04, 0.0])[c.size]
    amount = np.round(qty * price * (1 - discount[pos]), 2)
    cost = np.round(qty * catalog.unit_cost[cat, tier] * rng.uniform(0.95, 1.05, total), 2)

    company = c.is_company[pos]
    method = np.where(
        company,
        pick(rng, PAY_COMPANY[0], total, PAY_COMPANY[1]),
        pick(rng, PAY_PERSON[0], total, PAY_PERSON[1]),
    )
    terms = np.select(
        [method == "credit_terms", method == "bank_transfer"],
        [pick(rng, (30, 60, 90), total), pick(rng, (0, 15, 30), total)],
        0,
    )
    payer = c.payer[pos]
    late_by = np.select(
        [payer == 1, payer == 2],
        [3 + rng.gamma(2, 10, total), 5 + rng.gamma(2, 25, total)],
        -rng.random(total) * terms,
    )
    paid = day + np.maximum(0, np.rint(terms + late_by)).astype(np.int64)
    status = np.full(total, "paid", dtype=object)
    # Not paid by the run date: an open invoice; bad payers leave recent ones unpaid.
    unpaid = (paid > 0) | ((payer == 2) & (day > -200) & (rng.random(total) < 0.6))
    status[unpaid] = "open"
    roll = rng.random(total)
    status[roll < REFUNDED + CANCELLED] = "cancelled"
    status[roll < REFUNDED] = "refunded"
    paid_date = np.where((status == "open") | (status == "cancelled"), np.nan, paid)
    refunded = status == "refunded"
    paid_date[refunded] = np.minimum(paid[refunded], 0)
    paid_date = np.maximum(paid_date, day)  # NaN stays NaN

    ids = np.arange(first_id, first_id + total, dtype=np.int64)
    frame = pd.DataFrame(
        {
            "id": ids,
            "external_code": None,
            "customer_id": c.ids[pos],
            "date": day,
            "amount": amount,
            "cost": cost,
            "quantity": qty.astype(np.int64),
            "category_id": catalog.category_ids[cat],
            "product_id": catalog.product_ids[cat, tier],
            "payment_method": method,
            "status": status,
            "due_date": day + terms,
            "paid_date": paid_date,
            "rep_id": c.owner[pos],
            "created_at": office_time(rng, day),
        }
    )
    return frame, ChunkOrders(ids=ids, customer_pos=pos, day=day, start=start, count=count)
