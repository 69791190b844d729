"""Following a contract's events: bounded block ranges, confirmations, de-duplication, reorgs, a cursor.

:class:`EventWatcher` polls ``eth_getLogs`` in bounded ranges up to ``head - confirmations``, decodes every
log with the contract's ABI, stores it in an :class:`EventStore` (SQLite) keyed by block hash and log index
(so a log seen twice is stored once), records the block hashes it has read, and keeps a cursor so a
restarted process resumes where it stopped. On every poll it first checks that the last block it read is
still canonical; if not (a reorganisation), it walks back to the newest stored block the chain still has,
deletes everything above it and re-reads from there. Whatever a role derives from events must be a
function of the stored events, so a reorg rolls derived state back by construction. A range is stored
only if the hash of its last block is the same before and after its logs were read (a reorganisation
during the read is retried, never half-stored), and every rollback is remembered in the store
(:meth:`EventStore.reorg_pending`) until the role has dealt with it (put back its own transactions the
reorganisation removed), even across a crash.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3.contract import Contract
from web3.exceptions import BlockNotFound, MismatchedABI

from settlefl.chain.client import Chain

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChainEvent:
    """One decoded contract event and where it happened."""

    name: str
    args: dict[str, Any]
    block_number: int
    block_hash: str
    log_index: int
    tx_hash: str
    block_time: int

    @property
    def job_id(self) -> bytes | None:
        value = self.args.get("jobId")
        return bytes(value) if value is not None else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | HexBytes):
        return {"__bytes__": bytes(value).hex()}
    if isinstance(value, Mapping):  # web3 decodes structs (JobCreated's config) as AttributeDict, not dict
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _unjson(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__bytes__"}:
            return bytes.fromhex(value["__bytes__"])
        return {k: _unjson(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unjson(v) for v in value]
    return value


class EventStore:
    """Events, read block hashes and cursors in one SQLite file (or ``:memory:``), safe across threads."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._lock = threading.RLock()
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS events (
                block_number INTEGER NOT NULL, block_hash TEXT NOT NULL, log_index INTEGER NOT NULL,
                tx_hash TEXT NOT NULL, name TEXT NOT NULL, job_id TEXT, args TEXT NOT NULL, block_time INTEGER NOT NULL,
                PRIMARY KEY (block_hash, log_index));
            CREATE INDEX IF NOT EXISTS events_by_job ON events (job_id, block_number, log_index);
            CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, block INTEGER NOT NULL);
            """
        )

    def close(self) -> None:
        self._db.close()

    def cursor(self, name: str) -> int | None:
        with self._lock:
            row = self._db.execute("SELECT block FROM cursors WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else None

    def save(self, name: str, events: Sequence[ChainEvent], blocks: dict[int, str], cursor: int) -> int:
        """Store events and block hashes and move the cursor, atomically; returns how many events were new."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                before = self._db.total_changes
                self._db.executemany(
                    "INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(e.block_number, e.block_hash, e.log_index, e.tx_hash, e.name,
                      e.job_id.hex() if e.job_id else None, json.dumps(_jsonable(e.args)), e.block_time)
                     for e in events],
                )
                new = self._db.total_changes - before
                self._db.executemany("INSERT OR REPLACE INTO blocks VALUES (?, ?)", list(blocks.items()))
                self._db.execute("INSERT OR REPLACE INTO cursors VALUES (?, ?)", (name, cursor))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return new

    def known_blocks(self, at_most: int) -> list[tuple[int, str]]:
        """Stored ``(number, hash)`` pairs at or below ``at_most``, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT number, hash FROM blocks WHERE number <= ? ORDER BY number DESC LIMIT 256", (at_most,)
            ).fetchall()
        return [(int(n), str(h)) for n, h in rows]

    def rewind(self, name: str, keep_through: int) -> int:
        """Forget every event and block above ``keep_through`` and remember the reorganisation (see
        :meth:`reorg_pending`); returns how many events were dropped."""
        with self._lock:
            self._db.execute("BEGIN")
            dropped = self._db.execute("DELETE FROM events WHERE block_number > ?", (keep_through,)).rowcount
            self._db.execute("DELETE FROM blocks WHERE number > ?", (keep_through,))
            self._db.execute("INSERT OR REPLACE INTO cursors VALUES (?, ?)", (name, keep_through))
            marker = self._reorg_key(name)
            row = self._db.execute("SELECT block FROM cursors WHERE name = ?", (marker,)).fetchone()
            self._db.execute("INSERT OR REPLACE INTO cursors VALUES (?, ?)",
                             (marker, keep_through if row is None else min(int(row[0]), keep_through)))
            self._db.execute("COMMIT")
        return int(dropped)

    @staticmethod
    def _reorg_key(name: str) -> str:
        return f"reorg:{name}"

    def reorg_pending(self, name: str) -> int | None:
        """The lowest block kept by a rollback of ``name`` not yet :meth:`cleared <clear_reorg>` (None if none)."""
        return self.cursor(self._reorg_key(name))

    def clear_reorg(self, name: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM cursors WHERE name = ?", (self._reorg_key(name),))

    def events(self, job_id: bytes | None = None) -> list[ChainEvent]:
        """Stored events in chain order (all, or one job's)."""
        query = "SELECT block_number, block_hash, log_index, tx_hash, name, args, block_time FROM events"
        params: tuple[Any, ...] = ()
        if job_id is not None:
            query += " WHERE job_id = ?"
            params = (job_id.hex(),)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY block_number, log_index", params).fetchall()
        return [ChainEvent(name, _unjson(json.loads(args)), int(bn), bh, int(li), th, int(bt))
                for bn, bh, li, th, name, args, bt in rows]


@dataclass(frozen=True)
class PollResult:
    new_events: list[ChainEvent]
    reorged: bool
    cursor: int


class EventWatcher:
    """Reads one contract's events into an :class:`EventStore`."""

    def __init__(self, chain: Chain, contract: Contract, store: EventStore, *, start_block: int,
                 confirmations: int = 0, max_range: int = 2_000, name: str | None = None) -> None:
        self.chain = chain
        self.contract = contract
        self.store = store
        self.start_block = start_block
        self.confirmations = confirmations
        self.max_range = max_range
        self.name = name or f"events:{to_checksum_address(contract.address)}"
        self._topics: dict[bytes, Any] = {}
        for event_abi in contract.abi:
            if event_abi.get("type") == "event":
                event = contract.events[str(event_abi.get("name"))]
                self._topics[bytes(HexBytes(event.topic))] = event

    def _check_canonical(self) -> bool:
        """Roll back to the newest stored block that is still canonical; True if anything was rolled back."""
        cursor = self.store.cursor(self.name)
        if cursor is None:
            return False
        for number, stored_hash in self.store.known_blocks(cursor):
            if self._hash(number) == stored_hash:
                if number == cursor:
                    return False
                dropped = self.store.rewind(self.name, number)
                log.warning("chain reorganisation: blocks after %d changed; %d events rolled back and re-read",
                            number, dropped)
                return True
        dropped = self.store.rewind(self.name, self.start_block - 1)
        log.warning("chain reorganisation deeper than the stored blocks: %d events dropped, re-reading from block %d",
                    dropped, self.start_block)
        return True

    def poll(self) -> PollResult:
        """Read the next range of confirmed blocks (call repeatedly until it returns no events)."""
        reorged = self._check_canonical()
        cursor = self.store.cursor(self.name)
        start = self.start_block if cursor is None else cursor + 1
        head = self.chain.block_number() - self.confirmations
        if start > head:
            return PollResult([], reorged, start - 1)
        end = min(head, start + self.max_range - 1)
        end_hash = self._hash(end)
        logs = self.chain.w3.eth.get_logs({"address": self.contract.address, "fromBlock": start, "toBlock": end})
        events, times = [], {}
        for entry in logs:
            event = self._decode(entry)
            if event is None:
                continue
            number = int(entry["blockNumber"])
            if number not in times:
                try:
                    times[number] = self.chain.timestamp(number)
                except BlockNotFound:  # rolled back while being read: caught below
                    end_hash = None
                    break
            events.append(ChainEvent(event.event, dict(event.args), number, HexBytes(entry["blockHash"]).hex(),
                                     int(entry["logIndex"]), HexBytes(entry["transactionHash"]).hex(), times[number]))
        if end_hash is None or self._hash(end) != end_hash:
            # The chain reorganised while the logs were read: they may mix two chains. Store nothing; the next
            # poll sees the reorganisation (or not) and reads the range again.
            log.info("blocks %d..%d changed while their logs were read; reading them again", start, end)
            return PollResult([], reorged, start - 1)
        blocks = {e.block_number: e.block_hash for e in events}
        blocks[end] = end_hash
        self.store.save(self.name, events, blocks, end)
        return PollResult(events, reorged, end)

    def _hash(self, number: int) -> str | None:
        """The canonical hash of block ``number`` (None when the chain is shorter now: a rollback)."""
        try:
            return HexBytes(self.chain.w3.eth.get_block(number)["hash"]).hex()
        except BlockNotFound:
            return None

    def sync(self) -> list[ChainEvent]:
        """Poll until caught up with the confirmed head; returns the new events."""
        out: list[ChainEvent] = []
        while True:
            result = self.poll()
            out.extend(result.new_events)
            if result.cursor >= self.chain.block_number() - self.confirmations:
                return out

    def _decode(self, entry: Any) -> Any:
        topics = entry.get("topics") or []
        if not topics:
            return None
        event = self._topics.get(bytes(HexBytes(topics[0])))
        if event is None:
            return None
        try:
            return event.process_log(entry)
        except MismatchedABI:  # pragma: no cover - a log that does not match its own ABI
            return None


def iter_job_events(events: Sequence[ChainEvent], job_id: bytes) -> Iterator[ChainEvent]:
    """The events of one job (``Withdrawn`` carries no job and never appears)."""
    return (e for e in events if e.job_id == job_id)
