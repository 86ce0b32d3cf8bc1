"""The demo generator sits above the domain apps: it imports them, never the other way round."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BELOW_DEMO = ("crm", "customers", "segmentation", "strategies", "dashboards")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("app", BELOW_DEMO)
def test_no_domain_app_imports_the_demo_app(app):
    offenders = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in sorted((REPO / app).rglob("*.py"))
        for name in _imported_modules(path)
        if name == "demo" or name.startswith("demo.")
    ]
    assert offenders == []


def test_the_generator_left_the_customers_app():
    assert not (REPO / "customers" / "seed").exists()
    commands = {p.stem for p in (REPO / "customers" / "management" / "commands").glob("*.py")}
    assert not commands & {"seed_demo", "demo_logins"}
    demo_commands = {p.stem for p in (REPO / "demo" / "management" / "commands").glob("*.py")}
    assert {"seed_demo", "demo_logins"} <= demo_commands
