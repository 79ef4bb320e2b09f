"""``python -m bench``: list the benchmarks; ``python -m bench all`` or ``python -m bench NAME...`` runs them."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> dict[str, str]:
    """Benchmark module names with the first line of their docstring."""
    out = {}
    for path in sorted(HERE.glob("*.py")):
        if path.stem.startswith("_"):
            continue
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        out[path.stem] = doc.splitlines()[0] if doc else ""
    return out


def main(argv: list[str] | None = None) -> int:
    """List, or run the named benchmarks each in its own process; return the number that failed."""
    args = sys.argv[1:] if argv is None else argv
    benches = available()
    if not args or args[0] in {"-h", "--help", "list"}:
        print("benchmarks (python -m bench all | python -m bench NAME... | python -m bench.NAME --help):")
        for name, doc in benches.items():
            print(f"  {name:<18} {doc}")
        return 0
    names = list(benches) if args == ["all"] else args
    unknown = [n for n in names if n not in benches]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; see python -m bench", file=sys.stderr)
        return 2
    failed = 0
    for name in names:
        print(f"== {name}", flush=True)
        failed += subprocess.run([sys.executable, "-m", f"bench.{name}"], check=False).returncode != 0
    return failed


if __name__ == "__main__":
    sys.exit(main())
