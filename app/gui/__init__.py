"""The desktop app (PySide6): a main window over the engine's report.

Nothing outside this package imports Qt; the engine runs in a separate process driven by
:mod:`trnport.app.gui.worker`, so the window never waits on it.
"""
