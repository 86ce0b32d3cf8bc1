"""Importing customers, contacts, transactions and contact logs from CSV and XLSX."""

from .jobs import run_import
from .readers import ImportFileError
from .report import ImportReport, Problem
from .specs import KINDS

__all__ = ["KINDS", "ImportFileError", "ImportReport", "Problem", "run_import"]
