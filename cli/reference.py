"""Commands ``load-reference`` and ``stats``."""

from __future__ import annotations

from typing import Any

import click

from cli.context import CliContext
from cli.context import emit
from cli.context import format_option
from cli.context import pass_cli
from cli.context import table
from data.reference import DEFAULT_SEED
from data.reference import STEPS
from data.reference import load_reference as run_steps
from data.reference.stats import collect_stats


@click.command("load-reference")
@click.option(
    "--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Seed of the synthetic layers."
)
@click.option(
    "--step", "steps", multiple=True, type=click.Choice(STEPS), help="Run only these steps (repeatable)."
)
@format_option
@pass_cli
def load_reference(cli: CliContext, seed: int, steps: tuple[str, ...], fmt: str) -> None:
    """Load the Wuhai reference dataset (idempotent: running it again changes nothing)."""
    with cli.session() as session:
        result = run_steps(session, actor=cli.actor, rng_seed=seed, steps=steps or None, progress=True)
        session.commit()
    emit(result, fmt, _render_load)


@click.command("stats")
@format_option
@pass_cli
def stats(cli: CliContext, fmt: str) -> None:
    """Counts per layer and per district; facilities per kind with beds and nursing beds."""
    with cli.session() as session:
        result = collect_stats(session)
    emit(result, fmt, _render_stats)


def _render_load(result: dict[str, Any]) -> str:
    lines = []
    for step, counts in result["steps"].items():
        detail = ", ".join(f"{k} {v}" for k, v in counts.items())
        lines.append(f"{step}: {detail} ({result['seconds'][step]} s)")
    return "\n".join(lines) or "nothing to do"


def _render_stats(result: dict[str, Any]) -> str:
    layers = {k: v for k, v in result["layers"].items() if k != "divisions_by_level"}
    parts = [
        "Layers",
        table([{"layer": k, "rows": v} for k, v in layers.items()]),
        "",
        "Divisions in Wuhai",
        table([{"level/kind": k, "rows": v} for k, v in result["layers"]["divisions_by_level"].items()]),
        "",
        "Districts",
        table(result["districts"]),
        "",
        "Facilities",
        table(
            [
                {
                    "kind": k,
                    "name": v["name"],
                    "count": v["count"],
                    "beds": v["beds"],
                    "beds_running": v["beds_running"],
                    "nursing_beds": v["nursing_beds"],
                    "floor_area_m2": v["floor_area_m2"],
                }
                for k, v in result["facilities"].items()
            ]
        ),
        "",
        "Totals",
        table([{"total": k, "value": v} for k, v in result["totals"].items()]),
    ]
    return "\n".join(parts)


commands = [load_reference, stats]
