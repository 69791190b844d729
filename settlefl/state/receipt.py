"""Receipts: the aggregator's signed opening of a round commitment, as handed to every participant.

A receipt for round ``r >= 1`` carries the opening of ``C_r`` (all used words, ``n``, ``total``, the
round's salt) and the aggregator's EdDSA-Poseidon signature on ``C_r``. For a participant who joined at
round ``r`` it also carries the opening of ``C_{r-1}``, so that every participant holds the two openings
needed to answer a challenge of the round it joined in.

Loading a receipt validates everything that can be checked off chain: the openings are reachable
states, they hash to the signed commitment, the signature is one the Receipt circuit accepts, the domain
is the job's, and the previous opening leads to the current one by the round rules. The on-chain
commitment check is the client's job (it needs the chain).
"""

from __future__ import annotations

from typing import Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from settlefl.crypto import eddsa
from settlefl.params import BuildParams
from settlefl.serialization import BigUInt, FieldInt
from settlefl.state.ids import job_domain
from settlefl.state.reward_state import InvalidRound, InvalidState, RewardState

RECEIPT_FORMAT: Final = "settlefl.receipt.v1"


class InvalidReceipt(ValueError):
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
        return cls(round=state.round, n=state.n, total=state.total, salt=state.salt,
                   words=list(state.words[: state.n]))

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

    format: Literal["settlefl.receipt.v1"] = RECEIPT_FORMAT
    chain_id: int = Field(gt=0)
    contract: str
    job_id: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$")
    build: str
    max_units: BigUInt
    commitment: FieldInt
    opening: Opening
    previous: Opening | None = None
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

    def state(self) -> RewardState:
        return self.opening.to_state(self.params, self.domain, self.max_units)

    def previous_state(self) -> RewardState | None:
        if self.previous is None:
            return None
        return self.previous.to_state(self.params, self.domain, self.max_units)

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
        previous = self.previous_state()
        if previous is not None:
            try:
                previous.update_to(state)
            except InvalidRound as exc:
                raise InvalidReceipt(f"round {state.round} does not follow the previous opening: {exc}") from exc
        return self

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
    previous: RewardState | None = None,
) -> Receipt:
    """Sign ``state``'s commitment and package the receipt (the aggregator side).

    The caller must have committed ``state.commitment`` on chain and seen it confirmed first, and must
    keep a write-ahead log so that it never signs two commitments for one round (DESIGN.md, Receipts).
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
        previous=Opening.of(previous) if previous is not None else None,
        signer=eddsa.public_key(private_key),
        signature=SignatureModel(r8x=signature.r8x, r8y=signature.r8y, s=signature.s),
    )
