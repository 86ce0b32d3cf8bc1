"""Spreadsheet cells: the guard against formula injection on export, and its inverse on
import, so an exported value re-imports as exactly the value that was stored."""

from __future__ import annotations

import re
from typing import Any

# Characters a spreadsheet treats as the start of a formula (or that hide one: tab, CR).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


# Control characters a person cannot see or type (tab, newline and CR are allowed where text
# may have lines); NUL is refused by Django itself. XLSX cannot even store them.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_character(value: str) -> str | None:
    """The first invisible control character in `value`, as U+XXXX, or None."""
    found = CONTROL_CHARACTERS.search(value or "")
    return f"U+{ord(found.group(0)):04X}" if found else None


def _needs_guard(text: str) -> bool:
    # A value that already starts with apostrophes before a trigger is guarded once more, so
    # `unguard_cell` can always take exactly one apostrophe off.
    return text.lstrip("'").startswith(FORMULA_TRIGGERS)


def safe_cell(value: Any) -> Any:
    """The value, made inert for spreadsheets: text starting with = + - @ tab or CR gets a
    leading apostrophe. Numbers stay numbers (a negative growth rate is data, not a formula)."""
    if isinstance(value, str) and _needs_guard(value):
        return "'" + value
    return value


def unguard_cell(value: Any) -> Any:
    """The inverse of `safe_cell` for text read from an import file."""
    if isinstance(value, str) and value.startswith("'") and _needs_guard(value):
        return value[1:]
    return value
