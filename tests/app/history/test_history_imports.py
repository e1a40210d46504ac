"""The history never pulls in Qt, and the CLI loads SQLAlchemy only when it uses the history."""

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
    heavy = _heavy_after_import("trnport.app.history")
    assert "PySide6" not in heavy and "torch" not in heavy
    assert {"sqlalchemy", "alembic"} <= set(heavy)


def test_registering_the_history_command_imports_no_database_library():
    assert _heavy_after_import("trnport.app.cli.history_command") == []
