"""The installed Qt binding must not lose references to None.

PySide6 6.12.0 drops one reference to ``None`` on every call of a Qt method that returns
nothing; on Python 3.11 (where None is not immortal) the process aborts with "none_dealloc"
after a few thousand such calls — a large model's tree view or a long session's repaints.
This runs the calls in a child process so a broken binding fails the test instead of
killing the test run."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import sys
from PySide6.QtWidgets import QApplication, QLabel, QTreeWidgetItem
app = QApplication([])
label, item = QLabel(), QTreeWidgetItem()
before = sys.getrefcount(None)
for _ in range(20000):
    label.setToolTip("x")
    item.setText(0, "x")
print(sys.getrefcount(None) - before)
"""


def test_void_qt_calls_keep_none_alive():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert int(proc.stdout.strip().splitlines()[-1]) >= 0
