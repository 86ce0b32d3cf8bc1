"""What an import found and did: counts, problems (row, column, value, reason), warnings."""

from __future__ import annotations

from dataclasses import dataclass, field

# Problems kept in detail for the report; the total is always counted.
MAX_PROBLEMS = 1_000
MAX_SAMPLES = 20
MAX_WARNINGS = 200


@dataclass
class Problem:
    row: int | None
    column: str
    value: str
    reason: str


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    skip_invalid: bool = False
    rows: int = 0
    valid: int = 0
    invalid: int = 0
    to_create: int = 0
    to_update: int = 0
    created: int = 0
    updated: int = 0
    customers_to_create: int = 0
    customers_created: int = 0
    problems: list[Problem] = field(default_factory=list)
    problems_total: int = 0
    warnings: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    file_error: str | None = None
    # The job failed for a reason outside the file (the database connection was lost, the
    # worker crashed): nothing was stored and the same import may simply be run again.
    failed: str | None = None
    written: bool = False
    samples: list[dict] = field(default_factory=list)
    skipped_path: str | None = None
    timings: dict[str, float] = field(default_factory=dict)  # phase → seconds (benchmarks)

    @property
    def blocked(self) -> bool:
        """Nothing can be written: the file is unreadable, or rows are invalid and the user
        did not choose to skip them."""
        return self.file_error is not None or (self.invalid > 0 and not self.skip_invalid)

    def add_problem(self, problem: Problem) -> None:
        self.problems_total += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
