"""The Wuhai reference dataset: real divisions and boundaries plus calibrated synthetic layers, in steps."""

from __future__ import annotations

import importlib
import time
from typing import Any

from sqlalchemy.orm import Session
from tqdm import tqdm

from gis.errors import InvalidInput
from gis.errors import require_actor

#: Default seed of every synthetic choice (the plan's base date).
DEFAULT_SEED = 20211231

#: The steps, in order; each is a module ``data.reference.<step>`` with
#: ``load(session, *, actor, rng_seed) -> dict[str, int]``.
STEPS: tuple[str, ...] = ("base", "names", "signs", "markers", "facilities")


def load_reference(
    session: Session,
    *,
    actor: str,
    rng_seed: int = DEFAULT_SEED,
    steps: list[str] | tuple[str, ...] | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Run the reference steps in order inside the caller's transaction (idempotent).

    Parameters
    ----------
    session
        Open session; the caller commits (nothing is written if it rolls back).
    actor
        Author recorded on the rows and in the audit log.
    rng_seed
        Seed of every synthetic choice.
    steps
        Subset of :data:`STEPS` to run (still in the canonical order); default all.
    progress
        Show a progress bar on stderr.

    Returns
    -------
    dict
        ``{"steps": {step: counts}, "seconds": {step: time}}``.
    """
    require_actor(actor)
    wanted = list(STEPS) if steps is None else [s for s in STEPS if s in set(steps)]
    unknown = set(steps or ()) - set(STEPS)
    if unknown:
        raise InvalidInput(
            f"unknown reference step(s) {sorted(unknown)}; choose from {list(STEPS)}", field="step"
        )
    result: dict[str, Any] = {"steps": {}, "seconds": {}}
    bar = tqdm(wanted, desc="load-reference", unit="step", disable=None if progress else True, leave=False)
    for step in bar:
        bar.set_postfix_str(step)
        module = importlib.import_module(f"data.reference.{step}")
        start = time.perf_counter()
        counts = module.load(session, actor=actor, rng_seed=rng_seed)
        session.flush()
        result["steps"][step] = dict(counts)
        result["seconds"][step] = round(time.perf_counter() - start, 2)
    return result
