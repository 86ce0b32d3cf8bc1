"""Demo data at scale: `seed_demo` fills the database with a realistic, deterministic CRM.

customers → a sales organisation (people), a product catalogue (catalog), then per chunk of
customers their orders, contacts, logs, cases, surveys and referrals (gen_*), bulk-loaded by
COPY on PostgreSQL or executemany on SQLite (load)."""

from .load import SeedError
from .people import DEMO_LOGINS, SALES_MANAGERS_GROUP, demo_logins_rows
from .services import SeedReport, demo_data_flush, seed_demo

__all__ = [
    "DEMO_LOGINS",
    "SALES_MANAGERS_GROUP",
    "SeedError",
    "SeedReport",
    "demo_data_flush",
    "demo_logins_rows",
    "seed_demo",
]
