"""One widget per tab of the main window; each has ``show_report(report)``."""
