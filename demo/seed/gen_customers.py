"""Vectorised generation of one chunk of customers.

Everything is numpy over whole arrays, never a Python loop per row. Dates are integer day
offsets from `as_of` (0 = the run date, negative = the past; NaN = no date) and timestamps are
seconds from `as_of` 00:00 UTC; the loader turns them into real dates, so the same seed always
gives the same rows relative to the run date and the demo always looks current.

Each customer follows one purchase *pattern* (weekly, monthly, quarterly, … stopped buying,
never bought), chosen so that every lifecycle, frequency, value and risk class of DOMAIN.md has
members once the nightly classification runs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import vocab
from .people import REGION_TEAMS, DemoPeople

# (name, share of customers, order interval in days, first order from/to days ago, last order
# from/to days ago). Shares add up to 1; tuned so the average customer has ~20 orders, the
# ratio the benchmark is specified for (1M customers ≈ 20M transactions).
PATTERNS = (
    ("prospect", 0.08, 0, 0, 0, 0, 0),
    ("intent", 0.05, 0, 0, 0, 0, 0),
    ("new", 0.05, 0, 1, 75, 0, 0),
    ("one_off", 0.07, 0, 150, 1500, 0, 0),
    ("weekly", 0.04, 8, 365, 1460, 0, 0),
    ("monthly", 0.15, 30, 365, 2190, 0, 0),
    ("quarterly", 0.15, 91, 365, 2190, 0, 0),
    ("semiannual", 0.09, 182, 540, 2190, 0, 0),
    ("irregular", 0.10, 0, 90, 700, 0, 90),
    ("dormant", 0.08, 45, 400, 1800, 120, 300),
    ("churned", 0.07, 60, 500, 2190, 300, 900),
    ("declining", 0.05, 30, 540, 1800, 0, 0),
    # Bought every ten days until five to eight months ago, then stopped: many orders in the
    # last year but none lately — RFM's "can't lose them" (R 1–2, F 5).
    ("lapsed", 0.02, 10, 400, 1460, 150, 240),
)
PATTERN_NAMES = tuple(p[0] for p in PATTERNS)
P = {name: i for i, name in enumerate(PATTERN_NAMES)}
SHARES = np.array([p[1] for p in PATTERNS])
INTERVAL = np.array([p[2] for p in PATTERNS], dtype=np.float64)
FIRST_LO, FIRST_HI, LAST_LO, LAST_HI = (np.array([p[k] for p in PATTERNS]) for k in (3, 4, 5, 6))
NO_ORDERS = np.array([P["prospect"], P["intent"]])
# Customers with a long, steady history: they make the referrals.
LONG_TENURE = np.array([P["weekly"], P["monthly"], P["quarterly"]])

INDUSTRIES = tuple(vocab.INDUSTRY_WORDS)
COMPANY_INDUSTRIES = np.array([i for i, k in enumerate(INDUSTRIES) if k != "consumer"])
REGIONS = tuple(vocab.REGION_CITIES)
OVERSEAS = REGIONS.index("overseas")
REGION_P = np.array([0.34, 0.20, 0.12, 0.10, 0.08, 0.04, 0.05, 0.07])
SIZES = np.array(["large", "medium", "small"])
SOURCES = np.array(
    ["referral", "exhibition", "website", "cold_call", "social", "partner", "advertising", "other"]
)
SOURCE_P = np.array([0.10, 0.14, 0.22, 0.16, 0.14, 0.12, 0.08, 0.04])
# What winning a customer costs by channel (median yuan): fairs are dear, referrals cheap.
SOURCE_COST = np.array([300, 4000, 800, 1200, 600, 1500, 2500, 500])
OUTLOOKS = np.array(["growing", "stable", "declining"])
SECONDS_PER_DAY = 86_400
# Office hours 09:00–18:00 in China are 01:00–10:00 UTC.
OFFICE_HOURS_UTC = (3_600, 36_000)


@dataclass
class ChunkCustomers:
    """What the later tables of the same chunk need to know about its customers."""

    ids: np.ndarray
    index: np.ndarray  # global 0-based position, for external codes of dependent rows
    is_company: np.ndarray
    is_en: np.ndarray
    size: np.ndarray  # 0 large, 1 medium, 2 small
    industry: np.ndarray
    owner: np.ndarray
    pattern: np.ndarray
    created: np.ndarray  # day offset the customer entered the CRM
    interest: np.ndarray  # day offset of interest (intent customers), else 0
    first: np.ndarray  # day offset of the first order (meaningless without orders)
    last: np.ndarray  # day offset of the last order
    source: np.ndarray
    names: np.ndarray
    domains: np.ndarray
    problem: np.ndarray  # bool: gets many service cases and poor scores
    payer: np.ndarray  # 0 on time, 1 late, 2 bad (leaves invoices overdue)


def pick(rng: np.random.Generator, items, n: int, p=None) -> np.ndarray:
    arr = np.asarray(items)
    return arr[rng.choice(len(arr), size=n, p=p)]


def digits(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    return np.strings.zfill(rng.integers(0, 10**width, n).astype(str), width)


def join(*parts) -> np.ndarray:
    out = parts[0]
    for part in parts[1:]:
        out = np.strings.add(out, part)
    return out


def person_names(rng: np.random.Generator, is_en: np.ndarray) -> np.ndarray:
    n = len(is_en)
    zh = join(pick(rng, vocab.SURNAMES, n), pick(rng, vocab.GIVEN_NAMES, n))
    en = join(pick(rng, vocab.EN_FIRST, n), " ", pick(rng, vocab.EN_LAST, n))
    return np.where(is_en, en, zh)


def nullable_int(values: np.ndarray, keep: np.ndarray) -> pd.arrays.IntegerArray:
    """Integers with NULL where `keep` is false (a nullable foreign key or count)."""
    out = pd.array(values, dtype="Int64")
    out[~np.asarray(keep)] = pd.NA
    return out


def office_time(rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    return day.astype(np.int64) * SECONDS_PER_DAY + rng.integers(*OFFICE_HOURS_UTC, len(day))


def _pattern_bounds(rng: np.random.Generator, pattern: np.ndarray):
    first = -rng.integers(FIRST_LO[pattern], FIRST_HI[pattern] + 1)
    last = -rng.integers(LAST_LO[pattern], LAST_HI[pattern] + 1)
    one = np.isin(pattern, [P["new"], P["one_off"]])
    # Repeat patterns get at least two months of history before their last order.
    first = np.where(one, first, np.minimum(first, last - 60))
    return first, np.where(one, first, last)


def _places(rng: np.random.Generator, region: np.ndarray):
    n = len(region)
    city_i = rng.integers(0, 8, n)
    cities = np.empty(n, dtype=object)
    area = np.empty(n, dtype=object)
    for r, (names, codes) in enumerate(vocab.REGION_CITIES.values()):
        mask = region == r
        k = city_i[mask] % len(names)
        cities[mask] = np.asarray(names)[k]
        area[mask] = np.asarray(codes)[k]
    return cities.astype(str), area.astype(str)


# Long on purpose: a vectorised recipe of the demo's customer columns, one after the other; each
# line is one column.
def customers_generate(
    *, rng: np.random.Generator, first_id: int, index0: int, n: int, people: DemoPeople
) -> tuple[pd.DataFrame, ChunkCustomers]:
    """`n` customers with ids from `first_id`; `index0` numbers their external codes."""
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    index = np.arange(index0, index0 + n, dtype=np.int64)
    region = rng.choice(len(REGIONS), size=n, p=REGION_P)
    overseas = region == OVERSEAS
    is_company = rng.random(n) < 0.75
    is_person = ~is_company
    is_en = overseas | (rng.random(n) < 0.06)
    industry = np.where(
        is_company,
        rng.choice(COMPANY_INDUSTRIES, size=n),
        np.where(rng.random(n) < 0.9, INDUSTRIES.index("consumer"), INDUSTRIES.index("other")),
    )
    size = np.where(is_company, rng.choice(3, size=n, p=[0.1, 0.3, 0.6]), 2)
    pattern = rng.choice(len(PATTERNS), size=n, p=SHARES)

    # Names: "杭州明远机械有限公司", "Brightway Trading Ltd", "王伟", "Emily Chen".
    cities, area = _places(rng, region)
    brand = rng.integers(0, len(vocab.BRANDS_ZH), n)
    brand_zh = np.asarray([b[0] for b in vocab.BRANDS_ZH])[brand]
    brand_py = np.asarray([b[1] for b in vocab.BRANDS_ZH])[brand]
    brand_en = pick(rng, vocab.BRANDS_EN, n)
    word = rng.integers(0, 5, n)
    words_zh = np.array([vocab.INDUSTRY_WORDS[k][0] for k in INDUSTRIES])[industry, word]
    words_en = np.array([vocab.INDUSTRY_WORDS[k][1] for k in INDUSTRIES])[industry, word]
    company_zh = join(
        np.where(overseas, "", cities), brand_zh, words_zh, pick(rng, vocab.COMPANY_SUFFIX_ZH, n)
    )
    company_en = join(brand_en, " ", words_en, " ", pick(rng, vocab.COMPANY_SUFFIX_EN, n))
    person = person_names(rng, is_en)
    names = np.where(is_company, np.where(is_en, company_en, company_zh), person)
    slug_en = np.strings.lower(np.strings.replace(join(brand_en, words_en), " ", ""))
    domains = np.where(is_en, join(slug_en, ".com"), join(brand_py, digits(rng, n, 2), ".com.cn"))
    personal_mail = np.where(
        is_en,
        join(np.strings.lower(np.strings.replace(person, " ", ".")), "@example.com"),
        join(digits(rng, n, 9), "@qq.com"),
    )
    road_no = rng.integers(1, 999, n).astype(str)
    address = np.where(
        overseas,
        join(road_no, " ", pick(rng, vocab.EN_STREETS, n)),
        join(cities, pick(rng, vocab.DISTRICTS, n), pick(rng, vocab.ROADS, n), road_no, "号"),
    )
    mobile = join(pick(rng, ("138", "139", "186", "135", "158", "177"), n), digits(rng, n, 8))
    landline = join(area, "-", digits(rng, n, 8))
    tax = join("91", digits(rng, n, 6), digits(rng, n, 10))

    # The region decides the team, then any rep of that team owns the customer.
    team = REGION_TEAMS[region, rng.integers(0, REGION_TEAMS.shape[1], n)]
    owner = people.rep_for_team(rng, team)

    # Firmographics scale with size; individuals get demographics instead.
    scale = np.array([50.0, 6.0, 1.0])[size]
    revenue = np.round(rng.lognormal(np.log(8e6), 0.8, n) * scale, -3)
    budget = np.round(revenue * rng.uniform(0.005, 0.04, n), -2)
    employees = np.maximum(1, rng.lognormal(np.log(40), 0.6, n) * scale).astype(np.int64)
    outlook = rng.choice(3, size=n, p=[0.35, 0.45, 0.20])
    growth = np.round(rng.normal(np.array([12.0, 3.0, -6.0])[outlook], 6.0), 2)
    source = rng.choice(len(SOURCES), size=n, p=SOURCE_P)
    acquisition = np.round(SOURCE_COST[source] * rng.lognormal(0, 0.5, n) * np.sqrt(scale))

    first, last = _pattern_bounds(rng, pattern)
    intent = pattern == P["intent"]
    interest = np.where(intent, -rng.integers(1, 150, n), 0)
    bought = ~np.isin(pattern, NO_ORDERS)
    created = np.where(bought, first, interest) - rng.integers(0, 120, n)
    created = np.where(pattern == P["prospect"], -rng.integers(0, 900, n), created)

    def personal(choices, p=None):
        return np.where(is_person, pick(rng, choices, n, p), "")

    frame = pd.DataFrame(
        {
            "id": ids,
            "external_code": join("DM", np.strings.zfill((index + 1).astype(str), 7)),
            "name": names,
            "kind": np.where(is_company, "company", "individual"),
            "industry": np.asarray(INDUSTRIES)[industry],
            "size": SIZES[size],
            "region": np.asarray(REGIONS)[region],
            "city": cities,
            "address": address,
            "market": np.where(overseas, "international", "domestic"),
            "source_channel": SOURCES[source],
            "owner_id": owner,
            "team_id": people.team_ids[team],
            "phone": np.where(is_company & ~overseas, landline, mobile),
            "email": np.where(is_company, join("info@", domains), personal_mail),
            "website": np.where(is_company, join("www.", domains), ""),
            "tax_number": np.where(is_company & ~overseas, tax, ""),
            "annual_budget": np.where(is_company, budget, np.round(rng.uniform(2e3, 5e4, n), -2)),
            "annual_revenue": np.where(is_company, revenue, np.nan),
            "employees": nullable_int(employees, is_company),
            "industry_outlook": OUTLOOKS[outlook],
            "growth_rate": np.where(is_company, growth, np.nan),
            "age_band": personal(("lt25", "25_34", "35_44", "45_54", "55plus")),
            "gender": personal(("female", "male", "other"), [0.48, 0.48, 0.04]),
            "income_band": personal(("low", "middle", "high"), [0.3, 0.5, 0.2]),
            "education": personal(("secondary", "college", "postgraduate"), [0.3, 0.55, 0.15]),
            "marital_status": personal(("single", "married", "other"), [0.35, 0.55, 0.1]),
            "acquisition_cost": acquisition,
            "interest_since": np.where(intent, interest, np.nan),
            "notes": "",
            "created_at": office_time(rng, created),
            "updated_at": office_time(rng, -rng.integers(0, 30, n)),
        }
    )
    info = ChunkCustomers(
        ids=ids,
        index=index,
        is_company=is_company,
        is_en=is_en,
        size=size,
        industry=industry,
        owner=owner,
        pattern=pattern,
        created=created,
        interest=interest,
        first=first,
        last=last,
        source=source,
        names=names,
        domains=domains,
        problem=rng.random(n) < 0.03,
        payer=rng.choice(3, size=n, p=[0.82, 0.13, 0.05]),
    )
    return frame, info
