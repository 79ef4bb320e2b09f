"""House rules: layers point one way and nothing outside webmap/ imports Flask or Folium."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = ("placenames", "boundaries", "facilities")
FORBIDDEN = {
    "gis": {"flask", "folium", "webmap", "data", "cli", "click", *DOMAIN},
    "placenames": {"flask", "folium", "webmap", "data", "cli", "click"},
    "boundaries": {"flask", "folium", "webmap", "data", "cli", "click"},
    "facilities": {"flask", "folium", "webmap", "data", "cli", "click"},
    "data": {"flask", "folium", "webmap", "cli", "click"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layers(package):
    offenders = []
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        bad = _imports(path) & FORBIDDEN[package]
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


def test_settings_are_documented():
    from gis.settings import SETTINGS

    doc = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in doc]
    assert missing == []


@pytest.mark.parametrize(
    "path", sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("*/*.py") if ".venv" not in p.parts)
)
def test_module_size(path):
    lines = (ROOT / path).read_text(encoding="utf-8").count("\n")
    assert lines <= 800, f"{path} has {lines} lines: split it"


def test_the_command_line_starts_without_what_only_some_commands_need():
    # Every ``wuhai-gis`` command imports cli.main (and its plug-ins) first: Alembic (migrations),
    # pypinyin (romanization, which loads its dictionary on import) and Flask (the web app) wait
    # for the commands that use them.
    import subprocess
    import sys

    code = "import sys, cli.main; print(sorted({m.split('.')[0] for m in sys.modules} & {'alembic', 'pypinyin', 'flask'}))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
