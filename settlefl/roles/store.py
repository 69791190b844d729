"""A role's persistent state: one SQLite file, readable only by its owner.

Everything a role must not lose across a crash lives here, written before the action it enables:

* ``docs``: small JSON documents (the job, its configuration, the aggregator's job secret, flags);
* ``openings``: the openings of committed rounds the role holds (the aggregator: every state it made; a
  participant or watchtower: what receipts and answered requests showed it), keyed by round and
  commitment so a rolled-back or equivocated round never overwrites another;
* ``receipts``: receipts made or accepted, per payee and round;
* ``signatures``: the aggregator's write-ahead log of signed commitments. A commitment is entered before
  it is signed, and a second, different commitment for the same round is refused: the aggregator never
  signs two commitments for one (job, round), even across restarts;
* ``txs``: the transaction journal (:class:`~settlefl.chain.client.TxJournal`): every signed transaction
  of an action, recorded before it is broadcast.

The watcher's events live in the same file (:class:`~settlefl.chain.watcher.EventStore` tables).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from settlefl.chain.client import JournalEntry
from settlefl.params import BuildParams
from settlefl.state.receipt import Opening, Receipt
from settlefl.state.reward_state import RewardState


class Equivocation(RuntimeError):
    """The signing log refuses a second commitment for a round (this would be equivocation)."""


class RoleStore:
    """One role's state. ``path`` may be ``:memory:`` in tests."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            file = Path(self.path)
            file.parent.mkdir(parents=True, exist_ok=True)
            if not file.exists():
                file.touch(mode=0o600)
            os.chmod(file, 0o600)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._lock = threading.RLock()
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS docs (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS openings (round INTEGER NOT NULL, commitment TEXT NOT NULL,
                opening TEXT NOT NULL, PRIMARY KEY (round, commitment));
            CREATE TABLE IF NOT EXISTS receipts (payee TEXT NOT NULL, round INTEGER NOT NULL, receipt TEXT NOT NULL,
                PRIMARY KEY (payee, round));
            CREATE TABLE IF NOT EXISTS signatures (round INTEGER PRIMARY KEY, commitment TEXT NOT NULL,
                signed_at REAL NOT NULL);
            CREATE TABLE IF NOT EXISTS txs (key TEXT PRIMARY KEY, nonce INTEGER NOT NULL, raws TEXT NOT NULL,
                hashes TEXT NOT NULL, status TEXT NOT NULL, updated REAL NOT NULL);
            """
        )

    def close(self) -> None:
        self._db.close()

    # ------------------------------------------------------------------------------------- docs

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM docs WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO docs VALUES (?, ?)", (key, json.dumps(value)))

    # ---------------------------------------------------------------------------------- openings

    def put_opening(self, state: RewardState) -> None:
        opening = Opening.of(state).model_dump_json()
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO openings VALUES (?, ?, ?)",
                             (state.round, str(state.commitment), opening))

    def opening(self, round_number: int, commitment: int, params: BuildParams, domain: int,
                max_units: int) -> RewardState | None:
        """The held opening of ``commitment`` as round ``round_number``, if any."""
        with self._lock:
            row = self._db.execute("SELECT opening FROM openings WHERE round = ? AND commitment = ?",
                                   (round_number, str(commitment))).fetchone()
        if row is None:
            return None
        return Opening.model_validate_json(row[0]).to_state(params, domain, max_units)

    def opening_rounds(self) -> set[int]:
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT round FROM openings").fetchall()
        return {int(r[0]) for r in rows}

    # ---------------------------------------------------------------------------------- receipts

    def put_receipt(self, payee: str, receipt: Receipt) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO receipts VALUES (?, ?, ?)",
                             (payee.lower(), receipt.round, receipt.model_dump_json()))

    def receipt(self, payee: str, round_number: int) -> Receipt | None:
        with self._lock:
            row = self._db.execute("SELECT receipt FROM receipts WHERE payee = ? AND round = ?",
                                   (payee.lower(), round_number)).fetchone()
        return Receipt.model_validate_json(row[0]) if row else None

    def receipts(self, payee: str) -> list[Receipt]:
        with self._lock:
            rows = self._db.execute("SELECT receipt FROM receipts WHERE payee = ? ORDER BY round",
                                    (payee.lower(),)).fetchall()
        return [Receipt.model_validate_json(r[0]) for r in rows]

    # -------------------------------------------------------------------------------- signing log

    def log_signature(self, round_number: int, commitment: int) -> None:
        """Enter ``commitment`` for ``round_number`` before signing it; refuse a different one."""
        with self._lock:
            row = self._db.execute("SELECT commitment FROM signatures WHERE round = ?", (round_number,)).fetchone()
            if row is not None:
                if int(row[0]) != commitment:
                    raise Equivocation(
                        f"round {round_number} was already signed with another commitment ({row[0]}); signing "
                        f"{commitment} too would be equivocation, which the contract punishes"
                    )
                return
            self._db.execute("INSERT INTO signatures VALUES (?, ?, ?)", (round_number, str(commitment), time.time()))

    def signed(self, round_number: int) -> int | None:
        with self._lock:
            row = self._db.execute("SELECT commitment FROM signatures WHERE round = ?", (round_number,)).fetchone()
        return int(row[0]) if row else None

    # ----------------------------------------------------------------------------- the tx journal

    def journal_get(self, key: str) -> JournalEntry | None:
        with self._lock:
            row = self._db.execute("SELECT nonce, raws, hashes, status FROM txs WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return JournalEntry(key, int(row[0]), tuple(bytes.fromhex(r) for r in json.loads(row[1])),
                            tuple(json.loads(row[2])), str(row[3]))

    def journal_sent(self, key: str, nonce: int, raw: bytes, tx_hash: str) -> None:
        with self._lock:
            entry = self.journal_get(key)
            if entry is None or entry.nonce != nonce:
                raws, hashes = [raw.hex()], [tx_hash]
            else:
                raws = [r.hex() for r in entry.raws] + [raw.hex()]
                hashes = [*entry.hashes, tx_hash]
            self._db.execute("INSERT OR REPLACE INTO txs VALUES (?, ?, ?, ?, ?, ?)",
                             (key, nonce, json.dumps(raws), json.dumps(hashes), "sent", time.time()))

    def journal_status(self, key: str, status: str) -> None:
        with self._lock:
            self._db.execute("UPDATE txs SET status = ?, updated = ? WHERE key = ?", (status, time.time(), key))

    def journal_entries(self) -> list[JournalEntry]:
        """Every journaled action, oldest update first."""
        with self._lock:
            rows = self._db.execute("SELECT key FROM txs ORDER BY updated, rowid").fetchall()
        return [e for e in (self.journal_get(str(r[0])) for r in rows) if e is not None]

    def journal_keys(self, status: str | None = None) -> list[str]:
        with self._lock:
            if status is None:
                rows = self._db.execute("SELECT key FROM txs").fetchall()
            else:
                rows = self._db.execute("SELECT key FROM txs WHERE status = ?", (status,)).fetchall()
        return [str(r[0]) for r in rows]
