"""The aggregator node's FL bookkeeping on disk: registrations, uploads, rounds and model files.

The chain-side state (openings, receipts, signing log, transaction journal) lives in the aggregator
role's own :class:`~settlefl.roles.store.RoleStore`; this store holds what only the FL side knows: who
registered, which update each participant uploaded in which round, and what each round decided (scores,
units, joins) *before* the aggregator role commits it. A round's decision is written once; after a crash
the node re-submits exactly that decision, so the chain never sees a second, different round.

Update and model bytes are files written atomically (a temporary file renamed into place) and only then
recorded in SQLite, so a row always names a complete file; a refused upload never reaches the disk.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS participants (
    address TEXT PRIMARY KEY, registered_at REAL NOT NULL, signature TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS updates (
    round INTEGER NOT NULL, address TEXT NOT NULL, hash TEXT NOT NULL, samples INTEGER NOT NULL,
    signature TEXT NOT NULL, received_at REAL NOT NULL, PRIMARY KEY (round, address));
CREATE TABLE IF NOT EXISTS rounds (
    round INTEGER PRIMARY KEY, model_hash TEXT NOT NULL, opened_at REAL NOT NULL, deadline REAL NOT NULL,
    status TEXT NOT NULL, decision TEXT, committed_at REAL);
"""


@dataclass(frozen=True)
class UploadRecord:
    round: int
    address: str
    hash: str
    samples: int


@dataclass(frozen=True)
class RoundRecord:
    """One FL round: the global model it started from, its deadline, and what was decided."""

    round: int
    model_hash: str
    opened_at: float
    deadline: float
    status: str  # "collecting", "decided" (scored, not yet on chain), "committed"
    decision: dict[str, Any] | None
    committed_at: float | None


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class FLStore:
    """SQLite and files under one directory; safe to use from the service's threads."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(directory / "fl.sqlite", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------------------------------ values

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (key, json.dumps(value)))

    # ----------------------------------------------------------------------------- participants

    def register(self, address: str, signature: str) -> bool:
        """Record a registration; False when the address was registered already (nothing changes)."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO participants VALUES (?, ?, ?)",
                (to_checksum_address(address), time.time(), signature),
            )
            return cursor.rowcount == 1

    def participants(self) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT address FROM participants ORDER BY registered_at, address").fetchall()
        return [r[0] for r in rows]

    def is_registered(self, address: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM participants WHERE address = ?", (to_checksum_address(address),)
            ).fetchone()
        return row is not None

    # ---------------------------------------------------------------------------------- updates

    def update_path(self, round_number: int, address: str) -> Path:
        return self.directory / "updates" / f"r{round_number}" / f"{to_checksum_address(address)}.bin"

    def add_update(self, record: UploadRecord, data: bytes, signature: str) -> bool:
        """Store an upload (file first, then the row); False if this participant already uploaded this round."""
        with self._lock:
            if self.upload(record.round, record.address) is not None:
                return False
            _atomic_write(self.update_path(record.round, record.address), data)
            self._db.execute(
                "INSERT INTO updates VALUES (?, ?, ?, ?, ?, ?)",
                (
                    record.round,
                    to_checksum_address(record.address),
                    record.hash,
                    record.samples,
                    signature,
                    time.time(),
                ),
            )
            return True

    def upload(self, round_number: int, address: str) -> UploadRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT hash, samples FROM updates WHERE round = ? AND address = ?",
                (round_number, to_checksum_address(address)),
            ).fetchone()
        return None if row is None else UploadRecord(round_number, to_checksum_address(address), row[0], row[1])

    def uploads(self, round_number: int) -> list[UploadRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT address, hash, samples FROM updates WHERE round = ? ORDER BY address", (round_number,)
            ).fetchall()
        return [UploadRecord(round_number, a, h, s) for a, h, s in rows]

    # ----------------------------------------------------------------------------------- models

    def model_path(self, round_number: int) -> Path:
        """The global model that round ``round_number`` trains from (round 1: the initial model)."""
        return self.directory / "models" / f"round-{round_number}.bin"

    def put_model(self, round_number: int, data: bytes) -> None:
        _atomic_write(self.model_path(round_number), data)

    # ----------------------------------------------------------------------------------- rounds

    def open_round(self, round_number: int, model_hash: str, deadline: float) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO rounds VALUES (?, ?, ?, ?, 'collecting', NULL, NULL)",
                (round_number, model_hash, time.time(), deadline),
            )

    def extend(self, round_number: int, deadline: float) -> None:
        with self._lock:
            self._db.execute("UPDATE rounds SET deadline = ? WHERE round = ?", (deadline, round_number))

    def decide(self, round_number: int, decision: dict[str, Any]) -> None:
        """Fix what round ``round_number`` pays (written once: a decided round is never re-scored)."""
        with self._lock:
            self._db.execute(
                "UPDATE rounds SET status = 'decided', decision = ? WHERE round = ? AND status = 'collecting'",
                (json.dumps(decision), round_number),
            )

    def committed(self, round_number: int) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE rounds SET status = 'committed', committed_at = ? WHERE round = ?", (time.time(), round_number)
            )

    def round(self, round_number: int) -> RoundRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM rounds WHERE round = ?", (round_number,)).fetchone()
        return None if row is None else _round(row)

    def rounds(self) -> list[RoundRecord]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM rounds ORDER BY round").fetchall()
        return [_round(r) for r in rows]


def _round(row: tuple[Any, ...]) -> RoundRecord:
    return RoundRecord(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]) if row[5] else None, row[6])
