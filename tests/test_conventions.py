"""House rules: imports run one way (front ends → domains → gis), each framework stays in its front end."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
DOMAINS = ("placenames", "boundaries", "facilities")
FRONT_ENDS = ("cli", "webmap")
PACKAGES = ("gis", *DOMAINS, "data", *FRONT_ENDS)
#: What each package may not import: the layers above it and the frameworks of the front ends.
FORBIDDEN = {
    "gis": {"flask", "folium", "click", "data", *DOMAINS, *FRONT_ENDS},
    "placenames": {"flask", "folium", "click", "data", "facilities", *FRONT_ENDS},
    "boundaries": {"flask", "folium", "click", "data", "placenames", "facilities", *FRONT_ENDS},
    "facilities": {"flask", "folium", "click", "data", "placenames", *FRONT_ENDS},
    "data": {"flask", "folium", "click", *FRONT_ENDS},
    "webmap": {"click", "cli"},
    "cli": {"flask", "folium"},
}
#: The one place of each front end where errors are mapped.
MAPPINGS = {"webmap/errors.py", "cli/errors.py"}
#: The only ways into boundaries from the other domains: its divisions reader and its models.
BOUNDARIES_DOORS = {"boundaries.divisions", "boundaries.models"}


def _modules(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports (dotted, absolute), at any depth of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def _top(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_run_one_way(package):
    offenders = []
    for path in _modules(package):
        bad = _top(_imports(path)) & FORBIDDEN[package]
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


@pytest.mark.parametrize("package", ["placenames", "facilities"])
def test_other_domains_use_boundaries_through_its_divisions_reader(package):
    offenders = []
    for path in _modules(package):
        used = {".".join(n.split(".")[:2]) for n in _imports(path) if n.startswith("boundaries.")}
        bad = used - BOUNDARIES_DOORS
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} uses {sorted(bad)}")
    assert offenders == []


def test_click_only_in_the_command_line_and_flask_only_in_the_web():
    offenders = []
    for package in ("gis", *DOMAINS, "data", "webmap", "bench"):
        for path in _modules(package):
            if "click" in _top(_imports(path)):
                offenders.append(f"{path.relative_to(ROOT)} imports click")
    for package in ("gis", *DOMAINS, "data", "cli"):
        for path in _modules(package):
            bad = _top(_imports(path)) & {"flask", "folium", "flask_login", "flask_wtf", "flask_babel"}
            if bad:
                offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


def test_one_row_vocabulary():
    # The domain errors and the row helpers live in gis/ only: no module defines its own conflict or
    # not-found error, catches SQLAlchemy's StaleDataError, or compares versions by hand.
    offenders = []
    for package in (*DOMAINS, "data", *FRONT_ENDS):
        for path in _modules(package):
            text = path.read_text(encoding="utf-8")
            tree = ast.parse(text)
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name.endswith(("ConflictError", "NotFoundError")):
                    offenders.append(f"{path.relative_to(ROOT)} defines {node.name}")
            if "StaleDataError" in text and path.relative_to(ROOT).as_posix() not in MAPPINGS:
                offenders.append(f"{path.relative_to(ROOT)} handles StaleDataError itself")
            if ".version != expected" in text:
                offenders.append(f"{path.relative_to(ROOT)} checks versions by hand")
    assert offenders == []


def test_settings_are_documented():
    from gis.settings import SETTINGS

    doc = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in doc]
    assert missing == []


@pytest.mark.parametrize(
    "path",
    sorted(
        p.relative_to(ROOT).as_posix()
        for package in (*PACKAGES, "bench", "tests")
        for p in (ROOT / package).rglob("*.py")
        if "versions" not in p.parts
    ),
)
def test_module_size(path):
    lines = (ROOT / path).read_text(encoding="utf-8").count("\n")
    assert lines <= 800, f"{path} has {lines} lines: split it"


def test_the_command_line_starts_without_what_only_some_commands_need():
    # Every ``wuhai-gis`` command imports cli.main first: Alembic (migrations), pypinyin
    # (romanization, which loads its dictionary on import) and Flask (the web app) wait for the
    # commands that use them.
    import subprocess
    import sys

    code = "import sys, cli.main; print(sorted({m.split('.')[0] for m in sys.modules} & {'alembic', 'pypinyin', 'flask'}))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _json_commands():
    from cli.main import main

    def walk(command: click.Command, path: tuple[str, ...]):
        if isinstance(command, click.Group):
            for name, sub in sorted(command.commands.items()):
                yield from walk(sub, (*path, name))
            return
        for param in command.params:
            wants = isinstance(param, click.Option) and isinstance(param.type, click.Choice)
            if wants and "json" in param.type.choices and param.opts[0] in ("--format", "--report"):
                yield path, command, param.opts[0]

    return list(walk(main, ()))


def _sample(param: click.Parameter, tmp_path: Path) -> str:
    kind = param.type
    if isinstance(kind, click.Choice):
        return str(kind.choices[0])
    if isinstance(kind, click.Path) and not kind.file_okay:
        return str(tmp_path)
    if isinstance(kind, click.Path | click.File):
        sample = tmp_path / "sample.csv"
        sample.write_text("code,name\nA-1,x\n", encoding="utf-8")
        return str(sample)
    if isinstance(kind, click.types.IntParamType | click.types.FloatParamType):
        return "1"
    if isinstance(kind, click.DateTime):
        return "2024-01-01"
    return "x"


@pytest.mark.parametrize("path", [" ".join(p) for p, _, _ in _json_commands()])
def test_every_command_answers_errors_as_json_under_format_json(path, tmp_path):
    # Each command that prints JSON on request answers a failure (here: no database server at
    # that address) with a JSON error object and a non-zero exit, never a traceback.
    from cli.main import main

    found = {" ".join(p): (c, opt) for p, c, opt in _json_commands()}
    command, option = found[path]
    args = []
    for param in command.params:
        if param.required:
            if isinstance(param, click.Option):
                args.append(param.opts[0])
            args.extend([_sample(param, tmp_path)] * (param.nargs if param.nargs > 0 else 1))
    url = "postgresql+psycopg://nobody@127.0.0.1:9/none"
    result = CliRunner().invoke(main, ["--database-url", url, *path.split(), *args, option, "json"], input="")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    doc = json.loads(result.stdout)
    if result.exit_code != 0:
        assert set(doc) == {"error"} and doc["error"]["message"], result.stdout
