// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

// Tests cast small constants to addresses and compare warped timestamps on purpose.
// forge-lint: disable-start(unsafe-typecast, block-timestamp)

import {Vm} from "forge-std/Vm.sol";
import {SettleFLTest} from "./utils/SettleFLTest.sol";

/// @notice The dispute game, in the habit of Optimism's dispute-game tests: every path is driven by
///         `vm.warp` to its deadline, both sides of every boundary are played in the same block, and
///         every bond path is checked. The standard CC job has rounds 1..3 committed one hour apart.
/// @dev Histories and configurations are built BEFORE `vm.prank` / `vm.expectRevert`: `_hist` reads the
///      tip with a call, which would consume either cheatcode.
contract SettleFLDisputeTest is SettleFLTest {
    uint256 internal constant RHO = BOND / 10;

    function setUp() public override {
        super.setUp();
        _createCC();
        _commitRounds(3);
    }

    // ------------------------------------------------------------------------------- challenge

    function test_challenge_withinWindow_succeeds() public {
        uint256 before = CHALLENGER.balance;
        vm.expectEmit(SETTLE);
        emit Challenged(JOB, 2, CHALLENGER, block.timestamp + RESPONSE);
        _challenge(CHALLENGER, 2);
        Challenge memory c = settle.challengeOf(JOB, 2);
        assertEq(c.challenger, CHALLENGER);
        assertEq(c.time, block.timestamp);
        assertEq(uint8(c.status), uint8(ChallengeStatus.Open));
        JobView memory j = settle.getJob(JOB);
        assertEq(j.openChallenges, 1);
        assertEq(j.disputesIn, CH_BOND);
        assertEq(j.disputesOut, 0);
        assertEq(CHALLENGER.balance, before - CH_BOND);
        assertEq(SETTLE.balance, ESCROW + BOND + CH_BOND);
        (,, uint256 d) = settle.heldOf(JOB, jobCfg);
        assertEq(d, CH_BOND);
        _assertLedgers(JOB);
    }

    function test_challenge_atWindowEnd_succeeds() public {
        vm.warp(times[2] + WINDOW);
        _challenge(CHALLENGER, 2);
        assertEq(settle.getJob(JOB).openChallenges, 1);
    }

    function test_challenge_afterWindow_reverts() public {
        vm.warp(times[2] + WINDOW + 1);
        History memory h = _hist(2);
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 2, times[2] + WINDOW));
        settle.challenge{value: CH_BOND}(JOB, jobCfg, 2, h);
    }

    function test_challenge_wrongBond_reverts() public {
        History memory h = _hist(2);
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(WrongPayment.selector, CH_BOND, CH_BOND - 1));
        settle.challenge{value: CH_BOND - 1}(JOB, jobCfg, 2, h);
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(WrongPayment.selector, CH_BOND, CH_BOND + 1));
        settle.challenge{value: CH_BOND + 1}(JOB, jobCfg, 2, h);
    }

    function test_challenge_roundZeroOrUncommitted_reverts() public {
        History memory h0 = _hist(0);
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(RoundNotChallengeable.selector, 0));
        settle.challenge{value: CH_BOND}(JOB, jobCfg, 0, h0);
        // Round 4 is not committed: a valid history ends at the tip (3) and does not cover it ...
        History memory tipH = _history(1, 3);
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(RoundNotCovered.selector, 4));
        settle.challenge{value: CH_BOND}(JOB, jobCfg, 4, tipH);
        // ... and a history claiming a round 4 ends past the tip.
        History memory past = _history(3, 3);
        past.last = 4;
        past.before = hashes[3];
        past.links[0] = Link(_C("r4"), block.timestamp);
        vm.prank(CHALLENGER);
        vm.expectRevert(BadHistory.selector);
        settle.challenge{value: CH_BOND}(JOB, jobCfg, 4, past);
    }

    function test_challenge_wrongHistory_reverts() public {
        // A later time would extend the window: the history must fold to the stored head.
        History memory h = _hist(2);
        h.links[1].time += 1 days; // round 2 (links: rounds 1..3)
        vm.prank(CHALLENGER);
        vm.expectRevert(HistoryMismatch.selector);
        settle.challenge{value: CH_BOND}(JOB, jobCfg, 2, h);
        h = _hist(2);
        h.links[1].commitment = _C("alt2");
        vm.prank(CHALLENGER);
        vm.expectRevert(HistoryMismatch.selector);
        settle.challenge{value: CH_BOND}(JOB, jobCfg, 2, h);
        h = _hist(2);
        h.before ^= 1;
        vm.prank(CHALLENGER);
        vm.expectRevert(HistoryMismatch.selector);
        settle.challenge{value: CH_BOND}(JOB, jobCfg, 2, h);
    }

    function test_challenge_wrongConfig_reverts() public {
        // A configuration with a longer window would reopen a closed round: it must hash to the stored one.
        vm.warp(times[2] + WINDOW + 1);
        JobConfig memory wide = jobCfg;
        wide.terms.challengeWindow = 2 * WINDOW;
        History memory h = _hist(2);
        vm.prank(CHALLENGER);
        vm.expectRevert(ConfigMismatch.selector);
        settle.challenge{value: CH_BOND}(JOB, wide, 2, h);
        vm.prank(CHALLENGER);
        vm.expectRevert(UnknownJob.selector);
        settle.challenge{value: CH_BOND}(bytes32(uint256(7)), jobCfg, 2, h);
    }

    function test_challenge_twice_reverts() public {
        _challenge(CHALLENGER, 2);
        History memory h = _hist(2);
        vm.prank(CHALLENGER2);
        vm.expectRevert(abi.encodeWithSelector(AlreadyDisputed.selector, 2));
        settle.challenge{value: CH_BOND}(JOB, jobCfg, 2, h);
    }

    function test_challenge_answeredRound_reverts() public {
        _challenge(CHALLENGER, 2);
        _respond(AGG, 2, "transition2Agg");
        History memory h = _hist(2);
        vm.prank(CHALLENGER2);
        vm.expectRevert(abi.encodeWithSelector(AlreadyDisputed.selector, 2));
        settle.challenge{value: CH_BOND}(JOB, jobCfg, 2, h);
    }

    function test_challenge_round1_succeeds() public {
        // The reference could not challenge its first round; here round 1 opens against the genesis
        // (its history starts at round 0, with before = H_{-1} = 0).
        _challenge(CHALLENGER, 1);
        uint256 aggBefore = AGG.balance;
        _respond(AGG, 1, "transition1Agg");
        assertEq(AGG.balance, aggBefore + CH_BOND);
        assertEq(uint8(settle.challengeOf(JOB, 1).status), uint8(ChallengeStatus.Answered));
        _assertLedgers(JOB);
    }

    function test_challenge_afterFinalize_withinWindow_succeeds() public {
        // A challenge does not end the commit phase (the reference's flaw), and finalize does not end
        // the windows: the last rounds stay challengeable.
        _finalize();
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.Finalized));
        _challenge(CHALLENGER, 3);
        assertEq(settle.getJob(JOB).openChallenges, 1);
    }

    function test_challenge_duringTraining_doesNotStopCommits() public {
        _challenge(CHALLENGER, 2);
        skip(1 hours);
        _commit(4); // round 4 is not in the fixtures' chain of proofs, but commits are optimistic
        assertEq(settle.getJob(JOB).tip, 4);
        assertEq(settle.getJob(JOB).headHash, hashes[4]);
    }

    function test_challenge_afterPayoutsOpen_reverts() public {
        _finalize();
        _open();
        History memory h = _hist(3);
        vm.prank(CHALLENGER);
        vm.expectRevert(PayoutsAlreadyOpen.selector);
        settle.challenge{value: CH_BOND}(JOB, jobCfg, 3, h);
    }

    // --------------------------------------------------------------------------------- respond

    function test_respond_byAggregator_succeeds() public {
        _challenge(CHALLENGER, 2);
        uint256 aggBefore = AGG.balance;
        vm.expectEmit(SETTLE);
        emit ChallengeAnswered(JOB, 2, AGG);
        vm.expectEmit(SETTLE);
        emit Transferred(JOB, LedgerKind.Disputes, AGG, CH_BOND, false);
        _respond(AGG, 2, "transition2Agg");
        assertEq(AGG.balance, aggBefore + CH_BOND, "the bond goes to the proof's sender");
        assertEq(uint8(settle.challengeOf(JOB, 2).status), uint8(ChallengeStatus.Answered));
        JobView memory j = settle.getJob(JOB);
        assertEq(j.openChallenges, 0);
        assertEq(j.tip, 3);
        assertEq(j.disputesIn, CH_BOND);
        assertEq(j.disputesOut, CH_BOND);
        assertEq(SETTLE.balance, ESCROW + BOND);
        _assertLedgers(JOB);
    }

    function test_respond_byParticipant_succeeds() public {
        _challenge(CHALLENGER, 2);
        uint256 before = PARTICIPANT.balance;
        _respond(PARTICIPANT, 2, "transition2Participant");
        assertEq(PARTICIPANT.balance, before + CH_BOND);
        _assertLedgers(JOB);
    }

    function test_respond_atDeadline_succeeds_resolveReverts() public {
        _challenge(CHALLENGER, 2);
        uint256 deadline = block.timestamp + RESPONSE;
        vm.warp(deadline);
        History memory h = _hist(2);
        vm.expectRevert(abi.encodeWithSelector(TooEarly.selector, deadline));
        settle.resolve(JOB, jobCfg, 2, h);
        _respond(AGG, 2, "transition2Agg"); // same block
        assertEq(uint8(settle.challengeOf(JOB, 2).status), uint8(ChallengeStatus.Answered));
    }

    function test_respond_late_reverts_resolveSucceeds() public {
        _challenge(CHALLENGER, 2);
        uint256 deadline = block.timestamp + RESPONSE;
        vm.warp(deadline + 1);
        History memory h = _hist(2);
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(TooLate.selector, deadline));
        settle.respond(JOB, jobCfg, 2, h, _proof("transition2Agg"));
        _resolve(2); // same block
        assertEq(settle.getJob(JOB).tip, 1);
    }

    function test_respond_frontRun_reverts() public {
        // THREATS "Front-running a proof": the sender is a public input of the Transition proof.
        _challenge(CHALLENGER, 2);
        History memory h = _hist(2);
        vm.prank(STRANGER);
        vm.expectRevert(InvalidProof.selector);
        settle.respond(JOB, jobCfg, 2, h, _proof("transition2Participant"));
    }

    function test_respond_proofOfAnotherRound_reverts() public {
        // THREATS "Disputes have no teeth": a proof for an earlier round never answers a later one.
        _challenge(CHALLENGER, 3);
        // Rounds 1 and 2 relabelled as rounds 2 and 3 do not fold to the head ...
        History memory shifted = _history(2, 3);
        shifted.before = hashes[0];
        shifted.links[0] = Link(commitments[1], times[1]);
        shifted.links[1] = Link(commitments[2], times[2]);
        vm.prank(AGG);
        vm.expectRevert(HistoryMismatch.selector);
        settle.respond(JOB, jobCfg, 3, shifted, _proof("transition2Agg"));
        // ... and with the true history the proof of round 2 does not verify for round 3.
        History memory h = _hist(3);
        vm.prank(AGG);
        vm.expectRevert(InvalidProof.selector);
        settle.respond(JOB, jobCfg, 3, h, _proof("transition2Agg"));
        // A history that does not reach back to round 2 cannot answer round 3.
        History memory short_ = _history(3, 3);
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(RoundNotCovered.selector, 2));
        settle.respond(JOB, jobCfg, 3, short_, _proof("transition3Agg"));
        _respond(AGG, 3, "transition3Agg");
    }

    function test_respond_noChallenge_reverts() public {
        History memory h = _hist(2);
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(NotOpen.selector, 2));
        settle.respond(JOB, jobCfg, 2, h, _proof("transition2Agg"));
    }

    function test_respond_voidRound_reverts() public {
        _challenge(CHALLENGER, 1);
        _challenge(CHALLENGER2, 2);
        History memory h = _hist(2); // as it was before the rollback
        skip(RESPONSE + 1);
        _resolve(1); // tip 0: round 2 is void
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(RoundVoid.selector, 2));
        settle.respond(JOB, jobCfg, 2, h, _proof("transition2Agg"));
    }

    // --------------------------------------------------------------------------------- resolve

    function test_resolve_unanswered_faultsAndRollsBack() public {
        _challenge(CHALLENGER, 2);
        uint256 before = CHALLENGER.balance;
        vm.warp(block.timestamp + RESPONSE + 1);
        vm.expectEmit(SETTLE);
        emit ChallengeResolved(JOB, 2, CHALLENGER);
        vm.expectEmit(SETTLE);
        emit JobFinalized(JOB, STRANGER); // the fault closes the active job
        vm.expectEmit(SETTLE);
        emit Faulted(JOB, FaultKind.UnansweredChallenge, 2, 1);
        vm.expectEmit(SETTLE);
        emit Transferred(JOB, LedgerKind.Disputes, CHALLENGER, CH_BOND, true);
        _resolve(2);
        JobView memory j = settle.getJob(JOB);
        assertEq(j.tip, 1, "tip = min(tip, r - 1)");
        assertEq(j.headHash, hashes[1], "the head is the hash of round 1");
        assertTrue(j.faulted);
        assertEq(uint8(j.phase), uint8(Phase.Finalized), "the first fault ends and finalizes the job");
        assertEq(j.tipRequestEnd, block.timestamp + WINDOW, "a fault keeps the tip requestable one window");
        assertEq(j.commitDeadline, 0);
        assertEq(CHALLENGER.balance, before + CH_BOND, "the challenger gets its bond back");
        assertEq(uint8(settle.challengeOf(JOB, 2).status), uint8(ChallengeStatus.Unanswered));
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(CommitsClosed.selector, JOB));
        settle.commit(NONCE, _C(2));
        _assertLedgers(JOB);
    }

    function test_resolve_afterAggregatorFinalize_rollsBackAndReopensTipRequests() public {
        // A fault on a job the aggregator already closed rolls back without re-closing the job, and gives
        // the new tip a request window of its own (so a state nobody holds can still be made payable).
        _finalize();
        _challenge(CHALLENGER, 3);
        skip(RESPONSE + 1);
        vm.recordLogs();
        _resolve(3);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            assertTrue(logs[i].topics[0] != JobFinalized.selector, "no second JobFinalized");
        }
        JobView memory j = settle.getJob(JOB);
        assertEq(j.tip, 2);
        assertEq(j.headHash, hashes[2]);
        assertTrue(j.faulted);
        assertEq(j.tipRequestEnd, block.timestamp + WINDOW);
        _request(REQUESTER, 2);
        _answer(PARTICIPANT, 2, "r2", "opening2Participant");
        _openExpecting(2, true, CHALLENGER, RHO);
    }

    function test_resolve_answered_reverts() public {
        _challenge(CHALLENGER, 2);
        _respond(AGG, 2, "transition2Agg");
        skip(RESPONSE + 1);
        History memory h = _hist(2);
        vm.expectRevert(abi.encodeWithSelector(NotOpen.selector, 2));
        settle.resolve(JOB, jobCfg, 2, h);
    }

    function test_resolve_historyNotCoveringRound_reverts() public {
        _challenge(CHALLENGER, 2);
        skip(RESPONSE + 1);
        History memory h = _history(3, 3); // proves round 3, not the hash before round 2
        vm.expectRevert(abi.encodeWithSelector(RoundNotCovered.selector, 2));
        settle.resolve(JOB, jobCfg, 2, h);
        h = _hist(2);
        h.before ^= 1; // a forged hash of round 0 would become the head
        vm.expectRevert(HistoryMismatch.selector);
        settle.resolve(JOB, jobCfg, 2, h);
        _resolve(2);
        assertEq(settle.getJob(JOB).headHash, hashes[1]);
    }

    function test_twoChallenges_laterResolvedFirst_bothFault() public {
        _challenge(CHALLENGER, 2);
        _challenge(CHALLENGER2, 3);
        skip(RESPONSE + 1);
        uint256 before2 = CHALLENGER2.balance;
        _resolve(3);
        assertEq(settle.getJob(JOB).tip, 2);
        assertEq(CHALLENGER2.balance, before2 + CH_BOND);
        _resolve(2); // still <= tip: it rolls further back
        JobView memory j = settle.getJob(JOB);
        assertEq(j.tip, 1);
        assertEq(j.headHash, hashes[1]);
        assertEq(j.openChallenges, 0);
        _openExpecting(1, true, CHALLENGER, RHO); // the earliest faulted round's challenger
        _assertLedgers(JOB);
    }

    function test_twoChallenges_earlierResolvedFirst_laterVoidReclaimed() public {
        _challenge(CHALLENGER, 2);
        _challenge(CHALLENGER2, 3);
        History memory h3 = _hist(3);
        skip(RESPONSE + 1);
        _resolve(2);
        vm.expectRevert(abi.encodeWithSelector(RoundVoid.selector, 3));
        settle.resolve(JOB, jobCfg, 3, h3); // one slash only
        // the void challenge blocks payouts until reclaimed
        vm.warp(times[3] + 2 * WINDOW);
        History memory tipH = _tipHist();
        vm.expectRevert(abi.encodeWithSelector(DisputesPending.selector, 1, 0));
        settle.openPayouts(JOB, jobCfg, tipH);
        uint256 before = CHALLENGER2.balance;
        vm.expectEmit(SETTLE);
        emit ChallengeReclaimed(JOB, 3, CHALLENGER2);
        vm.expectEmit(SETTLE);
        emit Transferred(JOB, LedgerKind.Disputes, CHALLENGER2, CH_BOND, true);
        vm.prank(STRANGER);
        settle.reclaim(JOB, jobCfg, 3);
        assertEq(CHALLENGER2.balance, before + CH_BOND);
        assertEq(uint8(settle.challengeOf(JOB, 3).status), uint8(ChallengeStatus.Reclaimed));
        vm.expectRevert(abi.encodeWithSelector(NothingToReclaim.selector, 3));
        settle.reclaim(JOB, jobCfg, 3);
        _openExpecting(1, true, CHALLENGER, RHO);
        _assertLedgers(JOB);
    }

    function test_reclaim_notVoid_reverts() public {
        _challenge(CHALLENGER, 2);
        vm.expectRevert(abi.encodeWithSelector(NotVoid.selector, 2));
        settle.reclaim(JOB, jobCfg, 2);
        vm.expectRevert(abi.encodeWithSelector(NotVoid.selector, 3));
        settle.reclaim(JOB, jobCfg, 3);
    }

    // -------------------------------------------------------------------------------- requests

    function test_requestOpening_answered_emitsOpeningAndExtendsWindow() public {
        skip(1 hours);
        uint256 requesterBefore = REQUESTER.balance;
        vm.expectEmit(SETTLE);
        emit OpeningRequested(JOB, 2, REQUESTER, block.timestamp + RESPONSE);
        _request(REQUESTER, 2);
        assertEq(settle.getJob(JOB).openRequests, 1);
        assertEq(settle.getJob(JOB).disputesIn, REQ_FEE);
        assertEq(REQUESTER.balance, requesterBefore - REQ_FEE);
        uint256 before = PARTICIPANT.balance;
        skip(1 hours);
        uint256 answeredAt = block.timestamp;
        vm.expectEmit(SETTLE);
        emit DisputeWindowExtended(JOB, 2, answeredAt + WINDOW);
        vm.expectEmit(SETTLE);
        emit StateOpened(JOB, 2, _C(2), _words("r2").length, _total("r2"), _salt("r2"));
        vm.expectEmit(SETTLE);
        emit OpeningAnswered(JOB, 2, PARTICIPANT);
        vm.expectEmit(SETTLE);
        emit Transferred(JOB, LedgerKind.Disputes, PARTICIPANT, REQ_FEE, false);
        _answer(PARTICIPANT, 2, "r2", "opening2Participant");
        assertEq(PARTICIPANT.balance, before + REQ_FEE, "the fee goes to the answerer");
        Request memory q = settle.requestOf(JOB, 2);
        assertEq(uint8(q.status), uint8(RequestStatus.Answered));
        assertEq(q.answeredAt, answeredAt);
        JobView memory j = settle.getJob(JOB);
        assertEq(j.openRequests, 0);
        assertEq(j.disputeEnd, answeredAt + WINDOW);
        // The round stays challengeable for one more window from the answer.
        assertEq(settle.challengeWindowEnd(JOB, jobCfg, 2, times[2]), answeredAt + WINDOW);
        vm.warp(times[2] + WINDOW + 1);
        _challenge(CHALLENGER, 2);
        _assertLedgers(JOB);
    }

    function test_answerOpening_everyAnswer_emitsDisputeWindowExtended() public {
        // Each answered request in CC emits its own extension, even when it does not move disputeEnd.
        _request(REQUESTER, 3);
        _request(REQUESTER, 2);
        skip(2 hours);
        uint256 first = block.timestamp;
        vm.expectEmit(SETTLE);
        emit DisputeWindowExtended(JOB, 3, first + WINDOW);
        _answer(PARTICIPANT, 3, "r3", "opening3Participant");
        assertEq(settle.getJob(JOB).disputeEnd, first + WINDOW);
        // Same block: the end is equal, the event is emitted anyway.
        vm.expectEmit(SETTLE);
        emit DisputeWindowExtended(JOB, 2, first + WINDOW);
        _answer(PARTICIPANT, 2, "r2", "opening2Participant");
        assertEq(settle.getJob(JOB).disputeEnd, first + WINDOW);
        // Payouts wait for the extension, not for the tip's own window.
        _finalize();
        (uint256 notBefore,,) = settle.payoutsOpenAfter(JOB, jobCfg, _tipHist());
        assertEq(notBefore, first + WINDOW);
    }

    function test_requestOpening_extendedWindow_closes() public {
        _request(REQUESTER, 2);
        _answer(PARTICIPANT, 2, "r2", "opening2Participant");
        uint256 end = block.timestamp + WINDOW;
        vm.warp(end);
        uint256 snap = vm.snapshotState();
        _challenge(CHALLENGER, 2); // the last second of the extension
        vm.revertToState(snap);
        vm.warp(end + 1);
        History memory h = _hist(2);
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 2, end));
        settle.challenge{value: CH_BOND}(JOB, jobCfg, 2, h);
    }

    function test_requestOpening_unanswered_faultsAtPreviousRound() public {
        _request(REQUESTER, 3);
        uint256 before = REQUESTER.balance;
        uint256 deadline = block.timestamp + RESPONSE;
        vm.warp(deadline);
        History memory h = _hist(3);
        vm.expectRevert(abi.encodeWithSelector(TooEarly.selector, deadline));
        settle.resolveRequest(JOB, jobCfg, 3, h);
        vm.warp(deadline + 1);
        uint256[] memory words = _words("r3");
        vm.prank(PARTICIPANT);
        vm.expectRevert(abi.encodeWithSelector(TooLate.selector, deadline));
        settle.answerOpening(JOB, jobCfg, 3, h, _salt("r3"), _total("r3"), words, _proof("opening3Participant"));
        vm.expectEmit(SETTLE);
        emit RequestResolved(JOB, 3, REQUESTER);
        vm.expectEmit(SETTLE);
        emit JobFinalized(JOB, STRANGER);
        vm.expectEmit(SETTLE);
        emit Faulted(JOB, FaultKind.UnansweredRequest, 3, 2);
        vm.expectEmit(SETTLE);
        emit Transferred(JOB, LedgerKind.Disputes, REQUESTER, REQ_FEE, true);
        _resolveRequest(3);
        JobView memory j = settle.getJob(JOB);
        assertEq(j.tip, 2);
        assertEq(j.headHash, hashes[2]);
        assertTrue(j.faulted);
        assertEq(uint8(j.phase), uint8(Phase.Finalized));
        assertEq(j.tipRequestEnd, block.timestamp + WINDOW);
        assertEq(REQUESTER.balance, before + REQ_FEE);
        assertEq(uint8(settle.requestOf(JOB, 3).status), uint8(RequestStatus.Unanswered));
        _openExpecting(2, true, REQUESTER, RHO);
        _assertLedgers(JOB);
    }

    function test_requestOpening_answerAtDeadline_succeeds() public {
        _request(REQUESTER, 2);
        vm.warp(block.timestamp + RESPONSE);
        _answer(PARTICIPANT, 2, "r2", "opening2Participant");
        assertEq(uint8(settle.requestOf(JOB, 2).status), uint8(RequestStatus.Answered));
    }

    function test_requestOpening_oldRound_reverts() public {
        // THREATS "Requests on old rounds": a sybil cannot request a round from before honest joins.
        vm.warp(times[1] + WINDOW + 1);
        History memory h = _hist(1);
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 1, times[1] + WINDOW));
        settle.requestOpening{value: REQ_FEE}(JOB, jobCfg, 1, h);
        // also after finalize: only the tip is requestable then
        _finalize();
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 1, times[1] + WINDOW));
        settle.requestOpening{value: REQ_FEE}(JOB, jobCfg, 1, h);
    }

    function test_requestOpening_tipAfterAggregatorFinalize_noExtraWindow() public {
        // The aggregator's own finalize adds no window: the tip is requestable until its own window ends.
        skip(1 hours);
        _finalize();
        JobView memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Finalized), "the tip's window is still open: not payable yet");
        assertEq(j.tipRequestEnd, 0);
        vm.warp(times[3] + WINDOW);
        uint256 snap = vm.snapshotState();
        _request(REQUESTER, 3); // the last second of the tip's own window
        vm.revertToState(snap);
        vm.warp(times[3] + WINDOW + 1);
        History memory h = _hist(3);
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 3, times[3] + WINDOW));
        settle.requestOpening{value: REQ_FEE}(JOB, jobCfg, 3, h);
    }

    function test_requestOpening_tipAfterStrangerFinalize_oneWindow() public {
        // Closed by anyone but the aggregator (an abandoned job): the tip stays requestable one window.
        vm.warp(times[3] + WINDOW + 1); // the tip's own window has closed
        History memory h = _hist(3);
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 3, times[3] + WINDOW));
        settle.requestOpening{value: REQ_FEE}(JOB, jobCfg, 3, h);
        vm.warp(times[3] + INACTIVITY + 1);
        _finalizeAs(STRANGER);
        uint256 end = block.timestamp + WINDOW;
        assertEq(settle.getJob(JOB).tipRequestEnd, end);
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.Finalized), "payouts wait for the tip's request window");
        // only the tip
        History memory h2 = _hist(2);
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 2, times[2] + WINDOW));
        settle.requestOpening{value: REQ_FEE}(JOB, jobCfg, 2, h2);
        vm.warp(end + 1);
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 3, times[3] + WINDOW));
        settle.requestOpening{value: REQ_FEE}(JOB, jobCfg, 3, h);
        vm.warp(end);
        _request(REQUESTER, 3);
        assertEq(settle.getJob(JOB).openRequests, 1);
    }

    function test_requestOpening_tipAfterHardDeadlineFinalize_oneWindow() public {
        // The aggregator keeps committing every two days (never inactive) until the hard deadline.
        for (uint256 r = 4; r <= 17; ++r) {
            skip(2 days);
            _commit(r);
        }
        uint256 deadline = jobCfg.terms.hardDeadline;
        assertGt(times[17] + INACTIVITY, deadline, "not inactive at the deadline");
        vm.warp(deadline);
        History memory h = _tipHist();
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(FinalizeNotAllowed.selector, deadline));
        settle.finalize(JOB, jobCfg, h);
        vm.warp(deadline + 1);
        vm.prank(STRANGER);
        settle.finalize(JOB, jobCfg, h);
        uint256 end = block.timestamp + WINDOW;
        assertEq(settle.getJob(JOB).tipRequestEnd, end);
        vm.warp(end);
        _request(REQUESTER, 17);
        _answer(PARTICIPANT, 17, "r17", "opening17Participant");
    }

    function test_requestOpening_tipAfterFault_oneWindow() public {
        // A rollback fault leaves a new tip whose own window may be over: it stays requestable one window.
        _challenge(CHALLENGER, 3);
        skip(RESPONSE + 1);
        _resolve(3);
        uint256 end = block.timestamp + WINDOW;
        assertEq(settle.getJob(JOB).tipRequestEnd, end);
        assertGt(end, times[2] + WINDOW);
        vm.warp(end + 1);
        History memory h = _hist(2);
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 2, times[2] + WINDOW));
        settle.requestOpening{value: REQ_FEE}(JOB, jobCfg, 2, h);
        vm.warp(end);
        History memory h1 = _hist(1);
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 1, times[1] + WINDOW));
        settle.requestOpening{value: REQ_FEE}(JOB, jobCfg, 1, h1);
        _request(REQUESTER, 2);
        // unanswered: a second fault at round 1, whose new tip gets a request window of its own
        skip(RESPONSE + 1);
        _resolveRequest(2);
        JobView memory j = settle.getJob(JOB);
        assertEq(j.tip, 1);
        assertEq(j.headHash, hashes[1]);
        assertEq(j.tipRequestEnd, block.timestamp + WINDOW);
        _openExpecting(1, true, REQUESTER, RHO); // the latest rollback's requester faulted round tip + 1
        _assertLedgers(JOB);
    }

    function test_requestOpening_tipAfterEquivocation_oneWindow() public {
        vm.warp(times[3] + WINDOW);
        _equivocate(2, "alt2", "receiptAlt2"); // closes the active job without a rollback
        uint256 end = block.timestamp + WINDOW;
        assertEq(settle.getJob(JOB).tipRequestEnd, end);
        vm.warp(end);
        uint256 snap = vm.snapshotState();
        _request(REQUESTER, 3);
        vm.revertToState(snap);
        vm.warp(end + 1);
        History memory h = _hist(3);
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 3, times[3] + WINDOW));
        settle.requestOpening{value: REQ_FEE}(JOB, jobCfg, 3, h);
    }

    function test_requestOpening_roundZero_twice_afterPayouts_reverts() public {
        History memory h0 = _hist(0);
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(RoundNotChallengeable.selector, 0));
        settle.requestOpening{value: REQ_FEE}(JOB, jobCfg, 0, h0);
        _request(REQUESTER, 2);
        History memory h2 = _hist(2);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(AlreadyDisputed.selector, 2));
        settle.requestOpening{value: REQ_FEE}(JOB, jobCfg, 2, h2);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(WrongPayment.selector, REQ_FEE, REQ_FEE - 1));
        settle.requestOpening{value: REQ_FEE - 1}(JOB, jobCfg, 3, h2);
        _answer(PARTICIPANT, 2, "r2", "opening2Participant");
        _finalize();
        _open();
        History memory h3 = _hist(3);
        vm.prank(REQUESTER);
        vm.expectRevert(PayoutsAlreadyOpen.selector);
        settle.requestOpening{value: REQ_FEE}(JOB, jobCfg, 3, h3);
    }

    function test_answerOpening_tampered_reverts() public {
        _request(REQUESTER, 2);
        History memory h = _hist(2);
        uint256 salt = _salt("r2");
        uint256 total = _total("r2");
        Proof memory proof = _proof("opening2Participant");
        uint256[] memory words = _words("r2");
        words[0] += 1 << 160; // one more unit for slot 0
        vm.prank(PARTICIPANT);
        vm.expectRevert(InvalidProof.selector);
        settle.answerOpening(JOB, jobCfg, 2, h, salt, total, words, proof);
        words = _words("r2");
        words[0] += P; // the same word mod p, decoding to another payee and amount
        vm.prank(PARTICIPANT);
        vm.expectRevert(abi.encodeWithSelector(WordOutOfRange.selector, 0));
        settle.answerOpening(JOB, jobCfg, 2, h, salt, total, words, proof);
        words = _words("r2");
        vm.prank(STRANGER); // the answer's x binds its sender
        vm.expectRevert(InvalidProof.selector);
        settle.answerOpening(JOB, jobCfg, 2, h, salt, total, words, proof);
        vm.prank(PARTICIPANT);
        vm.expectRevert(InvalidProof.selector);
        settle.answerOpening(JOB, jobCfg, 2, h, salt + 1, total, words, proof);
        vm.prank(PARTICIPANT);
        vm.expectRevert(InvalidProof.selector);
        settle.answerOpening(JOB, jobCfg, 2, h, salt, total + 1, words, proof);
        vm.prank(PARTICIPANT);
        vm.expectRevert(abi.encodeWithSelector(NotAFieldElement.selector, salt + P));
        settle.answerOpening(JOB, jobCfg, 2, h, salt + P, total, words, proof);
        // round 3's opening does not answer round 2
        vm.prank(PARTICIPANT);
        vm.expectRevert(InvalidProof.selector);
        settle.answerOpening(JOB, jobCfg, 2, h, _salt("r3"), _total("r3"), _words("r3"), _proof("opening3Participant"));
        // a history with a wrong commitment for round 2 does not fold
        History memory bad = _hist(2);
        bad.links[1].commitment = _C("alt2");
        vm.prank(PARTICIPANT);
        vm.expectRevert(HistoryMismatch.selector);
        settle.answerOpening(JOB, jobCfg, 2, bad, salt, total, words, proof);
        _answer(PARTICIPANT, 2, "r2", "opening2Participant");
    }

    function test_reclaim_voidRequest_refunds() public {
        _request(REQUESTER, 3);
        _challenge(CHALLENGER, 2);
        History memory h3 = _hist(3);
        skip(RESPONSE + 1);
        _resolve(2); // tip 1: the request on round 3 is void
        vm.expectRevert(abi.encodeWithSelector(RoundVoid.selector, 3));
        settle.resolveRequest(JOB, jobCfg, 3, h3);
        vm.prank(PARTICIPANT);
        vm.expectRevert(abi.encodeWithSelector(RoundVoid.selector, 3));
        settle.answerOpening(JOB, jobCfg, 3, h3, _salt("r3"), _total("r3"), _words("r3"), _proof("opening3Participant"));
        uint256 before = REQUESTER.balance;
        vm.expectEmit(SETTLE);
        emit RequestReclaimed(JOB, 3, REQUESTER);
        vm.expectEmit(SETTLE);
        emit Transferred(JOB, LedgerKind.Disputes, REQUESTER, REQ_FEE, true);
        settle.reclaim(JOB, jobCfg, 3);
        assertEq(REQUESTER.balance, before + REQ_FEE);
        assertEq(settle.getJob(JOB).openRequests, 0);
        assertEq(uint8(settle.requestOf(JOB, 3).status), uint8(RequestStatus.Reclaimed));
        _assertLedgers(JOB);
    }

    function test_reclaim_challengeAndRequestOnOneRound_refundsBoth() public {
        _request(REQUESTER, 3);
        _challenge(CHALLENGER2, 3);
        _challenge(CHALLENGER, 2);
        skip(RESPONSE + 1);
        _resolve(2);
        uint256 r0 = REQUESTER.balance;
        uint256 c0 = CHALLENGER2.balance;
        settle.reclaim(JOB, jobCfg, 3);
        assertEq(REQUESTER.balance, r0 + REQ_FEE);
        assertEq(CHALLENGER2.balance, c0 + CH_BOND);
        JobView memory j = settle.getJob(JOB);
        assertEq(j.openChallenges, 0);
        assertEq(j.openRequests, 0);
        assertEq(j.disputesOut, j.disputesIn);
        _assertLedgers(JOB);
    }

    // ---------------------------------------------------------------------------- equivocation

    function test_proveEquivocation_beforePayouts_faultsWithoutRollback() public {
        vm.expectEmit(SETTLE);
        emit EquivocationProven(JOB, 2, PROVER, _C("alt2"), false);
        vm.expectEmit(SETTLE);
        emit JobFinalized(JOB, PROVER);
        vm.expectEmit(SETTLE);
        emit Faulted(JOB, FaultKind.Equivocation, 2, 3);
        _equivocate(2, "alt2", "receiptAlt2");
        JobView memory j = settle.getJob(JOB);
        assertTrue(j.faulted);
        assertEq(j.tip, 3, "equivocation never rolls back");
        assertEq(j.headHash, hashes[3]);
        assertEq(j.equivocator, PROVER);
        assertEq(uint8(j.phase), uint8(Phase.Finalized));
        assertEq(j.tipRequestEnd, block.timestamp + WINDOW);
        assertEq(j.bondOut, 0, "nothing moves before payouts open");
        History memory h = _hist(2);
        vm.prank(PROVER);
        vm.expectRevert(EquivocationAlreadyProven.selector);
        settle.proveEquivocation(JOB, jobCfg, 2, h, _C("alt2"), _proof("receiptAlt2"));
        _openExpecting(3, true, PROVER, RHO);
        _assertLedgers(JOB);
    }

    function test_proveEquivocation_uncommittedRound_reverts() public {
        // THREATS "Equivocation traps": a receipt for a round whose commit is still pending.
        History memory h = _history(1, 3);
        vm.prank(PROVER);
        vm.expectRevert(abi.encodeWithSelector(RoundNotCovered.selector, 4));
        settle.proveEquivocation(JOB, jobCfg, 4, h, _C("r4"), _proof("receiptR4"));
        History memory past = _history(3, 3);
        past.before = hashes[3];
        past.last = 4;
        past.links[0] = Link(_C("alt2"), block.timestamp);
        vm.prank(PROVER);
        vm.expectRevert(BadHistory.selector);
        settle.proveEquivocation(JOB, jobCfg, 4, past, _C("r4"), _proof("receiptR4"));
    }

    function test_proveEquivocation_voidRound_reverts() public {
        _challenge(CHALLENGER, 2);
        History memory h3 = _hist(3); // as it was before the rollback
        skip(RESPONSE + 1);
        _resolve(2); // rounds 2 and 3 are void
        vm.prank(PROVER);
        vm.expectRevert(BadHistory.selector); // it ends past the tip
        settle.proveEquivocation(JOB, jobCfg, 3, h3, _C("alt3"), _proof("receiptAlt3"));
        History memory tipH = _history(0, 1);
        vm.prank(PROVER);
        vm.expectRevert(abi.encodeWithSelector(RoundNotCovered.selector, 3));
        settle.proveEquivocation(JOB, jobCfg, 3, tipH, _C("alt3"), _proof("receiptAlt3"));
    }

    function test_proveEquivocation_roundZero_reverts() public {
        History memory h = _hist(0);
        vm.prank(PROVER);
        vm.expectRevert(abi.encodeWithSelector(RoundNotChallengeable.selector, 0));
        settle.proveEquivocation(JOB, jobCfg, 0, h, _C("alt0"), _proof("receiptAlt0"));
    }

    function test_proveEquivocation_sameCommitment_reverts() public {
        History memory h = _hist(2);
        vm.prank(PROVER);
        vm.expectRevert(SameCommitment.selector);
        settle.proveEquivocation(JOB, jobCfg, 2, h, _C(2), _proof("receiptHonest2"));
    }

    function test_proveEquivocation_frontRun_reverts() public {
        History memory h = _hist(2);
        vm.prank(STRANGER);
        vm.expectRevert(InvalidProof.selector);
        settle.proveEquivocation(JOB, jobCfg, 2, h, _C("alt2"), _proof("receiptAlt2"));
        vm.prank(PROVER); // and a receipt for round 3's commitment does not prove round 2
        vm.expectRevert(InvalidProof.selector);
        settle.proveEquivocation(JOB, jobCfg, 2, h, _C("alt3"), _proof("receiptAlt3"));
    }

    function test_proveEquivocation_afterPayoutsOpen_movesBondOnly() public {
        _finalize();
        _open();
        uint256 before = PROVER.balance;
        vm.expectEmit(SETTLE);
        emit EquivocationProven(JOB, 2, PROVER, _C("alt2"), true);
        vm.expectEmit(SETTLE);
        emit Transferred(JOB, LedgerKind.Bond, PROVER, BOND, false);
        _equivocate(2, "alt2", "receiptAlt2");
        JobView memory j = settle.getJob(JOB);
        assertFalse(j.faulted, "the settled state and outcome never change once payouts open");
        assertTrue(j.bondSlashed);
        assertEq(j.bondOut, BOND);
        assertEq(uint8(j.phase), uint8(Phase.PayoutsOpen));
        assertEq(PROVER.balance, before + BOND);
        History memory h = _hist(2);
        vm.prank(PROVER);
        vm.expectRevert(NothingToSlash.selector);
        settle.proveEquivocation(JOB, jobCfg, 2, h, _C("alt2"), _proof("receiptAlt2"));
        _assertLedgers(JOB);
    }

    function test_proveEquivocation_afterPayoutsOpenOnFault_reverts() public {
        _challenge(CHALLENGER, 3);
        skip(RESPONSE + 1);
        _resolve(3);
        _open();
        History memory h = _hist(2);
        vm.prank(PROVER);
        vm.expectRevert(NothingToSlash.selector); // the bond already belongs to the participants
        settle.proveEquivocation(JOB, jobCfg, 2, h, _C("alt2"), _proof("receiptAlt2"));
    }

    // ------------------------------------------------------------------------- finalize and open

    function test_finalize_byAggregatorAfterWindows_opensPayouts() public {
        uint256 end = times[3] + WINDOW;
        vm.warp(end);
        uint256 snap = vm.snapshotState();
        _finalize(); // the tip's window is still open: closed, not payable
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.Finalized));
        vm.revertToState(snap);
        vm.warp(end + 1);
        vm.expectEmit(SETTLE);
        emit JobFinalized(JOB, AGG);
        vm.expectEmit(SETTLE);
        emit PayoutsOpened(JOB, 3, _C(3), false, address(0), 0);
        _finalize();
        JobView memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.PayoutsOpen), "payouts open in the same call");
        assertEq(j.tipRequestEnd, 0);
        assertEq(j.commitDeadline, 0);
        History memory h = _tipHist();
        vm.expectRevert(PayoutsAlreadyOpen.selector);
        settle.openPayouts(JOB, jobCfg, h);
        vm.prank(AGG);
        vm.expectRevert(AlreadyFinalized.selector);
        settle.finalize(JOB, jobCfg, h);
        _payAll("r3");
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.Completed));
        assertEq(SETTLE.balance, 0);
    }

    function test_finalize_byAggregatorWithDisputesPending_doesNotOpen() public {
        vm.warp(times[2] + WINDOW);
        _challenge(CHALLENGER, 2); // the last second of round 2's window
        vm.warp(times[3] + WINDOW);
        _request(REQUESTER, 3); // the last second of the tip's window
        vm.warp(times[3] + WINDOW + 1);
        _finalize();
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.Finalized), "a pending dispute keeps payouts shut");
        _answer(PARTICIPANT, 3, "r3", "opening3Participant");
        _respond(AGG, 2, "transition2Agg");
        History memory h = _tipHist();
        (uint256 notBefore, uint256 oc, uint256 oq) = settle.payoutsOpenAfter(JOB, jobCfg, h);
        assertEq(notBefore, block.timestamp + WINDOW, "the answered request extends the windows");
        assertEq(oc + oq, 0);
        vm.warp(notBefore);
        vm.expectRevert(abi.encodeWithSelector(TooEarly.selector, notBefore));
        settle.openPayouts(JOB, jobCfg, h);
        vm.warp(notBefore + 1);
        settle.openPayouts(JOB, jobCfg, h);
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.PayoutsOpen));
    }

    function test_finalize_byStranger_boundaries() public {
        uint256 inactiveAfter = times[3] + INACTIVITY;
        vm.warp(inactiveAfter);
        History memory h = _tipHist();
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(FinalizeNotAllowed.selector, inactiveAfter));
        settle.finalize(JOB, jobCfg, h);
        vm.warp(inactiveAfter + 1);
        vm.recordLogs();
        vm.prank(STRANGER);
        settle.finalize(JOB, jobCfg, h);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1);
        assertEq(logs[0].topics[0], JobFinalized.selector);
        assertEq(logs[0].topics[2], bytes32(uint256(uint160(STRANGER))));
        JobView memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Finalized), "every window closed, yet payouts wait");
        uint256 end = block.timestamp + WINDOW;
        assertEq(j.tipRequestEnd, end);
        (uint256 notBefore,,) = settle.payoutsOpenAfter(JOB, jobCfg, h);
        assertEq(notBefore, end);
        vm.warp(end);
        vm.expectRevert(abi.encodeWithSelector(TooEarly.selector, end));
        settle.openPayouts(JOB, jobCfg, h);
        vm.warp(end + 1);
        vm.expectEmit(SETTLE);
        emit PayoutsOpened(JOB, 3, _C(3), false, address(0), 0);
        settle.openPayouts(JOB, jobCfg, h);
    }

    function test_openPayouts_boundaries() public {
        skip(1 hours);
        _finalize(); // the aggregator, an hour after its last commit
        History memory h = _tipHist();
        vm.expectRevert(UnknownJob.selector);
        settle.openPayouts(bytes32(uint256(7)), jobCfg, h);
        JobConfig memory wrong = jobCfg;
        wrong.terms.challengeWindow = uint32(MIN_WINDOW);
        vm.expectRevert(ConfigMismatch.selector);
        settle.openPayouts(JOB, wrong, h);
        (uint256 notBefore,,) = settle.payoutsOpenAfter(JOB, jobCfg, h);
        assertEq(notBefore, times[3] + WINDOW, "an aggregator's finalize adds no window");
        vm.warp(notBefore);
        vm.expectRevert(abi.encodeWithSelector(TooEarly.selector, notBefore));
        settle.openPayouts(JOB, jobCfg, h);
        _request(REQUESTER, 3); // same block: the tip is still requestable
        vm.warp(notBefore + 1);
        vm.expectRevert(abi.encodeWithSelector(DisputesPending.selector, 0, 1));
        settle.openPayouts(JOB, jobCfg, h);
        _answer(PARTICIPANT, 3, "r3", "opening3Participant");
        (notBefore,,) = settle.payoutsOpenAfter(JOB, jobCfg, h);
        assertEq(notBefore, block.timestamp + WINDOW, "the answered round is challengeable one more window");
        vm.warp(notBefore + 1);
        History memory notTip = _history(2, 2);
        vm.expectRevert(BadHistory.selector);
        settle.openPayouts(JOB, jobCfg, notTip);
        History memory forged = _tipHist();
        forged.links[0].commitment = _C("alt3");
        vm.expectRevert(HistoryMismatch.selector);
        settle.openPayouts(JOB, jobCfg, forged);
        vm.expectEmit(SETTLE);
        emit PayoutsOpened(JOB, 3, _C(3), false, address(0), 0);
        settle.openPayouts(JOB, jobCfg, _history(1, 3)); // any history ending at the tip
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.PayoutsOpen));
        vm.expectRevert(PayoutsAlreadyOpen.selector);
        settle.openPayouts(JOB, jobCfg, h);
    }

    function test_race_challengeVsOpenPayouts_atWindowEnd() public {
        // Finalized right after the last commit: payouts wait for the last window only. At its last
        // second a challenge still lands and payouts stay shut; one second later payouts open and the
        // challenge is refused (strict <= / > boundaries, same block each).
        _finalize();
        History memory h = _tipHist();
        (uint256 end,,) = settle.payoutsOpenAfter(JOB, jobCfg, h);
        assertEq(end, times[3] + WINDOW);
        vm.warp(end);
        vm.expectRevert(abi.encodeWithSelector(TooEarly.selector, end));
        settle.openPayouts(JOB, jobCfg, h);
        uint256 snap = vm.snapshotState();
        _challenge(CHALLENGER, 3);
        vm.revertToState(snap);
        vm.warp(end + 1);
        History memory h3 = _hist(3);
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 3, times[3] + WINDOW));
        settle.challenge{value: CH_BOND}(JOB, jobCfg, 3, h3);
        settle.openPayouts(JOB, jobCfg, h);
        vm.prank(REQUESTER);
        vm.expectRevert(PayoutsAlreadyOpen.selector);
        settle.requestOpening{value: REQ_FEE}(JOB, jobCfg, 3, h3);
    }

    function test_race_tipRequestVsOpenPayouts_atTipRequestEnd() public {
        // Closed by a stranger: at the last second of the tip's request window a request lands and
        // payouts stay shut; one second later the request is refused and payouts open.
        vm.warp(times[3] + INACTIVITY + 1);
        _finalizeAs(STRANGER);
        uint256 end = settle.getJob(JOB).tipRequestEnd;
        History memory h = _tipHist();
        vm.warp(end);
        vm.expectRevert(abi.encodeWithSelector(TooEarly.selector, end));
        settle.openPayouts(JOB, jobCfg, h);
        uint256 snap = vm.snapshotState();
        _request(REQUESTER, 3);
        vm.revertToState(snap);
        vm.warp(end + 1);
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 3, times[3] + WINDOW));
        settle.requestOpening{value: REQ_FEE}(JOB, jobCfg, 3, h);
        settle.openPayouts(JOB, jobCfg, h);
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.PayoutsOpen));
    }

    function test_openPayouts_beforeFinalize_reverts() public {
        vm.warp(times[3] + 10 * WINDOW);
        History memory h = _tipHist();
        vm.expectRevert(NotFinalized.selector);
        settle.openPayouts(JOB, jobCfg, h);
    }

    function test_openPayouts_afterFault_paysRho() public {
        _challenge(CHALLENGER, 2);
        skip(RESPONSE + 1);
        _resolve(2);
        _openExpecting(1, true, CHALLENGER, RHO);
        JobView memory j = settle.getJob(JOB);
        assertEq(j.bondOut, RHO);
        (, uint256 bondHeld,) = settle.heldOf(JOB, jobCfg);
        assertEq(bondHeld, BOND - RHO);
        assertEq(SETTLE.balance, ESCROW + BOND - RHO);
        _assertLedgers(JOB);
    }

    // ---------------------------------------------------------------------------------- helpers

    /// @dev Finalizes the standard job as `who` with a one-link history of the tip.
    function _finalizeAs(address who) internal {
        History memory h = _tipHist();
        vm.prank(who);
        settle.finalize(JOB, jobCfg, h);
    }

    /// @dev Warps past every window and opens payouts, expecting the outcome `PayoutsOpened` fixes (and,
    ///      on a fault, rho to the recipient: event and balance).
    function _openExpecting(uint256 tip, bool faulted, address recipient, uint256 reward) internal {
        History memory h = _tipHist();
        (uint256 notBefore,,) = settle.payoutsOpenAfter(JOB, jobCfg, h);
        if (block.timestamp <= notBefore) vm.warp(notBefore + 1);
        uint256 before = recipient.balance;
        vm.expectEmit(SETTLE);
        emit PayoutsOpened(JOB, tip, commitments[tip], faulted, recipient, reward);
        if (reward != 0) {
            vm.expectEmit(SETTLE);
            emit Transferred(JOB, LedgerKind.Bond, recipient, reward, false);
        }
        vm.prank(STRANGER);
        settle.openPayouts(JOB, jobCfg, h);
        assertEq(recipient.balance, before + reward, "rho");
    }
}

/// @notice The dispute paths of a CP job (rounds are proven: requests only).
contract SettleFLDisputeCPTest is SettleFLTest {
    function test_answerOpening_commitProof_noWindowExtension() public {
        // CP rounds are proven: an answer emits the opening but extends nothing.
        _createCP();
        skip(1 hours);
        _commitWithProof(1);
        skip(1 hours);
        _commitWithProof(2);
        _request(REQUESTER, 2);
        vm.recordLogs();
        _answer(PARTICIPANT, 2, "r2", "opening2Participant");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bool opened;
        for (uint256 i; i < logs.length; ++i) {
            assertTrue(logs[i].topics[0] != DisputeWindowExtended.selector, "no extension in CP");
            if (logs[i].topics[0] == StateOpened.selector) opened = true;
        }
        assertTrue(opened);
        assertEq(settle.getJob(JOB).disputeEnd, 0);
        (uint256 notBefore,,) = settle.payoutsOpenAfter(JOB, jobCfg, _tipHist());
        assertEq(notBefore, times[2] + WINDOW);
    }
}
// forge-lint: disable-end(unsafe-typecast, block-timestamp)
