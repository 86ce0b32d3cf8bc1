"""Plain-text summaries the seed commands print: rows loaded, and one demo login per role."""

from __future__ import annotations

import unicodedata

from .people import LOGIN, TEAMS
from .services import SeedReport


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(header: list[str], rows: list[list[str]]) -> str:
    """Columns padded by display width, so Chinese text lines up in a terminal."""
    widths = [max(_width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "  ".join(
            str(c) + " " * (w - _width(str(c))) for c, w in zip(cells, widths, strict=True)
        ).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def seed_summary(report: SeedReport) -> str:
    rows = []
    for table_name, count in report.rows.items():
        seconds = report.load_seconds.get(table_name, 0.0)
        rate = f"{count / seconds:,.0f}" if seconds else "-"
        rows.append([table_name, f"{count:,}", f"{seconds:,.1f}", rate])
    lines = [
        f"Demo data as of {report.as_of} (seed {report.seed}, {report.reps} reps, "
        f"{report.vendor}): {report.customers:,} customers in {report.total_seconds:,.1f} s "
        f"(generating {report.generate_seconds:,.1f} s, sequences and statistics "
        f"{report.finish_seconds:,.1f} s).",
        table(["table", "rows", "load s", "rows/s"], rows),
    ]
    return "\n".join(lines)


def logins_summary(rows: list[dict]) -> str:
    body = [
        [
            r["role"],
            r["username"],
            r["password"],
            r["sees"],
            "(missing: run seed_demo)" if r["customers"] is None else f"{r['customers']:,}",
        ]
        for r in rows
    ]
    return "\n".join(
        [
            "Demo logins (log in at /accounts/login/; managers and the director also at /admin/):",
            table(["role", "username", "password", "sees", "customers"], body),
            f"Other reps (rep_0002, rep_0003, …) use the rep password {LOGIN['rep'].password}; "
            f"the managers of the other teams (manager_2 … manager_{len(TEAMS)}) use "
            f"{LOGIN['manager'].password}.",
        ]
    )
