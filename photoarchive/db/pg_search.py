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

# A phrase's query appears twice. As an expression of its bound text, which the planner works
# out while planning: it then reads how many photos hold those words from the column's
# statistics (the commonest words and their shares, kept by ANALYZE), walks the photos newest
# first when they are common and sorts the index's few matches when they are not (behind a
# sub-select alone it guessed few matches for every word, and sorted every match of a word in
# nearly every photo for one page). And made once per statement by a sub-select (an InitPlan),
# checked first on each photo walked: working the expression out again costs a few
# microseconds a photo, which only the photos that match then pay.
# The domain runs search statements by `fetch_replanned`, which never prepares them: a generic
# plan would guess how common the words are.
_PLANNED = {True: "search_phrase(?::TEXT, TRUE)", False: "search_phrase(?::TEXT, FALSE)"}
_ONCE = {True: "(SELECT search_phrase(?, TRUE))", False: "(SELECT search_phrase(?, FALSE))"}
_COLUMN = {None: "pt.words", "camera": "pt.camera", "lens": "pt.lens"}


def _holds(phrase: Phrase) -> str:
    # Column names and the query's form come from the tables above, never from the text. The
    # function form of @@ is not one the index can answer: the operator's is.
    column = _COLUMN[phrase.field]
    once, planned = _ONCE[phrase.prefix], _PLANNED[phrase.prefix]
    return f"(ts_match_vq({column}, {once}) AND {column} @@ {planned})"


def _text(phrase: Phrase) -> list[object]:
    # PostgreSQL text holds no NUL: never part of a word anyway. Once for each form of _holds.
    text = phrase.text.replace("\x00", " ")
    return [text, text]


# The day a photo is indexed under (YYYYMMDD of its date taken, else its upload time; 0 for a
# stamp of another shape), as migrations_pg/0023 reads it, and the number SQLite gives its row:
# that day, then its id. An index of migration 0023 holds the number, so that matches can be
# walked newest day first and a range of days is a range of it.
_DAY = "search_day(COALESCE(sp.taken_at, sp.created_at))"
_CODE = f"({_DAY}::BIGINT * {DAY} + sp.id)"


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
        if days is None:
            # Conditions made of constant strings (see _holds); every value is bound.
            sql = "SELECT pt.photo_id FROM photo_text pt WHERE " + " AND ".join(where)  # noqa: S608
            return sql, params
        where.append(f"{_CODE} BETWEEN ? AND ?")
        # As above, and the number's expression is a constant.
        sql = (
            "SELECT sp.id FROM photo_text pt JOIN photos sp ON sp.id = pt.photo_id WHERE "  # noqa: S608
            + " AND ".join(where)
        )
        return sql, [*params, *_codes_of(days)]

    def newest_first(
        self, phrases: Sequence[Phrase], without: Sequence[Phrase], days: tuple[int, int]
    ) -> tuple[str, list[object]]:
        """See db/search.py: the photos `photos_with` finds between `days`, with columns
        `photo_id`, `day` and `code` (the day, then the id, in one number: descending, newest
        day first). The server walks the photos by that number or sorts the matches, as it
        judges cheaper."""
        where, params = self._matching(phrases, without)
        where.append(f"{_CODE} BETWEEN ? AND ?")
        # As in photos_with: constant strings and bound values.
        sql = (
            f"SELECT sp.id AS photo_id, {_DAY} AS day,"  # noqa: S608
            f" {_CODE} AS code"
            " FROM photo_text pt JOIN photos sp ON sp.id = pt.photo_id WHERE " + " AND ".join(where)
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
            " WHERE search_day(COALESCE(taken_at, created_at)) = 0)"
        )

    def albums_titled(self, phrase: Phrase) -> tuple[str, list[object]]:
        """The ids of the albums whose title holds `phrase`."""
        query = _ONCE[phrase.prefix]
        sql = f"SELECT album_id FROM album_text WHERE title @@ {query}"  # noqa: S608  # constant
        return sql, _text(phrase)[:1]
