"""Receipts: the aggregator's signed opening of a round commitment, as handed to every participant.

A receipt for round ``r >= 1`` carries the opening of ``C_r`` (all used words, ``n``, ``total``, the
round's salt), the aggregator's EdDSA-Poseidon signature on ``C_r``, and a ``history``: the openings of
every round from the last closed round ``c`` (the latest round whose dispute window had closed when the
receipt was made; 0 when none had) up to ``r - 1``, oldest first (docs/protocol.md, "The join rule").

Why the history: answering a challenge of round ``k`` takes the openings of ``k - 1`` and ``k``. A
participant who joins at round ``j`` holds no opening from before ``j``; if rounds before ``j`` were still
open to challenges, the aggregator's own accounts could challenge them and roll the job back to a state
without the newcomer, and nobody holding the openings would answer. With the history, every holder of
a receipt can defend every round that can still be challenged (:attr:`Receipt.defends_from`).

Loading a receipt validates everything that can be checked off chain: every opening is a reachable
state, the round's opening hashes to the signed commitment, the signature is one the Receipt circuit
accepts, the domain is the job's, and the history is consecutive and leads to the round by the round
rules. The on-chain checks (the commitment is the chain's, round ``c`` is closed) are the client's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from settlefl.crypto import eddsa
from settlefl.errors import InputError
from settlefl.params import BuildParams
from settlefl.serialization import BigUInt, FieldInt
from settlefl.state.ids import job_domain
from settlefl.state.reward_state import InvalidRound, InvalidState, RewardState

RECEIPT_FORMAT: Final = "settlefl.receipt.v2"


class InvalidReceipt(InputError):
    """A receipt that must not be accepted; the message says which check failed."""


class Opening(BaseModel):
    """The opening of one round commitment: everything but the job constants. Words past ``n`` are zero
    and are not listed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    round: int = Field(ge=0)
    n: int = Field(ge=1)
    total: BigUInt
    salt: FieldInt
    words: list[FieldInt]

    @classmethod
    def of(cls, state: RewardState) -> Opening:
        """The opening of ``state``, from the project's one JSON form of a state (:meth:`RewardState.to_json`)."""
        return cls.model_validate({name: value for name, value in state.to_json().items() if name in cls.model_fields})

    def to_state(self, params: BuildParams, domain: int, max_units: int) -> RewardState:
        """Rebuild the full state, validating it (raises :class:`InvalidState`)."""
        if len(self.words) != self.n:
            raise InvalidState(f"the opening lists {len(self.words)} words for n = {self.n}")
        if self.n > params.participants:
            raise InvalidState(f"n = {self.n} exceeds the build's N = {params.participants}")
        words = tuple(self.words) + (0,) * (params.participants - self.n)
        return RewardState(params, domain, max_units, self.round, words, self.n, self.total, self.salt)


class SignatureModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    r8x: FieldInt
    r8y: FieldInt
    s: FieldInt

    def to_signature(self) -> eddsa.Signature:
        return eddsa.Signature(self.r8x, self.r8y, self.s)


class Receipt(BaseModel):
    """A signed round receipt; constructing or loading one runs every off-chain check."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["settlefl.receipt.v2"] = RECEIPT_FORMAT
    chain_id: int = Field(gt=0)
    contract: str
    job_id: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$")
    build: str
    max_units: BigUInt
    commitment: FieldInt
    opening: Opening
    #: Openings of rounds ``c .. r - 1``, oldest first (``c``: the last closed round when it was made).
    history: list[Opening] = Field(default_factory=list)
    signer: tuple[FieldInt, FieldInt]
    signature: SignatureModel

    @property
    def params(self) -> BuildParams:
        return BuildParams.from_name(self.build)

    @property
    def domain(self) -> int:
        return job_domain(self.chain_id, self.contract, bytes.fromhex(self.job_id[2:]))

    @property
    def round(self) -> int:
        return self.opening.round

    @property
    def defends_from(self) -> int:
        """The first round whose challenge this receipt's openings can answer on their own.

        A response to a challenge of round ``k`` proves the transition from ``k - 1`` to ``k``, so a
        history starting at round ``c`` defends rounds ``c + 1 .. r``; an empty history (made after
        round ``r`` itself had closed) defends nothing, ``r + 1``. A client accepts the receipt only if
        ``defends_from <= closed + 1``, where ``closed`` is the last round it sees closed on chain: then
        no round it cannot answer for is still open to a challenge.
        """
        return (self.history[0].round if self.history else self.round) + 1

    def state(self) -> RewardState:
        return self.opening.to_state(self.params, self.domain, self.max_units)

    def history_states(self) -> list[RewardState]:
        """The states of the history, oldest first (validated)."""
        return [opening.to_state(self.params, self.domain, self.max_units) for opening in self.history]

    @model_validator(mode="after")
    def _check(self) -> Self:
        try:
            state = self.state()
        except (InvalidState, ValueError) as exc:
            raise InvalidReceipt(f"the receipt's opening is not a valid state: {exc}") from exc
        if state.round < 1:
            raise InvalidReceipt("receipts are for rounds 1 and later; the genesis is public")
        if state.commitment != self.commitment:
            raise InvalidReceipt(f"the opening of round {state.round} does not hash to the signed commitment")
        if not eddsa.verify(self.signer, self.commitment, self.signature.to_signature()):
            raise InvalidReceipt("the aggregator's signature on the commitment is invalid")
        self._check_history(state)
        return self

    def _check_history(self, state: RewardState) -> None:
        """The history is rounds ``c .. r - 1`` in order, and each leads to the next by the round rules."""
        rounds = [opening.round for opening in self.history]
        if rounds != list(range(state.round - len(rounds), state.round)):
            raise InvalidReceipt(
                f"the history holds rounds {rounds}; a receipt for round {state.round} needs consecutive rounds "
                f"ending at round {state.round - 1}, oldest first"
            )
        try:
            chain = self.history_states()
        except (InvalidState, ValueError) as exc:
            raise InvalidReceipt(f"an opening in the history is not a valid state: {exc}") from exc
        for earlier, later in pairwise([*chain, state]):
            try:
                earlier.update_to(later)
            except InvalidRound as exc:
                raise InvalidReceipt(f"round {later.round} does not follow round {earlier.round}: {exc}") from exc

    def check_signer(self, public_key_hash: int) -> None:
        """Refuse a receipt not signed by the key whose ``Poseidon(Ax, Ay)`` the job stores."""
        if eddsa.public_key_hash(self.signer) != public_key_hash:
            raise InvalidReceipt("the receipt is signed by a key other than the job's aggregator key")


def make_receipt(
    *,
    chain_id: int,
    contract: str,
    job_id: bytes,
    state: RewardState,
    private_key: bytes,
    history: Sequence[RewardState] = (),
) -> Receipt:
    """Sign ``state``'s commitment and package the receipt (the aggregator side).

    ``history`` holds the states of every round from the last closed round up to ``state.round - 1``,
    oldest first (the join rule). The caller must have committed ``state.commitment`` on chain and seen
    it confirmed first, and must keep a write-ahead log so that it never signs two commitments for one
    round (docs/protocol.md, "Receipts").
    """
    if state.domain != job_domain(chain_id, contract, job_id):
        raise InvalidReceipt("the state's domain is not this job's domain")
    signature = eddsa.sign(private_key, state.commitment)
    return Receipt(
        chain_id=chain_id,
        contract=contract,
        job_id="0x" + job_id.hex(),
        build=state.params.name,
        max_units=state.max_units,
        commitment=state.commitment,
        opening=Opening.of(state),
        history=[Opening.of(earlier) for earlier in history],
        signer=eddsa.public_key(private_key),
        signature=SignatureModel(r8x=signature.r8x, r8y=signature.r8y, s=signature.s),
    )
