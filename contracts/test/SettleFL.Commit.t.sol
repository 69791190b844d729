// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

// Tests cast small constants to addresses and compare warped timestamps on purpose.
// forge-lint: disable-start(unsafe-typecast, block-timestamp)

import {SettleFLTest} from "./utils/SettleFLTest.sol";
import {MockVerifier} from "./mocks/Verifiers.sol";

/// @notice Commits (optimistic and proof-carrying, addressed by the aggregator's nonce), the rolling hash
///         with its checkpoints, the history rules, and finalize (with payouts opening in the same call),
///         at every deadline.
contract SettleFLCommitTest is SettleFLTest {
    /// @dev Storage slots of `_heads` and `_checkpoints` (`forge inspect SettleFL storageLayout`).
    uint256 internal constant HEADS_SLOT = 1;
    uint256 internal constant CHECKPOINTS_SLOT = 3;
    uint256 internal constant MAX_ROUND = (1 << 21) - 1;
    uint256 internal constant TIP_SHIFT = 35;

    // --------------------------------------------------------------------------------- commit

    function test_commit_byAggregator_succeeds() public {
        _createCC();
        skip(1 hours);
        vm.expectEmit(SETTLE);
        emit RoundCommitted(JOB, 1, _C(1));
        _commit(1);
        JobView memory j = settle.getJob(JOB);
        assertEq(j.tip, 1);
        assertEq(j.headHash, hashes[1]);
        assertEq(j.headHash, settle.linkHash(hashes[0], 1, _C(1), block.timestamp));
        assertEq(times[1], block.timestamp, "t_1 is the block time of the commit");
        // the head keeps the other fields (one word read and written)
        assertEq(j.commitDeadline, T0 + DURATION);
        assertEq(uint8(j.variant), uint8(Variant.CommitChallenge));
        assertEq(j.build, 0);
        assertEq(uint8(j.phase), uint8(Phase.Active));
        assertEq(j.configHash, keccak256(abi.encode(jobCfg)));
        assertEq(settle.checkHistory(JOB, _history(0, 1)), 0);
        skip(1 hours);
        _commit(2);
        skip(1 hours);
        _commit(3);
        assertEq(settle.getJob(JOB).tip, 3);
        assertEq(settle.getJob(JOB).headHash, hashes[3]);
    }

    function test_commit_sameBlock_succeeds() public {
        // several rounds in one block: each link carries its round, so the hashes still differ
        _createCC();
        _commit(1);
        _commit(2);
        assertEq(times[1], times[2]);
        assertEq(settle.getJob(JOB).headHash, hashes[2]);
        assertTrue(hashes[1] != hashes[2]);
    }

    /// @dev v2: a commit names the job `keccak256(sender, nonce)`; anyone else's commit names another, empty
    ///      job (v1's NotAggregator).
    function test_commit_byNonAggregator_reverts() public {
        _createCC();
        uint256 headBefore = settle.getJob(JOB).headHash;
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(CommitsClosed.selector, keccak256(abi.encode(STRANGER, NONCE))));
        settle.commit(NONCE, _C(1));
        // the aggregator with a nonce it never used: an unknown job
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(CommitsClosed.selector, keccak256(abi.encode(AGG, NONCE + 1))));
        settle.commit(NONCE + 1, _C(1));
        assertEq(settle.getJob(JOB).tip, 0);
        assertEq(settle.getJob(JOB).headHash, headBefore);
    }

    function test_commit_sameNonceOtherAggregator_commitsItsOwnJob_succeeds() public {
        _createCC();
        _createJob2(Variant.CommitChallenge);
        vm.expectEmit(SETTLE);
        emit RoundCommitted(JOB2, 1, _C(1));
        vm.prank(AGG2);
        settle.commit(NONCE, _C(1));
        assertEq(settle.getJob(JOB2).tip, 1);
        assertEq(settle.getJob(JOB).tip, 0, "the same nonce of another aggregator is another job");
    }

    function test_commit_notAFieldElement_reverts() public {
        _createCC();
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(NotAFieldElement.selector, P));
        settle.commit(NONCE, P);
        _commitC(1, P - 1); // the largest field element
        assertEq(settle.getJob(JOB).headHash, hashes[1]);
    }

    function test_commit_atHardDeadline_succeeds() public {
        _createCC();
        vm.warp(T0 + DURATION);
        _commit(1);
        assertEq(settle.getJob(JOB).tip, 1);
    }

    function test_commit_afterHardDeadline_reverts() public {
        _createCC();
        vm.warp(T0 + DURATION + 1);
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(CommitsClosed.selector, JOB));
        settle.commit(NONCE, _C(1));
    }

    function test_commit_afterFinalize_reverts() public {
        _createCC();
        _finalize();
        assertEq(settle.getJob(JOB).commitDeadline, 0);
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(CommitsClosed.selector, JOB));
        settle.commit(NONCE, _C(1));
    }

    function test_commit_afterFinalizeByStranger_reverts() public {
        _createCC();
        vm.warp(T0 + INACTIVITY + 1);
        History memory h = _tipHist();
        vm.prank(STRANGER);
        settle.finalize(JOB, jobCfg, h);
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(CommitsClosed.selector, JOB));
        settle.commit(NONCE, _C(1));
    }

    function test_commit_afterFault_reverts() public {
        _createCC();
        // THREATS "Life after a fault": the first fault ends the job; the tip only decreases.
        _commitRounds(2);
        _challenge(CHALLENGER, 2);
        skip(RESPONSE + 1);
        _resolve(2);
        assertEq(settle.getJob(JOB).tip, 1);
        assertEq(settle.getJob(JOB).headHash, hashes[1], "rolled back to H_1");
        assertEq(settle.getJob(JOB).commitDeadline, 0);
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(CommitsClosed.selector, JOB));
        settle.commit(NONCE, _C(2));
        History memory h = _tipHist();
        Proof memory p = _proof("transition2Agg");
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(CommitsClosed.selector, JOB));
        settle.commitWithProof(NONCE, h, _C(2), p);
    }

    function test_commit_afterEquivocation_reverts() public {
        // an equivocation fault closes commits without a rollback
        _createCC();
        _commitRounds(3);
        _equivocate(2, "alt2", "receiptAlt2");
        assertEq(settle.getJob(JOB).tip, 3);
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(CommitsClosed.selector, JOB));
        settle.commit(NONCE, _C(4));
    }

    function test_commit_inCommitProofJob_reverts() public {
        _createCC();
        _createJob2(Variant.CommitProof);
        vm.prank(AGG2);
        vm.expectRevert(WrongVariant.selector);
        settle.commit(NONCE, _C(1));
    }

    /// @dev The tip has 21 bits: round MAX_ROUND is the last (the head is set with `vm.store`).
    function test_commit_roundLimit_reverts() public {
        _createCC();
        _setTip(MAX_ROUND - 1);
        assertEq(settle.getJob(JOB).tip, MAX_ROUND - 1);
        vm.prank(AGG);
        settle.commit(NONCE, _C(1));
        JobView memory j = settle.getJob(JOB);
        assertEq(j.tip, MAX_ROUND);
        assertEq(j.commitDeadline, T0 + DURATION, "the tip did not spill into the other fields");
        assertEq(j.build, 0);
        assertEq(uint8(j.variant), uint8(Variant.CommitChallenge));
        vm.prank(AGG);
        vm.expectRevert(RoundLimit.selector);
        settle.commit(NONCE, _C(2));
        History memory h = _oneLink(MAX_ROUND, 0, 0);
        Proof memory p = _proof("transition1Agg");
        vm.prank(AGG);
        vm.expectRevert(RoundLimit.selector);
        settle.commitWithProof(NONCE, h, _C(2), p);
    }

    // ------------------------------------------------------------------------- checkpoints

    /// @dev Every 16th commit also stores its hash as a checkpoint, equal to the mirrored H_16m; the others
    ///      write the head only.
    function test_commit_checkpointEvery16thRound_succeeds() public {
        _createCC();
        for (uint256 r = 1; r <= 33; ++r) {
            skip(1 hours);
            vm.record();
            _commit(r);
            (, bytes32[] memory writes) = vm.accesses(SETTLE);
            if (r % K == 0) {
                assertEq(writes.length, 2, "the head and a checkpoint");
                assertEq(writes[1], _checkpointSlot(r / K));
                assertEq(settle.checkpointOf(JOB, r / K), hashes[r], "checkpoint = H_16m");
                assertEq(settle.checkpointOf(JOB, r / K), settle.getJob(JOB).headHash);
            } else {
                assertEq(writes.length, 1, "the head only");
            }
            assertEq(writes[0], keccak256(abi.encode(JOB, HEADS_SLOT)));
        }
        assertEq(settle.checkpointOf(JOB, 0), 0);
        assertEq(settle.checkpointOf(JOB, 1), hashes[16]);
        assertEq(settle.checkpointOf(JOB, 2), hashes[32]);
        assertEq(settle.checkpointOf(JOB, 3), 0);
        assertTrue(hashes[16] != hashes[32]);
    }

    // --------------------------------------------------------------------------- histories

    function test_checkHistory_endingAtTipOrCheckpoint_succeeds() public {
        _createCC();
        _commitRounds(33);
        assertEq(settle.checkHistory(JOB, _tipHist()), 33);
        assertEq(settle.checkHistory(JOB, _history(17, 33)), 17, "17 links ending at the tip");
        assertEq(settle.checkHistory(JOB, _history(0, 16)), 0, "17 links ending at checkpoint 1");
        assertEq(settle.checkHistory(JOB, _history(16, 16)), 16);
        assertEq(settle.checkHistory(JOB, _history(16, 32)), 16);
        assertEq(settle.checkHistory(JOB, _history(32, 32)), 32);
        assertEq(settle.checkHistory(JOB, _hist(17)), 16);
        assertEq(settle.checkHistory(JOB, _hist(1)), 0);
        assertEq(settle.checkHistory(JOB, _hist(33)), 32);
    }

    function test_checkHistory_badShape_reverts() public {
        _createCC();
        _commitRounds(33);
        History memory h = _tipHist();
        h.links = new Link[](0);
        vm.expectRevert(BadHistory.selector);
        settle.checkHistory(JOB, h); // empty

        h = _history(16, 33); // 18 links
        vm.expectRevert(BadHistory.selector);
        settle.checkHistory(JOB, h);

        h = _history(33, 33);
        h.last = 34; // past the tip
        vm.expectRevert(BadHistory.selector);
        settle.checkHistory(JOB, h);

        h = _history(30, 31); // ends below the tip, not at a checkpoint
        vm.expectRevert(BadHistory.selector);
        settle.checkHistory(JOB, h);

        h = _history(0, 0); // round 0 is no checkpoint
        vm.expectRevert(BadHistory.selector);
        settle.checkHistory(JOB, h);

        h = _history(0, 16);
        h.last = 48; // a checkpoint index past the tip
        vm.expectRevert(BadHistory.selector);
        settle.checkHistory(JOB, h);
    }

    function test_checkHistory_reachingBelowRoundZero_reverts() public {
        _createCC();
        _commitRounds(3);
        History memory h = _history(0, 3);
        assertEq(settle.checkHistory(JOB, h), 0);
        Link[] memory five = new Link[](5);
        for (uint256 i; i < 4; ++i) {
            five[i + 1] = h.links[i];
        }
        h.links = five; // rounds -1 .. 3
        vm.expectRevert(BadHistory.selector);
        settle.checkHistory(JOB, h);
    }

    function test_checkHistory_forged_reverts() public {
        _createCC();
        _commitRounds(33);
        History memory good = _history(17, 33);
        for (uint256 i; i <= good.links.length; ++i) {
            for (uint256 what; what < 2; ++what) {
                History memory h = _history(17, 33);
                if (i == good.links.length) {
                    if (what == 1) continue;
                    h.before += 1;
                } else if (what == 0) {
                    h.links[i].commitment += 1;
                } else {
                    h.links[i].time += 1;
                }
                vm.expectRevert(HistoryMismatch.selector);
                settle.checkHistory(JOB, h);
            }
        }
        // the right links shifted by one round
        History memory shifted = _history(16, 32);
        shifted.last = 33;
        vm.expectRevert(HistoryMismatch.selector);
        settle.checkHistory(JOB, shifted);
    }

    // ----------------------------------------------------------------------- commitWithProof

    function test_commitWithProof_commitProof_succeeds() public {
        _createCP();
        for (uint256 r = 1; r <= 3; ++r) {
            skip(10 minutes);
            vm.expectEmit(SETTLE);
            emit RoundCommittedWithProof(JOB, r, _C(r));
            _commitWithProof(r);
            assertEq(uint8(settle.challengeOf(JOB, r).status), uint8(ChallengeStatus.None), "CP: nothing to mark");
        }
        JobView memory j = settle.getJob(JOB);
        assertEq(j.tip, 3);
        assertEq(j.headHash, hashes[3]);
        assertEq(j.headHash, settle.linkHash(hashes[2], 3, _C(3), block.timestamp));
        assertEq(uint8(j.variant), uint8(Variant.CommitProof));
        assertEq(j.commitDeadline, T0 + DURATION);
    }

    /// @dev The tip history must fold to the head: a forged link or `before` is a mismatch.
    function test_commitWithProof_forgedTip_reverts() public {
        _createCP();
        skip(1 hours);
        _commitWithProof(1);
        Proof memory p = _proof("transition2Agg");

        History memory h = _tipHist();
        h.links[0].commitment = _C(0); // claims C_1 = C_0 (what a proof from C_0 would need)
        vm.prank(AGG);
        vm.expectRevert(HistoryMismatch.selector);
        settle.commitWithProof(NONCE, h, _C(2), p);

        h = _tipHist();
        h.links[0].time -= 1;
        vm.prank(AGG);
        vm.expectRevert(HistoryMismatch.selector);
        settle.commitWithProof(NONCE, h, _C(2), p);

        h = _tipHist();
        h.before = 0;
        vm.prank(AGG);
        vm.expectRevert(HistoryMismatch.selector);
        settle.commitWithProof(NONCE, h, _C(2), p);
    }

    /// @dev A stale history (the previous tip) does not prove `C_{r-1}`.
    function test_commitWithProof_staleTip_reverts() public {
        _createCP();
        skip(1 hours);
        _commitWithProof(1);
        skip(1 hours);
        _commitWithProof(2);
        Proof memory p = _proof("transition3Agg");

        History memory h = _history(1, 1); // ended at the tip before round 2
        vm.prank(AGG);
        vm.expectRevert(BadHistory.selector);
        settle.commitWithProof(NONCE, h, _C(3), p);

        h.last = 2; // ... relabelled as the tip
        vm.prank(AGG);
        vm.expectRevert(HistoryMismatch.selector);
        settle.commitWithProof(NONCE, h, _C(3), p);
    }

    /// @dev A valid history ending at a checkpoint below the tip proves rounds, but not the tip.
    function test_commitWithProof_historyEndingAtCheckpoint_reverts() public {
        _createCC();
        _commitRounds(17);
        History memory h = _history(1, 16);
        assertEq(settle.checkHistory(JOB, h), 1, "valid");
        Proof memory p = _proof("transition17Agg");
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(RoundNotCovered.selector, 17));
        settle.commitWithProof(NONCE, h, _C(18), p);
    }

    /// @dev The same in CP, past a checkpoint (a deployment with mock verifiers: the fixtures prove CP
    ///      rounds 1..3 only).
    function test_commitWithProof_commitProofHistoryEndingAtCheckpoint_reverts() public {
        _useMockVerifiers();
        _createCP();
        for (uint256 r = 1; r <= 17; ++r) {
            skip(1 hours);
            _commitWithMockProof(r);
        }
        assertEq(settle.checkpointOf(JOB, 1), hashes[16], "commitWithProof writes checkpoints too");
        Proof memory p;
        History memory h = _history(1, 16);
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(RoundNotCovered.selector, 17));
        settle.commitWithProof(NONCE, h, _C(18), p);
        h = _history(16, 16);
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(RoundNotCovered.selector, 17));
        settle.commitWithProof(NONCE, h, _C(18), p);
        // the tip history works
        skip(1 hours);
        _commitWithMockProof(18);
        assertEq(settle.getJob(JOB).headHash, hashes[18]);
    }

    function test_commitWithProof_wrongProof_reverts() public {
        _createCP();
        _commitWithProof(1);
        History memory h = _tipHist();
        // round 3's proof does not show C_2 follows C_1
        Proof memory p3 = _proof("transition3Agg");
        vm.prank(AGG);
        vm.expectRevert(InvalidProof.selector);
        settle.commitWithProof(NONCE, h, _C(2), p3);
        // a participant's proof binds its sender, not the aggregator
        Proof memory pp = _proof("transition2Participant");
        vm.prank(AGG);
        vm.expectRevert(InvalidProof.selector);
        settle.commitWithProof(NONCE, h, _C(2), pp);
        // round 2's proof with another commitment
        Proof memory p2 = _proof("transition2Agg");
        vm.prank(AGG);
        vm.expectRevert(InvalidProof.selector);
        settle.commitWithProof(NONCE, h, _C(3), p2);
    }

    function test_commitWithProof_byNonAggregator_reverts() public {
        _createCP();
        History memory h = _tipHist();
        Proof memory p = _proof("transition1Agg");
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(CommitsClosed.selector, keccak256(abi.encode(STRANGER, NONCE))));
        settle.commitWithProof(NONCE, h, _C(1), p);
    }

    function test_commitWithProof_notAFieldElement_reverts() public {
        _createCP();
        History memory h = _tipHist();
        Proof memory p = _proof("transition1Agg");
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(NotAFieldElement.selector, P));
        settle.commitWithProof(NONCE, h, P, p);
    }

    function test_commitWithProof_afterHardDeadline_reverts() public {
        _createCP();
        vm.warp(T0 + DURATION);
        _commitWithProof(1); // at the deadline
        vm.warp(T0 + DURATION + 1);
        History memory h = _tipHist();
        Proof memory p = _proof("transition2Agg");
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(CommitsClosed.selector, JOB));
        settle.commitWithProof(NONCE, h, _C(2), p);
    }

    function test_commitWithProof_afterFinalize_reverts() public {
        _createCP();
        _commitWithProof(1);
        _finalize();
        History memory h = _tipHist();
        Proof memory p = _proof("transition2Agg");
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(CommitsClosed.selector, JOB));
        settle.commitWithProof(NONCE, h, _C(2), p);
    }

    function test_commitWithProof_inCommitChallenge_provesRound_succeeds() public {
        _createCC();
        skip(1 hours);
        vm.expectEmit(SETTLE);
        emit RoundCommittedWithProof(JOB, 1, _C(1));
        _commitWithProof(1);
        assertEq(uint8(settle.challengeOf(JOB, 1).status), uint8(ChallengeStatus.Proven));
        History memory h = _hist(1);
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(AlreadyDisputed.selector, 1));
        settle.challenge{value: CH_BOND}(JOB, jobCfg, 1, h);
        assertEq(CHALLENGER.balance, 100 ether, "no bond taken");
        _commit(2); // optimistic commits continue after a proven one
        assertEq(settle.getJob(JOB).tip, 2);
        assertEq(uint8(settle.challengeOf(JOB, 2).status), uint8(ChallengeStatus.None));
    }

    /// @dev The longest history (17 links): rounds 0..16 prove C_16 for round 17's proof.
    function test_commitWithProof_longestHistory_succeeds() public {
        _createCC();
        _commitRounds(16);
        skip(1 hours);
        History memory h = _history(0, 16);
        assertEq(h.links.length, 17);
        vm.prank(AGG);
        settle.commitWithProof(NONCE, h, _C(17), _proof("transition17Agg"));
        _record(17, _C(17));
        assertEq(settle.getJob(JOB).tip, 17);
        assertEq(settle.getJob(JOB).headHash, hashes[17]);
        assertEq(uint8(settle.challengeOf(JOB, 17).status), uint8(ChallengeStatus.Proven));
    }

    function test_commitWithProof_historyTooLong_reverts() public {
        _createCC();
        _commitRounds(17);
        History memory h = _history(0, 17); // 18 links ending at the tip
        assertEq(h.links.length, 18);
        Proof memory p = _proof("transition17Agg");
        vm.prank(AGG);
        vm.expectRevert(BadHistory.selector);
        settle.commitWithProof(NONCE, h, _C(18), p);
    }

    // -------------------------------------------------------------------------------- finalize

    /// @dev The aggregator may close at any time; before the tip's window has closed, payouts wait for
    ///      `t_tip + window` only (no extra window).
    function test_finalize_byAggregatorBeforeWindows_succeeds() public {
        _createCC();
        _commitRounds(1);
        vm.expectEmit(SETTLE);
        emit JobFinalized(JOB, AGG);
        _finalize();
        JobView memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Finalized));
        assertEq(j.commitDeadline, 0);
        assertEq(j.tipRequestEnd, 0);
        assertEq(j.disputeEnd, 0);
        (uint256 notBefore,,) = settle.payoutsOpenAfter(JOB, jobCfg, _tipHist());
        assertEq(notBefore, times[1] + WINDOW);
        History memory h = _tipHist();
        vm.prank(AGG);
        vm.expectRevert(AlreadyFinalized.selector);
        settle.finalize(JOB, jobCfg, h);

        vm.warp(times[1] + WINDOW);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(TooEarly.selector, times[1] + WINDOW));
        settle.openPayouts(JOB, jobCfg, h);
        vm.warp(times[1] + WINDOW + 1);
        vm.prank(STRANGER);
        settle.openPayouts(JOB, jobCfg, h);
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.PayoutsOpen));
        _assertLedgers(JOB);
    }

    /// @dev v2: the aggregator finalizing after every window, with nothing pending, opens payouts in the
    ///      same call. No money moves (clean outcome).
    function test_finalize_byAggregatorAfterWindows_opensPayouts_succeeds() public {
        _createCC();
        _commitRounds(3);
        vm.warp(times[3] + WINDOW + 1);
        uint256 aggBalance = AGG.balance;
        vm.expectEmit(SETTLE);
        emit JobFinalized(JOB, AGG);
        vm.expectEmit(SETTLE);
        emit PayoutsOpened(JOB, 3, _C(3), false, address(0), 0);
        _finalize();
        JobView memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.PayoutsOpen));
        assertEq(j.commitDeadline, 0);
        assertEq(j.tipRequestEnd, 0);
        assertEq(AGG.balance, aggBalance);
        assertEq(SETTLE.balance, ESCROW + BOND);
        _assertLedgers(JOB);
        History memory h = _tipHist();
        vm.prank(STRANGER);
        vm.expectRevert(PayoutsAlreadyOpen.selector);
        settle.openPayouts(JOB, jobCfg, h);
        _payAll("r3");
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.Completed));
        _assertLedgers(JOB);
    }

    function test_finalize_byAggregatorAtWindowEnd_doesNotOpen_succeeds() public {
        _createCC();
        _commitRounds(3);
        vm.warp(times[3] + WINDOW); // the window's last second: still open
        _finalize();
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.Finalized));
        _open();
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.PayoutsOpen));
    }

    function test_finalize_byAggregatorWithPendingRequest_doesNotOpen_succeeds() public {
        _createCC();
        _commitRounds(3);
        _request(REQUESTER, 3);
        vm.warp(times[3] + WINDOW + 1);
        _finalize();
        JobView memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Finalized));
        assertEq(j.openRequests, 1);
    }

    function test_finalize_byAggregatorWithPendingChallenge_doesNotOpen_succeeds() public {
        _createCC();
        _commitRounds(3);
        _challenge(CHALLENGER, 3);
        vm.warp(times[3] + WINDOW + 1);
        _finalize();
        JobView memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Finalized));
        assertEq(j.openChallenges, 1);
    }

    /// @dev An answered request keeps its round challengeable for one more window (CC): the aggregator's
    ///      finalize does not open payouts before that window's end.
    function test_finalize_byAggregatorBeforeDisputeEnd_doesNotOpen_succeeds() public {
        _createCC();
        _commitRounds(3);
        skip(1 hours);
        _request(REQUESTER, 3);
        _answer(PARTICIPANT, 3, "r3", "opening3Participant");
        uint256 disputeEnd = block.timestamp + WINDOW;
        assertEq(settle.getJob(JOB).disputeEnd, disputeEnd);
        vm.warp(times[3] + WINDOW + 1);
        _finalize();
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.Finalized));
        (uint256 notBefore,,) = settle.payoutsOpenAfter(JOB, jobCfg, _tipHist());
        assertEq(notBefore, disputeEnd);
    }

    function test_finalize_byStrangerAtInactivityTimeout_reverts() public {
        _createCC();
        _commitRounds(1);
        vm.warp(times[1] + INACTIVITY);
        History memory h = _tipHist();
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(FinalizeNotAllowed.selector, times[1] + INACTIVITY));
        settle.finalize(JOB, jobCfg, h);
        // same block: the aggregator may still commit, which restarts the timeout
        _commit(2);
        vm.warp(times[2] + INACTIVITY);
        h = _tipHist();
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(FinalizeNotAllowed.selector, times[2] + INACTIVITY));
        settle.finalize(JOB, jobCfg, h);
        vm.warp(times[2] + INACTIVITY + 1);
        vm.prank(STRANGER);
        settle.finalize(JOB, jobCfg, h);
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.Finalized));
    }

    /// @dev v2: closed by anyone but the aggregator, the tip stays requestable for one more window and
    ///      payouts wait for it, although the tip's own window closed long ago.
    function test_finalize_byStrangerAfterInactivityTimeout_succeeds() public {
        _createCC();
        vm.warp(T0 + INACTIVITY + 1);
        History memory h = _tipHist();
        vm.expectEmit(SETTLE);
        emit JobFinalized(JOB, STRANGER);
        vm.prank(STRANGER);
        settle.finalize(JOB, jobCfg, h);
        JobView memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Finalized), "payouts do not open in the same call");
        assertEq(j.tipRequestEnd, block.timestamp + WINDOW);
        assertEq(j.commitDeadline, 0);
        (uint256 notBefore,,) = settle.payoutsOpenAfter(JOB, jobCfg, h);
        assertEq(notBefore, block.timestamp + WINDOW);
        uint256 end = block.timestamp + WINDOW;
        vm.warp(end);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(TooEarly.selector, end));
        settle.openPayouts(JOB, jobCfg, h);
        vm.warp(end + 1);
        vm.prank(STRANGER);
        settle.openPayouts(JOB, jobCfg, h);
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.PayoutsOpen));
        _assertLedgers(JOB);
    }

    function test_finalize_hardDeadline_sameBlockRace_succeeds() public {
        _createCC();
        // Commit every day so inactivity never triggers; the hard deadline ends the job.
        for (uint256 r = 1; r <= 3; ++r) {
            vm.warp(T0 + DURATION - 3 days + r * 1 days);
            _commit(r);
        }
        assertEq(block.timestamp, T0 + DURATION);
        History memory h = _tipHist();
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(FinalizeNotAllowed.selector, T0 + DURATION));
        settle.finalize(JOB, jobCfg, h);
        vm.warp(T0 + DURATION + 1);
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(CommitsClosed.selector, JOB));
        settle.commit(NONCE, _C(4));
        vm.prank(STRANGER);
        settle.finalize(JOB, jobCfg, h);
        assertEq(settle.getJob(JOB).tipRequestEnd, T0 + DURATION + 1 + WINDOW);
    }

    function test_finalize_unknownJob_reverts() public {
        _createCC();
        History memory h = _tipHist();
        vm.prank(AGG);
        vm.expectRevert(UnknownJob.selector);
        settle.finalize(bytes32(uint256(1)), jobCfg, h);
    }

    function test_finalize_wrongConfig_reverts() public {
        _createCC();
        History memory h = _tipHist();
        JobConfig memory cfg = jobCfg;
        cfg.aggregator = STRANGER; // a stranger claiming to be the aggregator
        vm.prank(STRANGER);
        vm.expectRevert(ConfigMismatch.selector);
        settle.finalize(JOB, cfg, h);
        cfg = jobCfg;
        cfg.terms.inactivityTimeout = uint32(MIN_WINDOW); // a shorter timeout
        vm.warp(T0 + MIN_WINDOW + 1);
        vm.prank(STRANGER);
        vm.expectRevert(ConfigMismatch.selector);
        settle.finalize(JOB, cfg, h);
    }

    function test_finalize_badTipHistory_reverts() public {
        _createCC();
        _commitRounds(17);
        History memory h = _tipHist();
        h.links[0].time += 1; // a later tip time would delay the inactivity timeout
        vm.prank(AGG);
        vm.expectRevert(HistoryMismatch.selector);
        settle.finalize(JOB, jobCfg, h);
        h = _history(1, 16); // valid, but not the tip
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(RoundNotCovered.selector, 17));
        settle.finalize(JOB, jobCfg, h);
        h = _history(16, 16); // a stranger with round 16's (earlier) time as the tip's
        vm.warp(times[16] + INACTIVITY + 1);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(RoundNotCovered.selector, 17));
        settle.finalize(JOB, jobCfg, h);
    }

    function test_finalize_afterFault_reverts() public {
        _createCC();
        _commitRounds(2);
        _challenge(CHALLENGER, 2);
        skip(RESPONSE + 1);
        _resolve(2);
        History memory h = _tipHist();
        vm.prank(AGG);
        vm.expectRevert(AlreadyFinalized.selector);
        settle.finalize(JOB, jobCfg, h);
    }

    // ---------------------------------------------------------------------------------- helpers

    /// @dev Creates AGG2's job with nonce 0 (JOB2, the fixtures' second genesis).
    function _createJob2(Variant v) internal {
        JobTerms memory t = _terms(v, address(0));
        uint256[] memory words = vm.parseJsonUintArray(fx, ".job2.genesis.words");
        uint256 c0 = vm.parseJsonUint(fx, ".job2.genesis.commitment");
        vm.prank(AGG2);
        settle.createJob{value: ESCROW + BOND}(NONCE, t, c0, words, _proof("genesisJob2"));
    }

    /// @dev Sets the standard job's tip in its head (hash, build, variant and deadline kept).
    function _setTip(uint256 tip) internal {
        bytes32 slot = keccak256(abi.encode(JOB, HEADS_SLOT));
        uint256 head = uint256(vm.load(SETTLE, slot));
        assertEq(head >> 56, settle.getJob(JOB).headHash, "the head slot");
        head = (head & ~(MAX_ROUND << TIP_SHIFT)) | (tip << TIP_SHIFT);
        vm.store(SETTLE, slot, bytes32(head));
    }

    function _checkpointSlot(uint256 index) internal view returns (bytes32) {
        return keccak256(abi.encode(index, keccak256(abi.encode(JOB, CHECKPOINTS_SLOT))));
    }

    function _oneLink(uint256 last, uint256 commitment, uint256 time) internal pure returns (History memory h) {
        h.last = last;
        h.links = new Link[](1);
        h.links[0] = Link(commitment, time);
    }

    /// @dev Redeploys SettleFL at SETTLE (before any job) with mock verifiers: any proof passes.
    function _useMockVerifiers() internal {
        address v = address(new MockVerifier());
        BuildConfig[] memory builds = new BuildConfig[](1);
        builds[0] = BuildConfig(32, 16, v, v, v, v);
        // the token rates stay in SETTLE's storage (listing them again would be BadToken)
        deployCodeTo(
            "SettleFL.sol:SettleFL",
            abi.encode(builds, new TokenConfig[](0), _mins(), _extension(builds, _mins())),
            SETTLE
        );
    }

    /// @dev commitWithProof of round `r` with the tip history and an empty proof (mock verifiers only).
    function _commitWithMockProof(uint256 r) internal {
        History memory h = _tipHist();
        Proof memory p;
        vm.prank(AGG);
        settle.commitWithProof(NONCE, h, _C(r), p);
        _record(r, _C(r));
    }
}
// forge-lint: disable-end(unsafe-typecast, block-timestamp)
