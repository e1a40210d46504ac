"""Graph colours: the HTML report's status palette (``report.css``), light and dark."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StatusColors:
    fill: str
    stroke: str


LIGHT = {
    "supported": StatusColors("#e3f5ea", "#137a3f"),
    "conditional": StatusColors("#fff2d6", "#a45a00"),
    "cpu_fallback": StatusColors("#ffe8d9", "#c2410c"),
    "unsupported": StatusColors("#fde7e5", "#b42318"),
    "unknown": StatusColors("#eceaf8", "#5b5f97"),
}
DARK = {
    "supported": StatusColors("#1d3b2a", "#4ade80"),
    "conditional": StatusColors("#3d3218", "#facc15"),
    "cpu_fallback": StatusColors("#40291a", "#fb923c"),
    "unsupported": StatusColors("#431f1f", "#f87171"),
    "unknown": StatusColors("#2c2c40", "#a5a8d8"),
}
#: ink, muted text, edges, canvas background, selection, host-region outline
INK = {False: ("#0f172a", "#5b6778", "#8792a2", "#f4f6f9", "#3b4cca", "#c2410c"),
       True: ("#e6e6e6", "#9aa3b2", "#7d8594", "#1e1f22", "#6fb0ff", "#fb923c")}


def status_colors(status: str, dark: bool) -> StatusColors:
    palette = DARK if dark else LIGHT
    return palette.get(status, palette["unknown"])
