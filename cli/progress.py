"""A terminal progress bar (tqdm on standard error) for the domains' progress callbacks."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from gis.progress import Progress


@contextmanager
def progress_bar(desc: str) -> Iterator[Progress]:
    """A callback drawing a bar on standard error while the block runs.

    The bar is shown only when standard error is a terminal (tqdm's ``disable=None``), so it never
    mixes into piped output or logs, and never into ``--format json`` on standard output.
    """
    from tqdm import tqdm  # only when a long job runs (keeps the command line's start quick)

    bar = tqdm(total=1, desc=desc, unit="step", file=sys.stderr, disable=None, leave=False)

    def update(done: int, total: int, text: str) -> None:
        bar.total = total
        bar.n = done
        bar.set_postfix_str(text, refresh=False)
        bar.refresh()

    try:
        yield update
    finally:
        bar.close()
