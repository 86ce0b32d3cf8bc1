"""The reason of a custom class in the reader's language, from the stored rule of the run's
version and the customer's numbers: "margin (%) 38 ≥ 30; need type: quality-seeking".

Only the conditions that made the rule true are shown (inside "any", the ones that held)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from .catalog import Catalog
from .evaluate import DEFAULT, PINNED, reference_match
from .schema import SYMBOLS, Cmp, Group, Node


def _num(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _label(catalog: Catalog, name: str) -> tuple[str, bool]:
    spec = catalog.fields.get(name)
    if spec is None:
        return name, False
    text = str(spec.label)
    percent = spec.percent
    for suffix in (" (%)", "（%）", "(%)"):
        if text.endswith(suffix):
            text, percent = text[: -len(suffix)].rstrip(), True
    return text, percent


def _value_label(catalog: Catalog, name: str, value: Any) -> str:
    spec = catalog.fields.get(name)
    if spec is not None and spec.choices is not None:
        return str(spec.choices.get(value, value))
    return str(value)


def _cmp_text(c: Cmp, row: Mapping[str, Any], catalog: Catalog) -> str:
    label, percent = _label(catalog, c.field)
    unit = "%" if percent else ""
    actual = row.get(c.field)
    if c.op == "empty":
        return _("{field} not set").format(field=label)
    if c.kind == "number":
        shown = None if actual is None or actual != actual else float(actual)
        now = f"{_num(shown)}{unit}"
        if c.op == "between":
            return _("{field} {value} within {low}–{high}").format(
                field=label,
                value=now,
                low=f"{_num(c.value[0])}{unit}",
                high=f"{_num(c.value[1])}{unit}",
            )
        if c.op == "in":
            return _("{field} {value} (one of {values})").format(
                field=label, value=now, values=", ".join(_num(v) for v in sorted(c.value))
            )
        return f"{label} {now} {SYMBOLS[c.op]} {_num(c.value)}{unit}"
    now_label = _value_label(catalog, c.field, actual)
    if c.op == "eq":
        return f"{label}: {now_label}"
    if c.op == "ne":
        return _("{field}: {value} (not {other})").format(
            field=label, value=now_label, other=_value_label(catalog, c.field, c.value)
        )
    return _("{field}: {value} (one of {values})").format(
        field=label,
        value=now_label,
        values=", ".join(_value_label(catalog, c.field, v) for v in sorted(c.value)),
    )


def _held(node: Node, row: Mapping[str, Any], catalog: Catalog) -> list[str]:
    """Texts of the conditions that made `node` true for `row`."""
    if isinstance(node, Cmp):
        return [_cmp_text(node, row, catalog)]
    if node.op == "not":
        inner = node.children[0]
        if isinstance(inner, Cmp):
            if inner.op == "empty":
                label, _p = _label(catalog, inner.field)
                return [_("{field} is set").format(field=label)]
            return [_("not ({condition})").format(condition=_cmp_text(inner, row, catalog))]
        return [_("none of the excluded conditions holds")]
    out: list[str] = []
    for child in node.children:
        if reference_match(child, row):
            out.extend(_held(child, row, catalog))
            if node.op == "any":
                break  # one reason suffices for "any"
    return out


def custom_reason_text(
    *, rule: Node | None, why: str, row: Mapping[str, Any], catalog: Catalog
) -> str:
    """The reason, in the active language. `row` holds the customer's numbers and labels
    under the rule's field names."""
    if why == PINNED:
        return _("set by hand (see the pin)")
    if why == DEFAULT or rule is None:
        return _("no other class's rule applies (default class)")
    return "; ".join(_held(rule, row, catalog))


__all__ = ["Group", "custom_reason_text"]
