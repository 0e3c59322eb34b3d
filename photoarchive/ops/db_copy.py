"""`photoarchive db copy`: an archive's whole database into an empty one, SQLite or PostgreSQL
either way, so an archive can move from one box to many and back. The blobs stay where they
are: both databases name the same files.

The tables come from the source's own catalog (db/catalog.py), so a table a later migration
adds is copied without being named here. The source is read in one snapshot, so a server
still running meanwhile costs nothing but what it writes after the snapshot; the target is
written in one transaction, so a copy that fails leaves it as empty as it was. Tables the
target keeps by itself from the others (SQLite's full-text index) are left to it: its
triggers fill them as the rows arrive.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from photoarchive.db import AppDatabase, Reader, Transaction
from photoarchive.db.catalog import (
    Table,
    catalog,
    given_ids,
    in_reference_order,
    quoted,
    reset_identities,
)
from photoarchive.ops.progress import Progress

# Rows read from the source at a time, and bound values in one INSERT: within what both
# engines take in one statement (SQLite, as some builds still have it: 999).
BATCH_ROWS = 1000
MAX_VALUES = 900


class CopyError(Exception):
    """The copy cannot be made; the message tells the operator why and what to do."""


@dataclass(frozen=True)
class Counted:
    table: str
    source: int
    target: int


@dataclass
class CopySummary:
    schema_version: int
    counts: list[Counted] = field(default_factory=list)
    # Derived tables (a full-text index): not copied; a target that keeps one fills its own.
    derived: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        width = max((len(c.table) for c in self.counts), default=0)
        lines = [f"  {c.table:<{width}}  {c.target:>8} rows" for c in self.counts]
        lines += [
            f"  {name:<{width}}  derived: not copied, the target keeps its own"
            for name in self.derived
        ]
        return lines


async def copy_database(
    source: AppDatabase,
    target: AppDatabase,
    *,
    source_name: str = "the source",
    target_name: str = "the target",
    progress: Progress | None = None,
) -> CopySummary:
    """Copy every row of `source` into `target`, both open (and so migrated). Refuses a target
    that holds any row, or whose schema is not the source's."""
    progress = progress or Progress(enabled=False)
    version = await source.schema_version()
    if await target.schema_version() != version:
        raise CopyError(
            f"{source_name} is at schema version {version} and {target_name} at"
            f" {await target.schema_version()}: run the same photoarchive on both."
        )
    summary = CopySummary(version)
    async with source.snapshot() as snapshot:
        plan = await _plan(source, snapshot, target, summary)
        async with target.transaction() as tx:
            await _refuse_rows(tx, plan, target_name)
            for table in plan:
                if await _has_rows(tx, table):  # filled by the target's triggers on the way
                    summary.derived.append(table.name)
                    continue
                total = int(await snapshot.fetchval(_count(table)))
                progress.start(table.name, total)
                await _copy_rows(snapshot, tx, table, progress, target_name)
                progress.finish()
                copied = int(await tx.fetchval(_count(table)))
                summary.counts.append(Counted(table.name, total, copied))
            wrong = [c for c in summary.counts if c.source != c.target]
            if wrong:  # rolls the whole copy back
                raise CopyError(
                    "the row counts differ, so nothing was kept: "
                    + ", ".join(f"{c.table} {c.source} read, {c.target} written" for c in wrong)
                )
            await reset_identities(target, tx, plan, await given_ids(source, snapshot))
            # Statistics of the tables just filled, gathered in the same transaction (both
            # engines count its own rows): left to the engine's background work, its planner
            # guessed the new tables' sizes, and a feed page of a 300-photo copy cost
            # PostgreSQL 300 ms rather than 20 for its first minute. A failure rolls back.
            for table in plan:
                await tx.execute(f"ANALYZE {quoted(table.name)}")  # a name from the catalog
    return summary


async def _plan(
    source: AppDatabase, snapshot: Reader, target: AppDatabase, summary: CopySummary
) -> list[Table]:
    """The tables to copy, in an order that writes each after those it refers to."""
    found = await catalog(source, snapshot)
    wanted = await catalog(target, target)
    plan = []
    for table in found.tables.values():
        into = wanted.tables.get(table.name)
        if into is None:
            # The schema versions match, so a table of one engine only is one that engine
            # derives from the rest (as SQLite's full-text index): the target has its own.
            summary.derived.append(table.name)
            continue
        lost = [column for column in table.columns if column not in into.columns]
        if lost:
            raise CopyError(
                f"the target's {table.name} has no column {', '.join(lost)}: its schema is"
                " not the source's, so the copy would lose them."
            )
        plan.append(Table(table.name, table.columns, table.key, into.refers_to, into.identity))
    summary.derived = sorted({*summary.derived, *found.derived, *wanted.derived})
    try:
        ordered = in_reference_order(plan)
    except ValueError as exc:  # tables that refer to each other: no order writes them
        raise CopyError(str(exc)) from None
    # Tables with no reference either way go last: one the target's triggers keep from the
    # others (the timeline's month counts) is then found filled, and left to the target,
    # rather than copied and counted a second time by those triggers.
    referred = {name for table in plan for name in table.refers_to}
    alone = [t for t in ordered if not t.refers_to and t.name not in referred]
    return [t for t in ordered if t not in alone] + alone


async def refuse_rows(target: AppDatabase, target_name: str = "the target") -> None:
    """Raise CopyError unless every table of `target` is empty: for a caller that checks
    before work of its own (a restore, before it stores any original)."""
    found = await catalog(target, target)
    await _refuse_rows(target, list(found.tables.values()), target_name)


async def _refuse_rows(reader: Reader, tables: Sequence[Table], target_name: str) -> None:
    full = [table.name for table in tables if await _has_rows(reader, table)]
    if full:
        raise CopyError(
            f"{target_name} is not empty (it has rows in {', '.join(full)}): copy only into a"
            " new, empty database, so that nothing of another archive is mixed in."
        )


async def _has_rows(reader: Reader, table: Table) -> bool:
    # S608: the name comes from the catalog, quoted.
    found = await reader.fetchval(f"SELECT 1 FROM {quoted(table.name)} LIMIT 1")  # noqa: S608
    return found is not None


def _count(table: Table) -> str:
    return f"SELECT COUNT(*) FROM {quoted(table.name)}"  # noqa: S608  # name from the catalog


async def _copy_rows(
    snapshot: Reader, tx: Transaction, table: Table, progress: Progress, target_name: str
) -> None:
    per_statement = max(1, MAX_VALUES // len(table.columns))
    async for rows in _batches(snapshot, table):
        _refuse_nul(table, rows, target_name)
        for start in range(0, len(rows), per_statement):
            await _insert(tx, table, rows[start : start + per_statement])
        progress.advance(len(rows))


def _refuse_nul(table: Table, rows: Sequence[tuple[Any, ...]], target_name: str) -> None:
    """CopyError for text holding U+0000, which PostgreSQL's text cannot hold and neither
    engine's seam writes today: a SQLite archive written before that rule may still have
    some. Named with its row and the statement that removes it, before the batch is sent."""
    for row in rows:
        for column, value in zip(table.columns, row, strict=True):
            if isinstance(value, str) and "\x00" in value:
                key = [(name, row[table.columns.index(name)]) for name in table.key]
                which = ", ".join(f"{name} {held}" for name, held in key) or "a row"
                raise CopyError(
                    f"{table.name} ({which}) holds the invisible character U+0000 (NUL) in"
                    f" {column}, which {target_name} cannot take, so nothing was copied:"
                    f" remove it in the source (with sqlite3: {_removal(table, column, key)})"
                    " and run the copy again."
                )


def _removal(table: Table, column: str, key: list[tuple[str, Any]]) -> str:
    """The statement that takes the NULs out of one row's `column`, for the operator to run."""
    where = " AND ".join(f"{quoted(name)} = {_literal(held)}" for name, held in key)
    name = quoted(column)
    # S608: shown to the operator, never run here; identifiers from the catalog, quoted.
    change = f"UPDATE {quoted(table.name)} SET {name} = replace({name}, char(0), '')"  # noqa: S608
    return f"{change} WHERE {where};" if where else f"{change};"


def _literal(value: Any) -> str:
    """A key's value as SQL text, for the operator to paste: a number, or a quoted string."""
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


async def _batches(snapshot: Reader, table: Table) -> AsyncIterator[list[tuple[Any, ...]]]:
    """The table's rows, BATCH_ROWS at a time, in the order of its primary key: each batch
    starts after the last key of the one before (by row value, as both engines compare)."""
    columns = ", ".join(quoted(column) for column in table.columns)
    name = quoted(table.name)
    if not table.key:  # no key to walk by (none today): every column orders, an offset pages
        order = columns
        offset = 0
        while page := await snapshot.fetchall(
            f"SELECT {columns} FROM {name} ORDER BY {order} LIMIT ? OFFSET ?",  # noqa: S608
            (BATCH_ROWS, offset),
        ):
            offset += len(page)
            yield [tuple(row) for row in page]
        return
    # S608 here and below: identifiers from the catalog, quoted; every value bound.
    key = ", ".join(quoted(column) for column in table.key)
    at = [table.columns.index(column) for column in table.key]
    marks = ", ".join("?" * len(table.key))
    last: tuple[Any, ...] | None = None
    while True:
        if last is None:
            found = await snapshot.fetchall(
                f"SELECT {columns} FROM {name} ORDER BY {key} LIMIT ?",  # noqa: S608
                (BATCH_ROWS,),
            )
        else:
            found = await snapshot.fetchall(
                f"SELECT {columns} FROM {name} WHERE ({key}) > ({marks})"  # noqa: S608
                f" ORDER BY {key} LIMIT ?",
                (*last, BATCH_ROWS),
            )
        if not found:
            return
        rows = [tuple(row) for row in found]
        yield rows
        last = tuple(rows[-1][i] for i in at)


async def _insert(tx: Transaction, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
    columns = ", ".join(quoted(column) for column in table.columns)
    one = "(" + ", ".join("?" * len(table.columns)) + ")"
    await tx.execute(
        f"INSERT INTO {quoted(table.name)} ({columns}) VALUES "  # noqa: S608  # as above
        + ", ".join([one] * len(rows)),
        [value for row in rows for value in row],
    )
