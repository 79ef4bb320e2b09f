"""Commands of ``data/``: reference dataset, import/export and statistics."""

from __future__ import annotations

from data.io_cli import export_cmd
from data.io_cli import import_cmd
from data.reference.cli import load_reference
from data.reference.cli import stats

commands = [load_reference, stats, import_cmd, export_cmd]
