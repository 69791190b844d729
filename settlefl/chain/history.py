"""The contract's rolling hash of committed rounds, mirrored off chain, and the histories calls carry.

The contract stores no slot per round: its head holds ``H_tip``, where ``H_{-1} = 0`` and
``H_r = keccak256(abi.encode(H_{r-1}, r, C_r, t_r)) >> 56`` (200 bits: the aggregator writes the history
itself, so a collision would let it equivocate; 200 bits keep 100-bit collision resistance), and every
16th round's hash is also stored as a checkpoint. A call that needs committed rounds carries a
:class:`History`: consecutive rounds whose hashes fold into the stored hash at the last one (the head when
it is the tip, else a checkpoint). A client keeps :class:`RoundLog` -- every ``(C_r, t_r)`` from the
``RoundCommitted`` events and block times -- and builds the shortest history a call needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from eth_abi import encode
from eth_utils import keccak

from settlefl.errors import InputError

#: Every ``CHECKPOINT_INTERVAL``-th round's hash is stored (``SettleFL.CHECKPOINT_INTERVAL``).
CHECKPOINT_INTERVAL = 16
#: The most links a history may carry (``SettleFL.MAX_HISTORY``).
MAX_HISTORY = CHECKPOINT_INTERVAL + 1
#: The rolling hash keeps the top 200 bits of keccak256.
HASH_SHIFT = 56


class HistoryError(InputError):
    """A history cannot be built from what the client knows (a round it never saw, or past the tip)."""


def link_hash(before: int, round_number: int, commitment: int, time: int) -> int:
    """``keccak256(abi.encode(before, round, commitment, time)) >> 56``, as the contract computes it."""
    digest = keccak(encode(["uint256"] * 4, [before, round_number, commitment, time]))
    return int.from_bytes(digest, "big") >> HASH_SHIFT


@dataclass(frozen=True)
class Link:
    """One committed round as the chain hashes it."""

    commitment: int
    time: int


@dataclass(frozen=True)
class History:
    """Rounds ``last + 1 - len(links) .. last`` and the hash of the round before the first."""

    before: int
    last: int
    links: tuple[Link, ...]

    @property
    def first(self) -> int:
        return self.last + 1 - len(self.links)

    def as_abi(self) -> tuple[int, int, list[tuple[int, int]]]:
        """The ``(before, last, links)`` tuple web3 encodes as the ``History`` struct."""
        return (self.before, self.last, [(link.commitment, link.time) for link in self.links])

    def fold(self) -> int:
        """The hash of round ``last`` this history claims (the contract compares it with its storage)."""
        h = self.before
        for offset, link in enumerate(self.links):
            h = link_hash(h, self.first + offset, link.commitment, link.time)
        return h


@dataclass
class RoundLog:
    """Every committed round of one job as a client saw it, and the rolling hashes they make.

    Rounds are appended in order (genesis first). A rollback (a fault at round ``r``) truncates the log to
    rounds ``0 .. r - 1``: rounds above the tip are void.
    """

    links: list[Link] = field(default_factory=list)
    hashes: list[int] = field(default_factory=list)

    @property
    def tip(self) -> int:
        if not self.links:
            raise HistoryError("no round is known yet (not even the genesis)")
        return len(self.links) - 1

    def append(self, round_number: int, commitment: int, time: int) -> None:
        """Record round ``round_number``; it must be the next one."""
        if round_number != len(self.links):
            raise HistoryError(f"round {round_number} arrived but round {len(self.links)} was expected next")
        before = self.hashes[-1] if self.hashes else 0
        self.links.append(Link(commitment, time))
        self.hashes.append(link_hash(before, round_number, commitment, time))

    def truncate(self, tip: int) -> None:
        """Forget rounds above ``tip`` (after a rollback, or a chain reorganisation)."""
        del self.links[tip + 1 :]
        del self.hashes[tip + 1 :]

    def head_hash(self) -> int:
        return self.hashes[self.tip]

    def history(self, first: int, last: int) -> History:
        """Rounds ``first .. last`` exactly (the caller chooses where it ends)."""
        if not 0 <= first <= last <= self.tip:
            raise HistoryError(f"rounds {first}..{last} are not all known (known: 0..{self.tip})")
        before = self.hashes[first - 1] if first > 0 else 0
        return History(before, last, tuple(self.links[first : last + 1]))

    def cover(self, first: int, last: int) -> History:
        """The shortest valid history covering rounds ``first .. last``: it ends at the next checkpoint at or
        above ``last``, or at the tip. Covering ``r - 1, r`` never takes more than ``MAX_HISTORY`` links."""
        tip = self.tip
        if last > tip:
            raise HistoryError(f"round {last} is above the tip {tip}")
        end = max(CHECKPOINT_INTERVAL, -(-last // CHECKPOINT_INTERVAL) * CHECKPOINT_INTERVAL)
        history = self.history(first, min(end, tip))
        if len(history.links) > MAX_HISTORY:
            raise HistoryError(
                f"rounds {first}..{last} need {len(history.links)} links; a call carries at most {MAX_HISTORY}"
            )
        return history

    def around(self, round_number: int) -> History:
        """A history covering rounds ``round - 1`` and ``round`` (what every dispute path accepts)."""
        return self.cover(max(round_number - 1, 0), round_number)

    def tip_history(self) -> History:
        """One link: the tip (finalize, openPayouts, payout, commitWithProof)."""
        return self.history(self.tip, self.tip)

    @classmethod
    def from_links(cls, links: Sequence[tuple[int, int]]) -> RoundLog:
        log = cls()
        for r, (commitment, time) in enumerate(links):
            log.append(r, commitment, time)
        return log
