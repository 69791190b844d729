// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {SettleFLTest} from "./utils/SettleFLTest.sol";

/// @notice The dispute game, in the habit of Optimism's dispute-game tests: every path is driven by
///         `vm.warp` to its deadline, both sides of every boundary are played in the same block, and
///         every bond path is checked. The standard CC job has rounds 1..3 committed one hour apart.
contract SettleFLDisputeTest is SettleFLTest {
    function setUp() public override {
        super.setUp();
        _createCC();
        _commitRounds(3);
    }

    // ------------------------------------------------------------------------------- challenge

    function test_challenge_withinWindow_succeeds() public {
        vm.expectEmit(SETTLE);
        emit Challenged(JOB, 2, CHALLENGER, block.timestamp + RESPONSE);
        _challenge(CHALLENGER, 2);
        Challenge memory c = settle.challengeOf(JOB, 2);
        assertEq(c.challenger, CHALLENGER);
        assertEq(c.time, block.timestamp);
        assertEq(uint8(c.status), uint8(ChallengeStatus.Open));
        assertEq(settle.getJob(JOB).openChallenges, 1);
        assertEq(settle.getJob(JOB).disputes.deposited, CH_BOND);
        assertEq(SETTLE.balance, ESCROW + BOND + CH_BOND);
        _assertLedgers(JOB);
    }

    function test_challenge_atWindowEnd_succeeds() public {
        vm.warp(times[2] + WINDOW);
        _challenge(CHALLENGER, 2);
    }

    function test_challenge_afterWindow_reverts() public {
        vm.warp(times[2] + WINDOW + 1);
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 2, times[2] + WINDOW));
        settle.challenge{value: CH_BOND}(JOB, 2, _ref(2));
    }

    function test_challenge_wrongBond_reverts() public {
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(WrongPayment.selector, CH_BOND, CH_BOND - 1));
        settle.challenge{value: CH_BOND - 1}(JOB, 2, _ref(2));
    }

    function test_challenge_roundZeroOrUncommitted_reverts() public {
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(RoundNotChallengeable.selector, 0));
        settle.challenge{value: CH_BOND}(JOB, 0, _ref(0));
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(RoundNotChallengeable.selector, 4));
        settle.challenge{value: CH_BOND}(JOB, 4, RoundRef(_C("r4"), uint32(block.timestamp)));
    }

    function test_challenge_wrongReference_reverts() public {
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(RoundMismatch.selector, 2));
        settle.challenge{value: CH_BOND}(JOB, 2, RoundRef(_C(2), times[2] + 1 days)); // a later time would extend the window
    }

    function test_challenge_twice_reverts() public {
        _challenge(CHALLENGER, 2);
        vm.prank(CHALLENGER2);
        vm.expectRevert(abi.encodeWithSelector(AlreadyDisputed.selector, 2));
        settle.challenge{value: CH_BOND}(JOB, 2, _ref(2));
    }

    function test_challenge_answeredRound_reverts() public {
        _challenge(CHALLENGER, 2);
        _respond(AGG, 2, "transition2Agg");
        vm.prank(CHALLENGER2);
        vm.expectRevert(abi.encodeWithSelector(AlreadyDisputed.selector, 2));
        settle.challenge{value: CH_BOND}(JOB, 2, _ref(2));
    }

    function test_challenge_round1_succeeds() public {
        // The reference could not challenge its first round; here round 1 opens against the genesis.
        _challenge(CHALLENGER, 1);
        uint256 aggBefore = AGG.balance;
        _respond(AGG, 1, "transition1Agg");
        assertEq(AGG.balance, aggBefore + CH_BOND);
        assertEq(uint8(settle.challengeOf(JOB, 1).status), uint8(ChallengeStatus.Answered));
    }

    function test_challenge_afterFinalize_withinWindow_succeeds() public {
        // A challenge does not end the commit phase (the reference's flaw), and finalize does not end
        // the windows: the last rounds stay challengeable.
        _finalize();
        _challenge(CHALLENGER, 3);
        assertEq(settle.getJob(JOB).openChallenges, 1);
    }

    function test_challenge_duringTraining_doesNotStopCommits() public {
        _challenge(CHALLENGER, 2);
        skip(1 hours);
        _commit(4 - 0); // round 4 is not in the fixtures' chain of proofs, but commits are optimistic
        assertEq(settle.getJob(JOB).tip, 4);
    }

    function test_challenge_afterPayoutsOpen_reverts() public {
        _finalize();
        _open();
        vm.prank(CHALLENGER);
        vm.expectRevert(PayoutsAlreadyOpen.selector);
        settle.challenge{value: CH_BOND}(JOB, 3, _ref(3));
    }

    // --------------------------------------------------------------------------------- respond

    function test_respond_byAggregator_succeeds() public {
        _challenge(CHALLENGER, 2);
        uint256 aggBefore = AGG.balance;
        vm.expectEmit(SETTLE);
        emit ChallengeAnswered(JOB, 2, AGG);
        _respond(AGG, 2, "transition2Agg");
        assertEq(AGG.balance, aggBefore + CH_BOND, "the bond goes to the proof's sender");
        assertEq(uint8(settle.challengeOf(JOB, 2).status), uint8(ChallengeStatus.Answered));
        assertEq(settle.getJob(JOB).openChallenges, 0);
        assertEq(settle.getJob(JOB).tip, 3);
        Job memory j = settle.getJob(JOB);
        assertEq(j.disputes.paid, CH_BOND);
        _assertLedgers(JOB);
    }

    function test_respond_byParticipant_succeeds() public {
        _challenge(CHALLENGER, 2);
        uint256 before = PARTICIPANT.balance;
        _respond(PARTICIPANT, 2, "transition2Participant");
        assertEq(PARTICIPANT.balance, before + CH_BOND);
    }

    function test_respond_atDeadline_succeeds_resolveReverts() public {
        _challenge(CHALLENGER, 2);
        uint256 deadline = block.timestamp + RESPONSE;
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(TooEarly.selector, deadline));
        settle.resolve(JOB, 2);
        _respond(AGG, 2, "transition2Agg"); // same block
    }

    function test_respond_late_reverts_resolveSucceeds() public {
        _challenge(CHALLENGER, 2);
        uint256 deadline = block.timestamp + RESPONSE;
        vm.warp(deadline + 1);
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(TooLate.selector, deadline));
        settle.respond(JOB, 2, _ref(1), _ref(2), _proof("transition2Agg"));
        settle.resolve(JOB, 2); // same block
        assertEq(settle.getJob(JOB).tip, 1);
    }

    function test_respond_frontRun_reverts() public {
        // THREATS "Front-running a proof": the sender is a public input of the Transition proof.
        _challenge(CHALLENGER, 2);
        vm.prank(STRANGER);
        vm.expectRevert(InvalidProof.selector);
        settle.respond(JOB, 2, _ref(1), _ref(2), _proof("transition2Participant"));
    }

    function test_respond_proofOfAnotherRound_reverts() public {
        // THREATS "Disputes have no teeth": a proof for an earlier round never answers a later one.
        _challenge(CHALLENGER, 3);
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(RoundMismatch.selector, 2));
        settle.respond(JOB, 3, _ref(1), _ref(2), _proof("transition2Agg"));
        vm.prank(AGG);
        vm.expectRevert(InvalidProof.selector);
        settle.respond(JOB, 3, _ref(2), _ref(3), _proof("transition2Agg"));
    }

    function test_respond_noChallenge_reverts() public {
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(NotOpen.selector, 2));
        settle.respond(JOB, 2, _ref(1), _ref(2), _proof("transition2Agg"));
    }

    function test_respond_voidRound_reverts() public {
        _challenge(CHALLENGER, 1);
        _challenge(CHALLENGER2, 2);
        skip(RESPONSE + 1);
        settle.resolve(JOB, 1); // tip 0: round 2 is void
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(RoundVoid.selector, 2));
        settle.respond(JOB, 2, _ref(1), _ref(2), _proof("transition2Agg"));
    }

    // --------------------------------------------------------------------------------- resolve

    function test_resolve_unanswered_faultsAndRollsBack() public {
        _challenge(CHALLENGER, 2);
        uint256 before = CHALLENGER.balance;
        vm.warp(block.timestamp + RESPONSE + 1);
        vm.expectEmit(SETTLE);
        emit ChallengeResolved(JOB, 2, CHALLENGER);
        vm.expectEmit(SETTLE);
        emit Faulted(JOB, FaultKind.UnansweredChallenge, 2, 1);
        vm.prank(STRANGER);
        settle.resolve(JOB, 2);
        Job memory j = settle.getJob(JOB);
        assertEq(j.tip, 1, "tip = min(tip, r - 1)");
        assertTrue(j.faulted);
        assertEq(uint8(j.phase), uint8(Phase.Finalized), "the first fault ends and finalizes the job");
        assertEq(j.finalizedAt, block.timestamp);
        assertEq(j.commitDeadline, 0);
        assertEq(CHALLENGER.balance, before + CH_BOND, "the challenger gets its bond back");
        assertEq(uint8(settle.challengeOf(JOB, 2).status), uint8(ChallengeStatus.Unanswered));
        _assertLedgers(JOB);
    }

    function test_resolve_answered_reverts() public {
        _challenge(CHALLENGER, 2);
        _respond(AGG, 2, "transition2Agg");
        skip(RESPONSE + 1);
        vm.expectRevert(abi.encodeWithSelector(NotOpen.selector, 2));
        settle.resolve(JOB, 2);
    }

    function test_twoChallenges_laterResolvedFirst_bothFault() public {
        _challenge(CHALLENGER, 2);
        _challenge(CHALLENGER2, 3);
        skip(RESPONSE + 1);
        settle.resolve(JOB, 3);
        assertEq(settle.getJob(JOB).tip, 2);
        settle.resolve(JOB, 2); // still <= tip: it rolls further back
        assertEq(settle.getJob(JOB).tip, 1);
        assertEq(settle.getJob(JOB).openChallenges, 0);
        _open();
        assertEq(settle.getJob(JOB).rewardRecipient, CHALLENGER, "the earliest faulted round's challenger");
    }

    function test_twoChallenges_earlierResolvedFirst_laterVoidReclaimed() public {
        _challenge(CHALLENGER, 2);
        _challenge(CHALLENGER2, 3);
        skip(RESPONSE + 1);
        settle.resolve(JOB, 2);
        vm.expectRevert(abi.encodeWithSelector(RoundVoid.selector, 3));
        settle.resolve(JOB, 3); // one slash only
        // the void challenge blocks payouts until reclaimed
        vm.warp(times[3] + 2 * WINDOW);
        vm.expectRevert(abi.encodeWithSelector(DisputesPending.selector, 1, 0));
        settle.openPayouts(JOB, _ref(1));
        uint256 before = CHALLENGER2.balance;
        vm.expectEmit(SETTLE);
        emit ChallengeReclaimed(JOB, 3, CHALLENGER2);
        vm.prank(STRANGER);
        settle.reclaim(JOB, 3);
        assertEq(CHALLENGER2.balance, before + CH_BOND);
        assertEq(uint8(settle.challengeOf(JOB, 3).status), uint8(ChallengeStatus.Reclaimed));
        vm.expectRevert(abi.encodeWithSelector(NothingToReclaim.selector, 3));
        settle.reclaim(JOB, 3);
        _open();
        _assertLedgers(JOB);
    }

    function test_reclaim_notVoid_reverts() public {
        _challenge(CHALLENGER, 2);
        vm.expectRevert(abi.encodeWithSelector(NotVoid.selector, 2));
        settle.reclaim(JOB, 2);
    }

    // -------------------------------------------------------------------------------- requests

    function test_requestOpening_answered_emitsOpeningAndExtendsWindow() public {
        skip(1 hours);
        _request(REQUESTER, 2);
        assertEq(settle.getJob(JOB).openRequests, 1);
        uint256 before = PARTICIPANT.balance;
        skip(1 hours);
        uint256[] memory words = _words("r2");
        vm.expectEmit(SETTLE);
        emit StateOpened(JOB, 2, _C(2), words.length, _total("r2"), _salt("r2"), words);
        vm.expectEmit(SETTLE);
        emit OpeningAnswered(JOB, 2, PARTICIPANT);
        _answer(PARTICIPANT, 2, "opening2Participant");
        uint256 answeredAt = block.timestamp;
        assertEq(PARTICIPANT.balance, before + REQ_FEE, "the fee goes to the answerer");
        Request memory q = settle.requestOf(JOB, 2);
        assertEq(uint8(q.status), uint8(RequestStatus.Answered));
        assertEq(q.answeredAt, answeredAt);
        assertEq(settle.getJob(JOB).openRequests, 0);
        // The round stays challengeable for one more window from the answer.
        assertEq(settle.challengeWindowEnd(JOB, 2, times[2]), answeredAt + WINDOW);
        vm.warp(times[2] + WINDOW + 1);
        _challenge(CHALLENGER, 2);
        _assertLedgers(JOB);
    }

    function test_requestOpening_extendedWindow_closes() public {
        _request(REQUESTER, 2);
        _answer(PARTICIPANT, 2, "opening2Participant");
        vm.warp(block.timestamp + WINDOW + 1);
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 2, block.timestamp - 1));
        settle.challenge{value: CH_BOND}(JOB, 2, _ref(2));
    }

    function test_requestOpening_unanswered_faultsAtPreviousRound() public {
        _request(REQUESTER, 3);
        uint256 before = REQUESTER.balance;
        uint256 deadline = block.timestamp + RESPONSE;
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(TooEarly.selector, deadline));
        settle.resolveRequest(JOB, 3);
        vm.warp(deadline + 1);
        vm.prank(PARTICIPANT);
        vm.expectRevert(abi.encodeWithSelector(TooLate.selector, deadline));
        settle.answerOpening(JOB, 3, _ref(3), _salt("r3"), _total("r3"), _words("r3"), _proof("opening3Participant"));
        vm.expectEmit(SETTLE);
        emit Faulted(JOB, FaultKind.UnansweredRequest, 3, 2);
        settle.resolveRequest(JOB, 3);
        Job memory j = settle.getJob(JOB);
        assertEq(j.tip, 2);
        assertTrue(j.faulted);
        assertEq(REQUESTER.balance, before + REQ_FEE);
        _open();
        assertEq(settle.getJob(JOB).rewardRecipient, REQUESTER);
    }

    function test_requestOpening_answerAtDeadline_succeeds() public {
        _request(REQUESTER, 2);
        vm.warp(block.timestamp + RESPONSE);
        _answer(PARTICIPANT, 2, "opening2Participant");
    }

    function test_requestOpening_oldRound_reverts() public {
        // THREATS "Requests on old rounds": a sybil cannot request a round from before honest joins.
        vm.warp(times[1] + WINDOW + 1);
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 1, times[1] + WINDOW));
        settle.requestOpening{value: REQ_FEE}(JOB, 1, _ref(1));
        // also after finalize: only the tip is requestable then
        _finalize();
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 1, times[1] + WINDOW));
        settle.requestOpening{value: REQ_FEE}(JOB, 1, _ref(1));
    }

    function test_requestOpening_tipAfterFinalize_oneWindow() public {
        vm.warp(times[3] + WINDOW + 1); // the tip's own window has closed
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 3, times[3] + WINDOW));
        settle.requestOpening{value: REQ_FEE}(JOB, 3, _ref(3));
        _finalize();
        uint256 finalizedAt = block.timestamp;
        vm.warp(finalizedAt + WINDOW + 1);
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 3, times[3] + WINDOW));
        settle.requestOpening{value: REQ_FEE}(JOB, 3, _ref(3));
        vm.warp(finalizedAt + WINDOW);
        _request(REQUESTER, 3);
    }

    function test_requestOpening_roundZero_twice_afterPayouts_reverts() public {
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(RoundNotChallengeable.selector, 0));
        settle.requestOpening{value: REQ_FEE}(JOB, 0, _ref(0));
        _request(REQUESTER, 2);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(AlreadyDisputed.selector, 2));
        settle.requestOpening{value: REQ_FEE}(JOB, 2, _ref(2));
        _answer(PARTICIPANT, 2, "opening2Participant");
        _finalize();
        _open();
        vm.prank(REQUESTER);
        vm.expectRevert(PayoutsAlreadyOpen.selector);
        settle.requestOpening{value: REQ_FEE}(JOB, 3, _ref(3));
    }

    function test_answerOpening_tampered_reverts() public {
        _request(REQUESTER, 2);
        uint256[] memory words = _words("r2");
        words[0] += 1 << 160; // one more unit for slot 0
        vm.prank(PARTICIPANT);
        vm.expectRevert(InvalidProof.selector);
        settle.answerOpening(JOB, 2, _ref(2), _salt("r2"), _total("r2"), words, _proof("opening2Participant"));
        words = _words("r2");
        words[0] += P; // the same word mod p, decoding to another payee and amount
        vm.prank(PARTICIPANT);
        vm.expectRevert(abi.encodeWithSelector(WordOutOfRange.selector, 0));
        settle.answerOpening(JOB, 2, _ref(2), _salt("r2"), _total("r2"), words, _proof("opening2Participant"));
        vm.prank(STRANGER); // the answer's x binds its sender
        vm.expectRevert(InvalidProof.selector);
        settle.answerOpening(JOB, 2, _ref(2), _salt("r2"), _total("r2"), _words("r2"), _proof("opening2Participant"));
        vm.prank(PARTICIPANT);
        vm.expectRevert(InvalidProof.selector);
        settle.answerOpening(JOB, 2, _ref(2), _salt("r2") + 1, _total("r2"), _words("r2"), _proof("opening2Participant"));
    }

    function test_reclaim_voidRequest_refunds() public {
        _request(REQUESTER, 3);
        _challenge(CHALLENGER, 2);
        skip(RESPONSE + 1);
        settle.resolve(JOB, 2); // tip 1: the request on round 3 is void
        vm.expectRevert(abi.encodeWithSelector(RoundVoid.selector, 3));
        settle.resolveRequest(JOB, 3);
        uint256 before = REQUESTER.balance;
        vm.expectEmit(SETTLE);
        emit RequestReclaimed(JOB, 3, REQUESTER);
        settle.reclaim(JOB, 3);
        assertEq(REQUESTER.balance, before + REQ_FEE);
        assertEq(settle.getJob(JOB).openRequests, 0);
    }

    // ---------------------------------------------------------------------------- equivocation

    function test_proveEquivocation_beforePayouts_faultsWithoutRollback() public {
        vm.expectEmit(SETTLE);
        emit EquivocationProven(JOB, 2, PROVER, _C("alt2"), false);
        vm.expectEmit(SETTLE);
        emit Faulted(JOB, FaultKind.Equivocation, 2, 3);
        _equivocate(2, "alt2", "receiptAlt2");
        Job memory j = settle.getJob(JOB);
        assertTrue(j.faulted);
        assertEq(j.tip, 3, "equivocation never rolls back");
        assertEq(j.equivocator, PROVER);
        assertEq(uint8(j.phase), uint8(Phase.Finalized));
        vm.prank(PROVER);
        vm.expectRevert(EquivocationAlreadyProven.selector);
        settle.proveEquivocation(JOB, 2, _ref(2), _C("alt2"), _proof("receiptAlt2"));
    }

    function test_proveEquivocation_uncommittedRound_reverts() public {
        // THREATS "Equivocation traps": a receipt for a round whose commit is still pending.
        vm.prank(PROVER);
        vm.expectRevert(abi.encodeWithSelector(RoundNotChallengeable.selector, 4));
        settle.proveEquivocation(JOB, 4, RoundRef(0, 0), _C("r4"), _proof("receiptR4"));
    }

    function test_proveEquivocation_voidRound_reverts() public {
        _challenge(CHALLENGER, 2);
        skip(RESPONSE + 1);
        settle.resolve(JOB, 2); // rounds 2 and 3 are void
        vm.prank(PROVER);
        vm.expectRevert(abi.encodeWithSelector(RoundNotChallengeable.selector, 3));
        settle.proveEquivocation(JOB, 3, _ref(3), _C("alt3"), _proof("receiptAlt3"));
    }

    function test_proveEquivocation_roundZero_reverts() public {
        vm.prank(PROVER);
        vm.expectRevert(abi.encodeWithSelector(RoundNotChallengeable.selector, 0));
        settle.proveEquivocation(JOB, 0, _ref(0), _C("alt0"), _proof("receiptAlt0"));
    }

    function test_proveEquivocation_sameCommitment_reverts() public {
        vm.prank(PROVER);
        vm.expectRevert(SameCommitment.selector);
        settle.proveEquivocation(JOB, 2, _ref(2), _C(2), _proof("receiptHonest2"));
    }

    function test_proveEquivocation_frontRun_reverts() public {
        vm.prank(STRANGER);
        vm.expectRevert(InvalidProof.selector);
        settle.proveEquivocation(JOB, 2, _ref(2), _C("alt2"), _proof("receiptAlt2"));
        vm.prank(PROVER); // and a receipt for round 3's commitment does not prove round 2
        vm.expectRevert(InvalidProof.selector);
        settle.proveEquivocation(JOB, 2, _ref(2), _C("alt3"), _proof("receiptAlt3"));
    }

    function test_proveEquivocation_afterPayoutsOpen_movesBondOnly() public {
        _finalize();
        _open();
        uint256 before = PROVER.balance;
        vm.expectEmit(SETTLE);
        emit EquivocationProven(JOB, 2, PROVER, _C("alt2"), true);
        _equivocate(2, "alt2", "receiptAlt2");
        Job memory j = settle.getJob(JOB);
        assertFalse(j.faulted, "the settled state and outcome never change once payouts open");
        assertTrue(j.bondSlashed);
        assertEq(PROVER.balance, before + BOND);
        vm.prank(PROVER);
        vm.expectRevert(NothingToSlash.selector);
        settle.proveEquivocation(JOB, 2, _ref(2), _C("alt2"), _proof("receiptAlt2"));
        _assertLedgers(JOB);
    }

    function test_proveEquivocation_afterPayoutsOpenOnFault_reverts() public {
        _challenge(CHALLENGER, 3);
        skip(RESPONSE + 1);
        settle.resolve(JOB, 3);
        _open();
        vm.prank(PROVER);
        vm.expectRevert(NothingToSlash.selector); // the bond already belongs to the participants
        settle.proveEquivocation(JOB, 2, _ref(2), _C("alt2"), _proof("receiptAlt2"));
    }

    // ------------------------------------------------------------------------------ openPayouts

    function test_openPayouts_boundaries() public {
        _finalize();
        uint256 finalizedAt = block.timestamp;
        vm.expectRevert(UnknownJob.selector);
        settle.openPayouts(bytes32(uint256(7)), _ref(3));
        (uint256 notBefore,,) = settle.payoutsOpenAfter(JOB);
        assertEq(notBefore, finalizedAt + WINDOW);
        vm.warp(notBefore);
        vm.expectRevert(abi.encodeWithSelector(TooEarly.selector, notBefore));
        settle.openPayouts(JOB, _ref(3));
        _request(REQUESTER, 3); // same block: the tip is still requestable
        vm.warp(notBefore + 1);
        vm.expectRevert(abi.encodeWithSelector(DisputesPending.selector, 0, 1));
        settle.openPayouts(JOB, _ref(3));
        _answer(PARTICIPANT, 3, "opening3Participant");
        (notBefore,,) = settle.payoutsOpenAfter(JOB);
        assertEq(notBefore, block.timestamp + WINDOW, "the answered round is challengeable one more window");
        vm.warp(notBefore + 1);
        vm.expectRevert(abi.encodeWithSelector(RoundMismatch.selector, 3));
        settle.openPayouts(JOB, _ref(2));
        vm.expectEmit(SETTLE);
        emit PayoutsOpened(JOB, 3, _C(3), false, address(0), 0);
        settle.openPayouts(JOB, _ref(3));
        assertEq(settle.getJob(JOB).settledCommitment, _C(3));
        vm.expectRevert(PayoutsAlreadyOpen.selector);
        settle.openPayouts(JOB, _ref(3));
    }

    function test_race_challengeVsOpenPayouts_atWindowEnd() public {
        // Finalized right after the last commit: the last window and the tip's request window end
        // together. At that second a challenge still lands and payouts stay shut; one second later
        // payouts open and the challenge is refused (strict <= / > boundaries, same block each).
        _finalize();
        (uint256 end,,) = settle.payoutsOpenAfter(JOB);
        assertEq(end, block.timestamp + WINDOW);
        vm.warp(end);
        vm.expectRevert(abi.encodeWithSelector(TooEarly.selector, end));
        settle.openPayouts(JOB, _ref(3));
        uint256 snap = vm.snapshotState();
        _challenge(CHALLENGER, 3);
        vm.revertToState(snap);
        vm.warp(end + 1);
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 3, times[3] + WINDOW));
        settle.challenge{value: CH_BOND}(JOB, 3, _ref(3));
        settle.openPayouts(JOB, _ref(3));
        vm.prank(REQUESTER);
        vm.expectRevert(PayoutsAlreadyOpen.selector);
        settle.requestOpening{value: REQ_FEE}(JOB, 3, _ref(3));
    }

    function test_openPayouts_beforeFinalize_reverts() public {
        vm.warp(times[3] + 10 * WINDOW);
        vm.expectRevert(NotFinalized.selector);
        settle.openPayouts(JOB, _ref(3));
    }

    function test_openPayouts_afterFault_paysRho() public {
        _challenge(CHALLENGER, 2);
        skip(RESPONSE + 1);
        settle.resolve(JOB, 2);
        uint256 before = CHALLENGER.balance;
        _open();
        Job memory j = settle.getJob(JOB);
        assertEq(j.rewardRecipient, CHALLENGER);
        assertEq(CHALLENGER.balance, before + BOND / 10, "rho = 10% of the aggregator bond");
        assertEq(j.bond.paid, BOND / 10);
        _assertLedgers(JOB);
    }

    // ---------------------------------------------------------------------------------- helpers

    function _respond(address who, uint256 r, string memory proofName) internal {
        vm.prank(who);
        settle.respond(JOB, r, _ref(r - 1), _ref(r), _proof(proofName));
    }

    function _answer(address who, uint256 r, string memory proofName) internal {
        string memory s = _name(r);
        vm.prank(who);
        settle.answerOpening(JOB, r, _ref(r), _salt(s), _total(s), _words(s), _proof(proofName));
    }

    function _equivocate(uint256 r, string memory other, string memory proofName) internal {
        vm.prank(PROVER);
        settle.proveEquivocation(JOB, r, _ref(r), _C(other), _proof(proofName));
    }
}
