"""Differential test of the round rule: the participant's check accepts exactly what the circuit accepts.

Hundreds of pairs of states, drawn with a seeded RNG around every edge of the round rule, go both to the
Python relation (both states load as :class:`RewardState`, then :meth:`RewardState.update_to`) and to the
Transition circuit's witness generator; every pair must get the same verdict (issue 9: a check stricter
than the circuit makes an honest client challenge a provable round and lose its bond, or leaves it
unable to answer a challenge; a looser one lets it accept a round nobody can prove).

The circuit's inputs are built from the two states' words alone, never through ``update_to`` or
``transition_inputs``, so invalid pairs reach the circuit too. The witness is the only one that can
exist: outside ``[nPrev, nNew)`` the circuit forces ``addr_i = 0``, which fixes
``v_i = (w'_i - w_i) / 2^160``; inside, ``addr_i < 2^160`` and ``v_i < 2^K`` leave one split of
``w'_i - w_i`` below ``2^192 < p``. So the witness generator refuses a pair exactly when no witness opens
the two commitments (up to a Poseidon collision), and the circuit's verdict here is the relation's.

The pairs' previous states are states a chain can hold: reached from a genesis the contract accepted
(an Opening of salt 0, ``n >= 1``, ``0 < maxUnits < 2^93``) by rounds the circuit accepts. The circuit
checks what a round changes and takes the rest of the previous state on trust by that induction (its
total is the sum of its units, its used addresses are non-zero, its words are below 2^253); the last
test here pins that boundary. Every accepted pair's new state is again such a state (Python loads it).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from settlefl.circuits.spec import Circuit
from settlefl.circuits.witness import WitnessJob, sender_int
from settlefl.errors import InputError
from settlefl.params import ADDRESS_BITS, ADDRESS_MASK, MAX_UNITS_LIMIT, UNITS_SHIFT, BuildParams
from settlefl.state import RewardState, commitment, words_hash
from tests.circuits.conftest import DOMAIN, RESPONDER, Witness, build_dir
from tests.circuits.sealing import P

SEED = 0x5E771E9
SENDER = sender_int(RESPONDER)


@dataclass(frozen=True)
class Raw:
    """An opening as anyone may claim it: no rule checked (so invalid states can be played)."""

    round: int
    n: int
    total: int
    salt: int
    words: tuple[int, ...]
    max_units: int
    domain: int = DOMAIN


@dataclass(frozen=True)
class Case:
    label: str
    prev: Raw
    new: Raw
    valid: bool  # what the case was built to be; both sides must say so


# --------------------------------------------------------------------------------------------- the two sides


def python_accepts(params: BuildParams, case: Case) -> bool:
    """The participant's check: both openings load as states and the second follows from the first."""
    try:
        prev, new = (
            RewardState(params, s.domain, s.max_units, s.round, s.words, s.n, s.total, s.salt)
            for s in (case.prev, case.new)
        )
        prev.update_to(new)
    except InputError:
        return False
    return True


def _commitment(s: Raw) -> int:
    return commitment(
        s.domain % P,
        s.round % P,
        s.n % P,
        s.total % P,
        s.max_units % P,
        words_hash([w % P for w in s.words]),
        s.salt % P,
    )


def circuit_inputs(case: Case) -> dict[str, Any]:
    """The Transition inputs from the two openings' words (the only witness there can be, see above)."""
    prev, new = case.prev, case.new
    inverse = pow(UNITS_SHIFT, -1, P)
    v, addr = [0] * len(prev.words), [0] * len(prev.words)
    for i, (before, after) in enumerate(zip(prev.words, new.words, strict=True)):
        d = (after - before) % P
        if prev.n <= i < new.n:
            addr[i], v[i] = d & ADDRESS_MASK, d >> ADDRESS_BITS
        else:
            v[i] = d * inverse % P
    return {
        "C_prev": _commitment(prev),
        "C_new": _commitment(new),
        "rs": (SENDER + (new.round << ADDRESS_BITS)) % P,
        "r": new.round % P,
        "sender": SENDER,
        "domain": prev.domain,
        "maxUnits": prev.max_units,
        "wordsPrev": list(prev.words),
        "nPrev": prev.n,
        "totalPrev": prev.total,
        "saltPrev": prev.salt,
        "v": v,
        "addr": addr,
        "nNew": new.n,
        "saltNew": new.salt,
    }


# ------------------------------------------------------------------------------------------------ the pairs


@dataclass
class Round:
    """A previous state and one round over it, before anything is checked."""

    params: BuildParams
    parts: list[tuple[int, int]]  # (address, units) of the used slots
    round: int
    rows: list[int]  # v per used slot
    joins: list[tuple[int, int]]  # (address, units) appended after the used slots
    slack: int = 0  # maxUnits - the new total

    def states(self) -> tuple[Raw, Raw]:
        size = self.params.participants
        prev_words = [a + UNITS_SHIFT * u for a, u in self.parts]
        new_words = [w + UNITS_SHIFT * v for w, v in zip(prev_words, self.rows, strict=True)]
        new_words += [a + UNITS_SHIFT * u for a, u in self.joins]
        prev_total = sum(u for _, u in self.parts)
        new_total = prev_total + sum(self.rows) + sum(u for _, u in self.joins)
        max_units = new_total + self.slack
        prev = Raw(
            self.round,
            len(self.parts),
            prev_total,
            0 if self.round == 0 else 1000 + self.round,
            _pad(prev_words, size),
            max_units,
        )
        new = Raw(
            self.round + 1,
            len(self.parts) + len(self.joins),
            new_total,
            2000 + self.round,
            _pad(new_words, size),
            max_units,
        )
        return prev, new


def with_word(state: Raw, slot: int, word: int, total: int | None = None) -> Raw:
    """``state`` with one word replaced (and its total, when given)."""
    words = list(state.words)
    words[slot] = word
    return replace(state, words=tuple(words), total=state.total if total is None else total)


def _pad(words: list[int], size: int) -> tuple[int, ...]:
    return tuple(words[:size] + [0] * (size - len(words)))


class Draw:
    """Seeded draws of addresses, units and honest rounds at the edges of the build."""

    def __init__(self, params: BuildParams, seed: int) -> None:
        self.params = params
        self.rng = random.Random(seed)
        self.k = params.row_bits

    def address(self) -> int:
        kind = self.rng.randrange(3)
        if kind == 0:
            return self.rng.randrange(1, 1 << 16)
        if kind == 1:
            return (1 << ADDRESS_BITS) - self.rng.randrange(1, 1 << 16)
        return self.rng.randrange(1, 1 << ADDRESS_BITS)

    def units(self) -> int:
        kind = self.rng.randrange(4)
        if kind == 0:
            return 0
        if kind == 1:
            return self.rng.randrange(1, 100)
        if kind == 2:
            return (1 << self.k) - 1
        return self.rng.randrange(1 << self.k)

    def n_prev(self) -> int:
        n = self.params.participants
        return self.rng.choice(
            [1, 2, 15, 16, 17, 31, n - self.params.max_joins, n - 1, n, self.rng.randrange(1, n + 1)]
        )

    def round(self, n_prev: int, joins: int | None = None, *, first: bool | None = None) -> Round:
        """An honest round over a random reachable state (``joins``: how many join; default random)."""
        first = self.rng.random() < 0.15 if first is None else first
        r = 0 if first else self.rng.choice([1, 2, 3, self.rng.randrange(4, 1 << 20)])
        held = 0 if first else self.rng.choice([0, 1 << 40, 1 << 80])
        parts = [(self.address(), 0 if first else self.rng.randrange(held + 1)) for _ in range(n_prev)]
        room = min(self.params.max_joins, self.params.participants - n_prev)
        count = self.rng.randrange(room + 1) if joins is None else joins
        rows = [self.units() if self.rng.random() < 0.7 else 0 for _ in range(n_prev)]
        new = [(self.address(), self.units()) for _ in range(count)]
        return Round(self.params, parts, r, rows, new, self.rng.choice([0, 1, 1 << 20, 1 << 70]))


def cases(params: BuildParams, seed: int, repeat: int) -> list[Case]:
    """Every kind of pair, each drawn ``repeat`` times (random honest rounds four times as often)."""
    draw = Draw(params, seed)
    rng = draw.rng
    n_max, j, k = params.participants, params.max_joins, params.row_bits
    out: list[Case] = []
    Edit = Callable[[Raw, Raw], tuple[Raw, Raw]]

    def make(label: str, valid: bool, rnd: Round, edit: Edit | None = None) -> None:
        prev, new = rnd.states()
        if edit is not None:
            prev, new = edit(prev, new)
        out.append(Case(label, prev, new, valid))

    def joining(count: int) -> Round:
        """An honest round of ``count`` joins over a random nPrev that leaves room for them."""
        return draw.round(rng.randrange(1, n_max - count + 1), joins=count)

    def other_address(than: int) -> int:
        while (address := draw.address()) == than:
            pass
        return address

    for _ in range(4 * repeat):
        make("an honest round", True, draw.round(draw.n_prev()))

    for _ in range(repeat):
        # ---- duplicate payees: the circuit accepts them, so the check must ----------------------------------
        rnd = joining(rng.randrange(1, j + 1))
        rnd.joins[rng.randrange(len(rnd.joins))] = (rng.choice(rnd.parts)[0], draw.units())
        make("a join repeats an existing payee", True, rnd)

        rnd = joining(rng.randrange(2, j + 1))
        a, b = rng.sample(range(len(rnd.joins)), 2)
        rnd.joins[b] = (rnd.joins[a][0], draw.units())
        make("two equal joins", True, rnd)

        rnd = joining(j)
        existing = rng.choice(rnd.parts)[0]
        rnd.joins = [(existing, draw.units()) for _ in range(j)]
        make("every join repeats one existing payee", True, rnd)

        rnd = draw.round(max(2, draw.n_prev()))
        rnd.parts[-1] = (rnd.parts[0][0], rnd.parts[-1][1])
        make("the previous state already holds a payee twice", True, rnd)

        # ---- joins at the window's edges (the blocks around nPrev) ------------------------------------------
        for n_prev in dict.fromkeys((15, 16, 31, 16 - j, 32 - j, n_max - j)):
            if 1 <= n_prev <= n_max - j:
                make(f"J joins from nPrev = {n_prev}", True, draw.round(n_prev, joins=j))
            if 1 <= n_prev <= n_max - j - 1:
                make(f"J + 1 joins from nPrev = {n_prev}", False, draw.round(n_prev, joins=j + 1))
        make("one join into the last slot", True, draw.round(n_max - 1, joins=1))
        make("a full state, no joins", True, draw.round(n_max, joins=0))
        for n_prev, count in ((n_max - 1, 2), (n_max, 1), (n_max - j + 1, j)):
            make(f"{count} joins from nPrev = {n_prev}, past N", False, draw.round(n_prev, joins=count))
        rnd = draw.round(draw.n_prev(), joins=0)
        rnd.rows = [0] * len(rnd.rows)
        make("an empty round", True, rnd)

        # ---- rows of K bits ---------------------------------------------------------------------------------
        rnd = draw.round(draw.n_prev(), joins=0)
        rnd.rows[rng.randrange(len(rnd.rows))] = (1 << k) - 1
        make("a row of 2^K - 1", True, rnd)
        rnd = draw.round(draw.n_prev(), joins=0)
        rnd.rows[rng.randrange(len(rnd.rows))] = 1 << k
        make("a row of 2^K", False, rnd)
        rnd = joining(1)
        rnd.joins[0] = (rnd.joins[0][0], (1 << k) - 1)
        make("a join earning 2^K - 1", True, rnd)
        rnd = joining(1)
        rnd.joins[0] = (rnd.joins[0][0], 1 << k)
        make("a join earning 2^K", False, rnd)

        # ---- the budget -------------------------------------------------------------------------------------
        rnd = draw.round(draw.n_prev())
        rnd.slack = 0
        make("a total exactly at maxUnits", True, rnd)
        rnd = draw.round(draw.n_prev())
        rnd.rows[0] = max(rnd.rows[0], 2)
        rnd.slack = -1
        make("a total one above maxUnits", False, rnd)
        rnd = draw.round(draw.n_prev(), first=False)
        rnd.rows[0] = max(rnd.rows[0], 1)
        top = MAX_UNITS_LIMIT - 1 - sum(rnd.rows) - sum(u for _, u in rnd.joins)
        rnd.parts = [(rnd.parts[0][0], top)] + [(a, 0) for a, _ in rnd.parts[1:]]
        rnd.slack = 0
        make("a total of 2^93 - 1, at maxUnits", True, rnd)

        # ---- nothing is removed, reordered or decreased -----------------------------------------------------
        rnd = draw.round(draw.n_prev(), first=False)
        slot = rng.randrange(len(rnd.parts))
        rnd.parts[slot] = (rnd.parts[slot][0], rnd.parts[slot][1] + 1)
        rnd.rows[slot] = 0

        def decrease(prev: Raw, new: Raw, slot: int = slot) -> tuple[Raw, Raw]:
            return prev, with_word(new, slot, new.words[slot] - UNITS_SHIFT, new.total - 1)

        make("a decreased unit", False, rnd, decrease)

        rnd = draw.round(max(2, draw.n_prev()), first=False)
        rnd.parts[0] = (rnd.parts[0][0], rnd.parts[0][1] + 1)
        rnd.rows = [0, 1] + [0] * (len(rnd.rows) - 2)

        def move(prev: Raw, new: Raw) -> tuple[Raw, Raw]:  # slot 0 pays slot 1's unit: the total is unchanged
            return prev, with_word(new, 0, new.words[0] - UNITS_SHIFT, new.total - 1)

        make("a unit moved between participants", False, rnd, move)

        rnd = draw.round(draw.n_prev())
        slot = rng.randrange(len(rnd.parts))

        def readdress(prev: Raw, new: Raw, slot: int = slot) -> tuple[Raw, Raw]:
            old = new.words[slot] & ADDRESS_MASK
            return prev, with_word(new, slot, new.words[slot] - old + other_address(old))

        make("a changed address", False, rnd, readdress)

        rnd = draw.round(max(2, draw.n_prev()), joins=0)

        def swap(prev: Raw, new: Raw) -> tuple[Raw, Raw]:
            a, b = new.words[0] & ADDRESS_MASK, new.words[1] & ADDRESS_MASK
            return prev, with_word(with_word(new, 0, new.words[0] - a + b), 1, new.words[1] - b + a)

        make("two addresses swapped", rnd.parts[0][0] == rnd.parts[1][0], rnd, swap)

        rnd = draw.round(draw.n_prev(), joins=0)

        def drop_last(prev: Raw, new: Raw) -> tuple[Raw, Raw]:
            last = new.n - 1
            gone = with_word(new, last, 0, new.total - (new.words[last] >> ADDRESS_BITS))
            return prev, replace(gone, n=last)

        make("the last participant dropped", False, rnd, drop_last)

        # ---- joins that are not payees ----------------------------------------------------------------------
        rnd = joining(rng.randrange(1, j + 1))
        rnd.joins[rng.randrange(len(rnd.joins))] = (0, rng.choice([0, draw.units()]))
        make("a zero-address join", False, rnd)

        # ---- words past n -----------------------------------------------------------------------------------
        rnd = draw.round(rng.randrange(1, n_max), joins=0)

        def word_past_new(prev: Raw, new: Raw) -> tuple[Raw, Raw]:
            word = rng.choice([1, draw.address() + UNITS_SHIFT * draw.units()])
            return prev, with_word(new, rng.randrange(new.n, n_max), word)

        make("a non-zero word past the new n", False, rnd, word_past_new)

        rnd = draw.round(rng.randrange(1, n_max), joins=0)

        def word_past_prev(prev: Raw, new: Raw) -> tuple[Raw, Raw]:
            slot, word = rng.randrange(prev.n, n_max), draw.address() + UNITS_SHIFT * rng.randrange(4)
            return with_word(prev, slot, word), with_word(new, slot, word)

        make("a non-zero word past the previous n, kept", False, rnd, word_past_prev)

        rnd = draw.round(rng.randrange(1, n_max), joins=0)

        def join_without_n(prev: Raw, new: Raw) -> tuple[Raw, Raw]:
            return prev, with_word(new, new.n, draw.address() + UNITS_SHIFT * 3, new.total + 3)

        make("a join without raising n", False, rnd, join_without_n)

        # ---- n beyond N -------------------------------------------------------------------------------------
        for beyond in (n_max + 1, n_max + 16, 1 << 64):

            def raise_n(prev: Raw, new: Raw, beyond: int = beyond) -> tuple[Raw, Raw]:
                return prev, replace(new, n=beyond)

            make(f"nNew = {beyond}, beyond N", False, draw.round(n_max, joins=0), raise_n)
        make(
            "nPrev beyond N",
            False,
            draw.round(n_max, joins=0),
            lambda prev, new: (replace(prev, n=n_max + 1), replace(new, n=n_max + 1)),
        )

        # ---- the header -------------------------------------------------------------------------------------
        rnd = draw.round(draw.n_prev())
        make("a round skipped", False, rnd, lambda prev, new: (prev, replace(new, round=new.round + 1)))
        make("the same round again", False, rnd, lambda prev, new: (prev, replace(new, round=prev.round)))
        rnd = draw.round(draw.n_prev(), first=False)
        rnd.round = (1 << 32) - 2
        make("round 2^32 - 1", True, rnd)
        rnd = draw.round(draw.n_prev(), first=False)
        rnd.round = (1 << 32) - 1
        make("round 2^32", False, rnd)
        make(
            "another domain",
            False,
            draw.round(draw.n_prev()),
            lambda prev, new: (prev, replace(new, domain=DOMAIN + 1)),
        )
        rnd = draw.round(draw.n_prev())
        rnd.slack = max(rnd.slack, 2)
        make("another maxUnits", False, rnd, lambda prev, new: (prev, replace(new, max_units=new.max_units - 1)))
        rnd = draw.round(draw.n_prev())
        rnd.slack = max(rnd.slack, 2)
        make("a total above the units' sum", False, rnd, lambda prev, new: (prev, replace(new, total=new.total + 1)))
        rnd = draw.round(draw.n_prev())
        rnd.rows[0] = max(rnd.rows[0], 1)
        make("a total below the units' sum", False, rnd, lambda prev, new: (prev, replace(new, total=new.total - 1)))
        rnd = draw.round(draw.n_prev(), first=True)
        rnd.parts[0] = (rnd.parts[0][0], 5)
        make("a first round over a genesis with units", False, rnd)
        make("a new salt of p - 1", True, draw.round(draw.n_prev()), lambda prev, new: (prev, replace(new, salt=P - 1)))
    return out


# ------------------------------------------------------------------------------------------------- the tests


@pytest.mark.slow
def test_the_check_and_the_circuit_agree_on_every_pair(witness: Witness, tmp_path: Path) -> None:
    params = witness.manifest.params
    batch = cases(params, SEED, repeat=6)
    started = time.perf_counter()
    python = [python_accepts(params, case) for case in batch]
    inputs = [circuit_inputs(case) for case in batch]
    middle = time.perf_counter()
    wasm = witness.manifest.path(build_dir(), Circuit.TRANSITION, "wasm")
    out = tmp_path / "w.wtns"  # one file, overwritten: only the verdicts matter
    errors = witness.calculator.run([WitnessJob(Circuit.TRANSITION.value, wasm, i, out) for i in inputs])
    done = time.perf_counter()
    print(
        f"\n{len(batch)} pairs: Python relation and inputs {middle - started:.1f} s, "
        f"{len(batch)} Transition witnesses in one node process {done - middle:.1f} s"
    )

    disagreements = [
        f"{case.label}: Python {'accepts' if ok else 'refuses'}, the circuit "
        f"{'accepts' if error is None else 'refuses (' + str(error) + ')'}"
        for case, ok, error in zip(batch, python, errors, strict=True)
        if ok != (error is None)
    ]
    assert not disagreements, "\n".join(disagreements)
    # Both sides say what each case was built to be (so neither passes by refusing everything) ...
    unexpected = [
        f"{case.label}: built {'valid' if case.valid else 'invalid'}, both say otherwise"
        for case, ok in zip(batch, python, strict=True)
        if ok != case.valid
    ]
    assert not unexpected, "\n".join(unexpected)
    # ... and every circuit refusal is a broken constraint, not inputs the generator could not read.
    unread = [
        f"{case.label}: {error.raw}"
        for case, error in zip(batch, errors, strict=True)
        if error is not None and not error.templates
    ]
    assert not unread, "\n".join(unread)
    labels = {case.label for case in batch}
    assert sum(python) >= len(batch) // 3 and len(batch) - sum(python) >= len(batch) // 3, (sum(python), len(batch))
    assert len(labels) >= 40, sorted(labels)


@pytest.mark.slow
def test_the_circuit_takes_the_previous_states_invariants_on_trust(witness: Witness, tmp_path: Path) -> None:
    """The boundary of the differential: previous states no chain holds (the contract accepts a genesis
    only with an Opening of salt 0, non-zero addresses and maxUnits below 2^93, and every round the circuit
    accepts keeps the invariants) are refused by Python when it loads them, while the circuit, which
    relies on that induction, proves rounds over them. So the two never disagree on a state a chain holds.
    """
    params = witness.manifest.params
    draw = Draw(params, SEED + 1)

    def honest(first: bool) -> tuple[Raw, Raw]:
        rnd = draw.round(4, joins=1, first=first)
        rnd.rows[1], rnd.slack = max(rnd.rows[1], 1), 1 << 20
        return rnd.states()

    prev, new = honest(first=False)
    genesis, first = honest(first=True)
    address = prev.words[0] & ADDRESS_MASK
    untrusted = {
        "a previous total above its units' sum": (
            replace(prev, total=prev.total + 7),
            replace(new, total=new.total + 7),
        ),
        "a used previous slot with the zero address": (
            with_word(prev, 0, prev.words[0] - address),
            with_word(new, 0, new.words[0] - address),
        ),
        "maxUnits of 2^93": (replace(prev, max_units=MAX_UNITS_LIMIT), replace(new, max_units=MAX_UNITS_LIMIT)),
        "a genesis with a salt": (replace(genesis, salt=5), first),
    }
    batch = [Case(label, p, n, valid=False) for label, (p, n) in untrusted.items()]
    assert [python_accepts(params, case) for case in batch] == [False] * len(batch)
    wasm = witness.manifest.path(build_dir(), Circuit.TRANSITION, "wasm")
    jobs = [WitnessJob(Circuit.TRANSITION.value, wasm, circuit_inputs(case), tmp_path / "w.wtns") for case in batch]
    assert witness.calculator.run(jobs) == [None] * len(batch)
