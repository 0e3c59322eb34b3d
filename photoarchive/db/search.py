"""Full-text search as SQLite's FTS5 answers it (see migrations/0020_search.sql): the photos
whose words hold a phrase, the albums whose title does. The domain builds its query from these
subqueries (`library/search.py`) and never writes MATCH itself, so a PostgreSQL backend can
answer the same questions with its own full-text search (`to_tsvector`, `unaccent`).

Every phrase reaches the engine as one quoted FTS5 string, bound: whatever a person typed
(quotes, `*`, `AND`, `NEAR(`, brackets) is only ever words to look for, never query syntax.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

# The parts of a photo whose words can be asked for alone (`camera:`, `lens:`); None: any.
Field = Literal["camera", "lens"]


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words to find in this order; with `prefix`, the last may be the start of a longer word
    (`birth` finds `birthday`). Case and accents never matter. `field`: only in that part of a
    photo (its camera, its lens); None: anywhere a word of a photo is kept."""

    text: str
    prefix: bool = True
    field: Field | None = None


def _fts_string(phrase: Phrase) -> str:
    # A NUL would end the string early for the engine's parser: never part of a word anyway.
    quoted = '"' + phrase.text.replace("\x00", " ").replace('"', '""') + '"'
    quoted = quoted + "*" if phrase.prefix else quoted
    return f"{phrase.field} : {quoted}" if phrase.field is not None else quoted


# Words of a plain ASCII text as the index's tokenizer (unicode61) splits and folds them.
_ASCII_WORD = re.compile(r"[a-z0-9]+")
# At most this many indexed words are asked for in place of a prefix; a shorter prefix that
# more words begin with is asked as a prefix (the engine then reads all of their lists).
WORDS_MAX = 32
# The words a prefix may be, from search_words (migration 0023), as an FTS5 OR of phrases, each
# with the phrase's words before its last; NULL when there are none or too many.
_EXPANDED = (
    "(SELECT '(' || group_concat('\"' || ? || w.term || '\"', ' OR ') || ')'"
    " FROM (SELECT term FROM search_words WHERE term >= ? AND term < ? ORDER BY term LIMIT ?) w"
    " HAVING COUNT(*) <= ?)"
)


def _fts_expression(phrase: Phrase) -> tuple[str, list[object]]:
    """An SQL expression whose value is `phrase` as an FTS5 query, and its parameters. A prefix
    is asked as the indexed words it may be (see migration 0023) when its text is plain ASCII,
    which the tokenizer splits as `_ASCII_WORD` does; otherwise as the prefix itself."""
    words = _ASCII_WORD.findall(phrase.text.lower()) if phrase.text.isascii() else []
    if not phrase.prefix or not words:
        return "?", [_fts_string(phrase)]
    head = "".join(word + " " for word in words[:-1])
    last = words[-1]
    upper = last[:-1] + chr(ord(last[-1]) + 1)  # every word that begins with `last` is below
    expanded = f"COALESCE({_EXPANDED}, ?)"
    anywhere = _fts_string(Phrase(phrase.text, prefix=True))  # the field goes before both
    params: list[object] = [head, last, upper, WORDS_MAX + 1, WORDS_MAX, anywhere]
    if phrase.field is not None:
        return f"'{phrase.field} : ' || {expanded}", params
    return expanded, params


def _fts_query(phrases: Sequence[Phrase], without: Sequence[Phrase]) -> tuple[str, list[object]]:
    """An SQL expression whose value is the FTS5 query of all `phrases` and none of `without`."""
    parts: list[str] = []
    params: list[object] = []

    def joined(group: Sequence[Phrase], operator: str) -> str:
        found = []
        for phrase in group:
            expression, more = _fts_expression(phrase)
            found.append(expression)
            params.extend(more)
        return f" || ' {operator} ' || ".join(found)

    parts.append(joined(phrases, "AND"))
    if without:
        parts = ["'(' || " + parts[0] + " || ') NOT (' || " + joined(without, "OR") + " || ')'"]
    return parts[0], params


# A photo's row in photo_words (migration 0023) is numbered by its day, then its id: the day
# (YYYYMMDD of its date taken, else its upload time) times DAY, plus the id. The index's own
# order is then the results' order by day, newest first.
DAY = 4294967296
_DAY_STAMP = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_MONTH_OR_YEAR = re.compile(r"([0-9]{4})(?:-([0-9]{2}))?()")


def day_of(stamp: str) -> int | None:
    """The day a photo dated `stamp` is indexed under (as the migration's GLOB reads it). For
    the start of a stamp (`2022-07`, `2023`: the date filters' bounds), the day before any
    day it begins: 20220700, 20230000, so that a bound on stamps is one on days. None for a
    stamp of another shape."""
    found = _DAY_STAMP.match(stamp) or _MONTH_OR_YEAR.fullmatch(stamp)
    if found is None:
        return None
    year, month, day = found.groups()
    return int(year + (month or "00") + (day or "00"))


def _rows_of(days: tuple[int, int]) -> list[object]:
    return [days[0] * DAY, (days[1] + 1) * DAY - 1]


class FTS5Search:
    """Satisfies `photoarchive.db.protocol.TextSearch`."""

    def photos_with(
        self,
        phrases: Sequence[Phrase],
        without: Sequence[Phrase] = (),
        days: tuple[int, int] | None = None,
    ) -> tuple[str, list[object]]:
        """A subquery of the ids of the photos whose caption, comments, original file name,
        camera and lens hold every one of `phrases` (at least one) and none of `without`
        (with `days`, only those indexed from the first day to the second, YYYYMMDD), and its
        parameters."""
        query, params = _fts_query(phrases, without)
        # An expression of constant strings and bound values: the words typed are only ever
        # values, quoted as FTS5 strings.
        sql = f"SELECT rowid % {DAY} FROM photo_words WHERE photo_words MATCH {query}"  # noqa: S608
        if days is None:
            return sql, params
        # FTS5 seeks to a rowid range in each word's list rather than reading all of it.
        return sql + " AND rowid BETWEEN ? AND ?", [*params, *_rows_of(days)]

    def newest_first(
        self, phrases: Sequence[Phrase], without: Sequence[Phrase], days: tuple[int, int]
    ) -> tuple[str, list[object]]:
        """A subquery of the photos `photos_with` finds between `days`, with columns
        `photo_id`, `day` and `code`: ordered by `code` descending (newest day first), the
        index hands them over in that order, and reads no further than the caller's LIMIT."""
        query, params = _fts_query(phrases, without)
        # As in photos_with: constant strings and bound values.
        sql = (
            f"SELECT rowid % {DAY} AS photo_id, rowid / {DAY} AS day, rowid AS code"  # noqa: S608
            f" FROM photo_words WHERE photo_words MATCH {query} AND rowid BETWEEN ? AND ?"
        )
        return sql, [*params, *_rows_of(days)]

    def day_of(self, stamp: str) -> int | None:
        """The day (YYYYMMDD) a photo dated `stamp` is indexed under, for `days`."""
        return day_of(stamp)

    def day_ordered(self) -> str:
        """A query of one value: whether every photo is indexed under its day (none has a
        stamp of another shape, which `newest_first` could not place)."""
        return f"SELECT NOT EXISTS (SELECT 1 FROM photo_words WHERE rowid < {DAY})"  # noqa: S608

    def albums_titled(self, phrase: Phrase) -> tuple[str, list[object]]:
        """A subquery of the ids of the albums whose title holds `phrase`, and its parameters."""
        return "SELECT rowid FROM album_text WHERE album_text MATCH ?", [_fts_string(phrase)]
