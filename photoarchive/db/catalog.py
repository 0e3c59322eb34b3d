"""What an archive's database holds, asked of the engine's own catalog: its tables, their
columns and keys, and which tables refer to which. For tools that handle every table alike
(copying an archive between engines), so that a table added by a later migration is handled
without being named anywhere.

Left out: the engine's own tables (`sqlite_*`, `schema_migrations`) and derived ones, which
the engine keeps from the others by itself: SQLite's virtual tables (full-text indexes) and
their shadow tables. They are `derived`, so a copy knows to leave them to the target.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from photoarchive.db.postgres import PostgresDatabase
from photoarchive.db.protocol import Reader, Row, Transaction
from photoarchive.db.sqlite import Database

# PostgreSQL's record of the migrations applied (pg_migrations.py): not the archive's data.
_PG_OWN = ("schema_migrations",)


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]  # those a row is written with: generated ones left out
    key: tuple[str, ...]  # the primary key's columns, in order; () when there is none
    refers_to: frozenset[str]  # the other tables its foreign keys name
    identity: str | None = None  # PostgreSQL: the column its sequence numbers


@dataclass(frozen=True)
class Catalog:
    tables: dict[str, Table]
    derived: frozenset[str]  # names of tables the engine keeps by itself (never copied)


def quoted(name: str) -> str:
    """An identifier as SQL text; names come from the catalog, never from a person."""
    return '"' + name.replace('"', '""') + '"'


async def catalog(db: Database | PostgresDatabase, reader: Reader) -> Catalog:
    """The tables of `db`, read through `reader` (the database or a snapshot of it)."""
    if isinstance(db, PostgresDatabase):
        return await _postgres(reader)
    return await _sqlite(reader)


async def _sqlite(reader: Reader) -> Catalog:
    listed = await reader.fetchall(
        "SELECT name, type FROM pragma_table_list WHERE schema = 'main'"
        " AND type IN ('table', 'virtual') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        " ORDER BY name"
    )
    tables = {}
    derived = set()
    for row in listed:
        name = row["name"]
        if row["type"] == "virtual":
            derived.add(name)
            continue
        # table_info lists the columns a row is written with (generated ones are hidden).
        columns = await reader.fetchall(
            "SELECT name, pk FROM pragma_table_info(?) ORDER BY cid", (name,)
        )
        refers = await reader.fetchall(
            'SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)', (name,)
        )
        key = tuple(c["name"] for c in sorted((c for c in columns if c["pk"]), key=_position))
        tables[name] = Table(
            name,
            tuple(c["name"] for c in columns),
            key,
            frozenset(r[0] for r in refers) - {name},
        )
    return Catalog(tables, frozenset(derived))


def _position(column: Row) -> int:
    return int(column["pk"])  # a key's columns are numbered from 1, in the key's order


async def _postgres(reader: Reader) -> Catalog:
    names = [
        row[0]
        for row in await reader.fetchall(
            "SELECT table_name FROM information_schema.tables WHERE table_schema ="
            " current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
        if row[0] not in _PG_OWN
    ]
    columns: dict[str, list[str]] = defaultdict(list)
    identities: dict[str, str] = {}
    for row in await reader.fetchall(
        "SELECT table_name, column_name, is_identity FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_generated = 'NEVER'"
        " ORDER BY table_name, ordinal_position"
    ):
        columns[row[0]].append(row[1])
        if row[2] == "YES":
            identities[row[0]] = row[1]
    keys: dict[str, list[str]] = defaultdict(list)
    for row in await reader.fetchall(
        "SELECT cl.relname, a.attname FROM pg_constraint c"
        " JOIN pg_class cl ON cl.oid = c.conrelid"
        " JOIN pg_namespace n ON n.oid = cl.relnamespace"
        " CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, position)"
        " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum"
        " WHERE c.contype = 'p' AND n.nspname = current_schema()"
        " ORDER BY cl.relname, k.position"
    ):
        keys[row[0]].append(row[1])
    refers: dict[str, set[str]] = defaultdict(set)
    for row in await reader.fetchall(
        "SELECT cl.relname, ref.relname FROM pg_constraint c"
        " JOIN pg_class cl ON cl.oid = c.conrelid"
        " JOIN pg_class ref ON ref.oid = c.confrelid"
        " JOIN pg_namespace n ON n.oid = cl.relnamespace"
        " WHERE c.contype = 'f' AND n.nspname = current_schema()"
    ):
        refers[row[0]].add(row[1])
    tables = {
        name: Table(
            name,
            tuple(columns[name]),
            tuple(keys[name]),
            frozenset(refers[name]) - {name},
            identities.get(name),
        )
        for name in names
    }
    return Catalog(tables, frozenset())


def in_reference_order(tables: list[Table]) -> list[Table]:
    """Each table after those it refers to, so that rows can be written one table at a time
    with every foreign key checked; ties by name. A cycle (none today) is refused."""
    placed: dict[str, Table] = {}
    known = {table.name for table in tables}
    waiting = sorted(tables, key=lambda table: table.name)
    while waiting:
        ready = [t for t in waiting if all(r in placed or r not in known for r in t.refers_to)]
        if not ready:
            names = ", ".join(t.name for t in waiting)
            raise ValueError(f"these tables refer to each other in a cycle: {names}")
        for table in ready:
            placed[table.name] = table
        waiting = [t for t in waiting if t.name not in placed]
    return list(placed.values())


async def given_ids(db: Database | PostgresDatabase, reader: Reader) -> dict[str, int]:
    """The largest id each table has given so far, where the engine remembers one beyond its
    rows (SQLite's AUTOINCREMENT tables, PostgreSQL's sequences): a deleted row's id, never
    to be given again (a digest remembers the newest notification it told of)."""
    if isinstance(db, PostgresDatabase):
        rows = await reader.fetchall(
            "SELECT c.relname, pg_sequence_last_value(pg_get_serial_sequence("
            " quote_ident(c.relname), a.attname)::regclass)"
            " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND a.attidentity <> '' AND c.relkind = 'r'"
        )
    elif await reader.fetchval("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'"):
        rows = await reader.fetchall("SELECT name, seq FROM sqlite_sequence")
    else:
        rows = []
    return {row[0]: int(row[1]) for row in rows if row[1] is not None}


async def reset_identities(
    db: Database | PostgresDatabase,
    tx: Transaction,
    tables: list[Table],
    given: dict[str, int] | None = None,
) -> None:
    """After rows were written with their ids: the next row made gets a new id rather than a
    duplicate, nor one the source had given before (`given`, from `given_ids`). PostgreSQL's
    sequences are moved past both; SQLite follows its rows by itself, and an AUTOINCREMENT
    table's counter is raised to what the source had given."""
    given = given or {}
    for table in tables:
        floor = given.get(table.name, 0)
        if isinstance(db, PostgresDatabase):
            if table.identity is None:
                continue
            # S608: identifiers from the catalog, quoted; every value bound.
            await tx.fetchval(
                "SELECT setval(pg_get_serial_sequence(?, ?), GREATEST(COALESCE(MAX("  # noqa: S608
                f"{quoted(table.identity)}), 0), ?) + 1, false) FROM {quoted(table.name)}",
                (quoted(table.name), table.identity, floor),
            )
            continue
        autoincrement = await tx.fetchval(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
            " AND sql LIKE '%AUTOINCREMENT%'",
            (table.name,),
        )
        if not autoincrement or not floor:
            continue
        raised = await tx.execute(
            "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?", (floor, table.name)
        )
        if not raised:
            await tx.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table.name, floor)
            )
