"""Process exit codes shared by every command (DESIGN.md: 0 clean, 1 gate failed, 2 bad input)."""

OK = 0
GATE_FAILED = 1
BAD_INPUT = 2
INTERRUPTED = 130
# The reader of standard output closed it (``| head``): the status of a SIGPIPE'd tool.
CLOSED_PIPE = 128 + 13
