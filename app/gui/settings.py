"""Persistent preferences (QSettings): recent files, window layout, last target, and the
history database."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 10


class Settings:
    def __init__(self, qsettings: QSettings | None = None) -> None:
        self._qs = qsettings or QSettings("trnport", "trnport")

    def recent_files(self) -> list[Path]:
        value = self._qs.value("recent_files", [])
        items = [value] if isinstance(value, str) else list(value or [])
        return [Path(p) for p in items if p]

    def add_recent(self, path: Path) -> list[Path]:
        resolved = str(Path(path).resolve())
        items = [resolved] + [str(p) for p in self.recent_files() if str(p) != resolved]
        self._qs.setValue("recent_files", items[:MAX_RECENT])
        return [Path(p) for p in items[:MAX_RECENT]]

    def target(self) -> dict:
        value = self._qs.value("target", {})
        return dict(value) if isinstance(value, dict) else {}

    def set_target(self, values: dict) -> None:
        self._qs.setValue("target", values)

    def history_db(self) -> str | None:
        """The history database chosen for the app (a SQLite path or URL); None means
        ``$TRNPORT_DB`` or the default file, as for ``trnport check``."""
        value = self._qs.value("history_db", "")
        return str(value) if value else None

    def set_history_db(self, url: str | None) -> None:
        self._qs.setValue("history_db", url or "")

    def palette_mode(self) -> str:
        """``"system"`` (follow the system scheme), ``"light"`` or ``"dark"``."""
        value = str(self._qs.value("palette", "system") or "system")
        return value if value in ("system", "light", "dark") else "system"

    def set_palette_mode(self, mode: str) -> None:
        self._qs.setValue("palette", mode)

    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        return self._qs.value("geometry"), self._qs.value("window_state")

    def set_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self._qs.setValue("geometry", geometry)
        self._qs.setValue("window_state", state)

    def sync(self) -> None:
        self._qs.sync()
