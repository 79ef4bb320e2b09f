"""Progress of long jobs: a domain function reports its steps to a callback its front end passes in
(a terminal bar, the product waiting page), and knows nothing of how they are shown."""

from __future__ import annotations

from collections.abc import Callable

#: ``progress(done, total, text)``: ``done`` of ``total`` steps are finished, ``text`` says what runs now.
Progress = Callable[[int, int, str], None]


class Steps:
    """Counts the steps of one job and reports each to ``progress`` (which may be ``None``).

    Call the object with the text of each step as it starts; :meth:`finish` reports the end.
    """

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.total = total
        self.done = 0
        self._started = False

    def __call__(self, text: str) -> None:
        """A step starts: the previous one (if any) is counted as done."""
        if self._started:
            self.done = min(self.done + 1, self.total)
        self._started = True
        if self.progress is not None:
            self.progress(self.done, self.total, text)

    def finish(self, text: str = "done") -> None:
        """Every step is done."""
        self.done = self.total
        if self.progress is not None:
            self.progress(self.total, self.total, text)
