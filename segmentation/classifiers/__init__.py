"""Pure classification functions: (metrics DataFrame, rules, cut points) → one class and one
reason code per customer, one function per built-in dimension (`dimensions`), and the run's
global cut points (`cuts`). No ORM, no settings, no clock; vectorised (no per-customer loop).
The dimension specs (segmentation.dimensions) call them."""

from .cuts import CUT_COLUMNS, cut_points_compute, value_basis_column

__all__ = ["CUT_COLUMNS", "cut_points_compute", "value_basis_column"]
