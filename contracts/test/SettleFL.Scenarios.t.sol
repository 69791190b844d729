// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

// Tests cast small constants to addresses and compare warped timestamps on purpose.
// forge-lint: disable-start(unsafe-typecast, block-timestamp)

import {SettleFLTest} from "./utils/SettleFLTest.sol";

/// @notice Every path of the game from creation to completion, with real proofs, asserting every
///         balance at the end: each payee, the aggregator, challengers, requesters, provers and the
///         contract (which must hold nothing for a completed job).
/// @dev The outcome `PayoutsOpened` fixes (settled commitment, fault, reward recipient, rho) is not stored
///      in v2: it is asserted on the event, and the rho on the recipient's balance.
contract SettleFLScenarioTest is SettleFLTest {
    uint256 internal constant START = 100 ether; // every funded actor's balance after setUp
    uint256 internal constant RHO = BOND / 10;
    uint256 internal constant BOND_SHARE = BOND - RHO;

    // ----------------------------------------------------------------------------------- clean

    function test_scenario_unchallenged_cleanFinish() public {
        _createCC();
        _commitRounds(3);
        _finalize(); // right after the last commit: closed, payouts wait for the tip's window
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.Finalized));
        _openExpecting(3, false, address(0));
        uint256 owed = _payAndCheck("r3", false, address(0));
        assertEq(AGG.balance, START - owed, "the aggregator gets the unused escrow and its bond back");
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r3");
    }

    function test_scenario_aggregatorFinalizesAfterWindows_opensInOneCall() public {
        _createCC();
        _commitRounds(3);
        vm.warp(times[3] + WINDOW + 1);
        vm.expectEmit(SETTLE);
        emit JobFinalized(JOB, AGG);
        vm.expectEmit(SETTLE);
        emit PayoutsOpened(JOB, 3, _C(3), false, address(0), 0);
        _finalize();
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.PayoutsOpen), "no openPayouts call needed");
        uint256 owed = _payAndCheck("r3", false, address(0));
        assertEq(AGG.balance, START - owed);
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r3");
    }

    function test_scenario_challengedAndAnsweredByAggregator() public {
        _createCC();
        _commitRounds(3);
        _challenge(CHALLENGER, 2);
        skip(1 hours);
        _respond(AGG, 2, "transition2Agg");
        _finalize();
        _openExpecting(3, false, address(0));
        uint256 owed = _payAndCheck("r3", false, address(0));
        assertEq(AGG.balance, START - owed + CH_BOND, "a blind challenge of a valid round pays the responder");
        assertEq(CHALLENGER.balance, START - CH_BOND);
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r3");
    }

    function test_scenario_challengedAndAnsweredByParticipant() public {
        // THREATS "Self-rollback": the aggregator's sybil challenges, an honest participant answers.
        _createCC();
        _commitRounds(3);
        _challenge(CHALLENGER, 2);
        vm.warp(block.timestamp + RESPONSE); // the last second of the response window
        _respond(PARTICIPANT, 2, "transition2Participant");
        _finalize();
        _openExpecting(3, false, address(0));
        (, uint256[] memory amounts,) = _owed("r3", false, ESCROW, BOND);
        uint256 owed = _payAndCheck("r3", false, address(0));
        assertEq(PARTICIPANT.balance, START + CH_BOND + amounts[4], "bond and reward to the participant");
        assertEq(AGG.balance, START - owed);
        assertEq(CHALLENGER.balance, START - CH_BOND);
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r3");
    }

    // ----------------------------------------------------------------------------------- faults

    function test_scenario_unanswered_rollbackProRata_jobEnds() public {
        _createCC();
        _commitRounds(3);
        _challenge(CHALLENGER, 2);
        vm.warp(block.timestamp + RESPONSE + 1);
        vm.expectEmit(SETTLE);
        emit JobFinalized(JOB, STRANGER);
        _resolve(2);
        assertEq(settle.getJob(JOB).tip, 1);
        assertEq(settle.getJob(JOB).headHash, hashes[1]);
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(CommitsClosed.selector, JOB));
        settle.commit(NONCE, _C(2)); // the job has ended
        _openExpecting(1, true, CHALLENGER);
        _payAndCheck("r1", true, CHALLENGER);
        assertEq(AGG.balance, START - ESCROW - BOND, "a fault pays the aggregator nothing");
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r1");
    }

    function test_scenario_twoChallenges_laterRoundResolvedFirst() public {
        _createCC();
        _commitRounds(3);
        _challenge(CHALLENGER2, 3);
        _challenge(CHALLENGER, 2);
        skip(RESPONSE + 1);
        _resolve(3); // the later round first: tip 2
        _resolve(2); // then the earlier: tip 1
        _openExpecting(1, true, CHALLENGER);
        _payAndCheck("r1", true, CHALLENGER);
        assertEq(CHALLENGER2.balance, START, "a resolved challenge refunds its bond");
        assertEq(AGG.balance, START - ESCROW - BOND);
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r1");
    }

    function test_scenario_twoChallenges_earlierFirst_laterReclaimed() public {
        _createCC();
        _commitRounds(3);
        _challenge(CHALLENGER, 2);
        _challenge(CHALLENGER2, 3);
        skip(RESPONSE + 1);
        _resolve(2);
        vm.expectEmit(SETTLE);
        emit Transferred(JOB, LedgerKind.Disputes, CHALLENGER2, CH_BOND, true);
        settle.reclaim(JOB, jobCfg, 3);
        _openExpecting(1, true, CHALLENGER);
        _payAndCheck("r1", true, CHALLENGER);
        assertEq(CHALLENGER2.balance, START);
        assertEq(AGG.balance, START - ESCROW - BOND);
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r1");
    }

    function test_scenario_challengeRound1Unanswered_totalZero() public {
        _createCC();
        _commitRounds(3);
        _challenge(CHALLENGER, 1);
        skip(RESPONSE + 1);
        _resolve(1);
        assertEq(settle.getJob(JOB).tip, 0);
        assertEq(settle.getJob(JOB).headHash, hashes[0]);
        _openExpecting(0, true, CHALLENGER);
        // total = 0: nobody earned anything; the first batch completes the job, the escrow returns.
        vm.expectEmit(SETTLE);
        emit JobCompleted(JOB, ESCROW, BOND - RHO);
        vm.expectEmit(SETTLE);
        emit Transferred(JOB, LedgerKind.Escrow, AGG, ESCROW, true);
        vm.expectEmit(SETTLE);
        emit Transferred(JOB, LedgerKind.Bond, CHALLENGER, BOND - RHO, false);
        _payBatch("r0", 0);
        JobView memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Completed));
        assertTrue(settle.isBatchPaid(JOB, 0), "one batch paid");
        assertEq(AGG.balance, START - BOND, "the escrow returns, the bond does not");
        assertEq(CHALLENGER.balance, START + BOND, "rho and the participants' share with nobody to share it");
        assertEq(SETTLE.balance, 0);
        _assertLedgers(JOB);
    }

    function test_scenario_noRounds_cleanTotalZero() public {
        _createCC();
        _finalize();
        _openExpecting(0, false, address(0));
        _payBatch("r0", 0);
        JobView memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Completed));
        assertTrue(settle.isBatchPaid(JOB, 0));
        assertEq(AGG.balance, START);
        assertEq(SETTLE.balance, 0);
        _assertLedgers(JOB);
    }

    function test_scenario_equivocationBeforePayouts_faultNoRollback() public {
        _createCC();
        _commitRounds(3);
        vm.expectEmit(SETTLE);
        emit JobFinalized(JOB, PROVER);
        _equivocate(2, "alt2", "receiptAlt2");
        assertEq(settle.getJob(JOB).tip, 3);
        _openExpecting(3, true, PROVER);
        _payAndCheck("r3", true, PROVER);
        assertEq(AGG.balance, START - ESCROW - BOND);
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r3");
    }

    function test_scenario_equivocationAfterPayoutsOpen_bondMoves() public {
        _createCC();
        _commitRounds(3);
        _finalize();
        _openExpecting(3, false, address(0));
        _payBatch("r3", 0);
        vm.expectEmit(SETTLE);
        emit Transferred(JOB, LedgerKind.Bond, PROVER, BOND, false);
        _equivocate(2, "alt2", "receiptAlt2");
        vm.expectEmit(SETTLE);
        emit JobCompleted(JOB, ESCROW - _sumOwed("r3"), 0);
        _payBatch("r3", 1);
        uint256 owed = _sumOwed("r3");
        assertEq(PROVER.balance, START + BOND);
        assertEq(AGG.balance, START - owed - BOND, "the aggregator loses its bond, the payout is unchanged");
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r3");
    }

    function test_scenario_openingRequestAnswered_thenClean() public {
        _createCC();
        _commitRounds(3);
        _request(REQUESTER, 2);
        _answer(PARTICIPANT, 2, "r2", "opening2Participant");
        _finalize();
        _openExpecting(3, false, address(0));
        (, uint256[] memory amounts,) = _owed("r3", false, ESCROW, BOND);
        uint256 owed = _payAndCheck("r3", false, address(0));
        assertEq(REQUESTER.balance, START - REQ_FEE);
        assertEq(PARTICIPANT.balance, START + REQ_FEE + amounts[4]);
        assertEq(AGG.balance, START - owed);
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r3");
    }

    function test_scenario_openingRequestUnanswered_faultAtPrevious() public {
        _createCC();
        _commitRounds(3);
        _request(REQUESTER, 3);
        skip(RESPONSE + 1);
        _resolveRequest(3);
        _openExpecting(2, true, REQUESTER);
        _payAndCheck("r2", true, REQUESTER);
        assertEq(AGG.balance, START - ESCROW - BOND);
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r2");
    }

    // --------------------------------------------------------------------------------- variants

    function test_scenario_commitProof_clean() public {
        _createCP();
        for (uint256 r = 1; r <= 3; ++r) {
            skip(10 minutes);
            _commitWithProof(r);
        }
        History memory h = _hist(3);
        vm.prank(CHALLENGER);
        vm.expectRevert(WrongVariant.selector); // CP rounds are proven: no challenges
        settle.challenge{value: CH_BOND}(JOB, jobCfg, 3, h);
        _finalize();
        _openExpecting(3, false, address(0));
        uint256 owed = _payAndCheck("r3", false, address(0));
        assertEq(AGG.balance, START - owed);
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r3");
    }

    function test_scenario_commitProof_requestUnanswered_fault() public {
        _createCP();
        for (uint256 r = 1; r <= 3; ++r) {
            _commitWithProof(r);
        }
        _request(REQUESTER, 3);
        skip(RESPONSE + 1);
        _resolveRequest(3);
        _openExpecting(2, true, REQUESTER);
        _payAndCheck("r2", true, REQUESTER);
        assertEq(AGG.balance, START - ESCROW - BOND);
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r2");
    }

    function test_scenario_abandonedJob_madePayable() public {
        // The aggregator commits and disappears: anyone finalizes after the inactivity timeout, a
        // participant without the tip's opening requests it (the tip stays requestable one window after
        // a stranger's close), another answers, anyone pays out.
        _createCC();
        _commitRounds(3);
        vm.warp(times[3] + INACTIVITY + 1);
        _finalizeAs(STRANGER);
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.Finalized), "a stranger's close never opens payouts");
        _request(REQUESTER, 3);
        _answer(PARTICIPANT, 3, "r3", "opening3Participant");
        _openExpecting(3, false, address(0));
        (, uint256[] memory amounts,) = _owed("r3", false, ESCROW, BOND);
        uint256 owed = _payAndCheck("r3", false, address(0));
        assertEq(AGG.balance, START - owed, "an absent aggregator still gets its unused escrow and bond");
        assertEq(PARTICIPANT.balance, START + REQ_FEE + amounts[4]);
        assertEq(REQUESTER.balance, START - REQ_FEE);
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r3");
    }

    function test_scenario_abandonedJob_nobodyRequests_paysAfterTipWindow() public {
        _createCC();
        _commitRounds(3);
        vm.warp(times[3] + INACTIVITY + 1);
        _finalizeAs(STRANGER);
        uint256 end = settle.getJob(JOB).tipRequestEnd;
        assertEq(end, block.timestamp + WINDOW);
        History memory h = _tipHist();
        vm.warp(end);
        vm.expectRevert(abi.encodeWithSelector(TooEarly.selector, end));
        settle.openPayouts(JOB, jobCfg, h);
        _openExpecting(3, false, address(0));
        assertEq(block.timestamp, end + 1);
        uint256 owed = _payAndCheck("r3", false, address(0));
        assertEq(AGG.balance, START - owed);
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r3");
    }

    function test_scenario_abandonedJob_tipUnanswered_fault() public {
        _createCC();
        _commitRounds(3);
        vm.warp(times[3] + INACTIVITY + 1);
        _finalizeAs(STRANGER);
        _request(REQUESTER, 3);
        skip(RESPONSE + 1);
        _resolveRequest(3);
        _openExpecting(2, true, REQUESTER);
        _payAndCheck("r2", true, REQUESTER);
        assertEq(AGG.balance, START - ESCROW - BOND);
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r2");
    }

    function test_scenario_erc20_clean() public {
        _create(_terms(Variant.CommitChallenge, address(token)));
        _commitRounds(3);
        _finalize();
        _openExpecting(3, false, address(0));
        (address[] memory payees, uint256[] memory amounts, uint256 owed) = _owed("r3", false, ESCROW, BOND);
        _payAll("r3");
        for (uint256 i; i < payees.length; ++i) {
            assertEq(token.balanceOf(payees[i]), amounts[i]);
        }
        assertEq(token.balanceOf(AGG), ESCROW - owed);
        assertEq(AGG.balance, START, "the ETH bond returns");
        assertEq(token.balanceOf(SETTLE), 0);
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r3");
    }

    function test_scenario_erc20_fault() public {
        _create(_terms(Variant.CommitChallenge, address(token)));
        _commitRounds(3);
        _challenge(CHALLENGER, 3);
        skip(RESPONSE + 1);
        _resolve(3);
        _openExpecting(2, true, CHALLENGER);
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
        _assertCompleted("r2");
    }

    function test_scenario_twoJobs_noCrossJobMovement() public {
        uint256[] memory words = vm.parseJsonUintArray(fx, ".job2.genesis.words");
        uint256 c0 = vm.parseJsonUint(fx, ".job2.genesis.commitment");
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        vm.recordLogs();
        vm.prank(AGG2);
        settle.createJob{value: ESCROW + BOND}(0, t, c0, words, _proof("genesisJob2"));
        JobConfig memory cfg2 = _createdConfig(JOB2);
        JobView memory before = settle.getJob(JOB2);
        _createCC();
        _commitRounds(3);
        _challenge(CHALLENGER, 2);
        skip(RESPONSE + 1);
        _resolve(2);
        _openExpecting(1, true, CHALLENGER);
        _payAndCheck("r1", true, CHALLENGER);
        // (`_assertLedgers` assumes one ETH job in the contract: job 1's ledgers are checked by hand)
        JobView memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Completed));
        (uint256 e1, uint256 b1, uint256 d1) = settle.heldOf(JOB, jobCfg);
        assertEq(e1 + b1 + d1, 0, "job 1 holds nothing");
        assertEq(j.disputesIn, j.disputesOut);
        JobView memory afterwards = settle.getJob(JOB2);
        assertEq(keccak256(abi.encode(before)), keccak256(abi.encode(afterwards)), "job 2 untouched");
        (uint256 e, uint256 b, uint256 d) = settle.heldOf(JOB2, cfg2);
        assertEq(e, ESCROW);
        assertEq(b, BOND);
        assertEq(d, 0);
        assertEq(SETTLE.balance, ESCROW + BOND, "exactly job 2's money remains");
    }

    // ---------------------------------------------------------------------------------- helpers

    function _finalizeAs(address who) internal {
        History memory h = _tipHist();
        vm.prank(who);
        settle.finalize(JOB, jobCfg, h);
    }

    /// @dev Warps past every window and opens payouts, expecting the outcome `PayoutsOpened` fixes: the
    ///      tip's commitment, the fault flag, the reward recipient and rho (also as a transfer and a balance).
    function _openExpecting(uint256 tip, bool fault, address recipient) internal {
        History memory h = _tipHist();
        (uint256 notBefore,,) = settle.payoutsOpenAfter(JOB, jobCfg, h);
        if (block.timestamp <= notBefore) vm.warp(notBefore + 1);
        uint256 reward = fault ? RHO : 0;
        uint256 before = recipient.balance;
        vm.expectEmit(SETTLE);
        emit PayoutsOpened(JOB, tip, commitments[tip], fault, recipient, reward);
        if (fault) {
            vm.expectEmit(SETTLE);
            emit Transferred(JOB, LedgerKind.Bond, recipient, RHO, false);
        }
        vm.prank(STRANGER);
        settle.openPayouts(JOB, jobCfg, h);
        assertEq(recipient.balance, before + reward, "rho to the reward recipient");
    }

    function _sumOwed(string memory state) internal view returns (uint256 owed) {
        (,, owed) = _owed(state, false, ESCROW, BOND);
    }

    /// @dev Pays every batch of `state` and checks each payee's ETH; on a fault also the recipient's
    ///      escrow dust and bond dust. Returns what the payees were owed in all.
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
            uint256 spent = recipient == CHALLENGER ? CH_BOND : recipient == REQUESTER ? REQ_FEE : 0;
            uint256 refunded = spent; // a resolved challenge or request refunds its bond or fee
            assertEq(recipient.balance, START - spent + refunded + RHO + ESCROW - escrowPaid + BOND_SHARE - bondPaid);
        }
    }

    /// @dev Every batch of the settled state `state` paid, nothing left in the job's ledgers.
    function _assertCompleted(string memory state) internal view {
        JobView memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Completed));
        for (uint256 b; b < _batches(state); ++b) {
            assertTrue(settle.isBatchPaid(JOB, b), "every batch paid");
        }
        assertEq(j.escrowOut, jobCfg.terms.escrow);
        assertEq(j.bondOut, jobCfg.terms.bond);
        (uint256 e, uint256 b, uint256 d) = settle.heldOf(JOB, jobCfg);
        assertEq(e + b + d, 0, "a completed job holds nothing");
        _assertLedgers(JOB);
    }
}
// forge-lint: disable-end(unsafe-typecast, block-timestamp)
