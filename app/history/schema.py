"""Bringing a history database to this release's schema: refuse what is not ours or is
newer, back up a SQLite file before changing it, then upgrade in place with alembic.

Everything that would change a SQLite file is decided first through a read-only
connection, so a corrupt, foreign or newer file is left byte-for-byte as it was.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from trnport.analyzers.errors import InputError

if TYPE_CHECKING:  # SQLAlchemy and alembic are imported where a connection is used
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
SQLITE_HEADER = b"SQLite format 3\x00"
#: The newest schema revision this release knows, the ``revision`` of the last migration in
#: ``migrations/versions`` (a test holds it to alembic's own reading). Opening a database
#: already at it reads the version with plain SQL: alembic, whose import is a fifth of a
#: second of every saved check, is loaded only to migrate or to name an unknown revision.
HEAD_REVISION = "0002_memory_summaries"
VERSION_TABLE = "alembic_version"
# Any fixed number: PostgreSQL sessions opening the same database upgrade one at a time.
_PG_MIGRATION_LOCK = 0x74726E70  # "trnp"


class DamagedDatabaseError(InputError):
    """SQLite's check found the history file damaged; it was not written to."""


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def script_directory() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def run_migrations(connection: Connection, revision: str = "head") -> None:
    """Upgrade the database behind ``connection`` to ``revision`` inside the caller's
    transaction (the caller commits)."""
    from alembic import command

    config = _config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def head_revision() -> str:
    """The newest schema revision this release knows."""
    return HEAD_REVISION


def known_revisions() -> set[str]:
    return {script.revision for script in script_directory().walk_revisions()}


def _refuse_unknown(revision: str, where: str) -> None:
    if revision != HEAD_REVISION and revision not in known_revisions():
        raise InputError(
            f"history database {where} has schema revision {revision!r}, newer than this "
            f"trnport knows (up to {head_revision()!r}): upgrade trnport, or pass --db to "
            "use another database"
        )


_SIDE_FILES = ("-wal", "-shm", "-journal")


def _read_only(path: Path, shared: bool = False) -> sqlite3.Connection:
    """A connection that cannot write ``path`` and leaves nothing beside it.

    A reader of a WAL database creates ``-shm`` and ``-wal`` files that only a writer removes,
    so when no side file exists (no writer is active and none crashed with pending changes)
    the file is opened immutable, which makes SQLite create none. ``shared`` opens it the
    usual way, seeing what a writer that is active commits.
    """
    query = "mode=ro" if shared or _has_side_files(path) else "mode=ro&immutable=1"
    return sqlite3.connect(f"{path.as_uri()}?{query}", uri=True, timeout=30)


def _has_side_files(path: Path) -> bool:
    return any(path.with_name(path.name + suffix).exists() for suffix in _SIDE_FILES)


def _problems(path: Path, pragma: str, limit: int) -> list[str]:
    """What ``pragma`` finds in ``path``. Problems an immutable reader found while a writer
    started (its side files appeared) are checked again through a shared connection: to an
    immutable reader, a write in progress looks like damage."""
    immutable = not _has_side_files(path)
    connection = _read_only(path)
    try:
        problems = _check_rows(connection, pragma, limit)
    finally:
        connection.close()
    if problems and immutable and _has_side_files(path):
        connection = _read_only(path, shared=True)
        try:
            problems = _check_rows(connection, pragma, limit)
        finally:
            connection.close()
    return problems


def _read_sqlite_state(path: Path, where: str) -> tuple[str | None, set[str]]:
    """The alembic revision (None if unversioned) and table names, read without writing,
    after SQLite's quick check has found the file sound."""
    _read_header(path, where)
    try:
        problems = _problems(path, "quick_check", 1)
        if problems:
            raise DamagedDatabaseError(
                f"history database {where} is damaged ({problems[0]}); left untouched: "
                "restore a backup, or pass --db to use another file "
                "('trnport history check' lists every problem)")
        connection = _read_only(path)
        try:
            tables = {row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            revision = None
            if "alembic_version" in tables:
                row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = row[0] if row else None
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise InputError(f"history database {where} cannot be read: {error} "
                         "(left untouched; pass --db to use another file)") from None
    return revision, tables


def _check_rows(connection: sqlite3.Connection, pragma: str, limit: int) -> list[str]:
    """What ``PRAGMA quick_check`` / ``integrity_check`` found: [] when the file is sound."""
    rows = [str(row[0]) for row in connection.execute(f"PRAGMA {pragma}({int(limit)})")]
    return [] if rows == ["ok"] else rows


def integrity_problems(path: Path, where: str, limit: int = 100) -> list[str]:
    """SQLite's full ``PRAGMA integrity_check`` of the file, read-only: at most ``limit``
    problems, [] when it is sound. Raises :class:`InputError` when it cannot be opened."""
    if not path.is_file():
        raise InputError(f"history database {where} does not exist or is not a file")
    _read_header(path, where)
    try:
        return _problems(path, "integrity_check", limit)
    except sqlite3.DatabaseError as error:  # damage so bad that the check itself stops
        return [f"the integrity check stopped: {error}"]


def _read_header(path: Path, where: str) -> None:
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as error:
        raise InputError(f"history database {where} cannot be read: "
                         f"{error.strerror or error}") from None
    if header != SQLITE_HEADER:
        raise InputError(f"history database {where} is not a SQLite database "
                         "(left untouched; pass --db to use another file)")


def prepare_sqlite_file(path: Path, where: str) -> Path | None:
    """Check an existing SQLite file before any connection may write to it.

    Raises :class:`InputError` for a file that is not SQLite, is corrupt, belongs to
    another program, or has a newer schema. Backs the file up when an upgrade is due and
    returns the backup's path (None when no upgrade is due or the file is new).
    """
    revision = checked_sqlite_revision(path, where)
    if revision is None or revision == HEAD_REVISION:
        return None
    return backup_sqlite_file(path)


def checked_sqlite_revision(path: Path, where: str) -> str | None:
    """The schema revision of an existing SQLite file after the checks of
    :func:`prepare_sqlite_file` (which raise for a file not to be written); None for a
    file that does not exist yet, is empty or has no trnport schema yet."""
    if path.is_dir():
        raise InputError(f"history database {where} is a directory; pass --db a file path")
    if not path.exists() or path.stat().st_size == 0:
        return None
    revision, tables = _read_sqlite_state(path, where)
    if revision is None:
        if tables - {VERSION_TABLE}:
            raise InputError(f"history database {where} is a SQLite database of another "
                             "program (it has tables but no trnport schema version)")
        return None
    _refuse_unknown(revision, where)
    return revision


def backup_sqlite_file(path: Path) -> Path:
    """A consistent copy of the database next to it, named with a UTC timestamp.

    Uses SQLite's online backup (which includes committed pages still in the WAL) into a
    temporary file, renamed into place only when complete.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = path.with_name(f"{path.name}.{stamp}.bak")
    partial = path.with_name(f".{target.name}.{os.getpid()}.partial")
    source = _read_only(path)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    os.replace(partial, target)
    return target


def current_revision(connection: Connection) -> str | None:
    """The revision alembic recorded in the database, None when it recorded none (what
    alembic's ``MigrationContext.get_current_heads`` reads, without importing alembic)."""
    from sqlalchemy import inspect, text

    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    row = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).first()
    return row[0] if row else None


def upgrade_to_head(engine: Engine, where: str) -> str | None:
    """Upgrade the database to this release's head in one transaction, holding the write
    lock (SQLite) or an advisory lock (PostgreSQL) so concurrent openers take turns.

    Returns the revision it started from (None for an empty database).
    """
    from sqlalchemy import text

    head = head_revision()
    with engine.connect() as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": _PG_MIGRATION_LOCK})
        start = current_revision(connection)
        if start is not None:
            _refuse_unknown(start, where)
        if start != head:
            run_migrations(connection, "head")
    return start
