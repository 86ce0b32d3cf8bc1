"""Rule-set versions: saving an edit as a new version, activating one. The preview of a draft
runs the run's steps with a dry-run writer: segmentation.pipeline.preview."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max

from segmentation.models import RuleSet
from segmentation.rules import RULE_FIELDS


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
