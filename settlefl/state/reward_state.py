"""The reward state of a job after a round, and the rules by which one round may change it.

A state is ``N`` packed words (``P_i + 2^160 * S_i``), the number ``n`` of used slots, the ``total`` of
all units, plus the job constants it is committed with (``domain``, ``maxUnits``), its round number and
its salt. A round adds ``v_i`` in ``[0, 2^K)`` to every used slot and may append up to ``J`` participants
after the used slots; nothing is ever removed, reordered or decreased, and the total never exceeds
``maxUnits``. These are exactly the rules the Transition circuit proves; this module is its off-circuit
reference, so every refusal names the participant and the rule it breaks.

The checking path (:meth:`RewardState.update_to`, which participants, responders and
``transition_inputs`` use) accepts exactly what the circuit accepts: a participant that refused a round
the circuit can prove would challenge it and lose its bond, or could not answer a challenge of it. One
payee in two slots (a join repeating an existing payee, or listed twice among the joins) is such a round:
harmless for money, since each slot is paid its own units. Refusing it is only the aggregator's own
policy, so that nobody's work is booked twice by mistake: :meth:`RewardState.genesis` and
:meth:`RewardState.apply_round` refuse it unless ``allow_duplicate_payees`` is set (docs/decisions.md,
"Duplicate payees").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from settlefl.crypto.field import check_field_element
from settlefl.errors import InputError
from settlefl.params import MAX_UNITS_LIMIT, ROUND_BITS, UNITS_BITS, UNITS_SHIFT, BuildParams
from settlefl.state.commitment import commitment, words_hash
from settlefl.state.ids import GENESIS_SALT
from settlefl.state.words import AddressLike, address_to_int, int_to_address, pack_word, unpack_word


class InvalidRound(InputError):
    """A round update or a successor state that breaks a protocol rule."""


class InvalidState(InputError):
    """A state that no sequence of valid rounds can reach (so no proof can ever open it)."""


@dataclass(frozen=True)
class Join:
    """A participant joining this round, with the units it earns in the round it joins."""

    address: AddressLike
    units: int = 0


@dataclass(frozen=True)
class RoundUpdate:
    """One round's rewards: ``units`` for existing slots (slot -> v) and the participants who join.

    Rows are a sequence of ``(slot, units)`` pairs rather than a mapping so that a duplicated slot is
    reported instead of silently overwritten. Slots without a row get 0.
    """

    rows: Sequence[tuple[int, int]] = ()
    joins: Sequence[Join] = ()


def _who(address: int, slot: int) -> str:
    return f"participant {int_to_address(address)} (slot {slot})"


@dataclass(frozen=True)
class RewardState:
    """An immutable reward state; :meth:`apply_round` returns the next one."""

    params: BuildParams
    domain: int
    max_units: int
    round: int
    words: tuple[int, ...]
    n: int
    total: int
    salt: int

    def __post_init__(self) -> None:
        check_field_element(self.domain, "domain")
        check_field_element(self.salt, "salt")
        if not 0 < self.max_units < MAX_UNITS_LIMIT:
            raise InvalidState(f"maxUnits = {self.max_units} must be in (0, 2^{UNITS_BITS})")
        if self.round < 0:
            raise InvalidState(f"round {self.round} is negative")
        if len(self.words) != self.params.participants:
            raise InvalidState(
                f"the state has {len(self.words)} words; build {self.params.name} has N = "
                f"{self.params.participants}"
            )
        if not 1 <= self.n <= self.params.participants:
            raise InvalidState(f"n = {self.n} must be in 1..{self.params.participants}")
        units_sum = 0
        for slot, word in enumerate(self.words):
            address, units = unpack_word(word)
            if slot >= self.n:
                if word:
                    raise InvalidState(f"slot {slot} is past n = {self.n} but its word is not zero")
                continue
            if address == 0:
                raise InvalidState(f"slot {slot} is used (n = {self.n}) but has the zero address")
            units_sum += units
        if self.total != units_sum:
            raise InvalidState(f"total = {self.total} but the participants' units add up to {units_sum}")
        if self.total > self.max_units:
            raise InvalidState(f"total = {self.total} exceeds maxUnits = {self.max_units}")
        if self.round == 0 and (self.total != 0 or self.salt != GENESIS_SALT):
            raise InvalidState("the genesis state (round 0) has total 0 and salt 0")

    # ------------------------------------------------------------------ construction

    @classmethod
    def genesis(
        cls,
        params: BuildParams,
        domain: int,
        max_units: int,
        addresses: Iterable[AddressLike],
        *,
        allow_duplicate_payees: bool = False,
    ) -> RewardState:
        """Round 0: the initial participants with zero units, salt 0.

        An address listed twice is refused unless ``allow_duplicate_payees``: the aggregator's policy, not
        a protocol rule (the Opening circuit and the contract accept it).
        """
        ints = [address_to_int(a, f"initial participant #{i}") for i, a in enumerate(addresses)]
        if not ints:
            raise InvalidState("a job starts with at least one participant (n >= 1)")
        if len(ints) > params.participants:
            raise InvalidState(f"{len(ints)} initial participants do not fit build {params.name}")
        if not allow_duplicate_payees:
            _refuse_duplicates(ints, {}, InvalidState)
        words = tuple(ints) + (0,) * (params.participants - len(ints))
        return cls(params, domain, max_units, 0, words, len(ints), 0, GENESIS_SALT)

    # ------------------------------------------------------------------ views

    @cached_property
    def words_hash(self) -> int:
        """``hW`` of all N words."""
        return words_hash(self.words)

    @cached_property
    def commitment(self) -> int:
        """``C_r`` of this state."""
        return commitment(
            self.domain, self.round, self.n, self.total, self.max_units, self.words_hash, self.salt
        )

    @property
    def budget_left(self) -> int:
        """Units the aggregator may still hand out before reaching ``maxUnits``."""
        return self.max_units - self.total

    def to_json(self) -> dict[str, Any]:
        """The project's one JSON form of a state: what opens its commitment (``round``, ``n``, ``total``,
        ``salt``, the ``n`` used words) and the ``commitment``, big integers as decimal strings.

        Receipts (:class:`~settlefl.state.receipt.Opening`), the published test vectors and the Foundry
        fixtures all write states this way, so a state read by one reads the same in the others.
        """
        return {
            "round": self.round, "n": self.n, "total": str(self.total), "salt": str(self.salt),
            "words": [str(word) for word in self.words[: self.n]], "commitment": str(self.commitment),
        }

    def participants(self) -> list[tuple[int, int]]:
        """``(address, units)`` of the used slots, in slot order."""
        return [unpack_word(w) for w in self.words[: self.n]]

    # ------------------------------------------------------------------ the round rule

    def apply_round(self, update: RoundUpdate, salt: int, *, allow_duplicate_payees: bool = False) -> RewardState:
        """Return the state of round ``r + 1``, or raise :class:`InvalidRound` naming the broken rule.

        A join that repeats a payee already in the job, or one listed twice among the joins, is refused
        unless ``allow_duplicate_payees``: that refusal is the aggregator's policy (never book one
        participant twice by mistake), not a rule of the Transition circuit, which accepts such a round.
        """
        k, limit = self.params.row_bits, 1 << self.params.row_bits
        _check_round_number(self.round + 1)
        words = list(self.words)
        existing = {addr: slot for slot, (addr, _) in enumerate(self.participants())}
        seen: set[int] = set()
        added = 0
        for slot, units in update.rows:
            if isinstance(slot, bool) or not isinstance(slot, int) or not 0 <= slot < self.n:
                raise InvalidRound(f"unknown slot {slot!r}: the state has {self.n} participants")
            address, _ = unpack_word(words[slot])
            who = _who(address, slot)
            if slot in seen:
                raise InvalidRound(f"{who} has two rows this round; give one row per participant")
            seen.add(slot)
            added += _check_row(units, who, k, limit)
            words[slot] += units * UNITS_SHIFT
        if len(update.joins) > self.params.max_joins:
            raise InvalidRound(
                f"{len(update.joins)} participants join this round; build {self.params.name} allows at "
                f"most J = {self.params.max_joins}"
            )
        if self.n + len(update.joins) > self.params.participants:
            raise InvalidRound(
                f"{len(update.joins)} joins would take n from {self.n} past N = {self.params.participants}"
            )
        try:
            joined = [address_to_int(j.address, f"joining participant #{i}") for i, j in enumerate(update.joins)]
        except ValueError as exc:
            raise InvalidRound(str(exc)) from exc
        if not allow_duplicate_payees:
            _refuse_duplicates(joined, existing, InvalidRound)
        for offset, (address, join) in enumerate(zip(joined, update.joins, strict=True)):
            slot = self.n + offset
            added += _check_row(join.units, _who(address, slot), k, limit)
            words[slot] = pack_word(address, join.units)
        total = self.total + added
        if total > self.max_units:
            raise InvalidRound(
                f"this round hands out {added} units but only {self.budget_left} remain "
                f"(total would be {total} > maxUnits = {self.max_units})"
            )
        return RewardState(
            self.params, self.domain, self.max_units, self.round + 1, tuple(words),
            self.n + len(update.joins), total, salt,
        )

    def update_to(self, successor: RewardState) -> RoundUpdate:
        """The round update that turns this state into ``successor``, checking every Transition rule and
        nothing else: it accepts exactly the pairs of (valid) states the Transition circuit accepts.

        This is how a participant checks a receipt against the previous one before doing more work, and
        how a responder decides it can answer a challenge; refusing a round the circuit proves would make
        an honest client challenge it (and lose its bond) or leave it unable to answer a challenge of it.
        So a payee in two slots is accepted here (the aggregator's own policy refuses to make one).
        """
        if successor.params != self.params:
            raise InvalidRound("the two states come from different builds")
        if (successor.domain, successor.max_units) != (self.domain, self.max_units):
            raise InvalidRound("the two states belong to different jobs (domain or maxUnits differ)")
        if successor.round != self.round + 1:
            raise InvalidRound(f"round {successor.round} does not follow round {self.round}")
        _check_round_number(successor.round)
        if not self.n <= successor.n <= self.n + self.params.max_joins:
            raise InvalidRound(
                f"n goes from {self.n} to {successor.n}; a round may only add 0..{self.params.max_joins}"
            )
        rows: list[tuple[int, int]] = []
        for slot, (old, new) in enumerate(zip(self.participants(), successor.participants(), strict=False)):
            if new[0] != old[0]:
                raise InvalidRound(
                    f"{_who(old[0], slot)} was replaced by {int_to_address(new[0])}: addresses never change"
                )
            if new[1] < old[1]:
                raise InvalidRound(f"{_who(old[0], slot)} would lose units ({old[1]} -> {new[1]})")
            if new[1] > old[1]:
                rows.append((slot, new[1] - old[1]))
        joins = [Join(a, u) for a, u in successor.participants()[self.n :]]
        expected = self.apply_round(RoundUpdate(rows, joins), successor.salt, allow_duplicate_payees=True)
        if expected.words != successor.words:  # pragma: no cover - implied by the checks above
            raise InvalidRound("the successor's words are not reachable in one round")
        return RoundUpdate(rows, joins)


def _check_round_number(r: int) -> None:
    # The Transition circuit range-checks r < 2^32 (rs = sender + 2^160 * r must decompose uniquely).
    if r >= 1 << ROUND_BITS:
        raise InvalidRound(f"round {r} is at or above 2^{ROUND_BITS}: the Transition circuit proves no such round")


def _check_row(units: int, who: str, k: int, limit: int) -> int:
    if isinstance(units, bool) or not isinstance(units, int):
        raise InvalidRound(f"{who}: units must be an integer, got {units!r}")
    if units < 0:
        raise InvalidRound(f"{who}: units {units} are negative; a round can only add units")
    if units >= limit:
        raise InvalidRound(f"{who}: units {units} are at or above 2^{k}, the build's per-round limit (K)")
    return units


def _refuse_duplicates(joined: Sequence[int], existing: dict[int, int], error: type[InputError]) -> None:
    # Policy, not protocol: the circuits accept one payee in two slots (harmless for money, each slot is
    # paid its own units); an aggregator refuses to make such a state so that it never books one
    # participant's work twice by mistake. Checking a round (update_to) never calls this.
    seen: set[int] = set()
    for address in joined:
        if address in existing:
            raise error(f"{_who(address, existing[address])} is already in the job; it cannot join twice")
        if address in seen:
            raise error(f"participant {int_to_address(address)} is listed twice among the joining participants")
        seen.add(address)
