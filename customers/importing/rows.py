"""A parsed row of an import file, and the small text helpers the engine and the API's batch
share: header names, a cell shown in a message, a value in COPY text format."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .report import Problem
from .specs import Column, ImportKind

NULL = "\\N"  # COPY's marker for "no value"


def normalise_header(value: Any) -> str:
    return re.sub(r"[\s_\-/()（）:：*\ufeff]", "", str(value or "").lower())


def header_map(kind: ImportKind) -> dict[str, Column]:
    mapping: dict[str, Column] = {}
    for col in kind.columns:
        for name in (col.name, *col.aliases):
            mapping.setdefault(normalise_header(name), col)
    return mapping


def show(value: Any) -> str:
    s = "" if value is None else str(value)
    return s if len(s) <= 80 else s[:77] + "…"


@dataclass
class Row:
    number: int
    cells: list[Any]
    values: dict[str, Any]  # field/attname → parsed value; None = blank
    key: str | None
    customer_code: str | None
    problems: list[Problem]
    new_customer: bool = False  # its customer code is created on import (--create-customers)


def serialise(value: Any, *, blank: str = NULL) -> str:
    if type(value) is str:
        return value
    if value is None:
        return blank
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
