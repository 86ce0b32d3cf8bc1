"""Locale-correct figures: one filter set for every page (static/js/numbers.js does the
same for charts).

    {{ n|num }}             17,825,482            (separators in both languages)
    {{ n|num:2 }}           17,825,482.50
    {{ x|money }}           ¥17,825,482           (CRM_CURRENCY's symbol)
    {{ n|figure }}          1,782.55万 (zh-Hans) · 17,825,482 (en)
    {{ x|money_figure }}    ¥1,782.55万 (zh-Hans) · ¥17,825,482 (en)

`figure` is for headline numbers: a Chinese reader counts in 万 and 亿, not thousands ("43.7k"
means nothing). Tables keep exact `num`/`money` so columns compare digit by digit."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import get_language

register = template.Library()

CURRENCY_SYMBOLS = {"CNY": "¥", "RMB": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "¥"}
WAN, YI = Decimal(10_000), Decimal(100_000_000)


def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def _grouped(value: Decimal, places: int) -> str:
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return number_format(rounded, decimal_pos=places, use_l10n=True, force_grouping=True)


def _trimmed(value: Decimal, places: int) -> str:
    """At most `places` decimals, without trailing zeros (1,782.5万, not 1,782.50万)."""
    text = _grouped(value, places)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _chinese(value: Decimal | None = None) -> bool:
    return (get_language() or settings.LANGUAGE_CODE).lower().startswith("zh")


def currency_symbol() -> str:
    code = getattr(settings, "CRM_CURRENCY", "CNY")
    return CURRENCY_SYMBOLS.get(code, f"{code} ")


@register.filter
def num(value, places=0):
    """The number with thousands separators and `places` decimals; "—" for no value."""
    d = _decimal(value)
    if d is None:
        return "—"
    return _grouped(d, int(places))


@register.filter
def money(value, places=0):
    d = _decimal(value)
    if d is None:
        return "—"
    sign = "-" if d < 0 else ""
    return f"{sign}{currency_symbol()}{_grouped(abs(d), int(places))}"


@register.filter
def figure(value):
    """A headline number: 万/亿 in Chinese from ten thousand up, else the grouped number."""
    d = _decimal(value)
    if d is None:
        return "—"
    if _chinese(d):
        size = abs(d)
        if size >= YI:
            return f"{_trimmed(d / YI, 2)}亿"
        if size >= WAN:
            return f"{_trimmed(d / WAN, 2)}万"
    places = 0 if d == d.to_integral_value() else 2
    return _grouped(d, places) if abs(d) >= 1 or places == 0 else _trimmed(d, 2)


@register.filter
def money_figure(value):
    d = _decimal(value)
    if d is None:
        return "—"
    sign = "-" if d < 0 else ""
    shown = figure(abs(d))
    if not _chinese(d) or abs(d) < WAN:
        shown = _grouped(abs(d), 0)
    return f"{sign}{currency_symbol()}{shown}"
