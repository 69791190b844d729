"""A dishonest aggregator for ``settlefl demo --malicious`` and the tests that play it.

:class:`CuttingAggregator` runs the honest engine except in one round, where it commits a state that cuts
one participant's cumulative units to zero -- the theft the protocol exists to stop. The forged state is
committed, signed and handed out like any other; it cannot be defended (no Transition proof exists for
it), so the aggregator stays silent when challenged. What follows is the protocol's, not this module's:
the victim (or anyone holding the openings) challenges, the response window passes, the fault resolves,
and payouts go pro rata from the last valid round, with the aggregator's bond split among the payees.

Never used by ``settlefl node aggregator`` unless its hidden ``--cut`` option is given.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from settlefl.chain.projection import JobProjection
from settlefl.roles.aggregator import Aggregator
from settlefl.state.ids import round_salt
from settlefl.state.receipt import Receipt, make_receipt
from settlefl.state.reward_state import RewardState
from settlefl.state.words import address_to_int, int_to_address, pack_word, unpack_word

log = logging.getLogger(__name__)


class CuttingAggregator(Aggregator):
    """Commits, in round ``cut_round``, a state where ``victim`` holds zero units."""

    victim: str = ""
    cut_round: int = 2

    def _next_state(self, prev: RewardState, units: Mapping[str, int], joins: Sequence[str]) -> RewardState:
        honest = super()._next_state(prev, units, joins)
        if honest.round != self.cut_round or not self.victim:
            return honest
        target = address_to_int(self.victim)
        words = list(honest.words)
        for slot in range(honest.n):
            address, _units = unpack_word(words[slot])
            if address == target:
                words[slot] = pack_word(address, 0)
        total = sum(unpack_word(w)[1] for w in words[: honest.n])
        log.warning("MALICIOUS: round %d cuts %s to zero units", honest.round, self.victim)
        return RewardState(
            honest.params,
            honest.domain,
            honest.max_units,
            honest.round,
            tuple(words),
            honest.n,
            total,
            round_salt(self._secret(), prev.domain, honest.round),
        )

    def _sign(self, job: JobProjection, state: RewardState) -> dict[str, Receipt]:
        """Sign the forged round like any other, but without the previous opening: a receipt that carries
        its history is checked on construction, and this round would not pass."""
        if state.round != self.cut_round:
            return super()._sign(job, state)
        self.ctx.store.log_signature(state.round, state.commitment)
        receipts: dict[str, Receipt] = {}
        for address, _units in state.participants():
            payee = int_to_address(address)
            receipts[payee] = make_receipt(chain_id=self.ctx.chain.chain_id, contract=self.ctx.settle.address,
                                           job_id=self.job_id, state=state, private_key=self.signing_key, history=[])
            self.ctx.store.put_receipt(payee, receipts[payee])
        return receipts


def cutting(victim: str, cut_round: int) -> type[CuttingAggregator]:
    """A :class:`CuttingAggregator` class aimed at ``victim`` in round ``cut_round``."""
    return type("CuttingAggregator", (CuttingAggregator,), {"victim": victim, "cut_round": cut_round})
