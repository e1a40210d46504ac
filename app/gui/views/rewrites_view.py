"""Rewrites tab: the rewrites the findings point to, with what each would fix."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget


class RewritesView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.intro = QLabel("Rewrites suggested by the findings of the last analysis.")
        self.browser = QTextBrowser()
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.browser)

    def show_report(self, report) -> None:
        by_rewrite: dict[str, list] = {}
        for finding in report.findings:
            if finding.rewrite:
                by_rewrite.setdefault(finding.rewrite, []).append(finding)
        entries = {r.get("id"): r for r in report.rewrites if isinstance(r, dict)}
        if not by_rewrite:
            self.browser.setHtml("<p>No finding of this report has a rewrite.</p>")
            return
        parts = []
        for rewrite, findings in sorted(by_rewrite.items()):
            entry = entries.get(rewrite, {})
            parts.append(f"<h3>{html.escape(rewrite)}</h3>")
            if entry.get("title"):
                parts.append(f"<p>{html.escape(entry['title'])}</p>")
            for key, label in (("before", "Before"), ("after", "After")):
                if entry.get(key):
                    parts.append(f"<p><b>{label}</b></p><pre>{html.escape(entry[key])}</pre>")
            parts.append("<ul>" + "".join(
                f"<li>{html.escape(f.code)}: {html.escape(f.message)} ({f.count} nodes)</li>"
                for f in findings) + "</ul>")
        self.browser.setHtml("".join(parts))
