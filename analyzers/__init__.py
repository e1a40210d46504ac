"""The analysis engine: pure Python, headless, deterministic.

``__version__`` is the product's version, defined here once; the CLI, the GUI and every
report read it from this module.
"""

__version__ = "0.1.0"
