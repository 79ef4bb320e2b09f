"""In-memory n-gram index of names, former names and aliases: substring and typo-tolerant lookup (pure).

Chinese text is indexed by character bigrams (and single characters for one-character
queries); pinyin keys by letter trigrams. A substring query intersects the posting lists of its
n-grams (rarest first) and verifies the hits; a typo query ranks the entries sharing most
n-grams with the query and scores the best few hundred with RapidFuzz. The index also holds what
a result shows of each place (:class:`Place`), so that ranked hits need no further query.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import NamedTuple

from rapidfuzz import fuzz
from rapidfuzz import process

#: How many n-gram candidates a typo query scores at most.
TYPO_CANDIDATES = 300
#: Posting entries a typo query reads at most (rarest grams first).
FUZZY_POSTINGS = 6_000
#: A substring query intersects at most this many posting lists, and stops once the candidates
#: are this few; the remaining candidates are verified directly.
MAX_INTERSECT = 3
VERIFY_BELOW = 200


@dataclass(frozen=True)
class Entry:
    """One searchable text of a place: its standard name, a former name or an alias."""

    place_id: int
    text: str
    kind: str  # 'name' | 'former' | 'alias'
    pinyin: str


class Place(NamedTuple):
    """What a search result shows of a place (label point in EPSG:4490, rounded to 6 decimals)."""

    name: str
    romanized: str | None
    category_code: str | None
    division_code: str | None
    status: str
    lon: float | None
    lat: float | None


@dataclass
class NameIndex:
    """Posting lists over the entries, and the current display fields of every place."""

    entries: list[Entry] = field(default_factory=list)
    chars: dict[str, list[int]] = field(default_factory=dict)
    bigrams: dict[str, list[int]] = field(default_factory=dict)
    trigrams: dict[str, list[int]] = field(default_factory=dict)
    by_place: dict[int, list[int]] = field(default_factory=dict)
    #: Entries superseded by :meth:`replace` (skipped by the lookups).
    dead: set[int] = field(default_factory=set)
    places: dict[int, Place] = field(default_factory=dict)

    @classmethod
    def build(cls, entries: Iterable[Entry], places: dict[int, Place] | None = None) -> NameIndex:
        """Index ``entries``; ``places`` (kept, not copied) holds the display fields by place id."""
        index = cls(places={} if places is None else places)
        for entry in entries:
            index._append(entry)
        return index

    def replace(
        self, place_ids: Iterable[int], entries: Iterable[Entry], places: dict[int, Place] | None = None
    ) -> None:
        """Drop the entries and display fields of ``place_ids``, then index their current ``entries``
        and ``places`` (incremental update; a place absent from both is gone)."""
        for pid in place_ids:
            self.dead.update(self.by_place.pop(pid, ()))
            self.places.pop(pid, None)
        for entry in entries:
            self._append(entry)
        self.places.update(places or {})

    def __len__(self) -> int:
        return len(self.entries) - len(self.dead)

    def _append(self, entry: Entry) -> None:
        i = len(self.entries)
        self.entries.append(entry)
        self.by_place.setdefault(entry.place_id, []).append(i)
        for ch in set(entry.text):
            self.chars.setdefault(ch, []).append(i)
        for gram in _grams(entry.text, 2):
            self.bigrams.setdefault(gram, []).append(i)
        for gram in _grams(entry.pinyin, 3):
            self.trigrams.setdefault(gram, []).append(i)

    def substring(self, query: str, *, pinyin: bool = False, limit: int = 200) -> list[int]:
        """Entries whose text (or pinyin key) contains ``query``, shortest first."""
        if pinyin:
            postings, grams, attr = self.trigrams, _grams(query, 3), "pinyin"
        elif len(query) == 1:
            postings, grams, attr = self.chars, {query}, "text"
        else:
            postings, grams, attr = self.bigrams, _grams(query, 2), "text"
        if not grams:
            return []
        lists = sorted((postings.get(g, []) for g in grams), key=len)
        if not lists[0]:
            return []
        candidates = set(lists[0])
        for other in lists[1:MAX_INTERSECT]:
            if len(candidates) <= VERIFY_BELOW:
                break
            candidates.intersection_update(other)
        hits = [i for i in candidates if i not in self.dead and query in getattr(self.entries[i], attr)]
        hits.sort(key=lambda i: (len(getattr(self.entries[i], attr)), i))
        return hits[:limit]

    def fuzzy(
        self, query: str, *, pinyin: bool = False, limit: int = 50, cutoff: float = 60
    ) -> list[tuple[int, float]]:
        """Entries similar to ``query`` (typos): ``(entry, score 0-100)``, best first."""
        if pinyin:
            postings, grams, attr = self.trigrams, _grams(query, 3), "pinyin"
        else:
            postings = self.bigrams if len(query) > 2 else self.chars
            grams = _grams(query, 2) if len(query) > 2 else set(query)
            attr = "text"
        # The rarest grams select the candidates: a typo spoils few of them, and common grams
        # (路, 小区, "uan") would only add noise at a high cost.
        lists = sorted((postings.get(g, ()) for g in grams), key=len)
        counts: Counter[int] = Counter()
        budget = FUZZY_POSTINGS
        for postings_list in lists:
            if not postings_list:
                continue
            if budget <= 0:
                break
            counts.update(postings_list[:budget])
            budget -= len(postings_list)
        if not counts:
            return []
        for i in self.dead.intersection(counts):
            del counts[i]
        pool = {i: getattr(self.entries[i], attr) for i, _ in counts.most_common(TYPO_CANDIDATES)}
        scored = process.extract(
            query, pool, scorer=fuzz.WRatio, processor=None, score_cutoff=cutoff, limit=limit
        )
        return [(key, score) for _text, score, key in scored]


def _grams(text: str, n: int) -> set[str]:
    if len(text) < n:
        return {text} if text else set()
    return {text[i : i + n] for i in range(len(text) - n + 1)}
