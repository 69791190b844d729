"""Ethereum account key files: a JSON file readable only by its owner, never logged.

The same rules as the receipt-signing key files (:mod:`settlefl.crypto.eddsa`): written with mode 0600
and never over an existing file, refused when others can read them, and every damage reported as one
:class:`~settlefl.errors.BadFile` line naming the path. The private key is only ever held by an
``eth_account`` account object; nothing in SettleFL prints or logs it.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from settlefl.errors import BadFile, describe_os_error
from settlefl.files import read_json, require_file

KEY_FILE_FORMAT = "settlefl.ethereum-key.v1"
_RESTORE = "restore it from your backup or make a new one with `settlefl keygen --ethereum`"


def save_account(path: Path, account: LocalAccount) -> None:
    """Write ``account``'s key to a new file readable only by its owner (never overwriting one)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise BadFile(path.parent, "the key file's directory does not exist", "create it first, or choose another path")
    body = {"format": KEY_FILE_FORMAT, "address": account.address, "private_key": account.key.hex()}
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BadFile(path, "a file exists there", "choose another path: a key is never overwritten") from None
    except OSError as exc:
        raise BadFile(path, f"cannot create the key file ({describe_os_error(exc)})", "choose another path") from None
    with os.fdopen(fd, "w") as handle:
        json.dump(body, handle, indent=2)
        handle.write("\n")


def new_account_file(path: Path) -> LocalAccount:
    """A fresh account (OS randomness) saved to ``path``."""
    account: LocalAccount = Account.create()
    save_account(path, account)
    return account


def load_account(path: Path) -> LocalAccount:
    """The account of a key file made by :func:`save_account`; refuses one others can read."""
    path = require_file(Path(path), "the key file", "pass the path of a key file made by `settlefl keygen --ethereum`")
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise BadFile(path, f"the key file is readable by other users (mode {stat.S_IMODE(mode):o})",
                      f"run `chmod 600 {path}`")
    body = read_json(path, "the key file", _RESTORE)
    if not isinstance(body, dict) or body.get("format") != KEY_FILE_FORMAT:
        raise BadFile(path, f"not a SettleFL Ethereum key file (format {KEY_FILE_FORMAT!r})", _RESTORE)
    raw = body.get("private_key")
    try:
        account: LocalAccount = Account.from_key(raw)
    except (TypeError, ValueError):
        raise BadFile(path, "'private_key' is not a 32-byte hex key", _RESTORE) from None
    if str(body.get("address", "")).lower() != account.address.lower():
        raise BadFile(path, "the stored address does not match the private key", _RESTORE)
    return account
