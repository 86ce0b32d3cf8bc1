"""Risk lists: churn warnings, payment risk and problem customers of the current run, sorted by
the value at risk, top N each, scoped through customers.access. Each list walks a partial
index of CustomerClasses (flagged rows only, by value: classes_churn_value_idx and friends)
and stops after N; the totals come from the aggregates. Five queries."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from segmentation.models import CustomerClasses

from ..scope import Scope
from .common import label, money, run_trio

LIMIT = 50
# (flag dimension, value column, caption of the value)
LISTS = (
    ("churn_warning", "revenue_window", _("Revenue in window")),
    ("payment_risk", "overdue_amount", _("Overdue amount")),
    ("problem_customer", "revenue_window", _("Revenue in window")),
)
TITLES = {
    "churn_warning": _("Churn warnings"),
    "payment_risk": _("Payment risk"),
    "problem_customer": _("Problem customers"),
}


def risks_data(*, scope: Scope, limit: int = LIMIT) -> dict:
    run = run_trio().current
    totals = {
        r["dimension"]: r
        for r in scope.class_rows(run=run, dimensions=[d for d, _v, _c in LISTS])
        if r["code"] == "yes"
    }
    lists = []
    for dim, column, caption in LISTS:
        rows = []
        if run is not None and not scope.nothing:
            qs = (
                CustomerClasses.objects.filter(
                    run=run,
                    **{dim: "yes", f"{column}__isnull": False},
                    customer_id__in=scope.customers().values("pk"),
                )
                .select_related("customer", "customer__owner")
                .order_by(f"-{column}", "customer_id")[:limit]
            )
            rows = [
                {
                    "customer": cc.customer,
                    "value": money(getattr(cc, column)),
                    "revenue_total": money(cc.revenue_total),
                    "recency_days": cc.recency_days,
                    "overdue_days": cc.overdue_days,
                    "lifecycle": label("lifecycle", cc.lifecycle),
                    "value_tier": label("value_tier", cc.value_tier),
                }
                for cc in qs
            ]
        total = totals.get(dim)
        lists.append(
            {
                "dimension": dim,
                "title": TITLES[dim],
                "caption": caption,
                "rows": rows,
                "total": total["customers"] if total else 0,
                "total_value": money(total[column] if total else 0),
                "url": scope.customers_url(**{dim: "yes"}),
            }
        )
    return {
        "run": run,
        "lists": lists,
        "limit": limit,
        # Win-back: dormant or churned customers who were core or important at their best.
        "lost_important_url": scope.customers_url(lost_important="yes"),
    }


def risks_export(data: dict) -> tuple[list[str], list[list]]:
    headers = ["list", "code", "name", "owner", "value_at_risk", "revenue_total", "recency_days"]
    rows = [
        [
            lst["dimension"],
            r["customer"].external_code,
            r["customer"].name,
            r["customer"].owner.username if r["customer"].owner else "",
            r["value"],
            r["revenue_total"],
            r["recency_days"],
        ]
        for lst in data["lists"]
        for r in lst["rows"]
    ]
    return headers, rows
