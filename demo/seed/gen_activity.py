"""Vectorised generation of what surrounds the sales of a chunk: contacts with decision-chain
roles, contact logs (with follow-ups due today, overdue and upcoming), service cases (a few
problem customers with many), satisfaction surveys and referrals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import vocab
from .gen_customers import (
    LONG_TENURE,
    SOURCES,
    ChunkCustomers,
    P,
    join,
    nullable_int,
    office_time,
    person_names,
    pick,
)
from .gen_orders import ChunkOrders

ROLES = tuple(vocab.TITLES)  # decision_maker, influencer, user, gatekeeper
ROLE_MAIL = np.array(["gm", "tech", "ops", "office"])
OUTCOMES = tuple(vocab.LOG_SUMMARIES)
OUTCOME_P = (0.38, 0.14, 0.12, 0.08, 0.18, 0.07, 0.03)
CASE_KINDS = ("complaint", "return", "repair")
# Logs per customer on average, by pattern (same order as gen_customers.PATTERNS).
LOGS_PER_PATTERN = np.array([0.8, 2.5, 2.5, 0.7, 3.5, 3.0, 2.5, 2.0, 2.0, 1.5, 1.0, 3.0, 1.5])


def _texts(table: dict, key: np.ndarray, is_en: np.ndarray, rng: np.random.Generator):
    """Pick a text per row from table[key] = (Chinese texts, English texts)."""
    out = np.empty(len(key), dtype=object)
    for k, (zh, en) in table.items():
        mask = key == k
        m = int(mask.sum())
        out[mask] = np.where(is_en[mask], pick(rng, en, m), pick(rng, zh, m))
    return out


def _repeat(count: np.ndarray):
    pos = np.repeat(np.arange(len(count)), count)
    start = np.cumsum(count) - count
    return pos, np.arange(len(pos)) - start[pos], start


def contacts_generate(*, rng, first_id: int, customers: ChunkCustomers):
    """Companies get 1–4 people, bigger ones more; a private customer is their own contact."""
    c = customers
    count = np.where(c.is_company, 1 + rng.binomial(3, np.array([0.7, 0.45, 0.2])[c.size]), 0)
    pos, j, start = _repeat(count)
    total = len(pos)
    role = np.where(j == 0, 0, rng.integers(1, len(ROLES), total))
    is_en = c.is_en[pos]
    titles = _texts({r: vocab.TITLES[name] for r, name in enumerate(ROLES)}, role, is_en, rng)
    mobile = join(
        pick(rng, ("139", "136", "188", "150", "181"), total),
        np.strings.zfill(rng.integers(0, 10**8, total).astype(str), 8),
    )
    ids = np.arange(first_id, first_id + total, dtype=np.int64)
    frame = pd.DataFrame(
        {
            "id": ids,
            "customer_id": c.ids[pos],
            "name": person_names(rng, is_en),
            "title": titles,
            "role": np.asarray(ROLES)[role],
            "is_champion": (j > 0) & (rng.random(total) < 0.18),
            "is_primary": j == 0,
            "phone": mobile,
            "email": join(ROLE_MAIL[role], (j + 1).astype(str), "@", c.domains[pos]),
            "wechat": np.where(
                is_en, "", join("wxid_", rng.integers(10**9, 10**10, total).astype(str))
            ),
            "notes": "",
            "external_code": None,
            "created_at": office_time(rng, c.created[pos]),
        }
    )
    return frame, (ids, start, count)


def logs_generate(*, rng, first_id: int, customers: ChunkCustomers, contacts):
    """Contact history; about a third of the customers have an agreed next step whose date
    falls between ten days overdue and three weeks ahead, so "today" always has work."""
    c = customers
    n = len(c.ids)
    contact_ids, contact_start, contact_count = contacts
    count = rng.poisson(LOGS_PER_PATTERN[c.pattern])
    follow = (rng.random(n) < 0.35) & (c.pattern != P["churned"])
    count = count + follow
    pos, j, _start = _repeat(count)
    total = len(pos)
    last = j == count[pos] - 1
    with_follow = last & follow[pos]
    created = np.minimum(c.created[pos], 0)
    # The follow-up log is the latest one: within the last three weeks.
    follow_day = -rng.integers(0, 21, total)
    follow_day = np.maximum(follow_day, created)
    upper = np.where(follow[pos], follow_day - 1, 0)
    day = created + np.floor(rng.random(total) * (np.maximum(upper, created) - created + 1))
    day = np.where(with_follow, follow_day, day).astype(np.int64)
    is_intent = c.pattern[pos] == P["intent"]
    # Intent customers were talked to when they showed interest.
    day = np.where(is_intent & (j == 0), np.maximum(c.interest[pos], created), day)
    next_follow_up = np.where(with_follow, np.maximum(day, rng.integers(-10, 22, total)), np.nan)
    outcome = rng.choice(len(OUTCOMES), size=total, p=OUTCOME_P)
    outcome = np.where(with_follow, OUTCOMES.index("follow_up"), outcome)
    outcome = np.where(is_intent & (j == 0), OUTCOMES.index("interested"), outcome)
    outcome = np.where(
        c.problem[pos] & (rng.random(total) < 0.4), OUTCOMES.index("complaint"), outcome
    )
    company = c.is_company[pos]
    channel = np.where(
        company,
        pick(
            rng,
            ("call", "visit", "email", "wechat", "meeting"),
            total,
            (0.35, 0.15, 0.15, 0.25, 0.10),
        ),
        pick(rng, ("call", "wechat", "message", "email"), total, (0.35, 0.45, 0.15, 0.05)),
    )
    has_contact = contact_count[pos] > 0
    contact = np.zeros(total, dtype=np.int64)
    if len(contact_ids):
        k = contact_start[pos] + rng.integers(0, np.maximum(1, contact_count[pos]))
        contact = np.where(has_contact, contact_ids[np.minimum(k, len(contact_ids) - 1)], 0)
    when = office_time(rng, day)
    return pd.DataFrame(
        {
            "id": np.arange(first_id, first_id + total, dtype=np.int64),
            "external_code": None,
            "customer_id": c.ids[pos],
            "contact_id": nullable_int(contact, has_contact),
            "rep_id": c.owner[pos],
            "channel": channel,
            "direction": np.where(rng.random(total) < 0.75, "outbound", "inbound"),
            "occurred_at": when,
            "summary": _texts(
                {k: vocab.LOG_SUMMARIES[name] for k, name in enumerate(OUTCOMES)},
                outcome,
                c.is_en[pos],
                rng,
            ),
            "outcome": np.asarray(OUTCOMES)[outcome],
            "next_follow_up": next_follow_up,
            "created_at": when,
        }
    )


def cases_generate(*, rng, first_id: int, customers: ChunkCustomers, orders: ChunkOrders):
    """Problem customers (3%) get 3–8 cases, 7% of the other buyers one."""
    c = customers
    n = len(c.ids)
    buyer = orders.count > 0
    count = np.where(c.problem, rng.integers(3, 9, n), (rng.random(n) < 0.07).astype(np.int64))
    count = np.where(buyer, count, 0)
    pos, _j, _start = _repeat(count)
    total = len(pos)
    order = orders.start[pos] + rng.integers(0, np.maximum(1, orders.count[pos]))
    opened = np.minimum(0, orders.day[order] + rng.integers(1, 40, total))
    kind = rng.choice(3, size=total, p=(0.5, 0.3, 0.2))
    done = (opened < -45) | (rng.random(total) < 0.3)
    closed = np.where(done, np.minimum(0, opened + rng.integers(1, 30, total)), np.nan)
    status = np.where(
        done, pick(rng, ("resolved", "closed"), total), pick(rng, ("open", "in_progress"), total)
    )
    cost = np.round(rng.uniform(0, 1, total) * np.array([500.0, 3000.0, 5000.0])[kind], -1)
    return pd.DataFrame(
        {
            "id": np.arange(first_id, first_id + total, dtype=np.int64),
            "external_code": None,
            "customer_id": c.ids[pos],
            "transaction_id": nullable_int(orders.ids[order], kind > 0),
            "kind": np.asarray(CASE_KINDS)[kind],
            "status": status,
            "severity": pick(rng, ("low", "medium", "high"), total, (0.3, 0.5, 0.2)),
            "opened_on": opened,
            "closed_on": closed,
            "subject": _texts(
                {k: vocab.CASE_SUBJECTS[name] for k, name in enumerate(CASE_KINDS)},
                kind,
                c.is_en[pos],
                rng,
            ),
            "description": "",
            "service_cost": cost,
            "created_at": office_time(rng, opened),
        }
    )


def surveys_generate(*, rng, first_id: int, customers: ChunkCustomers, orders: ChunkOrders):
    c = customers
    n = len(c.ids)
    count = np.where((orders.count > 0) & (rng.random(n) < 0.3), rng.integers(1, 4, n), 0)
    pos, _j, _start = _repeat(count)
    total = len(pos)
    day = c.first[pos] + np.floor(rng.random(total) * (1 - c.first[pos])).astype(np.int64)
    happy = rng.choice([5, 4, 3, 2, 1], size=total, p=(0.35, 0.4, 0.15, 0.07, 0.03))
    unhappy = rng.choice([5, 4, 3, 2, 1], size=total, p=(0.05, 0.1, 0.3, 0.3, 0.25))
    score = np.where(c.problem[pos], unhappy, happy)
    comment = rng.integers(0, len(vocab.SURVEY_COMMENTS), total)
    texts = np.array(vocab.SURVEY_COMMENTS)
    return pd.DataFrame(
        {
            "id": np.arange(first_id, first_id + total, dtype=np.int64),
            "customer_id": c.ids[pos],
            "surveyed_on": day,
            "score": score,
            "comment": np.where(c.is_en[pos], texts[comment, 1], texts[comment, 0]),
            "created_at": office_time(rng, day),
        }
    )


def referrals_generate(*, rng, first_id: int, customers: ChunkCustomers):
    """Customers who came by referral name a long-standing customer of the same chunk as the
    one who sent them; some long-standing customers also named companies that never came."""
    c = customers
    n = len(c.ids)
    senders = np.flatnonzero(np.isin(c.pattern, LONG_TENURE))
    if len(senders) == 0:
        return pd.DataFrame()
    referred = np.flatnonzero(
        (c.source == list(SOURCES).index("referral")) & ~np.isin(np.arange(n), senders[:1])
    )
    referrer = senders[rng.integers(0, len(senders), len(referred))]
    ok = referrer != referred
    referred, referrer = referred[ok], referrer[ok]
    lost = senders[rng.random(len(senders)) < 0.05]
    lost_names = person_names(rng, c.is_en[lost])
    referrer_all = np.concatenate([referrer, lost])
    day = np.concatenate(
        [
            np.minimum(0, c.created[referred] - rng.integers(1, 30, len(referred))),
            -rng.integers(0, 700, len(lost)),
        ]
    )
    day = np.maximum(day, c.first[referrer_all])
    total = len(referrer_all)
    return pd.DataFrame(
        {
            "id": np.arange(first_id, first_id + total, dtype=np.int64),
            "referrer_id": c.ids[referrer_all],
            "referred_id": nullable_int(
                np.concatenate([c.ids[referred], np.zeros(len(lost), dtype=np.int64)]),
                np.arange(total) < len(referred),
            ),
            "referred_name": np.concatenate([c.names[referred], lost_names]),
            "referred_on": np.minimum(day, 0),
            "converted": np.arange(total) < len(referred),
            "created_at": office_time(rng, np.minimum(day, 0)),
        }
    )
