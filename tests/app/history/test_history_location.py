"""Which database the history uses, and when an analysis is recorded at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from platformdirs import user_data_dir

from trnport.app.cli.history_command import history_enabled
from trnport.app.history.database import describe, resolve_url


def test_default_database_is_history_db_in_the_user_data_folder(monkeypatch):
    monkeypatch.delenv("TRNPORT_DB", raising=False)
    url = resolve_url(None)
    assert url.get_backend_name() == "sqlite"
    assert Path(url.database) == Path(user_data_dir("trnport", appauthor=False)) / "history.db"


def test_trnport_db_and_an_explicit_url_take_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("TRNPORT_DB", str(tmp_path / "env.db"))
    assert resolve_url(None).database == str(tmp_path / "env.db")
    assert resolve_url(str(tmp_path / "arg.db")).database == str(tmp_path / "arg.db")
    assert resolve_url(f"sqlite:///{tmp_path}/u.db").database == str(tmp_path / "u.db")


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_postgresql_urls_use_psycopg_and_hide_the_password(scheme):
    url = resolve_url(f"{scheme}://team:hunter2@db.example:5432/trnport")
    assert url.drivername == "postgresql+psycopg"
    assert "hunter2" not in describe(url) and "db.example:5432/trnport" in describe(url)


@pytest.mark.parametrize(("flag", "env", "expected"), [
    (False, None, True), (True, None, False), (False, "1", False), (False, "true", False),
    (False, "0", True), (False, "", True),
])
def test_history_is_recorded_unless_asked_not_to(monkeypatch, flag, env, expected):
    if env is None:
        monkeypatch.delenv("TRNPORT_NO_HISTORY", raising=False)
    else:
        monkeypatch.setenv("TRNPORT_NO_HISTORY", env)
    assert history_enabled(flag) is expected
