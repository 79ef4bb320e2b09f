"""The n-grams of a text, and the few of a query that select its substring candidates (pure)."""

from __future__ import annotations


def grams(text: str, n: int) -> set[str]:
    """Distinct ``n``-grams of ``text`` (the text itself when shorter)."""
    if len(text) < n:
        return {text} if text else set()
    return {text[i : i + n] for i in range(len(text) - n + 1)}


def cover(query: str, n: int) -> list[str]:
    """Non-overlapping ``n``-grams covering ``query`` (the last one may overlap its neighbour).

    Every text containing ``query`` contains them all, and they are fewer than all its n-grams:
    fewer posting lists to intersect for nearly the same selectivity. A one-character Chinese
    query is its own gram (single characters are indexed too).
    """
    if len(query) <= n:
        return [query] if query else []
    starts = list(range(0, len(query) - n + 1, n))
    if starts[-1] != len(query) - n:
        starts.append(len(query) - n)
    return sorted({query[i : i + n] for i in starts})
