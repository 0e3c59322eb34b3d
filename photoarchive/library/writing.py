"""What people write for others to read (captions, comments): kept as written but for the
characters that change how the rest of a page or a mail reads. Bidirectional overrides and
isolates (U+202A-202E, U+2066-2069) turn the text after them around, past the writer's own
words (a name, a date, in the daily summary's plain text); control characters other than a
line break or a tab do nothing a person sees. Joiners stay: the family emoji is made of them.
Text of nothing but invisible characters is empty."""

from __future__ import annotations

import re

_UNSEEN_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b-\x1f\x7f-\x9f]")
_INVISIBLE = re.compile("[\\s\u200b-\u200d\u2060\ufeff]")


def cleaned(text: str) -> str:
    """`text` with line endings as "\\n", without the characters above, stripped."""
    return _UNSEEN_CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def is_blank(text: str) -> bool:
    """Nothing a reader would see: spaces, zero-width spaces and joiners only."""
    return not _INVISIBLE.sub("", text)
