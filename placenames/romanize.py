"""GB/T 16159-2012 romanization of Chinese place names, on pypinyin with a place-name lexicon.

Rules implemented (with the examples of the Chinese place-name spelling rules):

- proper part (专名) and generic part (通名) written apart: 人民路 → Renmin Lu;
- the proper part is one word, so one-syllable modifiers are joined (西辽河 → Xiliao He,
  朝阳门内大街 → Chaoyangmennei Dajie) and compound generics are one word (景山后街 →
  Jingshan Houjie); leading multi-syllable position words stand apart (东南 …);
- names of one-word classes (natural villages) are one word: 王村 → Wangcun;
- only the last generic counts, an earlier one is part of the proper name: 渤海湾 → Bohai Wan;
- personal names inside a name are joined: 张之洞路 → Zhangzhidong Lu;
- an apostrophe before a non-initial syllable starting with a, o or e: 西安 → Xi'an;
- an ordinal before the generic becomes Arabic digits: 大川淀一巷 → Dachuandian 1 Xiang;
- polyphonic characters read as in place names through :data:`LEXICON` (六安 → Lu'an);
- an all-capitals form for signs: ``romanize(..., caps=True)`` → ``RENMIN LU``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from gis.errors import InvalidInput
from placenames import categories
from placenames import lexicon

#: Place-name readings (toneless syllables) of polyphonic or unusual characters, without sources.
LEXICON: dict[str, tuple[str, ...]] = {k: r.syllables for k, r in lexicon.READINGS.items()}

#: Chinese numerals converted to digits when they stand before the generic.
_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMERAL_CHARS = set(_DIGITS) | {"十", "百"}
#: Multi-syllable position words written apart from the rest of the proper part.
_MULTI_MODIFIERS = ("东南", "西南", "东北", "西北")
_DIRECTIONS = "东西南北"
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_OVERRIDE_OK = re.compile(r"^[A-Za-zÜü0-9' \-]+$")
_NATURAL_VILLAGE_ENDINGS = ("村", "庄", "屯", "寨", "堡")
#: Generics of streets whose ordinal may open the name (二马路 → 2 Malu).
_STREET_GENERICS = ("马路", "环路")
#: A proper part of this many characters or more is divided into words.
_LONG_PROPER = 5


@dataclass(frozen=True)
class NameParts:
    """A name split for romanization: proper words, ordinal digits and the generic."""

    proper: str
    generic: str | None
    ordinal: int | None = None


@dataclass(frozen=True)
class Romanization:
    """A romanized name, how it was made and whether an officer must review it.

    ``sources`` lists the lexicon sources used; ``needs_review`` is set for a name of
    minority-language origin spelt from the characters because no registered form exists.
    """

    text: str
    sources: tuple[str, ...] = ()
    needs_review: bool = False


def split_name(name: str, *, category: str | None = None) -> NameParts:
    """Split ``name`` into proper part, optional ordinal and generic part.

    Parameters
    ----------
    name
        Standard name in Chinese characters.
    category
        Category code; its generics are tried (longest first), otherwise every known generic.

    Returns
    -------
    NameParts
    """
    name = _clean(name)
    generic = categories.match_generic(name, category)
    if generic is None and category is not None:
        generic = categories.match_generic(name, None)
    if generic is None:
        return NameParts(name, None)
    proper = name[: len(name) - len(generic.replace(" ", ""))]
    end = len(proper)
    first = end
    while first > 0 and proper[first - 1] in _NUMERAL_CHARS:
        first -= 1
    if first == 0 and generic not in _STREET_GENERICS:
        return NameParts(proper, generic)
    for start in range(first, end):
        value = _numeral_value(proper[start:end])
        rest = proper[:start]
        if value is not None and not (len(rest) == 1 and rest in _DIRECTIONS):
            return NameParts(rest, generic, value)
    return NameParts(proper, generic)


def romanize(name: str, *, category: str | None = None, caps: bool = False) -> str:
    """The GB/T 16159 romanized form of a place name.

    Parameters
    ----------
    name
        Standard name (Chinese characters; digits and Latin letters are kept).
    category
        Category code (see :mod:`placenames.categories`); decides the generic parts and
        whether the name is written as one word.
    caps
        All capitals, as on signs.

    Returns
    -------
    str
    """
    return romanization(name, category=category, caps=caps).text


def romanization(
    name: str, *, category: str | None = None, caps: bool = False, origin: str | None = None
) -> Romanization:
    """The romanized form with its sources; ``origin`` is the language of origin (``'zh'``, ``'mn'``…).

    A name of minority-language origin with no registered transcription is spelt from the
    characters and marked ``needs_review``.
    """
    name = _clean(name)
    sylls = syllables(name)
    sources: list[str] = [r.source for k, r in lexicon.READINGS.items() if k in name]
    if _is_one_word(name, category):
        words = [_word(sylls)]
    else:
        parts = split_name(name, category=category)
        n_proper = len(parts.proper)
        words = _proper_words(parts.proper, sylls[:n_proper], sources)
        if parts.ordinal is not None:
            words.append(str(parts.ordinal))
        if parts.generic:
            pos = len(name) - len(parts.generic.replace(" ", ""))
            for piece in parts.generic.split(" "):
                words.append(_word(sylls[pos : pos + len(piece)]))
                pos += len(piece)
    text = " ".join(w for w in words if w)
    transcribed = any(t in name for t in lexicon.TRANSCRIPTIONS)
    review = origin not in (None, "", "zh") and not transcribed
    return Romanization(text.upper() if caps else text, tuple(dict.fromkeys(sources)), review)


def syllables(text: str) -> list[str]:
    """Toneless syllables of ``text``, one item per character (non-Han characters kept as they are)."""
    return list(_syllables(_clean(text)))


def pinyin_key(text: str) -> str:
    """Search key: toneless pinyin without spaces, lower case (``海勃湾区`` → ``haibowanqu``)."""
    return "".join(s.replace("ü", "v") for s in syllables(text)).lower()


def initials(text: str) -> str:
    """Search key of pinyin initials (``海勃湾区`` → ``hbwq``)."""
    return "".join(s[0] for s in syllables(text) if s).lower()


def validate_override(name: str, override: str, *, reason: str | None) -> list[str]:
    """Problems with an officer's romanization override (empty when acceptable).

    An override must come with a reason, use only Latin letters, digits, apostrophes, spaces
    and hyphens, be in title case or all capitals, and spell the same syllables as ``name``
    (toneless; any reading of a polyphonic character is accepted, numerals may be digits).
    """
    problems: list[str] = []
    if not reason or not reason.strip():
        problems.append("an override needs a reason")
    text = (override or "").strip()
    if not text:
        return [*problems, "the override is empty"]
    if not _OVERRIDE_OK.match(text):
        problems.append("only Latin letters, digits, apostrophes, spaces and hyphens are allowed")
        return problems
    words = [w for w in re.split(r"[ \-]+", text) if w]
    if not (text.isupper() or all(w[0].isupper() or w[0].isdigit() for w in words)):
        problems.append("words must start with a capital letter (or be all capitals)")
    if not _spells(_clean(name), text):
        auto = romanize(name)
        problems.append(f"{text!r} does not spell the syllables of {name!r} (expected like {auto!r})")
    return problems


def _clean(name: str) -> str:
    if not isinstance(name, str):
        raise InvalidInput(f"a name must be text, not {type(name).__name__}", field="name")
    text = unicodedata.normalize("NFKC", name).strip()
    if not text:
        raise InvalidInput("empty name", field="name")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise InvalidInput(f"name {name!r} contains control characters", field="name")
    return re.sub(r"\s+", "", text)


def _is_one_word(name: str, category: str | None) -> bool:
    if category is not None:
        return categories.get(category).one_word
    return len(name) <= 3 and name.endswith(_NATURAL_VILLAGE_ENDINGS)


def _proper_words(proper: str, sylls: list[str], sources: list[str]) -> list[str]:
    if not proper:
        return []
    if len(proper) > 1 and proper.endswith("儿"):
        sylls = [*sylls[:-1], "r"]
    for modifier in _MULTI_MODIFIERS:
        if proper.startswith(modifier) and len(proper) > len(modifier) + 1:
            return [_word(sylls[: len(modifier)]), _word(sylls[len(modifier) :])]
    words: list[str] = []
    plain: list[tuple[int, int]] = []
    for start, end, kind in _tokens(proper):
        if kind == "transcription":
            entry = lexicon.TRANSCRIPTIONS[proper[start:end]]
            sources.append(entry.source)
            words.extend(_flush(plain, sylls, proper))
            plain = []
            words.append(entry.text)
        elif kind == "ethnic" and proper[start : end - 1] in lexicon.TRANSCRIPTIONS:
            # A nationality with a registered transcription: that form and "zu" (Daur → Daurzu).
            entry = lexicon.TRANSCRIPTIONS[proper[start : end - 1]]
            sources.append(entry.source)
            words.extend(_flush(plain, sylls, proper))
            plain = []
            words.append(entry.text + "zu")
        elif kind == "word" and end == len(proper) and proper[start:end] in _NATURAL_GENERICS:
            # A natural feature's generic closing the specific has become part of it (泊尔江海子镇).
            plain.append((start, end))
        elif kind in ("ethnic", "wing", "ordinal") or (kind == "word" and len(proper) >= _LONG_PROPER):
            words.extend(_flush(plain, sylls, proper))
            plain = []
            words.append(_word(sylls[start:end]))
        else:
            plain.append((start, end))
    words.extend(_flush(plain, sylls, proper))
    return words


def _flush(spans: list[tuple[int, int]], sylls: list[str], proper: str) -> list[str]:
    """Words of a run of plain characters: one word, a long run divided at position words."""
    if not spans:
        return []
    start, end = spans[0][0], spans[-1][1]
    if len(proper) < _LONG_PROPER:
        return [_word(sylls[start:end])]
    cuts = [start]
    for i in range(start + 2, end - 1):
        if sylls and _is_direction_at(i, proper, start):
            cuts.append(i)
    cuts.append(end)
    return [_word(sylls[a:b]) for a, b in zip(cuts, cuts[1:], strict=False) if a < b]


def _is_direction_at(i: int, proper: str, start: int) -> bool:
    """Whether a direction character (东西南北, not a homophone such as 席 or 锡) starts a word at ``i``."""
    return proper[i] in "东西南北" and i - start >= 2


def _tokens(proper: str) -> list[tuple[int, int, str]]:
    """Spans of ``proper``: transcriptions, ethnic names, wings, 第+numeral, known words, plain runs."""
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(proper):
        hit = _match_at(proper, i)
        if hit:
            out.append((i, i + hit[0], hit[1]))
            i += hit[0]
        else:
            out.append((i, i + 1, "plain"))
            i += 1
    return out


def _match_at(text: str, i: int) -> tuple[int, str] | None:
    if text[i] == "第" and i + 1 < len(text) and text[i + 1] in _NUMERAL_CHARS:
        j = i + 1
        while j < len(text) and text[j] in _NUMERAL_CHARS:
            j += 1
        return j - i, "ordinal"
    for size in range(min(8, len(text) - i), 1, -1):
        piece = text[i : i + size]
        if piece in lexicon.TRANSCRIPTIONS:
            return size, "transcription"
        if piece.endswith("族") and piece[:-1] in _ETHNIC:
            return size, "ethnic"
        if piece in ("左翼", "右翼"):
            return size, "wing"
        if piece in _WORDS:
            return size, "word"
    return None


_ETHNIC = frozenset(lexicon.ETHNIC_NAMES)
_NATURAL_GENERICS = frozenset(
    g.replace(" ", "")
    for c in categories.CATEGORIES.values()
    if c.code.startswith("1")
    for g in c.generics
    if len(g.replace(" ", "")) > 1
) - frozenset(lexicon.WORDS)
_WORDS = frozenset(lexicon.WORDS) | frozenset(
    g.replace(" ", "") for g in categories.ALL_GENERICS if len(g.replace(" ", "")) > 1
)


def _word(sylls: list[str]) -> str:
    out = ""
    for i, syl in enumerate(sylls):
        if i > 0 and syl and syl[0] in "aoe" and out and out[-1].isalpha():
            out += "'"
        out += syl
    return out[:1].upper() + out[1:]


@lru_cache(maxsize=65536)
def _syllables(text: str) -> tuple[str, ...]:
    out: list[str] = []
    pending = ""
    i = 0
    longest = max(len(k) for k in LEXICON)
    while i < len(text):
        for size in range(min(longest, len(text) - i), 0, -1):
            reading = LEXICON.get(text[i : i + size])
            if reading:
                if pending:
                    out.extend(_pypinyin(pending))
                    pending = ""
                out.extend(reading)
                i += size
                break
        else:
            pending += text[i]
            i += 1
    if pending:
        out.extend(_pypinyin(pending))
    return tuple(out)


def _pypinyin(text: str) -> list[str]:
    # pypinyin loads its phrase dictionary on import (about 0.3 s): only when a name is romanized.
    from pypinyin import Style
    from pypinyin import lazy_pinyin

    return lazy_pinyin(text, style=Style.NORMAL, v_to_u=True, errors=lambda chars: list(chars))


def _numeral_value(text: str) -> int | None:
    if all(ch in _DIGITS for ch in text) and len(text) == 1:
        return _DIGITS[text]
    if text == "十":
        return 10
    m = re.fullmatch(r"([一二三四五六七八九])?十([一二三四五六七八九])?", text)
    if m:
        tens = _DIGITS[m.group(1)] if m.group(1) else 1
        ones = _DIGITS[m.group(2)] if m.group(2) else 0
        return tens * 10 + ones
    return None


def _readings(ch: str) -> set[str]:
    if not _HAN.match(ch):
        return {ch.lower()}
    from pypinyin import Style
    from pypinyin import pinyin

    out = {s.lower() for s in pinyin(ch, style=Style.NORMAL, heteronym=True, v_to_u=True)[0]}
    for word, reading in LEXICON.items():
        for c, r in zip(word, reading, strict=True):
            if c == ch:
                out.add(r)
    return out


def _spells(name: str, override: str) -> bool:
    letters = re.sub(r"[ '\-]", "", override).lower().replace("v", "ü")
    tokens = _override_tokens(name)
    reachable = {0}
    for options in tokens:
        reachable = {pos + len(r) for pos in reachable for r in options if letters.startswith(r, pos)}
        if not reachable:
            return False
    return len(letters) in reachable


def _override_tokens(name: str) -> list[set[str]]:
    """Acceptable spellings per character (a run of ordinal numerals is one token)."""
    tokens = [_readings(ch) for ch in name]
    parts = split_name(name)
    if parts.ordinal is not None and parts.generic is not None:
        end = len(name) - len(parts.generic.replace(" ", ""))
        start = len(parts.proper)
        run = tokens[start:end]
        spelled = {"".join(next(iter(sorted(t))) for t in run), str(parts.ordinal)}
        tokens[start:end] = [spelled]
    return [t | {r.replace("ü", "u") for r in t} for t in tokens]
