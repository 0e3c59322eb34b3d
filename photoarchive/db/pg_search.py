"""Full-text search as PostgreSQL answers it (see migrations_pg/0020_search.sql): the same
questions as db/search.py asks of SQLite's FTS5, with the same answers (but for the few letters
that unaccent spells out, see there), from tsvector columns kept in step by triggers.

A phrase reaches the server as bound text and becomes a query there, by `search_phrase`, from
the words the index's own reading finds in it: whatever a person typed (quotes, `*`, `&`, `!`,
`<->`, brackets) is only ever words to look for, never query syntax.
"""

from __future__ import annotations

from collections.abc import Sequence

from photoarchive.db.search import DAY, Phrase, day_of

# A phrase's query is an expression of its bound text that the planner folds into a constant
# while planning (search_phrase_folded, migration 0025), since every search statement is
# planned with its values (the domain runs them by `fetch_replanned`, never prepared: a generic
# plan would guess how common the words are). The planner then reads how many photos hold those
# words from the column's statistics (the commonest words and their shares, kept by ANALYZE):
# it walks the matches newest first when they are common and sorts the index's few when they
# are not; and no photo walked pays for working the query out again.
# A prefix is asked of a camera or a lens as the word itself or a word it begins: the same
# photos, but the planner then weighs the whole word by its own share of the column. For a
# prefix alone it sums the shares of the commonest words it begins, and where fewer than a
# hundred are listed (a camera's or a lens's few words) it guesses 2 %: the 20 % of photos of
# one camera were then read from the index to be intersected with a month's few thousand.
# A photo's other words are many: there the prefix alone is weighed well, and cheaper to ask.
_QUERY = {
    True: "search_phrase_folded(?::TEXT, TRUE)",
    False: "search_phrase_folded(?::TEXT, FALSE)",
}
_FIELD_PREFIX = "(search_phrase_folded(?::TEXT, FALSE) || search_phrase_folded(?::TEXT, TRUE))"
_COLUMN = {None: "pt.words", "camera": "pt.camera", "lens": "pt.lens"}


def _holds(phrase: Phrase) -> str:
    # Column names and the query's form come from the tables above, never from the text. The
    # function form of @@ is not one the index can answer: the operator's is.
    query = _FIELD_PREFIX if _twice(phrase) else _QUERY[phrase.prefix]
    return f"{_COLUMN[phrase.field]} @@ {query}"


def _twice(phrase: Phrase) -> bool:
    return phrase.prefix and phrase.field is not None


def _text(phrase: Phrase) -> list[object]:
    # PostgreSQL text holds no NUL: never part of a word anyway. Twice for _FIELD_PREFIX.
    text = phrase.text.replace("\x00", " ")
    return [text, text] if _twice(phrase) else [text]


# Each photo's search row keeps the number SQLite gives its row (migration 0025): the day it is
# indexed under (YYYYMMDD of its date taken, else its upload time; 0 for a stamp of another
# shape), then its id. Its index walks matches newest day first, and a range of days is a
# range of it, without the photo's own row.
_CODE = "pt.code"


def _codes_of(days: tuple[int, int]) -> list[object]:
    return [days[0] * DAY, (days[1] + 1) * DAY - 1]


class PostgresSearch:
    """Satisfies `photoarchive.db.protocol.TextSearch`."""

    def _matching(
        self, phrases: Sequence[Phrase], without: Sequence[Phrase]
    ) -> tuple[list[str], list[object]]:
        where = [_holds(phrase) for phrase in phrases]
        params: list[object] = [v for phrase in phrases for v in _text(phrase)]
        if without:
            where.append("NOT (" + " OR ".join(_holds(phrase) for phrase in without) + ")")
            params += [v for phrase in without for v in _text(phrase)]
        return where, params

    def photos_with(
        self,
        phrases: Sequence[Phrase],
        without: Sequence[Phrase] = (),
        days: tuple[int, int] | None = None,
    ) -> tuple[str, list[object]]:
        """See db/search.py: the ids of the photos whose words hold every one of `phrases` and
        none of `without` (with `days`, only those indexed from the first day to the second,
        YYYYMMDD)."""
        where, params = self._matching(phrases, without)
        if days is not None:
            where.append(f"{_CODE} BETWEEN ? AND ?")
            params += _codes_of(days)
        # Conditions made of constant strings (see _holds); every value is bound.
        sql = "SELECT pt.photo_id FROM photo_text pt WHERE " + " AND ".join(where)  # noqa: S608
        return sql, params

    def newest_first(
        self, phrases: Sequence[Phrase], without: Sequence[Phrase], days: tuple[int, int]
    ) -> tuple[str, list[object]]:
        """See db/search.py: the photos `photos_with` finds between `days`, with columns
        `photo_id`, `day` and `code` (the day, then the id, in one number: descending, newest
        day first), from photo_text alone. The server walks its index of that number or sorts
        the words' index's matches, as it judges cheaper."""
        where, params = self._matching(phrases, without)
        where.append(f"{_CODE} BETWEEN ? AND ?")
        # As in photos_with: constant strings and bound values.
        sql = (
            f"SELECT pt.photo_id, {_CODE} / {DAY} AS day, {_CODE} AS code"  # noqa: S608
            " FROM photo_text pt WHERE " + " AND ".join(where)
        )
        return sql, [*params, *_codes_of(days)]

    def day_of(self, stamp: str) -> int | None:
        """The day (YYYYMMDD) a photo dated `stamp` is indexed under, for `days`: as on SQLite."""
        return day_of(stamp)

    def day_ordered(self) -> str:
        """A query of one value: whether every photo has a day (none a stamp of another shape);
        a partial index of those that do not (migration 0023) answers it at once."""
        return (
            "SELECT NOT EXISTS (SELECT 1 FROM photos"
            " WHERE search_day(COALESCE(taken_at, created_local, created_at)) = 0)"
        )

    def albums_titled(self, phrase: Phrase) -> tuple[str, list[object]]:
        """The ids of the albums whose title holds `phrase`."""
        query = _QUERY[phrase.prefix]
        sql = f"SELECT album_id FROM album_text WHERE title @@ {query}"  # noqa: S608  # constant
        return sql, _text(phrase)
