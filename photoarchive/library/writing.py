"""What people write for others to read (captions, comments): kept as written but for the
characters that change how the rest of a page or a mail reads. Bidirectional overrides
(U+202D, U+202E) force the text after them backwards or forwards, past the writer's own words
(a name, a date, in the daily summary's plain text); control characters other than a line
break or a tab do nothing a person sees. Embeddings, isolates and marks stay (writers of
Hebrew, Arabic or Persian use them for names and numbers among their words), and so do
joiners: the family emoji, and Persian words, are made of them. Text of nothing but invisible
characters is empty."""

from __future__ import annotations

import re

_UNSEEN_CONTROLS = re.compile("[\u202d\u202e\x00-\x08\x0b-\x1f\x7f-\x9f]")
_INVISIBLE = re.compile("[\\s\u200b-\u200f\u202a-\u202c\u2060\u2066-\u2069\ufeff]")


def cleaned(text: str) -> str:
    """`text` with line endings as "\\n", without the characters above, stripped."""
    return _UNSEEN_CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def is_blank(text: str) -> bool:
    """Nothing a reader would see: spaces, zero-width spaces and joiners only."""
    return not _INVISIBLE.sub("", text)
