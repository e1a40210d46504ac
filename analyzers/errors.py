"""Exceptions the engine raises for problems a user can act on.

Every :class:`InputError` carries a single-line message meant for a person; the CLI prints
it and exits 2, the GUI shows it in a dialog. Anything else escaping the engine is a bug.
"""


class InputError(Exception):
    """The model file or an option is unusable; ``str(error)`` is one line for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class UnsupportedFormatError(InputError):
    """The file is not a model format trnport reads."""


class UnsafeInputError(InputError):
    """Reading the file would execute or unpickle untrusted content, or escape its folder."""


class TrustRequiredError(UnsafeInputError):
    """A Python model file was given without ``--trust-code`` (or GUI confirmation)."""


class AnalysisCancelled(Exception):
    """The caller's ``cancel`` callback asked the analysis to stop."""
