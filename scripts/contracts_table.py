"""Write the field tables of docs/security.md from the input contracts (``--check``: only compare).

The tables sit between ``<!-- contracts:start -->`` and ``<!-- contracts:end -->``; run this
after changing a contract beside a model. ``tests/test_contracts.py`` runs it with ``--check``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from boundaries.models import BoundaryLine  # noqa: E402
from boundaries.models import BoundaryMarker  # noqa: E402
from boundaries.models import Division  # noqa: E402
from boundaries.telemetry import TELEMETRY_CONTRACTS  # noqa: E402
from facilities.models import Facility  # noqa: E402
from gis.contracts import contracts_of  # noqa: E402
from gis.contracts import describe  # noqa: E402
from placenames.models import PlaceName  # noqa: E402
from placenames.models import Sign  # noqa: E402

DOC = ROOT / "docs" / "security.md"
START, END = "<!-- contracts:start -->", "<!-- contracts:end -->"
TELEMETRY = ("<!-- telemetry-contracts:start -->", "<!-- telemetry-contracts:end -->")
MODELS = (
    ("Place names", "placenames/models.py", PlaceName),
    ("Place-name signs", "placenames/models.py", Sign),
    ("Facilities", "facilities/models.py", Facility),
    ("Divisions", "boundaries/models.py", Division),
    ("Boundary lines", "boundaries/models.py", BoundaryLine),
    ("Boundary markers", "boundaries/models.py", BoundaryMarker),
)


def tables() -> str:
    """The Markdown tables of every declared contract, one per model."""
    parts = []
    for title, module, model in MODELS:
        rows = [
            f"**{title}** (`{module}`, table `{model.__tablename__}`)",
            "",
            "| field | rule |",
            "|---|---|",
        ]
        for name, contract in contracts_of(model).items():
            rule = describe(contract).replace("|", "\\|")
            rows.append(f"| `{name}` | {rule} |")
        parts.append("\n".join(rows))
    return "\n\n".join(parts)


def telemetry_table() -> str:
    """The Markdown table of the fields of a telemetry message (``boundaries/telemetry.py``)."""
    rows = ["| field | rule |", "|---|---|"]
    for name, contract in TELEMETRY_CONTRACTS.items():
        rule = describe(contract).replace("|", "\\|")
        rows.append(f"| `{name}` | {rule} |")
    return "\n".join(rows)


def _between(text: str, marks: tuple[str, str], body: str) -> str:
    head, rest = text.split(marks[0], 1)
    _old, tail = rest.split(marks[1], 1)
    return f"{head}{marks[0]}\n{body}\n{marks[1]}{tail}"


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    new = _between(_between(text, (START, END), tables()), TELEMETRY, telemetry_table())
    if "--check" in argv:
        if new != text:
            print(
                f"{DOC.relative_to(ROOT)} does not list the contracts as declared; run {Path(__file__).name}"
            )
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
