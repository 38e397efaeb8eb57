"""The layer contract that import-linter cannot express (pages are scripts, not a package):
only `ctg_data.ui` imports Streamlit, `ctg_data.ui` never imports a page, and pages never touch the
tables, the engine or SQL themselves. import-linter (`make lint`) keeps the package's own layers."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ctg_data"
PAGES = [*sorted((ROOT / "pages").glob("*.py")), ROOT / "dashboard.py"]

# What a page may not import: it reads through queries and writes through services.
PAGE_FORBIDDEN = ("sqlalchemy", "sqlmodel", "ctg_data.models", "ctg_data.db")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _is_under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_imported_modules_sees_both_import_forms(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import streamlit as st\nfrom ctg_data import models\n", encoding="utf-8")
    assert {"streamlit", "ctg_data", "ctg_data.models"} <= imported_modules(sample)


@pytest.mark.parametrize(
    "path",
    sorted(p for p in PACKAGE.rglob("*.py") if "ui" not in p.relative_to(PACKAGE).parts),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_only_the_ui_package_imports_streamlit(path):
    assert not [name for name in imported_modules(path) if _is_under(name, "streamlit")]


@pytest.mark.parametrize("path", sorted((PACKAGE / "ui").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_ui_never_imports_a_page(path):
    assert not [name for name in imported_modules(path) if _is_under(name, "pages")]


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_pages_never_touch_tables_engines_or_sql(path):
    found = [name for name in imported_modules(path) if any(_is_under(name, bad) for bad in PAGE_FORBIDDEN)]
    assert not found
