"""Full-text search as PostgreSQL answers it (see migrations_pg/0020_search.sql): the same
questions as db/search.py asks of SQLite's FTS5, with the same answers (but for the few letters
that unaccent spells out, see there), from tsvector columns kept in step by triggers.

A phrase reaches the server as bound text and becomes a query there, by `search_phrase`, from
the words the index's own reading finds in it: whatever a person typed (quotes, `*`, `&`, `!`,
`<->`, brackets) is only ever words to look for, never query syntax.
"""

from __future__ import annotations

from collections.abc import Sequence

from photoarchive.db.search import Phrase

# Each phrase's query is made once per statement (an InitPlan), not once per row it is
# compared with, and the index can still be asked with it.
_QUERY = {True: "(SELECT search_phrase(?, TRUE))", False: "(SELECT search_phrase(?, FALSE))"}
_COLUMN = {None: "words", "camera": "camera", "lens": "lens"}


def _holds(phrase: Phrase) -> str:
    # Column names and the query's form come from the two tables above, never from the text.
    return f"{_COLUMN[phrase.field]} @@ {_QUERY[phrase.prefix]}"


def _text(phrase: Phrase) -> str:
    # PostgreSQL text holds no NUL: never part of a word anyway.
    return phrase.text.replace("\x00", " ")


class PostgresSearch:
    """Satisfies `photoarchive.db.protocol.TextSearch`."""

    def photos_with(
        self,
        phrases: Sequence[Phrase],
        without: Sequence[Phrase] = (),
        ids: tuple[int, int] | None = None,
    ) -> tuple[str, list[object]]:
        """See db/search.py: the ids of the photos whose words hold every one of `phrases` and
        none of `without` (with `ids`, only those from the first id to the second)."""
        where = [_holds(phrase) for phrase in phrases]
        params: list[object] = [_text(phrase) for phrase in phrases]
        if without:
            where.append("NOT (" + " OR ".join(_holds(phrase) for phrase in without) + ")")
            params += [_text(phrase) for phrase in without]
        if ids is not None:
            where.append("photo_id BETWEEN ? AND ?")
            params += ids
        # Conditions made of constant strings (see _holds); every value is bound.
        return "SELECT photo_id FROM photo_text WHERE " + " AND ".join(where), params  # noqa: S608

    def albums_titled(self, phrase: Phrase) -> tuple[str, list[object]]:
        """The ids of the albums whose title holds `phrase`."""
        query = _QUERY[phrase.prefix]
        sql = f"SELECT album_id FROM album_text WHERE title @@ {query}"  # noqa: S608  # constant
        return sql, [_text(phrase)]
