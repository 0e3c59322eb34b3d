"""Sizes as pages show them (the `bytes` filter): whole numbers without a trailing ".0"."""

from __future__ import annotations

import pytest

from photoarchive.web.templating import human_bytes


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (0, "0 bytes"),
        (1023, "1023 bytes"),
        (1024, "1 KB"),
        (159_130, "155.4 KB"),
        (100 * 1024 * 1024, "100 MB"),
        (int(2.5 * 1024**3), "2.5 GB"),
        (3 * 1024**4, "3072 GB"),
    ],
)
def test_a_size_reads_as_people_write_it(size: int, shown: str) -> None:
    assert human_bytes(size) == shown
