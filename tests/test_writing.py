"""What people write for others (captions, comments, captions taken from file names): kept as
written, but for characters that turn the rest of a page or mail around or are not seen."""

from __future__ import annotations

from pathlib import Path

import pytest

from photoarchive.errors import Invalid
from photoarchive.library import captions, comments, writing
from photoarchive.ops import file_lists


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("Beach day", "Beach day"),
        ("  two\r\nlines\r", "two\nlines"),
        ("tab\there", "tab\there"),
        ("\u202eevil.exe\u202c and then", "evil.exe\u202c and then"),  # the override goes
        (
            "\u2067isolated\u2069 and \u202bembedded\u202c",
            "\u2067isolated\u2069 and \u202bembedded\u202c",
        ),
        (
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        ),
        ("bell\x07 escape\x1b[31m", "bell escape[31m"),
        (
            "\U0001f468\u200d\U0001f469\u200d\U0001f467 us",
            "\U0001f468\u200d\U0001f469\u200d\U0001f467 us",
        ),
        ("Zoë, Ærø, 東京, שלום", "Zoë, Ærø, 東京, שלום"),
    ],
)
def test_what_is_kept_of_what_is_written(written: str, kept: str) -> None:
    assert writing.cleaned(written) == kept
    assert captions.check_caption(written) == kept
    assert comments.check_text(written) == kept


@pytest.mark.parametrize(
    "blank", ["", "   ", "\u200b", "\u200b \ufeff\u2060", "\u202e\u202c", "\u2066\u2069"]
)
def test_a_comment_of_nothing_seen_is_refused_and_such_a_caption_is_none(blank: str) -> None:
    with pytest.raises(Invalid, match="Write something"):
        comments.check_text(blank)
    assert captions.check_caption(blank) == ""


def test_a_caption_from_a_file_name_is_cleaned_as_the_name_is() -> None:
    assert file_lists.caption_for(Path("2019-07 Beach_day.jpg")) == "2019-07 Beach day"
    name = Path("/photos/Summer\u202egpj.exe_\x1b[2J.jpg")
    assert file_lists.caption_for(name) == "Summergpj.exe [2J"
    # Joiners stay: a Persian word's, a family emoji's.
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    assert file_lists.caption_for(Path(f"{persian}.jpg")) == persian
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert file_lists.caption_for(Path(f"{family}_us.jpg")) == f"{family} us"
