"""Full-text search as SQLite's FTS5 answers it (see migrations/0020_search.sql): the photos
whose words hold a phrase, the albums whose title does. The domain builds its query from these
subqueries (`library/search.py`) and never writes MATCH itself, so a PostgreSQL backend can
answer the same questions with its own full-text search (`to_tsvector`, `unaccent`).

Every phrase reaches the engine as one quoted FTS5 string, bound: whatever a person typed
(quotes, `*`, `AND`, `NEAR(`, brackets) is only ever words to look for, never query syntax.
"""

from __future__ import annotations

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


class FTS5Search:
    """Satisfies `photoarchive.db.protocol.TextSearch`."""

    def photos_with(
        self,
        phrases: Sequence[Phrase],
        without: Sequence[Phrase] = (),
        ids: tuple[int, int] | None = None,
    ) -> tuple[str, list[object]]:
        """A subquery of the ids of the photos whose caption, comments, original file name,
        camera and lens hold every one of `phrases` (at least one) and none of `without`
        (with `ids`, only those from the first id to the second), and its parameters."""
        query = " AND ".join(_fts_string(phrase) for phrase in phrases)
        if without:
            query = f"({query}) NOT (" + " OR ".join(_fts_string(p) for p in without) + ")"
        sql = "SELECT rowid FROM photo_text WHERE photo_text MATCH ?"
        if ids is None:
            return sql, [query]
        # FTS5 seeks to a rowid range in each word's list rather than reading all of it.
        return sql + " AND rowid BETWEEN ? AND ?", [query, *ids]

    def albums_titled(self, phrase: Phrase) -> tuple[str, list[object]]:
        """A subquery of the ids of the albums whose title holds `phrase`, and its parameters."""
        return "SELECT rowid FROM album_text WHERE album_text MATCH ?", [_fts_string(phrase)]
