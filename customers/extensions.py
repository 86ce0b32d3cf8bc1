"""Extension points that higher layers (segmentation, strategies) fill from their
AppConfig.ready(), so the customer workspace shows their data without importing them.

Data flows one way (customers → segmentation → strategies): customers only keeps these
registries; it never imports the apps that register into them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import django_filters

# name → filter instance, in registration order (the list form shows them in this order).
_customer_filters: dict[str, django_filters.Filter] = {}
# template names rendered on the customer page with {"customer": …, "request": …}.
_insight_panels: list[str] = []


@dataclass(frozen=True)
class ExportColumns:
    """Columns another app adds to customer exports.

    `fetch(customer_ids)` is called once per batch of customers (never per row) and returns
    {customer_id: [value per header]}; customers missing from the result get empty cells."""

    name: str
    headers: Sequence[str]
    fetch: Callable[[Sequence[int]], dict[int, Sequence[Any]]]


_export_columns: dict[str, ExportColumns] = {}


def register_customer_filter(name: str, filter_: django_filters.Filter) -> None:
    """Adds a filter to the customer list (e.g. segmentation's lifecycle class).

    The filter receives the customer queryset and must return a filtered one; its field
    name must not clash with a built-in filter."""
    from .filters import CustomerFilter

    if name in CustomerFilter.base_filters and name not in _customer_filters:
        raise ValueError(f"customer filter {name!r} already exists")
    _customer_filters[name] = filter_
    CustomerFilter.base_filters[name] = filter_


def registered_customer_filters() -> dict[str, django_filters.Filter]:
    return dict(_customer_filters)


def register_insight_panel(template_name: str) -> None:
    """A template shown in the customer page's insights area (classes, next action…)."""
    if template_name not in _insight_panels:
        _insight_panels.append(template_name)


def insight_panels() -> list[str]:
    return list(_insight_panels)


_header_sources: dict[str, Callable[[], Iterable[str]]] = {}


def register_export_columns(
    name: str, *, headers: Iterable[str] | Callable[[], Iterable[str]], fetch
) -> None:
    """Adds columns to `export_data customers` and to the list export. Headers are stable
    English names (they are an interface other tools rely on). `headers` may be a callable
    for columns that admins add at runtime (custom dimensions): it is called once per
    export, and `fetch` must return values in the same order."""
    if callable(headers):
        _header_sources[name] = headers
        _export_columns[name] = ExportColumns(name=name, headers=(), fetch=fetch)
    else:
        _header_sources.pop(name, None)
        _export_columns[name] = ExportColumns(name=name, headers=tuple(headers), fetch=fetch)


def export_columns() -> list[ExportColumns]:
    """The registered columns, runtime headers resolved (call once per export)."""
    out = []
    for name, ext in _export_columns.items():
        source = _header_sources.get(name)
        out.append(
            ExportColumns(name=name, headers=tuple(source()), fetch=ext.fetch) if source else ext
        )
    return out


# Called by the demo flush (seed_demo --flush) before the customer records go: higher layers
# delete what they derived from customers (classes, runs, …) so no stale row outlives them.
_flush_hooks: list[Callable[[], None]] = []


def register_customer_data_flush(hook: Callable[[], None]) -> None:
    if hook not in _flush_hooks:
        _flush_hooks.append(hook)


def customer_data_flush_hooks() -> list[Callable[[], None]]:
    return list(_flush_hooks)


# name → scrub(customer_id) -> number of records changed. Called inside the anonymisation's
# transaction, so a failing scrubber rolls the whole anonymisation back.
_anonymisers: dict[str, Callable[[int], int]] = {}


def register_anonymiser(name: str, scrub: Callable[[int], int]) -> None:
    """Another app's part of "anonymise customer": `scrub(customer_id)` blanks the free text
    it keeps about that customer (pin reasons, task notes…) and returns how many records it
    changed. Numbers, dates and classes stay, so dashboards and history still add up."""
    _anonymisers[name] = scrub


def anonymisers() -> dict[str, Callable[[int], int]]:
    return dict(_anonymisers)


# hook(customer_ids) → None. Called inside the transaction that created, changed, moved or
# deleted contact logs of these customers, so what a higher layer derives from "last
# contact" (strategies' next contact deadline) never lags behind a logged call.
_contact_log_hooks: list[Callable[[Sequence[int]], None]] = []


def register_contact_logs_changed(hook: Callable[[Sequence[int]], None]) -> None:
    if hook not in _contact_log_hooks:
        _contact_log_hooks.append(hook)


def contact_logs_changed(customer_ids: Iterable[int | None]) -> None:
    """Tells the registered layers that these customers' contact logs changed."""
    ids = sorted({cid for cid in customer_ids if cid is not None})
    if not ids:
        return
    for hook in _contact_log_hooks:
        hook(ids)
