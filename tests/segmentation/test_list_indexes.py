"""The classes indexes the customer list's filters rely on (PostgreSQL plans in the model)."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.needs_postgres]


def _indexdef(name: str) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_get_indexdef(%s::regclass)", [name])
        return cur.fetchone()[0]


def test_unique_run_customer_index_carries_the_other_filter_classes():
    """Migration 0011 rebuilt the constraint with INCLUDE (Django's state keeps it plain):
    a later migration that recreates it must keep the columns, or a manager's drill-down by
    potential or RFM segment scans the whole table again."""
    definition = _indexdef("classes_run_customer_uniq")
    assert "UNIQUE" in definition
    assert definition.endswith(
        "(run_id, customer_id) INCLUDE (loyalty, potential, value_potential, frequency, "
        "rfm_segment, rfm_r, rfm_f)"
    )


@pytest.mark.parametrize(
    ("name", "columns"),
    [
        ("classes_run_lifecycle_idx", "(run_id, lifecycle, customer_id)"),
        ("classes_run_value_idx", "(run_id, value_tier, customer_id)"),
        ("classes_run_churn_idx", "(run_id, customer_id) WHERE"),
        ("customer_team_id_idx", "(team_id, id)"),
        ("customer_team_attr_idx", "(team_id, region, industry, size, id)"),
    ],
)
def test_list_indexes_end_with_the_customer_id(name, columns):
    assert columns in _indexdef(name)
