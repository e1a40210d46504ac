"""Schema migrations: from an empty database and from a fixture of every released schema,
with a backup taken before an upgrade, and the ORM models agreeing with the migrations."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from tests.app.history.history_samples import finding, report
from tests.fixtures.history import build_schema_0001
from trnport.app.history import open_store
from trnport.app.history.database import create_history_engine, resolve_url
from trnport.app.history.models import Base
from trnport.app.history.schema import (
    HEAD_REVISION,
    head_revision,
    run_migrations,
    script_directory,
)

FIXTURES = Path(build_schema_0001.__file__).resolve().parent
TABLES = {"alembic_version", "models", "sessions", "findings", "memory_summaries"}


def _revision(db_url: str) -> str:
    engine = create_engine(resolve_url(db_url))
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def _fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("schema_*.sqlite"))


def _released_revisions() -> list[str]:
    """Every revision but the newest: once a newer one exists, the older is released."""
    head = head_revision()
    return sorted(s.revision for s in script_directory().walk_revisions()
                  if s.revision != head)


def test_revision_ids_are_readable_and_numbered():
    revisions = [s.revision for s in script_directory().walk_revisions()]
    assert all(re.fullmatch(r"\d{4}_[a-z0-9_]+", rev) for rev in revisions), revisions
    assert head_revision() == max(revisions)
    # the constant the store opens databases with is alembic's own head
    assert HEAD_REVISION == script_directory().get_current_head()


def test_every_released_schema_has_a_fixture_database():
    fixtures = {p.stem.removeprefix("schema_") for p in _fixture_files()}
    for revision in _released_revisions():
        assert revision.split("_")[0] in fixtures, f"no fixture DB for {revision}"


def test_empty_database_is_created_at_head(db_url):
    with open_store(db_url) as store:
        assert store.list_sessions() == []
    assert _revision(db_url) == head_revision()
    engine = create_engine(resolve_url(db_url))
    try:
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_orm_models_match_the_schema_the_migrations_build(db_url):
    open_store(db_url).close()
    engine = create_history_engine(resolve_url(db_url))
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection),
                                           Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_sqlite_file_uses_wal_and_enforces_foreign_keys(sqlite_url):
    open_store(sqlite_url).close()
    plain = sqlite3.connect(sqlite_url)
    try:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        plain.close()
    engine = create_history_engine(resolve_url(sqlite_url))
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize("fixture", _fixture_files(), ids=lambda p: p.name)
def test_released_schema_fixture_upgrades_in_place_keeping_its_sessions(fixture, tmp_path):
    db = tmp_path / "history.db"
    shutil.copyfile(fixture, db)
    with sqlite3.connect(fixture) as original:
        session_ids = [r[0] for r in original.execute("SELECT id FROM sessions ORDER BY id")]
        finding_count = original.execute("SELECT count(*) FROM findings").fetchone()[0]

    with open_store(str(db)) as store:
        listed = store.list_sessions()
        details = [store.get_session(sid) for sid in session_ids]
        new = store.save_session(report(tmp_path / "new.onnx", (finding("TRN101", "x"),)))

    assert _revision(str(db)) == head_revision()
    assert sorted(s.id for s in listed) == session_ids
    assert sum(len(d.findings) for d in details) == finding_count
    assert new.id not in session_ids


def test_upgrade_from_0001_fills_memory_summaries_from_the_stored_reports(tmp_path):
    db = tmp_path / "history.db"
    shutil.copyfile(FIXTURES / "schema_0001.sqlite", db)
    with open_store(str(db)) as store:
        first = store.get_session(1)
        too_big = store.get_session(3)
        diff = store.diff_sessions(1, 2)
    expected = build_schema_0001.SESSIONS[0][7]
    assert (first.memory.per_core_bytes, first.memory.fit, first.memory.smallest_tp) == (
        expected["per_core"]["total_bytes"], "fits", 1)
    assert first.memory.param_bytes == expected["parameters"]["total_bytes"]
    assert first.memory.usable_bytes_per_core == build_schema_0001.USABLE
    # Session 3's section has a malformed "parameters" entry: that figure stays unknown.
    assert too_big.memory.param_bytes is None
    assert (too_big.memory.fit, too_big.memory.smallest_tp) == ("does-not-fit", 2)
    assert too_big.memory.per_core_bytes == 20 * 2**30
    assert [f.code for f in diff.fixed] == ["TRN101"]
    assert [f.code for f in diff.still_open] == ["TRN202", "TRN601"]


def test_upgrade_backs_the_old_file_up_first(tmp_path):
    db = tmp_path / "history.db"
    shutil.copyfile(FIXTURES / "schema_0001.sqlite", db)
    with sqlite3.connect(db) as before:
        old_rows = before.execute("SELECT * FROM sessions ORDER BY id").fetchall()

    open_store(str(db)).close()

    backups = list(tmp_path.glob("history.db.*.bak"))
    assert len(backups) == 1
    assert re.fullmatch(r"history\.db\.\d{8}T\d{12}Z\.bak", backups[0].name)
    with sqlite3.connect(backups[0]) as backup:
        assert backup.execute("SELECT version_num FROM alembic_version").fetchone()[0] == \
            "0001_initial"
        assert backup.execute("SELECT * FROM sessions ORDER BY id").fetchall() == old_rows
        assert backup.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert _revision(str(db)) == head_revision()


def test_a_current_database_is_not_backed_up_again(sqlite_url, tmp_path):
    open_store(sqlite_url).close()
    open_store(sqlite_url).close()
    assert list(tmp_path.glob("*.bak")) == []


def test_schema_0001_rows_upgrade_on_postgresql(postgres_url):
    engine = create_engine(resolve_url(postgres_url))
    try:
        with engine.begin() as connection:
            run_migrations(connection, build_schema_0001.REVISION)
            build_schema_0001.insert_sample_rows(connection)
            # The fixture wrote explicit ids; move the sequences past them as a real
            # 0001 database's would be.
            for table in ("models", "sessions"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))")
    finally:
        engine.dispose()
    assert _revision(postgres_url) == "0001_initial"

    with open_store(postgres_url) as store:
        first = store.get_session(1)
        new = store.save_session(report("/models/resnet18.onnx"))
        of_resnet = store.list_sessions("/models/resnet18.onnx")
    assert _revision(postgres_url) == head_revision()
    assert first.memory.fit == "fits" and len(first.findings) == 3
    assert [s.id for s in of_resnet] == [new.id, 2, 1]
