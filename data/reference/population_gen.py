"""Households, residents and people aged 60+ per community/village, calibrated to the real totals."""

from __future__ import annotations

import random
from collections.abc import Sequence

from data.reference import sources

#: 7th census (2020-11-01) resident population of Wuhai.
CENSUS_2020 = 556_621
#: Rural residents, 2021 bulletin (2.3万): the 13 villages.
RURAL_RESIDENTS = 23_000
#: People aged 60+ implied by the plan: 3354 beds at 37 per 1000 elderly.
AGED_60PLUS = 90_600
#: Persons per household used for the synthetic household counts.
PERSONS_PER_HOUSEHOLD = 2.5
#: Residents of the two named quasi units (industrial-park and mining communities), each in this range.
_QUASI_RANGE = (600, 1500)

_DISTRICTS = ("150302", "150303", "150304")


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split the integer ``total`` in proportion to ``weights`` (largest remainder; sums exactly)."""
    if total < 0:
        raise ValueError("total must not be negative")
    s = float(sum(weights))
    if s <= 0:
        raise ValueError("weights must have a positive sum")
    raw = [total * w / s for w in weights]
    out = [int(r) for r in raw]
    rest = total - sum(out)
    for i in sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))[:rest]:
        out[i] += 1
    return out


def district_totals() -> dict[str, int]:
    """2020 census total split over the districts by their 2021 bulletin shares (12-digit codes)."""
    facts = sources.population_facts()
    shares = [facts[("resident_population", code, "2021-12-31")] for code in _DISTRICTS]
    total = int(facts[("resident_population", "150300", "2020-11-01")])
    return {sources.pad12(c): n for c, n in zip(_DISTRICTS, allocate(total, shares), strict=True)}


def calibrate(
    units: Sequence[tuple[str, str, str, str]], *, rng: random.Random
) -> dict[str, tuple[int, int, int]]:
    """Population of the community-level units.

    Parameters
    ----------
    units
        ``(code, district_code, kind, name)`` of every community/village, kind '社区', '村' or '其他'.
    rng
        Seeded random source.

    Returns
    -------
    dict
        ``{code: (households, residents, aged_60plus)}``: residents sum to the census total
        with the villages at the rural total, 60+ sum to :data:`AGED_60PLUS`, households to
        residents / :data:`PERSONS_PER_HOUSEHOLD`.
    """
    units = sorted(units)
    residents: dict[str, int] = {}
    villages = [u for u in units if u[2] == "村"]
    for (code, *_), n in zip(
        villages, allocate(RURAL_RESIDENTS, [rng.uniform(0.6, 1.4) for _ in villages]), strict=True
    ):
        residents[code] = n
    for code, _d, kind, name in units:
        if kind == "其他":
            residents[code] = 0 if "虚拟" in name else rng.randint(*_QUASI_RANGE)
    for district, total in district_totals().items():
        fixed = sum(residents[c] for c, d, *_ in units if d == district and c in residents)
        urban = [u for u in units if u[1] == district and u[2] == "社区"]
        weights = [rng.lognormvariate(0.0, 0.35) for _ in urban]
        for (code, *_), n in zip(urban, allocate(total - fixed, weights), strict=True):
            residents[code] = n
    codes = [u[0] for u in units]
    # older populations in the villages and the old mining towns, younger in the new estates
    aged_w = [residents[c] * _aged_share(u[2], u[3], rng) for c, u in zip(codes, units, strict=True)]
    aged = dict(zip(codes, allocate(AGED_60PLUS, aged_w), strict=True))
    total_households = round(sum(residents.values()) / PERSONS_PER_HOUSEHOLD)
    hh_w = [residents[c] / rng.uniform(2.25, 2.8) for c in codes]
    households = dict(zip(codes, allocate(total_households, hh_w), strict=True))
    return {c: (households[c], residents[c], min(aged[c], residents[c])) for c in codes}


def _aged_share(kind: str, name: str, rng: random.Random) -> float:
    if kind == "村":
        return rng.uniform(0.20, 0.28)
    if kind == "其他":
        return rng.uniform(0.05, 0.10)
    if "佳苑" in name or "新" in name[:2]:
        return rng.uniform(0.11, 0.16)
    return rng.uniform(0.14, 0.21)
