"""Migrations never import live code: a migration runs against the historical models of its
moment, and a service imported today would run against tomorrow's code (and fail, or write
what the old schema cannot hold)."""

import ast
from pathlib import Path

from django.conf import settings

# What a migration may import: Django, the history library, the standard library.
ALLOWED = {"django", "simple_history", "datetime", "decimal", "re", "uuid", "functools"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_migrations_import_no_live_code():
    root = Path(settings.BASE_DIR)
    files = [
        p
        for p in root.glob("*/migrations/*.py")
        if not p.relative_to(root).parts[0].startswith(".")
    ]
    assert len(files) > 10  # the glob found the apps' migrations
    offenders = {
        p.relative_to(root).as_posix(): sorted(_imports(p) - ALLOWED)
        for p in files
        if _imports(p) - ALLOWED
    }
    assert offenders == {}
