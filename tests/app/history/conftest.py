"""Fixtures for the history tests: SQLite files in tmp_path and a real PostgreSQL server.

Without PostgreSQL binaries or psycopg the PostgreSQL variants are skipped with the reason
shown, except in CI (CI=true), where they fail: CI must test both backends.
"""

from __future__ import annotations

import itertools
import os

import pytest

from tests.app.history.pg_cluster import PostgresCluster, find_bin_dir

_database_numbers = itertools.count(1)


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_cluster():
    bin_dir = find_bin_dir()
    if bin_dir is None:
        _unavailable("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin "
                     "(apt-get install postgresql)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed (pip install 'psycopg[binary]')")
    cluster = PostgresCluster(bin_dir)
    try:
        cluster.start()
    except Exception as error:
        cluster.stop()
        _unavailable(f"could not start a PostgreSQL cluster: {error}")
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster):
    """A fresh, empty database on the throwaway server, dropped afterwards."""
    name = f"trnport_history_{os.getpid()}_{next(_database_numbers)}"
    url = postgres_cluster.create_database(name)
    yield url
    postgres_cluster.drop_database(name)


@pytest.fixture
def sqlite_url(tmp_path):
    return str(tmp_path / "history.db")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """The same test against a SQLite file and a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "history.db")
    return request.getfixturevalue("postgres_url")
