"""The search box's language, read into a `Query`: words that must all match (each may be the
start of a longer word), `"quoted phrases"`, `-word` to leave out, and filters `name:value`
(`-name:value` leaves out what it matches). No HTTP and no SQL here: library/search.py turns a
Query into a question for the database.

A filter with an unknown name, or a value it cannot take (a malformed date, an unknown type), is
Invalid on the field `q`, saying what is wrong; everything else is words, taken literally (a
link pasted in, `https://...`, too: a scheme is no filter).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from photoarchive.db import Phrase
from photoarchive.errors import Invalid

Q_MAX = 500
# Words, phrases and filters in one search, each counted once: every one is a question of
# its own to the index (more than ~150 made SQLite refuse the statement as too deep).
PARTS_MAX = 20

TYPES = {
    "jpeg": "image/jpeg",
    "jpg": "image/jpeg",
    "png": "image/png",
    "heic": "image/heic",
    "webp": "image/webp",
    "gif": "image/gif",
    "avif": "image/avif",
}
IS_VALUES = ("favorite", "private")
HAS_VALUES = ("location",)
FILTERS = (
    "from",
    "camera",
    "lens",
    "year",
    "month",
    "after",
    "before",
    "type",
    "album",
    "is",
    "has",
    "place",
)
# A filter's name; not when `//` follows the colon: that is a link (`https://...`), whose
# words are looked for like any others.
_FILTER = re.compile(r"([A-Za-z]+):(?!//)")


@dataclass(frozen=True, slots=True)
class Term:
    phrase: Phrase
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Filter:
    """One `name:value`. `value` is checked and normalised: a lower-cased username, a content
    type, a word; for the dates, `since` and `until` bound the date a photo is sorted by
    (`since <= date < until`, as ISO text; either may be empty for no bound)."""

    name: str
    value: str
    negated: bool = False
    since: str = ""
    until: str = ""
    whole: bool = False  # place: quoted, whole words (unquoted: each may start a longer word)


@dataclass(frozen=True, slots=True)
class Query:
    terms: tuple[Term, ...] = ()
    filters: tuple[Filter, ...] = field(default=())

    @property
    def empty(self) -> bool:
        """Nothing left to look for (a query of punctuation or emoji only)."""
        return not self.terms and not self.filters


def _invalid(detail: str) -> Invalid:
    return Invalid(detail, field="q")


def _words(text: str) -> bool:
    """Whether `text` holds anything the index keeps (letters or digits); a word of
    punctuation or emoji alone can match nothing, so it is left out rather than matching none."""
    return any(ch.isalnum() for ch in text)


def _clean(q: str) -> str:
    # Control characters are never part of a word (and a NUL would end the engine's string).
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in q)


def _tokens(q: str) -> list[tuple[bool, str | None, str, bool]]:
    """(negated, filter name or None, text, quoted) of each piece of `q`, in order."""
    found = []
    i, n = 0, len(q)
    while i < n:
        if q[i].isspace():
            i += 1
            continue
        negated = q[i] == "-" and i + 1 < n and not q[i + 1].isspace()
        if negated:
            i += 1
        name = None
        match = _FILTER.match(q, i)
        if match:
            name = match.group(1).lower()
            i = match.end()
        if i < n and q[i] == '"':
            end = q.find('"', i + 1)
            end = n if end < 0 else end
            found.append((negated, name, q[i + 1 : end], True))
            i = end + 1
        else:
            end = i
            while end < n and not q[end].isspace():
                end += 1
            found.append((negated, name, q[i:end], False))
            i = end
    return found


def _day(text: str, name: str) -> date:
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise _invalid(f"{name}: takes a date as YYYY-MM-DD, such as {name}:2024-07-01.") from None


def _filter(name: str, value: str, negated: bool, quoted: bool = False) -> Filter:
    if name not in FILTERS:
        known = ", ".join(f"{f}:" for f in FILTERS)
        raise _invalid(f'There is no filter "{name}:". The filters are {known}.')
    if not value.strip():
        raise _invalid(f"{name}: needs a value, such as {name}:{_EXAMPLES[name]}.")
    value = value.strip()
    lowered = value.lower()
    if name == "year":
        if not re.fullmatch(r"[0-9]{4}", value):
            raise _invalid("year: takes a year of four digits, such as year:2024.")
        return Filter(name, value, negated, since=value, until=f"{int(value) + 1:04d}")
    if name == "month":
        found = re.fullmatch(r"([0-9]{4})-([0-9]{2})", value)
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise _invalid("month: takes a month as YYYY-MM, such as month:2024-07.")
        year, month = int(found.group(1)), int(found.group(2))
        until = f"{year + 1:04d}-01" if month == 12 else f"{year:04d}-{month + 1:02d}"
        return Filter(name, value, negated, since=value, until=until)
    if name == "after":  # from that day on
        return Filter(name, value, negated, since=_day(value, name).isoformat())
    if name == "before":  # up to the day before
        return Filter(name, value, negated, until=_day(value, name).isoformat())
    if name == "type":
        if lowered not in TYPES:
            raise _invalid(f"type: takes one of {', '.join(sorted(set(TYPES) - {'jpg'}))}.")
        return Filter(name, TYPES[lowered], negated)
    if name == "is" and lowered not in IS_VALUES:
        raise _invalid("is: takes favorite or private.")
    if name == "has" and lowered not in HAS_VALUES:
        raise _invalid("has: takes location.")
    if name in ("from", "is", "has"):
        return Filter(name, lowered, negated)
    if not _words(value):
        raise _invalid(f"{name}: needs a word to look for, such as {name}:{_EXAMPLES[name]}.")
    return Filter(name, value, negated, whole=quoted and name == "place")


_EXAMPLES = {
    "from": "anna",
    "camera": "canon",
    "lens": "50mm",
    "year": "2024",
    "month": "2024-07",
    "after": "2024-07-01",
    "before": "2024-08-01",
    "type": "jpeg",
    "album": '"Summer"',
    "is": "favorite",
    "has": "location",
    "place": "lisbon",
}


def parse(q: str | None) -> Query:
    """The Query `q` asks; Invalid (field `q`) when it is empty, too long, or names a filter
    wrongly."""
    if q is None or not q.strip():
        raise _invalid("Type something to search for.")
    if len(q) > Q_MAX:
        raise _invalid(f"A search can be at most {Q_MAX} characters.")
    terms: list[Term] = []
    filters: list[Filter] = []
    for negated, name, text, quoted in _tokens(_clean(q)):
        if name is not None:
            filters.append(_filter(name, text, negated, quoted))
        elif _words(text):
            terms.append(Term(Phrase(text.strip(), prefix=not quoted), negated))
    terms, filters = list(dict.fromkeys(terms)), list(dict.fromkeys(filters))
    if len(terms) + len(filters) > PARTS_MAX:
        raise _invalid(
            f"A search can have at most {PARTS_MAX} words, phrases and filters;"
            " leave some out (each one found must match them all)."
        )
    return Query(tuple(terms), tuple(filters))
