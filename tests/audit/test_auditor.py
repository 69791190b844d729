"""The auditor on whole jobs played on anvil with real proofs: SOUND for every honest path, NOT SOUND with
the reason named for a forged deployment and for an audit against the wrong build.

The jobs are played once per module (``played``) and audited by the tests; the verdict tests also check
that the checks a verdict rests on actually ran (a SOUND report with no proof re-verified would be
worthless).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from node.cli import app
from settlefl.audit.auditor import AuditError, audit
from settlefl.audit.report import AuditReport, Verdict
from settlefl.chain.artifacts import load_artifact
from settlefl.chain.client import Chain
from settlefl.chain.contract import SettleFL, Variant
from settlefl.chain.deploy import Deployer
from settlefl.state import job_id, pack_word
from tests.audit.conftest import (
    BUILD,
    GARBAGE_PROOF,
    MAX_UNITS,
    OTHER_BUILD,
    UNIT_PRICE,
    WINDOW,
    Job,
    Played,
    Player,
    deploy,
    deploy_accept_everything,
)

pytestmark = pytest.mark.slow

PAYEES = [0x1000 + i for i in range(3)]


def _forged_job(chain: Chain, played: Played, settle: SettleFL) -> Job:
    """A job on the accept-everything deployment: a garbage genesis proof, one optimistic commit, and a
    garbage payout that pays the aggregator the whole escrow."""
    player = Player(chain, settle, played.player.prover)
    job = player.create(Variant.COMMIT_CHALLENGE, PAYEES, proof=GARBAGE_PROOF)
    player.commit(job)
    player.finalize(job)
    words = [pack_word(player.agg.address, MAX_UNITS)] + [0] * (player.prover.params.batch - 1)
    settle.payout(player.sender(player.agg), job.id, job.cfg, job.rounds.tip_history(), 0, 1, MAX_UNITS, words,
                  GARBAGE_PROOF)
    return job


@pytest.fixture(scope="module")
def played(anvil_chain: Chain) -> Iterator[Played]:
    """(a) clean CC, (b) CP, (c) CC with an answered challenge and an answered opening request, (d) a
    fault (unanswered challenge: rollback, pro-rata payouts over two batches, one payee credited), an
    equivocation proven after payouts opened (the bond slashed), and (e) a job on a deployment whose
    verifiers accept everything."""
    chain = anvil_chain
    deployment, player = deploy(chain)
    out = Played(chain, deployment, player)

    clean = player.create(Variant.COMMIT_CHALLENGE, PAYEES)
    player.commit(clean)
    player.commit(clean)
    player.finalize(clean)
    player.pay_all(clean)
    out.jobs["clean"] = clean

    cp = player.create(Variant.COMMIT_PROOF, PAYEES)
    player.commit(cp, with_proof=True)
    player.commit(cp, with_proof=True)
    player.finalize(cp)
    player.pay_all(cp, player.submitter)
    out.jobs["cp"] = cp

    disputed = player.create(Variant.COMMIT_CHALLENGE, PAYEES)
    player.commit(disputed)
    player.commit(disputed)
    player.challenge_and_answer(disputed, 1)
    player.request_and_answer(disputed, 2)
    chain.warp(WINDOW + 5)  # past the window the answered request extended
    player.finalize(disputed)
    player.pay_all(disputed)
    out.jobs["disputed"] = disputed

    rejecting = Deployer(chain, player.sender(player.deployer)).deploy_code(load_artifact("RejectingPayee"))
    faulted = player.create(Variant.COMMIT_CHALLENGE, [int(rejecting, 16)] + [0x2000 + i for i in range(17)])
    for _ in range(3):
        player.commit(faulted)
    settle = player.settle
    settle.challenge(player.sender(player.challenger), faulted.id, faulted.cfg, 3, faulted.rounds.around(3))
    chain.warp(WINDOW + 5)
    settle.resolve(player.sender(player.submitter), faulted.id, faulted.cfg, 3, faulted.rounds.around(3))
    faulted.rounds.truncate(2)
    faulted.states = faulted.states[:3]
    chain.warp(2 * WINDOW + 5)
    settle.open_payouts(player.sender(player.submitter), faulted.id, faulted.cfg, faulted.rounds.tip_history())
    player.pay_all(faulted, player.submitter)
    out.jobs["faulted"] = faulted

    slashed = player.create(Variant.COMMIT_CHALLENGE, PAYEES)
    player.commit(slashed)
    player.finalize(slashed)
    player.prove_equivocation(slashed, 1)
    player.pay_all(slashed)
    out.jobs["slashed"] = slashed

    out.forged = deploy_accept_everything(chain)
    out.jobs["forged"] = _forged_job(chain, out, out.forged)
    yield out


@pytest.fixture(scope="module")
def reports(played: Played) -> dict[str, AuditReport]:
    """Each job audited once with the committed build (the audits are the slow part: pairings)."""
    contract = played.deployment.settlefl
    out = {}
    for name, job in played.jobs.items():
        address = played.forged.address if name == "forged" and played.forged else contract
        out[name] = audit(played.chain, address, job.id, [BUILD])
    return out


def _assert_sound(report: AuditReport, proofs: dict[str, int]) -> None:
    assert report.verdict is Verdict.SOUND, report.reasons
    assert report.reasons == []
    counted: dict[str, int] = {}
    for proof in report.proofs:
        assert proof.ok
        counted[proof.function] = counted.get(proof.function, 0) + 1
    assert counted == proofs
    assert all(ledger.balanced for ledger in report.ledgers)
    assert {c.name for c in report.checks} >= {"deployment", "identity", "rounds", "calldata", "proofs", "ledgers",
                                                "flows", "payouts", "storage"}
    json.dumps(report.to_json())


def test_a_clean_commit_and_challenge_job_is_sound(reports: dict[str, AuditReport], played: Played) -> None:
    report = reports["clean"]
    _assert_sound(report, {"createJob": 1, "payout": 1})
    assert report.variant == "CC" and report.phase == "COMPLETED" and not report.faulted
    assert [r.outcome for r in report.rounds] == ["settled"] * 3
    state = played.jobs["clean"].tip
    owed = {p.address: p.escrow for p in report.payees}
    assert sum(owed.values()) == state.total * UNIT_PRICE
    assert {p.status for p in report.payees} == {"paid"}
    assert report.completion == (MAX_UNITS * UNIT_PRICE - state.total * UNIT_PRICE, MAX_UNITS * UNIT_PRICE // 10)


def test_a_commit_with_proof_job_is_sound_with_every_transition_re_verified(reports: dict[str, AuditReport]) -> None:
    report = reports["cp"]
    _assert_sound(report, {"createJob": 1, "commitWithProof": 2, "payout": 1})
    assert [r.proven for r in report.rounds[1:]] == [True, True]


def test_a_job_with_an_answered_challenge_and_an_answered_request_is_sound(
        reports: dict[str, AuditReport], played: Played) -> None:
    report = reports["disputed"]
    _assert_sound(report, {"createJob": 1, "respond": 1, "answerOpening": 1, "payout": 1})
    by_kind = {d.kind: d for d in report.disputes}
    challenge, request = by_kind["challenge"], by_kind["request"]
    player = played.player
    assert (challenge.round, challenge.status, challenge.by) == (1, "answered", player.challenger.address)
    assert [(f.to, f.amount, f.refund) for f in challenge.flows] == [
        (player.submitter.address, 10**15, False)]  # the challenger's bond goes to the responder
    assert (request.round, request.status) == (2, "answered")
    assert [(f.to, f.amount, f.refund) for f in request.flows] == [(player.submitter.address, 10**14, False)]
    disputes = next(ledger for ledger in report.ledgers if ledger.ledger == "disputes")
    assert (disputes.inflow, disputes.paid, disputes.held) == (10**15 + 10**14, 10**15 + 10**14, 0)


def test_a_faulted_job_is_sound_with_its_rollback_and_pro_rata_payouts(
        reports: dict[str, AuditReport], played: Played) -> None:
    report = reports["faulted"]
    _assert_sound(report, {"createJob": 1, "payout": 2})
    player, job = played.player, played.jobs["faulted"]
    assert report.faulted and report.tip == 2
    assert [r.outcome for r in report.rounds] == ["settled"] * 3 + ["void (rolled back)"]
    assert report.rounds[3].challenge == "unanswered"
    bond = job.cfg.terms.bond
    assert (report.reward_recipient, report.reward) == (player.challenger.address, bond // 10)
    escrow_paid = sum(p.escrow for p in report.payees)
    bond_paid = sum(p.bond for p in report.payees)
    total = job.tip.total
    assert escrow_paid == sum(p.units * job.cfg.terms.escrow // total for p in report.payees)
    assert bond_paid == sum(p.units * (bond - bond // 10) // total for p in report.payees)
    assert [p.status for p in report.payees if p.slot == 0] == ["credited"]  # the payee that refuses ETH
    assert len(report.batches) == 2
    assert report.completion is not None  # rounding dust goes to the reward recipient
    dust = [f for f in report.flows if f.cause == "JobCompleted"]
    assert {f.to for f in dust} <= {player.challenger.address}


def test_an_equivocation_after_payouts_is_sound_and_moves_the_bond_to_its_prover(
        reports: dict[str, AuditReport], played: Played) -> None:
    report = reports["slashed"]
    _assert_sound(report, {"createJob": 1, "proveEquivocation": 1, "payout": 1})
    player, job = played.player, played.jobs["slashed"]
    [equivocation] = report.disputes
    assert (equivocation.kind, equivocation.by) == ("equivocation", player.requester.address)
    assert [(f.ledger, f.to, f.amount) for f in equivocation.flows] == [
        ("bond", player.requester.address, job.cfg.terms.bond)]
    assert report.completion is not None and report.completion[1] == 0  # no bond left to return


def test_a_deployment_with_an_accept_everything_verifier_is_not_sound(reports: dict[str, AuditReport]) -> None:
    report = reports["forged"]
    assert report.verdict is Verdict.NOT_SOUND
    verifier_reasons = [r for r in report.reasons if "verifier at" in r]
    assert len(verifier_reasons) == 4  # opening, transition, receipt and payout all point at the mock
    assert any("the opening verifier at" in r for r in verifier_reasons)
    assert not any(report.deployment.verifier_ok.values())
    assert report.deployment.code_ok  # SettleFL itself is the project's code: only its verifiers are forged
    failed = {p.function: p.reason for p in report.proofs if not p.ok}
    assert set(failed) == {"createJob", "payout"}
    assert any("invalid Opening proof in createJob" in r for r in report.reasons)


def test_an_audit_with_another_build_than_the_deployment_used_is_not_sound(played: Played) -> None:
    report = audit(played.chain, played.deployment.settlefl, played.jobs["clean"].id, [OTHER_BUILD])
    assert report.verdict is Verdict.NOT_SOUND
    assert sum("verifier at" in r for r in report.reasons) == 4
    assert report.deployment.build_dir == str(OTHER_BUILD)
    assert [p.ok for p in report.proofs] == [False, False]  # the honest proofs do not verify with other keys
    assert any("invalid Payout proof in the payout of batch 0" in r for r in report.reasons)


def test_an_audit_without_the_jobs_build_says_which_build_to_pass(played: Played) -> None:
    report = audit(played.chain, played.deployment.settlefl, played.jobs["clean"].id, [])
    assert report.verdict is Verdict.NOT_SOUND
    assert any("pass the build's directory with --build" in r for r in report.reasons)


def test_an_unknown_job_is_an_error_that_names_it(played: Played) -> None:
    unknown = job_id(played.player.agg.address, 999)
    with pytest.raises(AuditError, match="no job 0x" + unknown.hex()):
        audit(played.chain, played.deployment.settlefl, unknown, [BUILD], from_block=played.deployment.deploy_block)


def test_an_address_without_a_contract_is_an_error(played: Played) -> None:
    with pytest.raises(AuditError, match="there is no contract"):
        audit(played.chain, played.player.agg.address, played.jobs["clean"].id, [BUILD])


def test_the_audit_command_prints_the_json_report_and_exits_0_when_sound(played: Played) -> None:
    args = ["audit", "--rpc", played.chain.url, "--contract", played.deployment.settlefl, "--job",
            "0x" + played.jobs["clean"].id.hex(), "--build", str(BUILD), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["format"], report["verdict"], report["reasons"]) == ("settlefl.audit.v1", "SOUND", [])
    assert report["jobId"] == "0x" + played.jobs["clean"].id.hex()
    assert {p["status"] for p in report["payees"]} == {"paid"}


def test_the_audit_command_shows_not_sound_and_its_reasons_and_exits_3(played: Played) -> None:
    assert played.forged is not None
    args = ["audit", "--rpc", played.chain.url, "--contract", played.forged.address, "--job",
            "0x" + played.jobs["forged"].id.hex(), "--build", str(BUILD)]
    result = CliRunner().invoke(app, args, terminal_width=200)
    assert result.exit_code == 3, result.output
    assert "NOT SOUND" in result.output
    assert "the opening verifier at" in result.output


def test_the_audit_command_refuses_a_malformed_job_id(played: Played) -> None:
    result = CliRunner().invoke(app, ["audit", "--rpc", played.chain.url, "--contract", played.deployment.settlefl,
                                      "--job", "0x1234"])
    assert result.exit_code == 1
    assert "is not 32 bytes of hex" in result.output
