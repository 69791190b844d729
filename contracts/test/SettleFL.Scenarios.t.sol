// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {SettleFLTest} from "./utils/SettleFLTest.sol";

/// @notice Every path of the game from creation to completion, with real proofs, asserting every
///         balance at the end: each payee, the aggregator, challengers, requesters, provers and the
///         contract (which must hold nothing for a completed job).
contract SettleFLScenarioTest is SettleFLTest {
    uint256 internal constant START = 100 ether; // every funded actor's balance after setUp
    uint256 internal constant RHO = BOND / 10;
    uint256 internal constant BOND_SHARE = BOND - RHO;

    // ----------------------------------------------------------------------------------- clean

    function test_scenario_unchallenged_cleanFinish() public {
        _createCC();
        _commitRounds(3);
        _finalize();
        _open();
        uint256 owed = _payAndCheck("r3", false, address(0));
        assertEq(AGG.balance, START - owed, "the aggregator gets the unused escrow and its bond back");
        assertEq(SETTLE.balance, 0);
        _assertCompleted();
    }

    function test_scenario_challengedAndAnsweredByAggregator() public {
        _createCC();
        _commitRounds(3);
        _challenge(CHALLENGER, 2);
        skip(1 hours);
        vm.prank(AGG);
        settle.respond(JOB, 2, _ref(1), _ref(2), _proof("transition2Agg"));
        _finalize();
        _open();
        uint256 owed = _payAndCheck("r3", false, address(0));
        assertEq(AGG.balance, START - owed + CH_BOND, "a blind challenge of a valid round pays the responder");
        assertEq(CHALLENGER.balance, START - CH_BOND);
        assertEq(SETTLE.balance, 0);
        _assertCompleted();
    }

    function test_scenario_challengedAndAnsweredByParticipant() public {
        // THREATS "Self-rollback": the aggregator's sybil challenges, an honest participant answers.
        _createCC();
        _commitRounds(3);
        _challenge(CHALLENGER, 2);
        vm.warp(block.timestamp + RESPONSE); // the last second of the response window
        vm.prank(PARTICIPANT);
        settle.respond(JOB, 2, _ref(1), _ref(2), _proof("transition2Participant"));
        _finalize();
        _open();
        (, uint256[] memory amounts,) = _owed("r3", false, ESCROW, BOND);
        uint256 owed = _payAndCheck("r3", false, address(0));
        assertEq(PARTICIPANT.balance, START + CH_BOND + amounts[4], "bond and reward to the participant");
        assertEq(AGG.balance, START - owed);
        assertEq(CHALLENGER.balance, START - CH_BOND);
        assertEq(SETTLE.balance, 0);
        _assertCompleted();
    }

    // ----------------------------------------------------------------------------------- faults

    function test_scenario_unanswered_rollbackProRata_jobEnds() public {
        _createCC();
        _commitRounds(3);
        _challenge(CHALLENGER, 2);
        vm.warp(block.timestamp + RESPONSE + 1);
        vm.prank(STRANGER);
        settle.resolve(JOB, 2);
        assertEq(settle.getJob(JOB).tip, 1);
        vm.prank(AGG);
        vm.expectRevert(CommitsClosed.selector);
        settle.commit(JOB, _C(2)); // the job has ended
        _open();
        _payAndCheck("r1", true, CHALLENGER);
        assertEq(AGG.balance, START - ESCROW - BOND, "a fault pays the aggregator nothing");
        assertEq(SETTLE.balance, 0);
        _assertCompleted();
    }

    function test_scenario_twoChallenges_laterRoundResolvedFirst() public {
        _createCC();
        _commitRounds(3);
        _challenge(CHALLENGER2, 3);
        _challenge(CHALLENGER, 2);
        skip(RESPONSE + 1);
        settle.resolve(JOB, 3); // the later round first: tip 2
        settle.resolve(JOB, 2); // then the earlier: tip 1
        _open();
        _payAndCheck("r1", true, CHALLENGER);
        assertEq(CHALLENGER2.balance, START, "a resolved challenge refunds its bond");
        assertEq(SETTLE.balance, 0);
        _assertCompleted();
    }

    function test_scenario_twoChallenges_earlierFirst_laterReclaimed() public {
        _createCC();
        _commitRounds(3);
        _challenge(CHALLENGER, 2);
        _challenge(CHALLENGER2, 3);
        skip(RESPONSE + 1);
        settle.resolve(JOB, 2);
        settle.reclaim(JOB, 3);
        _open();
        _payAndCheck("r1", true, CHALLENGER);
        assertEq(CHALLENGER2.balance, START);
        assertEq(SETTLE.balance, 0);
        _assertCompleted();
    }

    function test_scenario_challengeRound1Unanswered_totalZero() public {
        _createCC();
        _commitRounds(3);
        _challenge(CHALLENGER, 1);
        skip(RESPONSE + 1);
        settle.resolve(JOB, 1);
        assertEq(settle.getJob(JOB).tip, 0);
        _open();
        // total = 0: nobody earned anything; the first batch completes the job, the escrow returns.
        _payBatch("r0", 0);
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.Completed));
        assertEq(settle.getJob(JOB).batchesPaid, 1);
        assertEq(AGG.balance, START - BOND, "the escrow returns, the bond does not");
        assertEq(CHALLENGER.balance, START + BOND, "rho and the participants' share with nobody to share it");
        assertEq(SETTLE.balance, 0);
        _assertLedgers(JOB);
    }

    function test_scenario_noRounds_cleanTotalZero() public {
        _createCC();
        _finalize();
        _open();
        _payBatch("r0", 0);
        assertEq(AGG.balance, START);
        assertEq(SETTLE.balance, 0);
        _assertLedgers(JOB);
    }

    function test_scenario_equivocationBeforePayouts_faultNoRollback() public {
        _createCC();
        _commitRounds(3);
        vm.prank(PROVER);
        settle.proveEquivocation(JOB, 2, _ref(2), _C("alt2"), _proof("receiptAlt2"));
        _open();
        _payAndCheck("r3", true, PROVER);
        assertEq(AGG.balance, START - ESCROW - BOND);
        assertEq(SETTLE.balance, 0);
        _assertCompleted();
    }

    function test_scenario_equivocationAfterPayoutsOpen_bondMoves() public {
        _createCC();
        _commitRounds(3);
        _finalize();
        _open();
        _payBatch("r3", 0);
        vm.prank(PROVER);
        settle.proveEquivocation(JOB, 2, _ref(2), _C("alt2"), _proof("receiptAlt2"));
        _payBatch("r3", 1);
        (,, uint256 owed) = _owed("r3", false, ESCROW, BOND);
        assertEq(PROVER.balance, START + BOND);
        assertEq(AGG.balance, START - owed - BOND, "the aggregator loses its bond, the payout is unchanged");
        assertEq(SETTLE.balance, 0);
        _assertCompleted();
    }

    function test_scenario_openingRequestAnswered_thenClean() public {
        _createCC();
        _commitRounds(3);
        _request(REQUESTER, 2);
        vm.prank(PARTICIPANT);
        settle.answerOpening(JOB, 2, _ref(2), _salt("r2"), _total("r2"), _words("r2"), _proof("opening2Participant"));
        _finalize();
        _open();
        (, uint256[] memory amounts,) = _owed("r3", false, ESCROW, BOND);
        uint256 owed = _payAndCheck("r3", false, address(0));
        assertEq(REQUESTER.balance, START - REQ_FEE);
        assertEq(PARTICIPANT.balance, START + REQ_FEE + amounts[4]);
        assertEq(AGG.balance, START - owed);
        assertEq(SETTLE.balance, 0);
        _assertCompleted();
    }

    function test_scenario_openingRequestUnanswered_faultAtPrevious() public {
        _createCC();
        _commitRounds(3);
        _request(REQUESTER, 3);
        skip(RESPONSE + 1);
        settle.resolveRequest(JOB, 3);
        _open();
        _payAndCheck("r2", true, REQUESTER);
        assertEq(AGG.balance, START - ESCROW - BOND);
        assertEq(SETTLE.balance, 0);
        _assertCompleted();
    }

    // --------------------------------------------------------------------------------- variants

    function test_scenario_commitProof_clean() public {
        _createCP();
        for (uint256 r = 1; r <= 3; ++r) {
            skip(10 minutes);
            _commitWithProof(r);
        }
        vm.prank(CHALLENGER);
        vm.expectRevert(WrongVariant.selector); // CP rounds are proven: no challenges
        settle.challenge{value: CH_BOND}(JOB, 3, _ref(3));
        _finalize();
        _open();
        uint256 owed = _payAndCheck("r3", false, address(0));
        assertEq(AGG.balance, START - owed);
        assertEq(SETTLE.balance, 0);
        _assertCompleted();
    }

    function test_scenario_commitProof_requestUnanswered_fault() public {
        _createCP();
        for (uint256 r = 1; r <= 3; ++r) {
            _commitWithProof(r);
        }
        _request(REQUESTER, 3);
        skip(RESPONSE + 1);
        settle.resolveRequest(JOB, 3);
        _open();
        _payAndCheck("r2", true, REQUESTER);
        assertEq(SETTLE.balance, 0);
        _assertCompleted();
    }

    function test_scenario_abandonedJob_madePayable() public {
        // The aggregator commits and disappears: anyone finalizes after the inactivity timeout, a
        // participant without the tip's opening requests it, another answers, anyone pays out.
        _createCC();
        _commitRounds(3);
        vm.warp(times[3] + INACTIVITY + 1);
        vm.prank(STRANGER);
        settle.finalize(JOB);
        _request(REQUESTER, 3);
        vm.prank(PARTICIPANT);
        settle.answerOpening(JOB, 3, _ref(3), _salt("r3"), _total("r3"), _words("r3"), _proof("opening3Participant"));
        _open();
        (, uint256[] memory amounts,) = _owed("r3", false, ESCROW, BOND);
        uint256 owed = _payAndCheck("r3", false, address(0));
        assertEq(AGG.balance, START - owed, "an absent aggregator still gets its unused escrow and bond");
        assertEq(PARTICIPANT.balance, START + REQ_FEE + amounts[4]);
        assertEq(SETTLE.balance, 0);
        _assertCompleted();
    }

    function test_scenario_abandonedJob_tipUnanswered_fault() public {
        _createCC();
        _commitRounds(3);
        vm.warp(times[3] + INACTIVITY + 1);
        vm.prank(STRANGER);
        settle.finalize(JOB);
        _request(REQUESTER, 3);
        skip(RESPONSE + 1);
        settle.resolveRequest(JOB, 3);
        _open();
        _payAndCheck("r2", true, REQUESTER);
        assertEq(SETTLE.balance, 0);
        _assertCompleted();
    }

    function test_scenario_erc20_clean() public {
        _create(_terms(Variant.CommitChallenge, address(token)));
        _commitRounds(3);
        _finalize();
        _open();
        (address[] memory payees, uint256[] memory amounts, uint256 owed) = _owed("r3", false, ESCROW, BOND);
        _payAll("r3");
        for (uint256 i; i < payees.length; ++i) {
            assertEq(token.balanceOf(payees[i]), amounts[i]);
        }
        assertEq(token.balanceOf(AGG), ESCROW - owed);
        assertEq(AGG.balance, START, "the ETH bond returns");
        assertEq(token.balanceOf(SETTLE), 0);
        assertEq(SETTLE.balance, 0);
        _assertCompleted();
    }

    function test_scenario_erc20_fault() public {
        _create(_terms(Variant.CommitChallenge, address(token)));
        _commitRounds(3);
        _challenge(CHALLENGER, 3);
        skip(RESPONSE + 1);
        settle.resolve(JOB, 3);
        _open();
        uint256[] memory words = _words("r2");
        uint256 total = _total("r2");
        uint256[] memory ethBefore = new uint256[](words.length);
        for (uint256 i; i < words.length; ++i) {
            ethBefore[i] = address(uint160(words[i])).balance;
        }
        _payAll("r2");
        uint256 escrowPaid;
        uint256 bondPaid;
        for (uint256 i; i < words.length; ++i) {
            address payee = address(uint160(words[i]));
            uint256 units = words[i] >> 160;
            assertEq(token.balanceOf(payee), units * ESCROW / total, "escrow pro rata, in the token");
            assertEq(payee.balance - ethBefore[i], units * BOND_SHARE / total, "bond share, in ETH");
            escrowPaid += units * ESCROW / total;
            bondPaid += units * BOND_SHARE / total;
        }
        assertEq(token.balanceOf(CHALLENGER), ESCROW - escrowPaid, "the recipient gets the rounding dust");
        assertEq(CHALLENGER.balance, START + RHO + BOND_SHARE - bondPaid);
        assertEq(token.balanceOf(AGG), 0);
        assertEq(token.balanceOf(SETTLE), 0);
        assertEq(SETTLE.balance, 0);
        _assertCompleted();
    }

    function test_scenario_twoJobs_noCrossJobMovement() public {
        uint256[] memory words = vm.parseJsonUintArray(fx, ".job2.genesis.words");
        uint256 c0 = vm.parseJsonUint(fx, ".job2.genesis.commitment");
        vm.prank(AGG2);
        settle.createJob{value: ESCROW + BOND}(0, _terms(Variant.CommitChallenge, address(0)), c0, words, _proof("genesisJob2"));
        Job memory before = settle.getJob(JOB2);
        _createCC();
        _commitRounds(3);
        _challenge(CHALLENGER, 2);
        skip(RESPONSE + 1);
        settle.resolve(JOB, 2);
        _open();
        _payAndCheck("r1", true, CHALLENGER);
        Job memory afterwards = settle.getJob(JOB2);
        assertEq(keccak256(abi.encode(before)), keccak256(abi.encode(afterwards)), "job 2 untouched");
        assertEq(SETTLE.balance, ESCROW + BOND, "exactly job 2's money remains");
        _assertLedgers(JOB2);
    }

    // ---------------------------------------------------------------------------------- helpers

    /// @dev Pays every batch of `state` and checks each payee's ETH; on a fault also the recipient's
    ///      rho, escrow dust and bond dust. Returns what the payees were owed in all.
    function _payAndCheck(string memory state, bool fault, address recipient) internal returns (uint256 owed) {
        address[] memory payees;
        uint256[] memory amounts;
        (payees, amounts, owed) = _owed(state, fault, ESCROW, BOND);
        uint256[] memory before = _balances(payees);
        uint256 recipientBefore = recipient.balance;
        _payAll(state);
        for (uint256 i; i < payees.length; ++i) {
            assertEq(payees[i].balance - before[i], amounts[i], "payee");
        }
        if (fault) {
            // The recipient already got rho at openPayouts; completion adds the dust of both ledgers.
            uint256 escrowPaid;
            uint256 bondPaid;
            uint256[] memory words = _words(state);
            uint256 total = _total(state);
            for (uint256 i; i < words.length; ++i) {
                escrowPaid += (words[i] >> 160) * ESCROW / total;
                bondPaid += (words[i] >> 160) * BOND_SHARE / total;
            }
            assertEq(recipient.balance - recipientBefore, ESCROW - escrowPaid + BOND_SHARE - bondPaid, "dust");
            uint256 refunded = recipient == CHALLENGER || recipient == REQUESTER
                ? (recipient == CHALLENGER ? CH_BOND : REQ_FEE)
                : 0;
            uint256 spent = recipient == CHALLENGER ? CH_BOND : recipient == REQUESTER ? REQ_FEE : 0;
            assertEq(recipient.balance, START - spent + refunded + RHO + ESCROW - escrowPaid + BOND_SHARE - bondPaid);
        }
    }

    function _assertCompleted() internal view {
        Job memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Completed));
        assertEq(j.batchesPaid, j.batches);
        (uint256 e, uint256 b, uint256 d) = settle.heldOf(JOB);
        assertEq(e + b + d, 0, "a completed job holds nothing");
        _assertLedgers(JOB);
    }
}
