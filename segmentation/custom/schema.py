"""What a custom rule may say, and checking that it says it correctly.

A rule is JSON:

    {"all": [cond, …]}   every condition holds        {"any": [cond, …]}  at least one holds
    {"not": cond}        the condition does not hold
    {"field": "margin_pct", "op": ">=", "value": 30}  a comparison

Fields: every metric of the run (``margin_pct``, ``revenue_window``, ``p_alive`` …), the
customer's attributes (``industry``, ``size``, ``region``, ``kind``, ``market``,
``source_channel``, ``industry_outlook``, ``owner`` and ``team`` by id, ``annual_budget``,
``annual_revenue``, ``employees``, ``growth_rate``), tags as ``tag.<key>``, and the classes of
the built-in dimensions (``lifecycle``, ``value_tier`` …).

Operators: ``=``, ``!=`` (``≠``), ``<``, ``<=`` (``≤``), ``>``, ``>=`` (``≥``) and ``between``
([low, high], both included) on numbers; ``=``, ``!=``, ``in`` (a list) on classes, attributes
and tags (``in`` also on numbers); ``empty`` (no value: no purchase yet, tag not set) on all.
A comparison with an empty value is false — also ``!=``; say ``empty`` or ``not empty``.

Validation reports every mistake with its place: "class 'heavy', condition 2: unknown field
'revnue'". Nothing here ever executes the rule as code."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.utils.translation import gettext as _

from .catalog import Catalog, Kind, RuleField

OPS: dict[str, str] = {
    "=": "eq",
    "==": "eq",
    "!=": "ne",
    "≠": "ne",
    "<": "lt",
    "<=": "le",
    "≤": "le",
    ">": "gt",
    ">=": "ge",
    "≥": "ge",
    "between": "between",
    "in": "in",
    "empty": "empty",
    "is empty": "empty",
}
SYMBOLS = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}
NUMBER_OPS = {"eq", "ne", "lt", "le", "gt", "ge", "between", "in", "empty"}
CHOICE_OPS = {"eq", "ne", "in", "empty"}
MAX_DEPTH = 6
MAX_CONDITIONS = 50


@dataclass(frozen=True)
class Cmp:
    field: str
    kind: Kind
    op: str
    value: Any  # float | str | tuple[float, float] | frozenset | None
    path: str  # "2.1": where the condition is, for reasons and messages


@dataclass(frozen=True)
class Group:
    op: Literal["all", "any", "not"]
    children: tuple[Node, ...]


Node = Cmp | Group


class RuleError(ValueError):
    """A rule is malformed; `messages` names every mistake."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not (isinstance(value, float) and (math.isnan(value) or math.isinf(value)))
    )


def _where(prefix: str, path: str) -> str:
    if not path:
        return prefix
    return _("{prefix}, condition {path}").format(prefix=prefix, path=path)


def rule_compile(rule: Any, catalog: Catalog, *, where: str) -> Node:
    """The rule as a tree of Cmp/Group; raises RuleError with every mistake found, each
    message starting with `where` (e.g. "class 'heavy'") and the condition's position."""
    errors: list[str] = []
    count = [0]
    node = _compile(rule, catalog, where, "", errors, count, depth=0)
    if not errors and count[0] > MAX_CONDITIONS:
        errors.append(
            _("{where}: {n} conditions; at most {max} per class.").format(
                where=where, n=count[0], max=MAX_CONDITIONS
            )
        )
    if not errors and node is not None:
        _check_ranges(node, where, errors)
    if errors or node is None:
        raise RuleError(errors or [_("{where}: the rule is empty.").format(where=where)])
    return node


def _child_path(path: str, index: int) -> str:
    return f"{path}.{index}" if path else str(index)


def _compile(
    raw: Any, catalog: Catalog, where: str, path: str, errors: list[str], count, depth: int
) -> Node | None:
    here = _where(where, path)
    if depth > MAX_DEPTH:
        errors.append(_("{here}: nested deeper than {n} levels.").format(here=here, n=MAX_DEPTH))
        return None
    if not isinstance(raw, dict):
        errors.append(
            _("{here}: a condition must be an object like {example}.").format(
                here=here, example='{"field": "margin_pct", "op": ">=", "value": 30}'
            )
        )
        return None
    groups = [k for k in ("all", "any", "not") if k in raw]
    if groups:
        if len(raw) != 1:
            errors.append(
                _("{here}: “{key}” must stand alone in its object (found {keys}).").format(
                    here=here, key=groups[0], keys=", ".join(sorted(raw))
                )
            )
            return None
        key: Literal["all", "any", "not"] = groups[0]  # type: ignore[assignment]
        if key == "not":
            child = _compile(raw["not"], catalog, where, path, errors, count, depth + 1)
            return Group("not", (child,)) if child is not None else None
        items = raw[key]
        if not isinstance(items, list) or not items:
            errors.append(
                _("{here}: “{key}” needs a non-empty list of conditions.").format(
                    here=here, key=key
                )
            )
            return None
        children = [
            _compile(item, catalog, where, _child_path(path, i), errors, count, depth + 1)
            for i, item in enumerate(items, start=1)
        ]
        if any(c is None for c in children):
            return None
        return Group(key, tuple(c for c in children if c is not None))
    return _compile_cmp(raw, catalog, here, path, errors, count)


def _compile_cmp(
    raw: dict, catalog: Catalog, here: str, path: str, errors: list[str], count
) -> Cmp | None:
    count[0] += 1
    unknown_keys = set(raw) - {"field", "op", "value"}
    if unknown_keys:
        errors.append(
            _("{here}: unknown key(s) {keys}; a condition has field, op and value.").format(
                here=here, keys=", ".join(f"“{k}”" for k in sorted(unknown_keys))
            )
        )
        return None
    name = raw.get("field")
    if not isinstance(name, str) or not name:
        errors.append(_("{here}: “field” is missing.").format(here=here))
        return None
    spec = catalog.fields.get(name)
    if spec is None:
        errors.append(_("{here}: unknown field “{field}”.").format(here=here, field=name))
        return None
    raw_op = raw.get("op")
    op = OPS.get(raw_op.strip().lower()) if isinstance(raw_op, str) else None
    if op is None:
        errors.append(
            _("{here}: unknown operator “{op}” (use {ops}).").format(
                here=here,
                op=raw_op,
                ops=", ".join(["=", "≠", "<", "≤", ">", "≥", "between", "in", "empty"]),
            )
        )
        return None
    allowed = NUMBER_OPS if spec.kind == "number" else CHOICE_OPS
    if op not in allowed:
        errors.append(
            _("{here}: “{op}” does not apply to {field}, which is {kind}.").format(
                here=here, op=raw_op, field=name, kind=_kind_text(spec.kind)
            )
        )
        return None
    value = raw.get("value")
    if op == "empty":
        if value not in (None, True):
            errors.append(_("{here}: “empty” takes no value.").format(here=here))
            return None
        return Cmp(name, spec.kind, op, None, path)
    if op == "between":
        if not (isinstance(value, list) and len(value) == 2 and all(_is_number(v) for v in value)):
            errors.append(
                _("{here}: “between” needs two numbers [low, high] for {field}.").format(
                    here=here, field=name
                )
            )
            return None
        low, high = float(value[0]), float(value[1])
        if low > high:
            errors.append(
                _("{here}: impossible range for {field}: {low} is above {high}.").format(
                    here=here, field=name, low=value[0], high=value[1]
                )
            )
            return None
        return Cmp(name, spec.kind, op, (low, high), path)
    if op == "in":
        if not isinstance(value, list) or not value:
            errors.append(
                _("{here}: “in” needs a non-empty list of values for {field}.").format(
                    here=here, field=name
                )
            )
            return None
        converted = [_convert(v, spec, here, errors) for v in value]
        if any(c is None for c in converted):
            return None
        return Cmp(name, spec.kind, op, frozenset(converted), path)
    converted_one = _convert(value, spec, here, errors)
    if converted_one is None:
        return None
    return Cmp(name, spec.kind, op, converted_one, path)


def _kind_text(kind: Kind) -> str:
    return _("a number") if kind == "number" else _("a class or label")


def _convert(value: Any, spec: RuleField, here: str, errors: list[str]) -> Any:
    if spec.kind == "number":
        if not _is_number(value):
            errors.append(
                _("{here}: {field} is a number; “{value}” is not.").format(
                    here=here, field=spec.name, value=value
                )
            )
            return None
        return float(value)
    if spec.choices is None:  # ids (owner, team)
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and value.isdigit())
        ):
            errors.append(
                _("{here}: {field} takes an id (a whole number); “{value}” is not.").format(
                    here=here, field=spec.name, value=value
                )
            )
            return None
        return str(int(value))
    if not isinstance(value, str) or value not in spec.choices:
        known = ", ".join(spec.choices)
        errors.append(
            _("{here}: “{value}” is not a value of {field} (known: {known}).").format(
                here=here, value=value, field=spec.name, known=known
            )
        )
        return None
    return value


def _check_ranges(node: Node, where: str, errors: list[str]) -> None:
    """Inside one "all", bounds on the same number field must leave some value possible
    (e.g. margin_pct ≥ 50 and margin_pct < 20 can never hold)."""
    if isinstance(node, Cmp):
        return
    for child in node.children:
        _check_ranges(child, where, errors)
    if node.op != "all":
        return
    bounds: dict[str, list[Cmp]] = {}
    for child in node.children:
        if isinstance(child, Cmp) and child.kind == "number" and child.op in {
            "eq", "lt", "le", "gt", "ge", "between",
        }:  # fmt: skip
            bounds.setdefault(child.field, []).append(child)
    for name, conds in bounds.items():
        if len(conds) < 2:
            continue
        low, low_open, high, high_open = -math.inf, False, math.inf, False
        for c in conds:
            lo_c, hi_c, lo_open_c, hi_open_c = _interval(c)
            if lo_c > low or (lo_c == low and lo_open_c):
                low, low_open = lo_c, lo_open_c
            if hi_c < high or (hi_c == high and hi_open_c):
                high, high_open = hi_c, hi_open_c
        if low > high or (low == high and (low_open or high_open)):
            errors.append(
                _("{where}, conditions {paths}: impossible range for {field}: {text}.").format(
                    where=where,
                    paths=", ".join(c.path for c in conds),
                    field=name,
                    text=_(" and ").join(_cmp_short(c) for c in conds),
                )
            )


def _interval(c: Cmp) -> tuple[float, float, bool, bool]:
    """(low, high, low open, high open) of the values a number comparison admits."""
    if c.op == "between":
        return c.value[0], c.value[1], False, False
    v = c.value
    return {
        "eq": (v, v, False, False),
        "lt": (-math.inf, v, False, True),
        "le": (-math.inf, v, False, False),
        "gt": (v, math.inf, True, False),
        "ge": (v, math.inf, False, False),
    }[c.op]


def _fmt_value(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _cmp_short(c: Cmp) -> str:
    if c.op == "between":
        return f"{_fmt_value(c.value[0])}–{_fmt_value(c.value[1])}"
    return f"{SYMBOLS[c.op]} {_fmt_value(c.value)}"


def node_fields(node: Node) -> set[str]:
    """Every field a compiled rule reads."""
    if isinstance(node, Cmp):
        return {node.field}
    out: set[str] = set()
    for child in node.children:
        out |= node_fields(child)
    return out


@dataclass(frozen=True)
class ClassSpec:
    code: str
    rule: Node | None  # None for the default class


@dataclass(frozen=True)
class CompiledDimension:
    """A custom dimension version ready to evaluate: classes in order, default last."""

    pk: int
    code: str
    classes: tuple[ClassSpec, ...]
    default: str

    @property
    def fields(self) -> set[str]:
        out: set[str] = set()
        for c in self.classes:
            if c.rule is not None:
                out |= node_fields(c.rule)
        return out


def dimension_errors(
    *, classes: Sequence[Mapping[str, Any]], catalog: Catalog
) -> tuple[list[str], CompiledDimension | None]:
    """Checks a dimension's classes (dicts with code, order, rule, is_default) and compiles
    them. Returns (errors, spec); spec is None when there are errors."""
    errors: list[str] = []
    ordered = sorted(classes, key=lambda c: c.get("order") or 0)
    defaults = [c for c in ordered if c.get("is_default")]
    if not ordered:
        errors.append(_("A dimension needs at least one class besides its default class."))
    if len(defaults) != 1:
        errors.append(
            _("Mark exactly one class as the default class (found {n}).").format(n=len(defaults))
        )
    seen: set[str] = set()
    specs: list[ClassSpec] = []
    for c in ordered:
        code = c.get("code") or ""
        where = _("class “{code}”").format(code=code)
        if code in seen:
            errors.append(_("{where}: the code is used twice.").format(where=where))
        seen.add(code)
        rule = c.get("rule")
        if c.get("is_default"):
            if rule:
                errors.append(
                    _("{where}: the default class takes everyone no other class matched; "
                      "leave its rule empty.").format(where=where)
                )  # fmt: skip
            continue
        if not rule:
            errors.append(
                _("{where}: give the class a rule (or mark it as the default class).").format(
                    where=where
                )
            )
            continue
        try:
            specs.append(ClassSpec(code, rule_compile(rule, catalog, where=where)))
        except RuleError as exc:
            errors.extend(exc.messages)
    if errors or not defaults or not specs:
        if not errors:
            errors.append(_("A dimension needs at least one class besides its default class."))
        return errors, None
    return [], CompiledDimension(0, "", tuple(specs), defaults[0]["code"])
