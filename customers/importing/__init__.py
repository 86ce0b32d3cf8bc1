"""Importing customers, contacts, transactions and contact logs from CSV and XLSX."""

from .engine import ImportReport, Problem, run_import
from .readers import ImportFileError
from .specs import KINDS

__all__ = ["KINDS", "ImportFileError", "ImportReport", "Problem", "run_import"]
