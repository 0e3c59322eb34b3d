"""The SQL above the database seam is portable: what only SQLite understands stays in `db/`,
so that a second backend (PostgreSQL) needs a new `db/` module, not a hunt through the app.

Every string constant in `photoarchive/` outside `db/` that reads as SQL is checked (adjacent
literals and the literal parts of f-strings joined, as the statement will read)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import photoarchive

PACKAGE = Path(photoarchive.__file__).parent
SEAM = PACKAGE / "db"

# Case-sensitive on purpose: the app writes SQL keywords in capitals, prose does not.
LOOKS_LIKE_SQL = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|DROP|ALTER|PRAGMA|REPLACE|VACUUM|ANALYZE"
    r"|BEGIN|COMMIT|ATTACH)\b|\b(FROM|WHERE|VALUES|JOIN)\b\s+\w"
)
SQLITE_ONLY = {
    "INSERT OR IGNORE/REPLACE (use ON CONFLICT ... DO NOTHING/UPDATE)": r"\bINSERT\s+OR\b",
    "REPLACE INTO (use ON CONFLICT ... DO UPDATE)": r"^\s*REPLACE\b",
    "PRAGMA (ask the db seam)": r"\bPRAGMA\b",
    "json_each/json_tree (bind a list of parameters)": r"\bjson_(each|tree)\b",
    "sqlite_* tables and functions": r"\bsqlite_\w+",
    "rowid (name the primary key)": r"\b(_rowid_|rowid|oid)\b",
    "last_insert_rowid()/changes() (use RETURNING, the row count)": r"\b(last_insert_rowid|changes)\s*\(",
    "datetime('now') and friends (bind clock.now())": r"\b(datetime|date|time|julianday|strftime|unixepoch)\s*\(",
    "AUTOINCREMENT": r"\bAUTOINCREMENT\b",
    "GLOB": r"\bGLOB\b",
    "numbered parameters ?NNN": r"\?\d",
    "IS / IS NOT with a value (use IS [NOT] DISTINCT FROM)": r"\bIS\s+(NOT\s+)?\?",
    "group_concat (string_agg differs)": r"\bgroup_concat\s*\(",
    "ifnull (use COALESCE)": r"\bifnull\s*\(",
    "a subquery in FROM without a name (PostgreSQL before 16 wants one: AS x)": (
        r"\bFROM\s*\(SELECT\b[^()]*\)\s*(LEFT|JOIN|INNER|CROSS|WHERE|ORDER|GROUP|LIMIT|,|\)|$)"
    ),
}


def _texts(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, text) of every string constant, f-strings with their literal parts joined."""
    inside_fstrings = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                part.value
                if isinstance(part, ast.Constant) and isinstance(part.value, str)
                else "{}"
                for part in node.values
            )
            found.append((node.lineno, text))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in inside_fstrings
        ):
            found.append((node.lineno, node.value))
    return found


def sqlite_only_constructs(root: Path = PACKAGE, seam: Path = SEAM) -> list[str]:
    """`file:line: what: statement` for each SQLite-only construct outside `seam`."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        if path.is_relative_to(seam):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, text in sorted(_texts(tree)):
            if not LOOKS_LIKE_SQL.search(text):
                continue
            for what, pattern in SQLITE_ONLY.items():
                if re.search(pattern, text, re.IGNORECASE):
                    where = path.relative_to(root.parent)
                    problems.append(f"{where}:{line}: {what}: {text.strip()[:80]!r}")
    return problems


def test_sql_outside_the_database_seam_is_portable() -> None:
    problems = sqlite_only_constructs()
    assert not problems, "SQLite-only SQL outside photoarchive/db/:\n" + "\n".join(problems)


def test_the_scan_finds_what_it_is_meant_to(tmp_path: Path) -> None:
    """The check would fail for each construct it names (so its passing above means something)."""
    package = tmp_path / "app"
    (package / "db").mkdir(parents=True)
    (package / "db" / "engine.py").write_text('SQL = "PRAGMA user_version"\n')  # the seam's own
    (package / "domain.py").write_text(
        "def f(ids, marks):\n"
        '    a = "INSERT OR IGNORE INTO likes (photo_id) VALUES (?)"\n'
        '    b = f"SELECT id FROM json_each(?) WHERE x IN ({marks})"\n'
        '    c = ("DELETE FROM sessions WHERE user_id = ?"\n'
        '         " AND id IS NOT ?")\n'
        "    d = \"SELECT rowid FROM photos WHERE created_at < datetime('now')\"\n"
        '    e = "Select the photos you want; the INSERT OR key adds one."\n'
        '    g = "SELECT id FROM photos WHERE id = ? ON CONFLICT DO NOTHING RETURNING id"\n'
        '    h = "SELECT s.id FROM (SELECT 1) LEFT JOIN sessions s ON s.id = ?"\n'
        '    i = "SELECT s.id FROM (SELECT 1) AS one LEFT JOIN sessions s ON s.id = ?"\n'
    )
    problems = sqlite_only_constructs(package, package / "db")
    assert [p.split(": ")[0] for p in problems] == [
        "app/domain.py:2",
        "app/domain.py:3",
        "app/domain.py:4",
        "app/domain.py:6",
        "app/domain.py:6",
        "app/domain.py:9",
    ], problems
