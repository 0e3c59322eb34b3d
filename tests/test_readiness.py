"""/readyz: ready while the database answers at once with the newest schema, 503 otherwise;
/healthz, the liveness probe, answers either way. The PostgreSQL outage is in test_pg_faults."""

from __future__ import annotations

import time

import psycopg
import pytest

from photoarchive.db.readiness import ANSWER_WITHIN, newest_migration
from tests.support import LiveServer, run_sql

pytestmark = pytest.mark.usefixtures("engine")


def test_ready_answers_200_on_either_engine_for_anyone(server: LiveServer) -> None:
    client = server.client()
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready"}
    assert "no-store" in answer.headers["cache-control"]
    head = client.head("/readyz")
    assert head.status_code == 200 and head.content == b""


def test_an_older_schema_is_not_ready_and_the_newest_is_again(server: LiveServer) -> None:
    settings = server.settings
    postgres = settings.database_url.startswith("postgresql:")
    newest = newest_migration(postgres)
    if postgres:
        run_sql(settings, "DELETE FROM schema_migrations WHERE version = ?", (newest,))
    else:
        run_sql(settings, f"PRAGMA user_version = {newest - 1}")
    client = server.client()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert int(answer.headers["Retry-After"]) > 0
    assert answer.json()["status"] == "outdated"
    assert client.get("/healthz").status_code == 200  # alive all the same
    if postgres:
        run_sql(settings, "INSERT INTO schema_migrations (version) VALUES (?)", (newest,))
    else:
        run_sql(settings, f"PRAGMA user_version = {newest}")
    assert client.get("/readyz").json() == {"status": "ready"}


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_a_database_that_does_not_answer_in_time_is_not_ready(server: LiveServer) -> None:
    client = server.client()
    # Another session holds the schema's table locked: the probe's query waits behind it.
    with psycopg.connect(server.settings.database_url) as holder:
        holder.execute("LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE")
        began = time.monotonic()
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json() == {
            "status": "unreachable",
            "detail": "The database is not reachable.",
        }
        assert time.monotonic() - began < ANSWER_WITHIN + 10  # its own bound, not the pool's (30 s)
        assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").json() == {"status": "ready"}
