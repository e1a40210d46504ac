"""Process exit codes shared by every command (DESIGN.md: 0 clean, 1 gate failed, 2 bad input)."""

OK = 0
GATE_FAILED = 1
BAD_INPUT = 2
INTERRUPTED = 130
