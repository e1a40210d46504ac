"""The history never pulls in Qt, the CLI loads SQLAlchemy only when it uses the history
beyond appending to an up-to-date SQLite file, and alembic only when a database needs
migrating."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers import REPO

_PROBE = """
import json, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] == 'PySide6':
            raise ImportError('blocked for this test: ' + name)
        return None
sys.meta_path.insert(0, Block())
import {module}
print(json.dumps(sorted(m for m in ('PySide6', 'sqlalchemy', 'alembic', 'torch')
                        if m in sys.modules)))
"""


def _heavy_after_import(module: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", _PROBE.format(module=module)],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_history_package_works_without_qt():
    heavy = _heavy_after_import("trnport.app.history.store")
    assert "PySide6" not in heavy and "torch" not in heavy
    assert "sqlalchemy" in heavy and "alembic" not in heavy


def test_the_package_and_its_sqlite_appending_import_no_database_library():
    assert _heavy_after_import("trnport.app.history") == []
    assert _heavy_after_import("trnport.app.history.appending") == []


_SAVE_TWICE = """
import json, sys
from trnport.analyzers.api import analyze
from trnport.app.history import open_store, record_report
report = analyze(sys.argv[2])
record_report(report, sys.argv[1])
print(json.dumps(["alembic" in sys.modules,
                  [s.id for s in open_store(sys.argv[1]).list_sessions()]]))
"""


def _save(db, sample) -> tuple[bool, list[int]]:
    proc = subprocess.run([sys.executable, "-c", _SAVE_TWICE, str(db), str(sample)],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr
    used_alembic, ids = json.loads(proc.stdout.strip().splitlines()[-1])
    return used_alembic, ids


def test_alembic_is_loaded_only_to_migrate(tmp_path):
    db, sample = tmp_path / "history.db", REPO / "resources" / "samples" / "tiny_cnn.onnx"
    assert _save(db, sample) == (True, [1])  # a new file is migrated to the head revision
    assert _save(db, sample) == (False, [2, 1])  # one already there is only written to


def test_registering_the_history_command_imports_no_database_library():
    assert _heavy_after_import("trnport.app.cli.history_command") == []
