"""Before Qt opens a window on X11: are the system libraries its xcb platform plugin links
against installed? Qt itself aborts the process with a message about plugins when one is
missing; asking ``ldd`` first lets the app say which library is missing and which package
provides it. Nothing here imports Qt."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# Debian/Ubuntu package of each library the xcb plugin commonly lacks on a fresh desktop
# or server (Qt's "Qt for X11 requirements"); others are named by their file.
_DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1", "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0", "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-sync.so.1": "libxcb-sync1", "libxcb-shm.so.0": "libxcb-shm0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0", "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1", "libEGL.so.1": "libegl1", "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1", "libdbus-1.so.3": "libdbus-1-3",
}
_NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found", re.MULTILINE)


def xcb_plugin() -> Path | None:
    """The xcb platform plugin of the installed PySide6, None when there is none."""
    try:
        import PySide6  # the package only: its Qt libraries load with its modules
    except ImportError:
        return None
    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def missing_libraries(plugin: Path) -> list[str]:
    """The shared libraries ``plugin`` needs that the dynamic loader cannot find (empty when
    ``ldd`` is not there to ask)."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        listing = subprocess.run([ldd, str(plugin)], capture_output=True, text=True,
                                 timeout=20, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return list(dict.fromkeys(_NOT_FOUND.findall(listing)))


def install_hint(libraries: list[str]) -> str:
    """One line: what is missing and the packages that provide it."""
    packages = " ".join(dict.fromkeys(_DEBIAN_PACKAGES.get(name, name) for name in libraries))
    return (f"Qt cannot open a window: its X11 platform plugin needs {', '.join(libraries)}; "
            f"install them (Debian/Ubuntu: sudo apt-get install {packages}), or run with "
            "QT_QPA_PLATFORM=offscreen and --screenshot")


def platform_library_problem() -> str | None:
    """Why Qt's X11 plugin would abort here, or None when it is expected to load (or another
    platform is chosen)."""
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return None
    if not platform and os.environ.get("WAYLAND_DISPLAY") and not os.environ.get("DISPLAY"):
        return None  # Qt picks its Wayland plugin
    plugin = xcb_plugin()
    missing = missing_libraries(plugin) if plugin is not None else []
    return install_hint(missing) if missing else None
