"""Cell parsers: each turns one cell (text from CSV, or a typed value from XLSX) into a Python
value or raises CellError with a reason a user understands."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..cells import control_character, unguard_cell
from ..privacy import looks_masked


class CellError(ValueError):
    pass


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any, *, max_length: int | None = None) -> str:
    """Text of a cell, stripped; a formula guard our own export added ('=…) comes off."""
    if type(value) is str:
        s = unguard_cell(value.strip())
        if (max_length is None or len(s) <= max_length) and not control_character(s):
            return s
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores "123" typed as a number as 123.0
    s = unguard_cell(str(value).strip())
    code = control_character(s)
    if code:
        raise CellError(_("contains an invisible control character (%(code)s)") % {"code": code})
    if max_length is not None and len(s) > max_length:
        raise CellError(
            _("too long: %(n)s characters, at most %(max)s allowed")
            % {"n": f"{len(s):,}", "max": max_length}
        )
    return s


def personal_text(value: Any, *, max_length: int | None = None) -> str:
    """A phone number or e-mail address; a masked one (138****5678, from an export without
    the personal-data permission) is refused rather than stored over the real value."""
    s = text(value, max_length=max_length)
    if looks_masked(s):
        raise CellError(
            _(
                "masked value (from an export without personal data): import the full value "
                "or leave the cell empty to keep the stored one"
            )
        )
    return s


PLAIN_AMOUNT = re.compile(r"^\d{1,14}(\.\d{1,2})?$")
PLAIN_NUMBER = re.compile(r"^-?\d{1,20}(\.\d{1,20})?$")
MONEY_CLEAN = re.compile(r"[\s,，¥￥$€]|^CNY|^RMB|元$", re.IGNORECASE)


def decimal(
    value: Any, *, allow_negative: bool = False, max_digits: int = 16, places: int = 2
) -> Decimal:
    if type(value) is str and PLAIN_AMOUNT.match(value) and places >= 2 and max_digits >= 16:
        # Fast path for the common "1234.50" (at most 14 digits and 2 decimals by the
        # pattern): nothing to clean or check (1M-row files).
        return Decimal(value)
    if type(value) is str and PLAIN_NUMBER.match(value):
        number = Decimal(value)
    elif isinstance(value, bool):
        raise CellError(_("not a number"))
    elif isinstance(value, int | float):
        number = Decimal(str(value))
        if isinstance(value, float):
            try:
                number = round(number, places)  # binary floats from Excel: 12.3 is 12.29999…
            except InvalidOperation:  # 1e26 and up: beyond Decimal's precision, and any column's
                raise CellError(_("too large")) from None
    else:
        raw = MONEY_CLEAN.sub("", str(value).strip())
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise CellError(_("not a number")) from None
    if not number.is_finite():
        raise CellError(_("not a number"))
    if number < 0 and not allow_negative:
        raise CellError(_("must not be negative"))
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise CellError(_("at most %(n)s decimal places") % {"n": places})
    if abs(number) >= Decimal(10) ** (max_digits - places):
        raise CellError(_("too large"))
    return number.quantize(Decimal(1).scaleb(-places))


def integer(value: Any, *, minimum: int = 0, maximum: int = 2_147_483_647) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        number = int(str(value).strip().replace(",", ""))
    except ValueError:
        raise CellError(_("not a whole number")) from None
    if number < minimum:
        raise CellError(_("must be at least %(n)s") % {"n": minimum})
    if number > maximum:
        raise CellError(_("too large"))
    return number


DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
TIME_SUFFIX = re.compile(r"^(.+?)[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2100, 12, 31)


def date(value: Any) -> dt.date:
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
        # Fast path for ISO dates, the common case in large files.
        try:
            result = dt.date.fromisoformat(value)
        except ValueError:
            pass
        else:
            if not EARLIEST <= result <= LATEST:
                raise CellError(_("date out of range (1900–2100)"))
            return result
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        result = value
    else:
        s = str(value).strip()
        m = TIME_SUFFIX.match(s)
        if m:  # "2026-01-05 00:00:00" as Excel users often export
            s = m.group(1)
        for pattern in DATE_PATTERNS:
            match = pattern.match(s)
            if match:
                y, mo, d = (int(g) for g in match.groups())
                try:
                    result = dt.date(y, mo, d)
                except ValueError:
                    raise CellError(_("not a real date")) from None
                break
        else:
            raise CellError(_("not a date (write it as YYYY-MM-DD)"))
    if not EARLIEST <= result <= LATEST:
        raise CellError(_("date out of range (1900–2100)"))
    return result


def datetime(value: Any) -> dt.datetime:
    """A date, or a date and time, in the installation's time zone."""
    if isinstance(value, dt.datetime):
        naive = value.replace(tzinfo=None) if value.tzinfo else value
        date(naive.date())
        return timezone.make_aware(naive)
    s = "" if value is None else str(value).strip()
    m = TIME_SUFFIX.match(s)
    if m:
        day = date(m.group(1))
        h, mi, sec = int(m.group(2)), int(m.group(3)), int(m.group(4) or 0)
        if h > 23 or mi > 59 or sec > 59:
            raise CellError(_("not a real time of day"))
        return timezone.make_aware(dt.datetime.combine(day, dt.time(h, mi, sec)))
    return timezone.make_aware(dt.datetime.combine(date(value), dt.time(9, 0)))


TRUE = {"1", "true", "yes", "y", "x", "是", "对", "✓", "√"}
FALSE = {"0", "false", "no", "n", "否", "不", ""}


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    s = text(value).lower()
    if s in TRUE:
        return True
    if s in FALSE:
        return False
    raise CellError(_("write yes or no (是/否)"))


_choice_maps: dict[type, dict[str, str]] = {}


def choice(value: Any, choices: type[models.TextChoices]) -> str:
    """A choice given as its code (`retail`), its English label or its Chinese label."""
    mapping = _choice_maps.get(choices)
    if mapping is None:
        mapping = {}
        for code, label in choices.choices:
            mapping[code.lower()] = code
            for lang in ("en", "zh-hans"):
                with translation.override(lang):
                    mapping[str(label).strip().lower()] = code
        _choice_maps[choices] = mapping
    s = text(value).lower()
    if s in mapping:
        return mapping[s]
    allowed = ", ".join(choices.values)
    raise CellError(_("not one of the allowed values (%(allowed)s)") % {"allowed": allowed})
