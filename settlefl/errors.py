"""One family for every error SettleFL raises on purpose.

Callers catch :class:`SettleFLError` to tell "SettleFL refused this, and says why" from a bug. Every
message is written for the person who has to act on it: it names the value or the file and, where there
is one, the fix. The command line prints such a message as one line and exits non-zero; anything else
that escapes is a bug and gets a traceback (``settlefl --debug``).

The subclasses say what kind of action is needed:

* :class:`InputError` -- a value given to SettleFL breaks a rule (a bad parameter, a round the protocol
  refuses, a receipt that fails a check). Also a ``ValueError``, which callers may rely on.
* :class:`BadFile` -- a file is missing, unreadable or not what it should be. Its message is one line:
  the path, what is wrong, what to do.
* :class:`ToolError` -- an external tool (node, circom2, snarkjs, anvil, forge) is missing or failed.
* :class:`ProofError` -- a proof could not be made, or did not verify (it is never returned then).
* :class:`ChainError` -- a chain refused a request or answered with an error.
"""

from __future__ import annotations

from pathlib import Path


class SettleFLError(Exception):
    """Base of every error SettleFL raises on purpose; the message says what to do."""


class InputError(SettleFLError, ValueError):
    """A value given to SettleFL breaks a rule; the message names the value and the rule."""


class BadFile(InputError):
    """A file SettleFL needs is missing, unreadable or malformed.

    The message is one line: ``<path>: <what is wrong>; <what to do>``, so a user never has to guess
    which of several files was meant.
    """

    def __init__(self, path: Path | str, problem: str, fix: str) -> None:
        self.path = Path(path)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{path}: {problem}; {fix}")


class ToolError(SettleFLError):
    """An external tool (node, circom2, snarkjs, anvil, forge) is missing or exited with an error."""


class ProofError(SettleFLError):
    """A proof could not be produced, or did not verify (never returned in that case)."""


class ChainError(SettleFLError):
    """A chain (a JSON-RPC node) refused a request or answered with an error."""


def describe_os_error(exc: OSError) -> str:
    """What an ``OSError`` means for a file, in words (without the path: callers name it)."""
    if isinstance(exc, FileNotFoundError):
        return "does not exist"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not a file"
    if isinstance(exc, NotADirectoryError):
        return "is not under a directory (a part of the path is a file)"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return exc.strerror or str(exc)
