"""Protocol constants and the parameters that name a circuit build.

Everything here is fixed by the protocol (docs/protocol.md) and shared with the circuits and the contract:
changing a value changes every commitment, so each one has a single definition.
"""

from __future__ import annotations

from dataclasses import dataclass

from settlefl.errors import InputError

#: Words per Poseidon(16) block of the position-addressable words hash ``hW``.
BLOCK_SIZE = 16
#: Block hashes absorbed per chain step: ``h_k = Poseidon(h_{k-1}, next 15 block hashes)``.
CHAIN_CHUNK = 15
#: A word packs ``P_i + 2^160 * S_i``: the address takes the low 160 bits.
ADDRESS_BITS = 160
#: Totals (and so every participant's units) stay below ``2^93``; ``maxUnits < 2^93``.
UNITS_BITS = 93
#: Every word is below ``2^253`` (``2^160 * 2^93``): canonical, never aliased by ``w + p``.
WORD_BITS = 253
#: Rounds stay below ``2^32`` in the circuits: ``rs = sender + 2^160 * r`` (Transition, Receipt) is then
#: below ``2^192 < p``, so it decomposes uniquely (the contract's own limit on rounds is lower).
ROUND_BITS = 32
#: Default bit width ``K`` of one round's reward per participant.
DEFAULT_ROW_BITS = 32
#: Default (and maximum) number of participants that may join in one round.
DEFAULT_MAX_JOINS = 16
#: Share of the aggregator bond paid to the reward recipient on a fault, in basis points (rho = 10%).
RHO_BPS = 1000

UNITS_SHIFT = 1 << ADDRESS_BITS
ADDRESS_MASK = UNITS_SHIFT - 1
MAX_UNITS_LIMIT = 1 << UNITS_BITS


@dataclass(frozen=True)
class BuildParams:
    """The parameters of one circuit build, e.g. ``n800_b128_k32_j16``.

    * ``participants`` (N): slots in the state, a multiple of 16;
    * ``batch`` (B): slots per payout batch, a multiple of 16 (whole blocks), at most 256;
    * ``row_bits`` (K): a round adds ``v_i < 2^K`` units per participant;
    * ``max_joins`` (J): at most J participants join per round, J <= 16 so joins touch at most the
      two blocks around ``n``.
    """

    participants: int
    batch: int
    row_bits: int = DEFAULT_ROW_BITS
    max_joins: int = DEFAULT_MAX_JOINS

    def __post_init__(self) -> None:
        n, b = self.participants, self.batch
        if n <= 0 or n % BLOCK_SIZE:
            raise InputError(f"participants N = {n} must be a positive multiple of {BLOCK_SIZE}")
        if b <= 0 or b % BLOCK_SIZE or b > 256:
            raise InputError(f"batch B = {b} must be a positive multiple of {BLOCK_SIZE}, at most 256")
        if b > n:
            raise InputError(f"batch B = {b} is larger than the state (N = {n})")
        if not 1 <= self.row_bits <= 64:
            raise InputError(f"row bits K = {self.row_bits} must be in 1..64")
        if not 1 <= self.max_joins <= BLOCK_SIZE:
            raise InputError(f"max joins J = {self.max_joins} must be in 1..{BLOCK_SIZE}")

    @property
    def name(self) -> str:
        """The build name used for directories, verifiers and manifests."""
        return f"n{self.participants}_b{self.batch}_k{self.row_bits}_j{self.max_joins}"

    @property
    def blocks(self) -> int:
        return self.participants // BLOCK_SIZE

    @property
    def batches(self) -> int:
        """Payout batches needed to cover all N slots (the last one may be partial)."""
        return -(-self.participants // self.batch)

    @classmethod
    def from_name(cls, name: str) -> BuildParams:
        """Parse ``n800_b128_k32_j16`` back into parameters."""
        try:
            parts = dict((p[0], int(p[1:])) for p in name.split("_"))
            return cls(parts["n"], parts["b"], parts["k"], parts["j"])
        except (KeyError, ValueError, IndexError) as exc:
            raise InputError(f"{name!r} is not a build name like n800_b128_k32_j16") from exc
