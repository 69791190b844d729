"""Reading the files users hand to SettleFL, so that every problem with one is a one-line :class:`BadFile`.

Each helper takes ``what`` (what the file should be, e.g. "the build manifest") and ``fix`` (what the
user should do about a bad one); the error then reads ``<path>: <what> <is wrong>; <fix>``. Python's own
``OSError`` and ``JSONDecodeError`` messages name neither the role of the file nor a fix.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from settlefl.errors import BadFile, describe_os_error


def require_file(path: Path, what: str, fix: str) -> Path:
    """``path`` if it is an existing regular file (or a link to one); :class:`BadFile` otherwise."""
    path = Path(path)
    if path.is_dir():
        raise BadFile(path, f"{what} is a directory, not a file", fix)
    if not path.is_file():
        raise BadFile(path, f"{what} does not exist", fix)
    return path


def read_text(path: Path, what: str, fix: str) -> str:
    """The file's text (UTF-8); :class:`BadFile` when it is missing, unreadable, binary or empty."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BadFile(path, f"{what} is not a text file", fix) from None
    except OSError as exc:
        raise BadFile(path, f"{what} {describe_os_error(exc)}", fix) from None
    if not text.strip():
        raise BadFile(path, f"{what} is empty", fix)
    return text


def read_json(path: Path, what: str, fix: str) -> Any:
    """The parsed JSON of a file; :class:`BadFile` on every read or syntax problem, naming the line."""
    text = read_text(path, what, fix)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise BadFile(path, f"{what} is not valid JSON ({where}: {exc.msg})", fix) from None
