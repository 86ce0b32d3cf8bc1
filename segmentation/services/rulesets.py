"""Rule-set versions: saving an edit as a new version, activating one, previewing a draft."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd
from django.db import transaction
from django.db.models import Max

from segmentation.classifiers import CUT_COLUMNS, cut_points_compute
from segmentation.dimensions.compute import classify
from segmentation.metrics import (
    DEFAULT_PARTITION_SIZE,
    duplicates_map,
    metrics_for_range,
    partitions_plan,
)
from segmentation.models import DIMENSIONS, CustomerClasses, RuleSet, Run
from segmentation.rules import RULE_FIELDS, rules_from_ruleset


@transaction.atomic
def ruleset_save_version(
    *, data: dict[str, Any], actor=None, based_on: RuleSet | None = None
) -> RuleSet:
    """Saves rule values as a new, inactive version (the admin's "save"). Raises
    ValidationError with a message per field when the values do not fit together."""
    fields = {k: v for k, v in data.items() if k in {*RULE_FIELDS, "name", "note"}}
    # Lock the table's max version so two admins saving at once get distinct numbers.
    last = RuleSet.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0
    rule_set = RuleSet(**fields, version=last + 1, based_on=based_on, created_by=actor)
    rule_set.full_clean()
    rule_set.save()
    return rule_set


@transaction.atomic
def ruleset_activate(*, rule_set: RuleSet) -> RuleSet:
    """Makes `rule_set` the version the next run uses (validated again first)."""
    rule_set.full_clean()
    RuleSet.objects.filter(is_active=True).exclude(pk=rule_set.pk).update(is_active=False)
    rule_set.is_active = True
    rule_set.save(update_fields=["is_active"])
    return rule_set


def ruleset_preview(
    *, rule_set: RuleSet, partition_size: int = DEFAULT_PARTITION_SIZE
) -> dict[str, Any]:
    """How many customers would change class per dimension if `rule_set` were active, against
    the current run's classes (same as_of; pins and the dwell rule left aside). Reads every
    customer, so it costs about a run's metric phase; nothing is written."""
    current = Run.objects.filter(is_current=True).first()
    if current is None:
        return {"as_of": None, "customers": 0, "dimensions": {}}
    rules = rules_from_ruleset(rule_set)
    duplicates = duplicates_map()
    frames = []
    for part in partitions_plan(size=partition_size):
        frame = metrics_for_range(
            lo=part.lo, hi=part.hi, as_of=current.as_of, rules=rules, duplicates=duplicates
        )
        if not frame.empty:
            frames.append(frame)
    if not frames:
        return {"as_of": current.as_of, "customers": 0, "dimensions": {}}
    cuts = cut_points_compute(frame=pd.concat([f[list(CUT_COLUMNS)] for f in frames]), rules=rules)
    moved: dict[str, Counter] = {dim: Counter() for dim in DIMENSIONS}
    customers = 0
    for frame in frames:
        new = classify(frame, rules, cuts)
        old = (
            pd.DataFrame.from_records(
                list(
                    CustomerClasses.objects.filter(
                        run=current,
                        customer_id__gte=frame.index.min(),
                        customer_id__lte=frame.index.max(),
                    ).values_list("customer_id", *DIMENSIONS)
                ),
                columns=["customer_id", *DIMENSIONS],
            )
            .set_index("customer_id")
            .reindex(new.index)
        )
        customers += len(new)
        for dim in DIMENSIONS:
            before = old[dim].fillna("")
            mask = before != new[dim]
            if mask.any():
                pairs = zip(before[mask], new.loc[mask, dim], strict=True)
                moved[dim].update(pairs)
    return {
        "as_of": current.as_of,
        "customers": customers,
        "dimensions": {
            dim: {"moved": sum(c.values()), "top": c.most_common(5)} for dim, c in moved.items()
        },
    }
