"""The database seam's promises on PostgreSQL: the SQL the app writes for SQLite runs as it is,
rows read like sqlite3.Row, errors come as the seam's own, named locks hold across instances,
and instances starting together migrate once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import psycopg
import pytest
from psycopg import errors as pg_errors

from photoarchive.db import (
    DatabaseUnavailable,
    ForeignKeyViolation,
    IntegrityError,
    PostgresDatabase,
    SQLiteOnly,
    UniqueViolation,
)
from photoarchive.db.pg_migrations import migrations
from photoarchive.db.pg_notices import Notices
from photoarchive.db.pg_outage import connection_lost, contended, keepalive
from photoarchive.db.pg_sql import rewrite
from photoarchive.errors import Unavailable
from tests.postgres import PASSWORD, PostgresServer

HANG = 60  # seconds before a stuck scenario fails instead of stalling the run


def run(url: str, body: Callable[[PostgresDatabase], Awaitable[None]], pool: int = 4) -> None:
    async def scenario() -> None:
        db = PostgresDatabase(url, pool)
        await db.open()
        try:
            await asyncio.wait_for(body(db), HANG)
        finally:
            await db.close()

    asyncio.run(scenario())


def test_question_marks_become_parameters_outside_quotes_only() -> None:
    sql = "SELECT '?', \"a?\", x::text FROM t WHERE a = ? AND b LIKE '10%' -- why?\n AND c = ?"
    assert rewrite(sql) == (
        "SELECT '?', \"a?\", x::text FROM t WHERE a = %s AND b LIKE '10%%' -- why?\n AND c = %s"
    )
    assert rewrite("SELECT :a, :b::int", named=True) == "SELECT %(a)s, %(b)s::int"


def test_rows_read_by_position_and_by_name(postgres_url: str) -> None:
    async def body(db: PostgresDatabase) -> None:
        row = await db.fetchone(
            "SELECT ? AS id, 'it''s 100%' AS said, ? AS again, 2 AS id", (7, "x?")
        )
        assert row is not None
        assert (row[0], row["said"], row["again"], len(row)) == (7, "it's 100%", "x?", 4)
        assert row["id"] == 7  # a name twice: the first, as sqlite3.Row reads it
        assert list(row) == [7, "it's 100%", "x?", 2] and row.keys()[:2] == ["id", "said"]
        # SQLite's numbers: a sum of integers is an int, a flag compares with a bool.
        assert await db.fetchval("SELECT SUM(x) FROM (VALUES (2), (3)) AS v (x)") == 5
        assert await db.fetchval("SELECT 1 = ?", (True,)) is True
        assert await db.fetchall("SELECT 1 WHERE 1 = 0") == []
        # Names as the server spells them, whatever the letters; a statement without rows
        # answers none (the names come from the result, not the cursor's description).
        row = await db.fetchone('SELECT 1 AS "Café", 2 AS "Café"')
        assert row is not None and row["Café"] == 1 and row.keys() == ["Café", "Café"]
        async with db.transaction() as tx:
            await tx.execute("CREATE TEMP TABLE t (x integer)")
            assert await tx.fetchall("INSERT INTO t VALUES (1), (2)") == []
            assert [tuple(r) for r in await tx.fetchall("UPDATE t SET x = x + 1 RETURNING x")] == [
                (2,),
                (3,),
            ]

    run(postgres_url, body)


def test_constraint_failures_come_as_the_seams_own_errors(postgres_url: str) -> None:
    async def body(db: PostgresDatabase) -> None:
        async with db.transaction() as tx:
            await tx.execute("CREATE TABLE parent (id BIGSERIAL PRIMARY KEY, name TEXT UNIQUE)")
            await tx.execute("CREATE TABLE child (parent_id BIGINT NOT NULL REFERENCES parent)")
        assert await db.execute("INSERT INTO parent (name) VALUES ('a')") == 1
        with pytest.raises(UniqueViolation):
            await db.execute("INSERT INTO parent (name) VALUES ('a')")
        with pytest.raises(ForeignKeyViolation):
            await db.execute("INSERT INTO child (parent_id) VALUES (42)")
        with pytest.raises(IntegrityError) as refused:
            await db.execute("INSERT INTO child (parent_id) VALUES (NULL)")
        assert type(refused.value) is IntegrityError
        with pytest.raises(UniqueViolation):  # the whole transaction goes
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO parent (name) VALUES ('b')")
                await tx.execute("INSERT INTO parent (name) VALUES ('a')")
        assert await db.fetchval("SELECT COUNT(*) FROM parent WHERE name = 'b'") == 0
        async with db.transaction() as tx:
            new = await tx.fetchval("INSERT INTO parent (name) VALUES ('c') RETURNING id")
        assert new == await db.fetchval("SELECT id FROM parent WHERE name = 'c'")

    run(postgres_url, body)


def test_transaction_locks_keep_writers_of_one_name_apart(postgres_url: str) -> None:
    """Two transactions locking the same name run one after the other: a count read and then
    added to never loses an update, though PostgreSQL lets both writers in at once."""

    async def body(db: PostgresDatabase) -> None:
        await db.execute("CREATE TABLE counter (n BIGINT NOT NULL)")
        await db.execute("INSERT INTO counter VALUES (0)")
        first_in = asyncio.Event()

        async def add(wait: bool) -> None:
            async with db.transaction() as tx:
                await tx.lock("counter")
                n = await tx.fetchval("SELECT n FROM counter")
                first_in.set()
                if wait:
                    await asyncio.sleep(0.2)  # the other is now waiting on the lock
                await tx.execute("UPDATE counter SET n = ?", (n + 1,))

        first = asyncio.create_task(add(wait=True))
        await first_in.wait()
        await asyncio.gather(first, add(wait=False))
        assert await db.fetchval("SELECT n FROM counter") == 2

    run(postgres_url, body)


def test_named_locks_hold_across_instances(postgres_url: str) -> None:
    async def body(db: PostgresDatabase) -> None:
        other = PostgresDatabase(postgres_url, 2)  # a second instance of the app
        await other.open()
        try:
            order: list[str] = []
            async with db.lock("photo 1"):
                waiting = asyncio.create_task(_hold(other, "photo 1", order))
                async with other.lock("photo 2"):  # another name is free
                    order.append("other name")
                await asyncio.sleep(0.2)
                order.append("first done")
            await waiting
            assert order == ["other name", "first done", "second in"]
            # A holder cancelled while it waits leaves nothing held behind.
            async with db.lock("photo 1"):
                stuck = asyncio.create_task(_hold(other, "photo 1", order))
                await asyncio.sleep(0.1)
                stuck.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await stuck
            await asyncio.wait_for(_hold(other, "photo 1", order), 5)
        finally:
            await other.close()

    run(postgres_url, body)


def test_a_lock_holder_still_gets_a_connection_for_its_writes(postgres_url: str) -> None:
    """A pool of one: the lock's connection is not the one the holder's transaction needs."""

    async def body(db: PostgresDatabase) -> None:
        async with db.lock("digest ab"):
            await db.execute("CREATE TABLE t (x BIGINT)")
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO t VALUES (?)", (1,))
            assert await db.fetchval("SELECT COUNT(*) FROM t") == 1

    run(postgres_url, body, pool=1)


def test_two_writers_of_one_photos_words_both_reach_the_search_index(postgres_url: str) -> None:
    """Comments added to one photo at once, by two instances: the second writer's trigger
    waits for the first to commit and then reads its comment too, rather than writing the
    photo's words without it (as READ COMMITTED would let it, were the photo not locked)."""

    async def body(db: PostgresDatabase) -> None:
        other = PostgresDatabase(postgres_url, 2)  # a second instance of the app
        await other.open()
        try:
            owner = await db.fetchval(
                "INSERT INTO users (username, username_key, email, email_key, created_at)"
                " VALUES ('ann', 'ann', 'a@x.org', 'a@x.org', '2025') RETURNING id"
            )
            photo = await db.fetchval(
                "INSERT INTO photos (owner_id, sha256, bytes, content_type, width, height,"
                " preview_width, created_at) VALUES (?, ?, 1, 'image/jpeg', 1, 1, 1, '2025')"
                " RETURNING id",
                (owner, "ab" * 32),
            )
            comment = (
                "INSERT INTO comments (photo_id, author_id, text, created_at)"
                " VALUES (?, ?, ?, '2025')"
            )
            async with db.transaction() as first:
                await first.execute(comment, (photo, owner, "alpha"))
                second = asyncio.create_task(other.execute(comment, (photo, owner, "beta")))
                await _until_a_writer_waits_on_a_lock(db)
            await second
            for word in ("alpha", "beta"):
                sql = "SELECT photo_id FROM photo_text WHERE words @@ search_phrase(?, FALSE)"
                assert await db.fetchval(sql, (word,)) == photo
        finally:
            await other.close()

    run(postgres_url, body)


def test_comments_past_what_a_tsvector_holds_are_still_taken(postgres_url: str) -> None:
    """A tsvector holds 1 MB of words; a photo's comments, each short, can say more. The
    comment is still saved, and the words that fit (from the start) are still found."""

    async def body(db: PostgresDatabase) -> None:
        owner = await db.fetchval(
            "INSERT INTO users (username, username_key, email, email_key, created_at)"
            " VALUES ('ann', 'ann', 'a@x.org', 'a@x.org', '2025') RETURNING id"
        )
        photo = await db.fetchval(
            "INSERT INTO photos (owner_id, sha256, bytes, content_type, width, height,"
            " preview_width, created_at, caption) VALUES (?, ?, 1, 'image/jpeg', 1, 1, 1, '2025',"
            " 'lighthouse') RETURNING id",
            (owner, "cd" * 32),
        )
        words = " ".join(f"w{n:07x}{n * 7919:09x}" for n in range(120_000))  # 2 MB, all distinct
        await db.execute(
            "INSERT INTO comments (photo_id, author_id, text, created_at) VALUES (?, ?, ?, '2025')",
            (photo, owner, words),
        )
        found = "SELECT photo_id FROM photo_text WHERE words @@ search_phrase(?, FALSE)"
        for word in ("lighthouse", words.split()[0], words.split()[1000]):
            assert await db.fetchval(found, (word,)) == photo

    run(postgres_url, body)


def test_a_read_asked_to_be_replanned_is_never_prepared(postgres_url: str) -> None:
    """psycopg prepares a statement once it has run five times on a connection; one read by
    `fetch_replanned` never is, whatever its text, and the same text by `fetchall` is."""

    async def body(db: PostgresDatabase) -> None:
        words = "SELECT photo_id FROM photo_text WHERE words @@ search_phrase(?, FALSE)"
        count = "SELECT COUNT(*) FROM photos WHERE id > ?"
        for n in range(8):
            assert await db.fetch_replanned(words, ("lighthouse",)) == []
            assert (await db.fetch_replanned(count, (n,)))[0][0] == 0
        prepared = "SELECT statement FROM pg_prepared_statements"
        assert await db.fetchall(prepared) == []  # the pool's one connection
        for n in range(8):
            assert await db.fetchall(words, (f"w{n}",)) == []
        statements = [row[0] for row in await db.fetchall(prepared)]
        assert [s for s in statements if "search_phrase" in s] == [rewrite(words) % ("$1",)]

    run(postgres_url, body, pool=1)


async def _until_a_writer_waits_on_a_lock(db: PostgresDatabase) -> None:
    for _ in range(HANG * 100):
        waiting = await db.fetchval(
            "SELECT COUNT(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no writer waited on a lock")


async def _hold(db: PostgresDatabase, name: str, order: list[str]) -> None:
    async with db.lock(name):
        order.append("second in")


def test_instances_starting_together_migrate_once(postgres_url: str) -> None:
    async def scenario() -> None:
        instances = [PostgresDatabase(postgres_url, 1) for _ in range(4)]
        await asyncio.gather(*(db.open() for db in instances))
        try:
            latest = max(version for version, _sql in migrations())
            for db in instances:
                assert await db.schema_version() == latest
            applied = await instances[0].fetchall("SELECT version FROM schema_migrations")
            assert sorted(row[0] for row in applied) == [v for v, _ in migrations()]
            # A photo stored without a tag gets one of its own (as on SQLite).
            async with instances[1].transaction() as tx:
                owner = await tx.fetchval(
                    "INSERT INTO users (username, username_key, email, email_key, created_at)"
                    " VALUES ('a', 'a', 'a@x', 'a@x', '2026') RETURNING id"
                )
                await tx.execute(
                    "INSERT INTO photos (owner_id, sha256, bytes, content_type, width, height,"
                    " preview_width, created_at) VALUES (?, 'ab', 1, 'image/jpeg', 1, 1, 1, '')",
                    (owner,),
                )
            tag = await instances[2].fetchval("SELECT tag FROM photos")
            assert len(tag) == 16 and int(tag, 16) >= 0
        finally:
            await asyncio.gather(*(db.close() for db in instances))

    asyncio.run(scenario())


def test_what_only_sqlite_does_fails_clearly(postgres_url: str, tmp_path: object) -> None:
    async def body(db: PostgresDatabase) -> None:
        with pytest.raises(SQLiteOnly, match="pg_dump"):
            await db.backup_to(tmp_path)  # type: ignore[arg-type]
        # What `verify` asks of the database: PostgreSQL keeps its own pages and references.
        assert await db.integrity_check() == ["ok"]
        assert await db.missing_references() == []
        assert db.data_version() is None  # caches keyed by it never answer here

    run(postgres_url, body)


def test_a_refused_password_is_never_shown(postgres: PostgresServer) -> None:
    url = postgres.url("postgres").replace(PASSWORD, "Not-The-Password-9")
    db = PostgresDatabase(url, 1, shown_as="the test server")

    with pytest.raises(DatabaseUnavailable) as refused:
        asyncio.run(asyncio.wait_for(db.open(), HANG))
    assert "the test server" in str(refused.value)
    assert "Not-The-Password" not in str(refused.value)
    assert "Not-The-Password" not in repr(db)


def test_a_deadlock_is_a_busy_answer_not_an_outage(postgres_url: str) -> None:
    """psycopg files a deadlock under OperationalError, as it does a lost connection: the
    transaction the server gave up was taken for the server gone (503s for everyone while
    it probed, both pools started afresh, every live stream ended)."""

    async def body(db: PostgresDatabase) -> None:
        await db.execute("CREATE TABLE crossed (id INTEGER PRIMARY KEY, n INTEGER)")
        await db.execute("INSERT INTO crossed (id, n) VALUES (1, 0), (2, 0)")
        both_hold = asyncio.Barrier(2)

        async def crossing(first: int, second: int) -> None:
            async with db.transaction() as tx:
                await tx.execute("UPDATE crossed SET n = n + 1 WHERE id = ?", (first,))
                await both_hold.wait()
                await tx.execute("UPDATE crossed SET n = n + 1 WHERE id = ?", (second,))

        outcomes = await asyncio.gather(crossing(1, 2), crossing(2, 1), return_exceptions=True)
        refused = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(refused) == 1, outcomes
        assert isinstance(refused[0], Unavailable) and refused[0].retry_after
        assert "busy" in refused[0].message
        assert not db._outage.down  # nothing to probe: the next query goes straight on
        assert await db.fetchval("SELECT SUM(n) FROM crossed") == 2  # one whole, one undone

    run(postgres_url, body)


def test_connections_ask_the_kernel_to_notice_a_silent_server(postgres_url: str) -> None:
    """A server gone without a word (a host lost, a network cut) was noticed by TCP's own
    keepalive, after two hours: a LISTEN connection heard nothing all that time. Every
    connection now asks for probes within about a minute; a URL's own settings win."""

    async def body(db: PostgresDatabase) -> None:
        async with db._connection() as conn:
            used = conn.info.get_parameters()
        assert used.get("keepalives_idle") == "30" and used.get("tcp_user_timeout") == "60000"
        listener = await Notices(postgres_url)._connect()
        async with listener:
            assert listener.info.get_parameters().get("keepalives_count") == "3"

    run(postgres_url, body)
    sep = "&" if "?" in postgres_url else "?"
    assert keepalive(f"{postgres_url}{sep}keepalives_idle=5")["keepalives_count"] == "3"
    assert "keepalives_idle" not in keepalive(f"{postgres_url}{sep}keepalives_idle=5")


def test_connections_the_server_ended_while_idle_are_replaced_without_an_outage(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A server (or a proxy in front of it) may end a connection that sat idle in the pool
    (idle_session_timeout: 57P05). A write, a snapshot or a lock then answered 503 and put
    the instance into its outage, refusing everyone else while it probed. Each read,
    transaction and lock now finds out at its first statement, before anything of the
    caller's is sent, and goes on on another connection; nobody is refused."""
    sep = "&" if "?" in postgres_url else "?"
    url = f"{postgres_url}{sep}options=-c%20idle_session_timeout%3D300"  # milliseconds

    async def idle() -> None:
        await asyncio.sleep(0.8)  # the server ends every connection the pools keep

    async def write(n: int) -> None:
        async with db_.transaction() as tx:
            await tx.execute("INSERT INTO idle_notes (n) VALUES (?)", (n,))

    async def body(db: PostgresDatabase) -> None:
        nonlocal db_
        db_ = db
        await db.execute("CREATE TABLE idle_notes (n integer)")
        async with db.lock("idle"):  # the locks' pool keeps a connection too
            pass
        await idle()
        await write(1)
        await idle()
        async with db.snapshot() as reader:
            assert await reader.fetchval("SELECT SUM(n) FROM idle_notes") == 1
        await idle()
        async with db.lock("idle"):
            await write(2)
        await idle()
        # A family coming back after a quiet spell: many at once, every one answered.
        await asyncio.gather(
            *(write(n) for n in range(3, 7)), *(db.fetchval("SELECT 1") for _ in range(4))
        )
        assert await db.fetchval("SELECT COUNT(*) FROM idle_notes") == 6
        assert not db._outage.down

    db_: PostgresDatabase
    with caplog.at_level(logging.WARNING, logger="photoarchive"):
        run(url, body)
    assert "cannot be reached" not in caplog.text  # never taken for an outage


@pytest.mark.parametrize(
    ("error", "lost", "busy"),
    [
        (psycopg.OperationalError("connection refused"), True, False),  # no server's code
        (pg_errors.AdminShutdown(), True, False),
        (pg_errors.IdleSessionTimeout(), True, False),  # the server ended an idle connection
        (pg_errors.DeadlockDetected(), False, True),
        (pg_errors.SerializationFailure(), False, True),
        (pg_errors.LockNotAvailable(), False, True),
        (pg_errors.OutOfMemory(), False, True),
        (pg_errors.DiskFull(), False, False),  # 507, said as such
        (pg_errors.ConfigurationLimitExceeded(), False, False),  # the same every time
        (pg_errors.StatementCompletionUnknown(), False, False),  # again might do it twice
        (pg_errors.ProgramLimitExceeded(), False, False),
    ],
)
def test_which_errors_are_a_server_gone_and_which_a_moment_s_contention(
    error: Exception, lost: bool, busy: bool
) -> None:
    assert (connection_lost(error), contended(error)) == (lost, busy)
