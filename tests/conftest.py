from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import ImageFile

from photoarchive import clock
from photoarchive.settings import Settings
from tests.cloud import moto, rclone  # noqa: F401  # session-wide S3/Cognito servers
from tests.postgres import (  # noqa: F401  # a session-wide PostgreSQL
    PostgresServer,
    postgres,
    postgres_url,
)
from tests.support import FrozenClock, LiveServer, database_url, live_server, make_settings


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: they are the slowest, and a failure elsewhere shows sooner."""
    e2e = Path(__file__).parent / "e2e"
    items.sort(key=lambda item: e2e in Path(str(item.fspath)).parents)


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs a test once on each database engine: settings made with `make_settings` (and so the
    `settings` fixture) name a fresh PostgreSQL database in the second run. A module opts in
    with `pytestmark = pytest.mark.usefixtures("engine")`."""
    if request.param == "postgres":
        with database_url(request.getfixturevalue("postgres_url")):
            yield request.param
    else:
        yield request.param


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def module_database(request: pytest.FixtureRequest) -> Callable[[], str]:
    """For archives that a module's tests share (module-scoped fixtures, which the `engine`
    fixture cannot serve): makes the URL of a fresh database, on each engine in turn ("": the
    SQLite file in the data dir). A module opts in by passing `database_url=module_database()`
    to make_settings in its shared fixture."""
    if request.param == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres")
        return server.new_database
    return lambda: ""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def server(settings: Settings) -> Iterator[LiveServer]:
    with live_server(settings) as live:
        yield live


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    """The app's clock stopped at the present moment (the in-thread server reads it too)."""
    frozen = FrozenClock(clock.now())
    monkeypatch.setattr(clock, "now", frozen.now)
    return frozen


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every image Pillow decodes the pixels of in this process (the in-thread server's too)."""
    seen: list[str] = []
    load = ImageFile.ImageFile.load

    def counting_load(image: ImageFile.ImageFile) -> Any:
        seen.append(f"{image.format} {image.size}")
        return load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting_load)
    return seen
