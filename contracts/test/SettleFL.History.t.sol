// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

// Tests cast small constants to addresses and compare warped timestamps on purpose.
// forge-lint: disable-start(unsafe-typecast, block-timestamp)

import {SettleFLTest} from "./utils/SettleFLTest.sol";

/// @notice The storage model's soundness: rounds live only in a rolling hash (the head) and a checkpoint
///         every 16 rounds, and every call that needs a round takes a `History` folded into one of them.
///         Every path is played with the LONGEST history it may take (17 links), succeeds with exact
///         balances, and refuses every malformed or tampered history first.
/// @dev The standard CC job has rounds 1..34 committed one hour apart, so round 17 (committed 17 hours
///      before round 34) is still inside its one-day window. The longest history covering rounds 16 and
///      17 is rounds 16..32 (ending at checkpoint 2); the longest ending at the tip is rounds 18..34.
contract SettleFLHistoryTest is SettleFLTest {
    uint256 internal constant START = 100 ether;
    uint256 internal constant RHO = BOND / 10;
    uint256 internal constant BOND_SHARE = BOND - RHO;
    uint256 internal constant TIP = 34;
    uint256 internal constant ROUND = 17;

    /// @dev The calls that take a history; the dispute paths act on round 17, the tip paths on the tip.
    enum Path {
        Challenge,
        Respond,
        Resolve,
        Request,
        Answer,
        ResolveRequest,
        Equivocate,
        Finalize,
        OpenPayouts,
        Payout
    }

    function setUp() public override {
        super.setUp();
        _createCC();
        _commitRounds(TIP);
    }

    // ------------------------------------------------------------------------------ the model

    function test_history_mirror_matchesStorage() public view {
        JobView memory j = settle.getJob(JOB);
        assertEq(j.tip, TIP);
        assertEq(j.headHash, hashes[TIP], "the head is H_34");
        assertEq(settle.checkpointOf(JOB, 1), hashes[16], "checkpoint 1 is H_16");
        assertEq(settle.checkpointOf(JOB, 2), hashes[32], "checkpoint 2 is H_32");
        assertEq(settle.checkpointOf(JOB, 3), 0, "no checkpoint past the tip");
        assertEq(settle.checkpointOf(JOB, 0), 0, "round 0 is never a checkpoint");
        for (uint256 r = 1; r <= TIP; ++r) {
            assertEq(
                hashes[r],
                uint256(keccak256(abi.encode(hashes[r - 1], r, commitments[r], uint256(times[r])))) >> 56,
                "H_r = keccak256(H_{r-1}, r, C_r, t_r) >> 56"
            );
            assertEq(times[r], T0 + r * 1 hours);
        }
        assertTrue(times[ROUND] + WINDOW >= block.timestamp, "round 17 is still challengeable at round 34");
    }

    function test_history_longestHistories_haveSeventeenLinks() public view {
        History memory h = _history(16, 32);
        assertEq(h.links.length, 17);
        assertEq(h.before, hashes[15]);
        assertEq(settle.checkHistory(JOB, h), 16);
        History memory t = _history(18, TIP);
        assertEq(t.links.length, 17);
        assertEq(settle.checkHistory(JOB, t), 18);
        // `_hist(17)` (the bed's shortest history covering 16 and 17) is this longest one.
        History memory s = _hist(ROUND);
        assertEq(keccak256(abi.encode(s)), keccak256(abi.encode(h)));
    }

    function test_history_everyRoundPair_accepted() public view {
        for (uint256 r = 1; r <= TIP; ++r) {
            History memory h = _hist(r);
            assertLe(h.links.length, 17, "at most 17 links");
            assertEq(settle.checkHistory(JOB, h), r - 1, "covers r - 1 and r");
            assertLe(h.last + 1 - h.links.length, r - 1);
            assertGe(h.last, r);
        }
    }

    function test_history_everyShape_acceptedOrBadHistory() public view {
        // Every (last, length) with last <= tip + 1 and 1 <= length <= 18: valid exactly when it ends at the
        // head or at a checkpoint at or below the tip, with 1..17 links that fit after round 0.
        for (uint256 last; last <= TIP + 1; ++last) {
            for (uint256 len = 1; len <= 18; ++len) {
                History memory h;
                if (len <= last + 1 && last <= TIP) {
                    h = _history(last + 1 - len, last);
                } else {
                    h.last = last;
                    h.links = new Link[](len);
                }
                bool valid =
                    len <= 17 && len <= last + 1 && (last == TIP || (last != 0 && last % K == 0 && last <= TIP));
                if (valid) {
                    assertEq(settle.checkHistory(JOB, h), last + 1 - len);
                } else {
                    try settle.checkHistory(JOB, h) {
                        revert(string.concat("accepted: last ", vm.toString(last), " len ", vm.toString(len)));
                    } catch (bytes memory err) {
                        assertEq(err, abi.encodeWithSelector(BadHistory.selector));
                    }
                }
            }
        }
    }

    function test_history_empty_reverts() public {
        History memory h;
        h.last = TIP;
        h.before = hashes[TIP];
        vm.expectRevert(BadHistory.selector);
        settle.checkHistory(JOB, h);
        h.last = 32;
        vm.expectRevert(BadHistory.selector);
        settle.checkHistory(JOB, h);
        vm.prank(CHALLENGER);
        vm.expectRevert(BadHistory.selector);
        settle.challenge{value: CH_BOND}(JOB, jobCfg, ROUND, h);
        vm.prank(AGG);
        vm.expectRevert(BadHistory.selector);
        settle.finalize(JOB, jobCfg, h);
        // resolve and resolveRequest check that the history covers the round before folding it, so an
        // empty history is refused there as not covering the round (still before any state changes)
        _challengeWith(_history(16, 32));
        _do(Path.Request, _history(16, 32));
        skip(RESPONSE + 1);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(RoundNotCovered.selector, ROUND));
        settle.resolve(JOB, jobCfg, ROUND, h);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(RoundNotCovered.selector, ROUND));
        settle.resolveRequest(JOB, jobCfg, ROUND, h);
        assertEq(settle.getJob(JOB).tip, TIP);
    }

    function test_history_eighteenLinks_reverts() public {
        vm.expectRevert(BadHistory.selector);
        settle.checkHistory(JOB, _history(15, 32));
        vm.expectRevert(BadHistory.selector);
        settle.checkHistory(JOB, _history(17, TIP));
        vm.expectRevert(BadHistory.selector);
        settle.checkHistory(JOB, _history(0, 17)); // 18 links from round 0, ending at a non-checkpoint too
    }

    function test_history_lastAboveTip_reverts() public {
        History memory h = _history(18, TIP);
        h.last = TIP + 1;
        vm.expectRevert(BadHistory.selector);
        settle.checkHistory(JOB, h);
        // a genuine history with a fabricated round 35 appended
        History memory longer = _history(19, TIP);
        Link[] memory links = new Link[](17);
        for (uint256 i; i < 16; ++i) {
            links[i] = longer.links[i];
        }
        links[16] = Link(_C("r34"), block.timestamp);
        longer.links = links;
        longer.last = TIP + 1;
        vm.expectRevert(BadHistory.selector);
        settle.checkHistory(JOB, longer);
        // a checkpoint index past the tip
        h = _history(32, 32);
        h.last = 48;
        vm.expectRevert(BadHistory.selector);
        settle.checkHistory(JOB, h);
    }

    function test_history_nonCheckpointBelowTip_reverts() public {
        vm.expectRevert(BadHistory.selector);
        settle.checkHistory(JOB, _history(17, 33));
        History memory h = _history(17, 33);
        vm.prank(CHALLENGER);
        vm.expectRevert(BadHistory.selector);
        settle.challenge{value: CH_BOND}(JOB, jobCfg, ROUND, h);
        for (uint256 last = 1; last < TIP; ++last) {
            if (last % K == 0) continue;
            vm.expectRevert(BadHistory.selector);
            settle.checkHistory(JOB, _history(last, last));
        }
    }

    function test_history_anyTamperedLink_reverts() public {
        History[] memory longest = new History[](2);
        longest[0] = _history(16, 32);
        longest[1] = _history(18, TIP);
        for (uint256 k; k < 2; ++k) {
            for (uint256 i; i < 17; ++i) {
                History memory h = _copy(longest[k]);
                h.links[i].commitment ^= 1;
                vm.expectRevert(HistoryMismatch.selector);
                settle.checkHistory(JOB, h);
                h = _copy(longest[k]);
                h.links[i].time += 1;
                vm.expectRevert(HistoryMismatch.selector);
                settle.checkHistory(JOB, h);
                h = _copy(longest[k]);
                h.links[i].time -= 1;
                vm.expectRevert(HistoryMismatch.selector);
                settle.checkHistory(JOB, h);
                // two links swapped
                h = _copy(longest[k]);
                Link memory swap = h.links[i];
                h.links[i] = h.links[(i + 1) % 17];
                h.links[(i + 1) % 17] = swap;
                vm.expectRevert(HistoryMismatch.selector);
                settle.checkHistory(JOB, h);
            }
            History memory b = _copy(longest[k]);
            b.before ^= 1;
            vm.expectRevert(HistoryMismatch.selector);
            settle.checkHistory(JOB, b);
            // the same links shifted by one round
            b = _copy(longest[k]);
            b.last -= 1;
            vm.expectRevert(BadHistory.selector); // 31 / 33: neither a checkpoint nor the tip
            settle.checkHistory(JOB, b);
            assertEq(settle.checkHistory(JOB, longest[k]), longest[k].last - 16, "the genuine one still folds");
        }
    }

    function test_history_laterTime_cannotWidenWindow() public {
        uint256 end = times[ROUND] + WINDOW;
        vm.warp(end);
        uint256 snap = vm.snapshotState();
        _challengeWith(_history(16, 32)); // the last second of round 17's window
        vm.revertToState(snap);
        vm.warp(end + 1);
        History memory h = _history(16, 32);
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, ROUND, end));
        settle.challenge{value: CH_BOND}(JOB, jobCfg, ROUND, h);
        h.links[1].time += 1; // round 17 "committed" a second later
        vm.prank(CHALLENGER);
        vm.expectRevert(HistoryMismatch.selector);
        settle.challenge{value: CH_BOND}(JOB, jobCfg, ROUND, h);
        h.links[1].time += 1 days;
        vm.prank(CHALLENGER);
        vm.expectRevert(HistoryMismatch.selector);
        settle.challenge{value: CH_BOND}(JOB, jobCfg, ROUND, h);
        vm.prank(REQUESTER);
        vm.expectRevert(HistoryMismatch.selector);
        settle.requestOpening{value: REQ_FEE}(JOB, jobCfg, ROUND, h);
        // the tip's time moved later would postpone inactivity: a stranger's finalize needs the true one
        vm.warp(times[TIP] + INACTIVITY + 1);
        History memory t = _history(18, TIP);
        t.links[16].time += 1 days;
        vm.prank(STRANGER);
        vm.expectRevert(HistoryMismatch.selector);
        settle.finalize(JOB, jobCfg, t);
    }

    function test_history_afterRollback_checkpointAboveTip_reverts() public {
        _challengeWith(_history(16, 32));
        skip(RESPONSE + 1);
        _resolveWith(_history(16, 32));
        JobView memory j = settle.getJob(JOB);
        assertEq(j.tip, 16);
        assertEq(j.headHash, hashes[16], "the rolled-back head is H_16");
        assertEq(j.headHash, settle.checkpointOf(JOB, 1));
        assertEq(settle.checkpointOf(JOB, 2), hashes[32], "the stale checkpoint stays in storage ...");
        History memory stale = _history(16, 32);
        vm.expectRevert(BadHistory.selector); // ... but is never used: it is above the tip
        settle.checkHistory(JOB, stale);
        vm.prank(CHALLENGER2);
        vm.expectRevert(BadHistory.selector);
        settle.challenge{value: CH_BOND}(JOB, jobCfg, 16, stale);
        vm.prank(REQUESTER);
        vm.expectRevert(BadHistory.selector);
        settle.requestOpening{value: REQ_FEE}(JOB, jobCfg, 16, stale);
        vm.prank(PROVER);
        vm.expectRevert(BadHistory.selector);
        settle.proveEquivocation(JOB, jobCfg, ROUND, stale, _C("alt17"), _proof("receiptAlt17"));
        // the old head too
        History memory oldTip = _history(18, TIP);
        vm.expectRevert(BadHistory.selector);
        settle.checkHistory(JOB, oldTip);
        // commits are refused (the fault ended the job)
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(CommitsClosed.selector, JOB));
        settle.commit(NONCE, _C(ROUND));
        // histories ending at the new tip (16, also checkpoint 1) fold, the longest from round 0
        assertEq(settle.checkHistory(JOB, _history(0, 16)), 0);
        assertEq(settle.checkHistory(JOB, _history(16, 16)), 16);
    }

    function test_history_rollbackToNonCheckpoint_lowerCheckpointStillValid() public {
        vm.warp(times[21] + WINDOW);
        _challengeRound(21, _hist(21)); // rounds 20..32
        skip(RESPONSE + 1);
        History memory h = _hist(21);
        vm.prank(STRANGER);
        settle.resolve(JOB, jobCfg, 21, h);
        JobView memory j = settle.getJob(JOB);
        assertEq(j.tip, 20);
        assertEq(j.headHash, hashes[20]);
        assertEq(settle.checkHistory(JOB, _history(4, 20)), 4, "17 links ending at the new tip");
        assertEq(settle.checkHistory(JOB, _history(0, 16)), 0, "checkpoint 1 is below the tip");
        vm.expectRevert(BadHistory.selector);
        settle.checkHistory(JOB, _history(21, 32));
        vm.expectRevert(BadHistory.selector);
        settle.checkHistory(JOB, _history(3, 20)); // 18 links
    }

    // ------------------------------------------------------------------- dispute paths, round 17

    function test_history_challenge_longest_succeeds() public {
        _refusals(Path.Challenge);
        uint256 before = CHALLENGER.balance;
        vm.expectEmit(SETTLE);
        emit Challenged(JOB, ROUND, CHALLENGER, block.timestamp + RESPONSE);
        _do(Path.Challenge, _history(16, 32));
        assertEq(CHALLENGER.balance, before - CH_BOND);
        assertEq(SETTLE.balance, ESCROW + BOND + CH_BOND);
        assertEq(settle.getJob(JOB).disputesIn, CH_BOND);
        assertEq(uint8(settle.challengeOf(JOB, ROUND).status), uint8(ChallengeStatus.Open));
        // the same 17 links cover round 16 as well
        _challengeRound(16, _history(16, 32));
        assertEq(settle.getJob(JOB).openChallenges, 2);
        _assertLedgers(JOB);
    }

    function test_history_respond_longest_succeeds() public {
        _challengeWith(_history(16, 32));
        _refusals(Path.Respond);
        History memory from17 = _history(17, 32); // covers 17 but not 16
        vm.prank(PARTICIPANT);
        vm.expectRevert(abi.encodeWithSelector(RoundNotCovered.selector, 16));
        settle.respond(JOB, jobCfg, ROUND, from17, _proof("transition17Participant"));
        uint256 before = PARTICIPANT.balance;
        vm.expectEmit(SETTLE);
        emit Transferred(JOB, LedgerKind.Disputes, PARTICIPANT, CH_BOND, false);
        _do(Path.Respond, _history(16, 32));
        assertEq(PARTICIPANT.balance, before + CH_BOND);
        assertEq(uint8(settle.challengeOf(JOB, ROUND).status), uint8(ChallengeStatus.Answered));
        assertEq(SETTLE.balance, ESCROW + BOND);
        assertEq(settle.getJob(JOB).tip, TIP);
        _assertLedgers(JOB);
    }

    function test_history_resolve_longest_succeeds() public {
        _challengeWith(_history(16, 32));
        skip(RESPONSE + 1);
        _refusals(Path.Resolve);
        uint256 before = CHALLENGER.balance;
        vm.expectEmit(SETTLE);
        emit Faulted(JOB, FaultKind.UnansweredChallenge, ROUND, 16);
        _do(Path.Resolve, _history(16, 32));
        JobView memory j = settle.getJob(JOB);
        assertEq(j.tip, 16, "rolled back to round 16");
        assertEq(j.headHash, hashes[16], "the head is H_16, proven by the history's fold");
        assertTrue(j.faulted);
        assertEq(CHALLENGER.balance, before + CH_BOND, "bond refunded");
        _openFault(16, CHALLENGER);
        _payAndCheck(_history(0, 16), "r16", true, CHALLENGER); // 17 links ending at the new tip
        assertEq(CHALLENGER.balance, before + CH_BOND + RHO + _dust("r16"));
        assertEq(AGG.balance, START - ESCROW - BOND);
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r16");
    }

    function test_history_resolve_historyStartingAtRound_succeeds() public {
        // The hash before round 17 may also be the history's `before` itself (16 links from round 17).
        _challengeWith(_history(16, 32));
        skip(RESPONSE + 1);
        History memory h = _history(17, 32);
        vm.prank(STRANGER);
        settle.resolve(JOB, jobCfg, ROUND, h);
        assertEq(settle.getJob(JOB).headHash, hashes[16]);
    }

    function test_history_requestAndAnswer_longest_succeeds() public {
        _refusals(Path.Request);
        uint256 requesterBefore = REQUESTER.balance;
        _do(Path.Request, _history(16, 32));
        assertEq(REQUESTER.balance, requesterBefore - REQ_FEE);
        assertEq(SETTLE.balance, ESCROW + BOND + REQ_FEE);
        skip(1 hours);
        _refusals(Path.Answer);
        uint256 before = PARTICIPANT.balance;
        vm.expectEmit(SETTLE);
        emit DisputeWindowExtended(JOB, ROUND, block.timestamp + WINDOW);
        vm.expectEmit(SETTLE);
        emit StateOpened(JOB, ROUND, _C(ROUND), _words("r17").length, _total("r17"), _salt("r17"));
        vm.expectEmit(SETTLE);
        emit Transferred(JOB, LedgerKind.Disputes, PARTICIPANT, REQ_FEE, false);
        _do(Path.Answer, _history(16, 32));
        assertEq(PARTICIPANT.balance, before + REQ_FEE);
        assertEq(uint8(settle.requestOf(JOB, ROUND).status), uint8(RequestStatus.Answered));
        assertEq(settle.getJob(JOB).disputeEnd, block.timestamp + WINDOW);
        assertEq(SETTLE.balance, ESCROW + BOND);
        _assertLedgers(JOB);
    }

    function test_history_resolveRequest_longest_succeeds() public {
        _do(Path.Request, _history(16, 32));
        skip(RESPONSE + 1);
        _refusals(Path.ResolveRequest);
        uint256 before = REQUESTER.balance;
        vm.expectEmit(SETTLE);
        emit Faulted(JOB, FaultKind.UnansweredRequest, ROUND, 16);
        _do(Path.ResolveRequest, _history(16, 32));
        JobView memory j = settle.getJob(JOB);
        assertEq(j.tip, 16, "a fault at round 16");
        assertEq(j.headHash, hashes[16]);
        assertEq(REQUESTER.balance, before + REQ_FEE, "fee refunded");
        _openFault(16, REQUESTER);
        _payAndCheck(_history(0, 16), "r16", true, REQUESTER);
        assertEq(REQUESTER.balance, before + REQ_FEE + RHO + _dust("r16"));
        assertEq(AGG.balance, START - ESCROW - BOND);
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r16");
    }

    function test_history_proveEquivocation_longest_succeeds() public {
        _refusals(Path.Equivocate);
        vm.expectEmit(SETTLE);
        emit EquivocationProven(JOB, ROUND, PROVER, _C("alt17"), false);
        _do(Path.Equivocate, _history(16, 32));
        JobView memory j = settle.getJob(JOB);
        assertTrue(j.faulted);
        assertEq(j.tip, TIP, "no rollback");
        assertEq(j.headHash, hashes[TIP]);
        assertEq(j.equivocator, PROVER);
        // the tip paths with the longest tip history: open and pay the faulted state r34
        uint256 before = PROVER.balance;
        _openFault(TIP, PROVER);
        _payAndCheck(_history(18, TIP), "r34", true, PROVER);
        assertEq(PROVER.balance, before + RHO + _dust("r34"));
        assertEq(AGG.balance, START - ESCROW - BOND);
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r34");
    }

    // ------------------------------------------------------------------------- tip paths, r34

    function test_history_tipPaths_longest_succeeds() public {
        _refusals(Path.Finalize);
        vm.expectEmit(SETTLE);
        emit JobFinalized(JOB, AGG);
        _do(Path.Finalize, _history(18, TIP)); // round 34's window is open: closed, not payable
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.Finalized));
        (uint256 notBefore,,) = settle.payoutsOpenAfter(JOB, jobCfg, _history(18, TIP));
        assertEq(notBefore, times[TIP] + WINDOW);
        History memory notTip = _history(16, 32);
        vm.expectRevert(abi.encodeWithSelector(RoundNotCovered.selector, TIP));
        settle.payoutsOpenAfter(JOB, jobCfg, notTip);
        vm.warp(notBefore + 1);
        _refusals(Path.OpenPayouts);
        vm.expectEmit(SETTLE);
        emit PayoutsOpened(JOB, TIP, _C(TIP), false, address(0), 0);
        _do(Path.OpenPayouts, _history(18, TIP));
        _refusals(Path.Payout);
        uint256 owed = _payAndCheck(_history(18, TIP), "r34", false, address(0));
        assertEq(AGG.balance, START - owed, "unused escrow and bond back");
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r34");
    }

    function test_history_aggregatorFinalizeOpens_longest_succeeds() public {
        vm.warp(times[TIP] + WINDOW + 1);
        vm.expectEmit(SETTLE);
        emit PayoutsOpened(JOB, TIP, _C(TIP), false, address(0), 0);
        _do(Path.Finalize, _history(18, TIP));
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.PayoutsOpen), "opened in the same call");
        uint256 owed = _payAndCheck(_history(18, TIP), "r34", false, address(0));
        assertEq(AGG.balance, START - owed);
        assertEq(SETTLE.balance, 0);
        _assertCompleted("r34");
    }

    function test_history_strangerFinalize_longest_succeeds() public {
        vm.warp(times[TIP] + INACTIVITY);
        History memory h = _history(18, TIP);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(FinalizeNotAllowed.selector, times[TIP] + INACTIVITY));
        settle.finalize(JOB, jobCfg, h);
        vm.warp(times[TIP] + INACTIVITY + 1);
        vm.prank(STRANGER);
        settle.finalize(JOB, jobCfg, h);
        assertEq(settle.getJob(JOB).tipRequestEnd, block.timestamp + WINDOW);
        // the tip stays requestable with the longest tip history too
        History memory r = _history(18, TIP);
        vm.prank(REQUESTER);
        settle.requestOpening{value: REQ_FEE}(JOB, jobCfg, TIP, r);
        assertEq(settle.getJob(JOB).openRequests, 1);
    }

    // ----------------------------------------------------------------------------- the paths

    /// @dev The refusals every path makes before it looks at anything else in the history: 18 links, a
    ///      non-checkpoint end below the tip, a history that misses the round (or ends below the tip), a
    ///      tampered commitment far from the round, a tampered time of the round's own link, a tampered
    ///      `before`. Nothing changes state.
    function _refusals(Path p) internal {
        bool tipPath = p >= Path.Finalize;
        History memory good = tipPath ? _history(18, TIP) : _history(16, 32);
        _expect(p, tipPath ? _history(17, TIP) : _history(15, 32), abi.encodeWithSelector(BadHistory.selector));
        _expect(p, tipPath ? _history(18, 33) : _history(17, 33), abi.encodeWithSelector(BadHistory.selector));
        if (tipPath) {
            _expect(p, _history(16, 32), abi.encodeWithSelector(RoundNotCovered.selector, TIP));
        } else {
            uint256 missing = p == Path.Respond ? 16 : ROUND;
            _expect(p, _history(18, TIP), abi.encodeWithSelector(RoundNotCovered.selector, missing));
        }
        History memory h = _copy(good);
        h.links[16].commitment ^= 1;
        _expect(p, h, abi.encodeWithSelector(HistoryMismatch.selector));
        h = _copy(good);
        h.links[tipPath ? 16 : 1].time += 1;
        _expect(p, h, abi.encodeWithSelector(HistoryMismatch.selector));
        h = _copy(good);
        h.before ^= 1;
        _expect(p, h, abi.encodeWithSelector(HistoryMismatch.selector));
    }

    function _expect(Path p, History memory h, bytes memory err) internal {
        uint256 snap = vm.snapshotState();
        vm.expectRevert(err);
        _do(p, h);
        vm.revertToState(snap);
    }

    /// @dev One call of path `p` with history `h`, by its natural caller (round 17 / the tip / batch 0).
    function _do(Path p, History memory h) internal {
        if (p == Path.Challenge) {
            vm.prank(CHALLENGER);
            settle.challenge{value: CH_BOND}(JOB, jobCfg, ROUND, h);
        } else if (p == Path.Respond) {
            Proof memory proof = _proof("transition17Participant");
            vm.prank(PARTICIPANT);
            settle.respond(JOB, jobCfg, ROUND, h, proof);
        } else if (p == Path.Resolve) {
            vm.prank(STRANGER);
            settle.resolve(JOB, jobCfg, ROUND, h);
        } else if (p == Path.Request) {
            vm.prank(REQUESTER);
            settle.requestOpening{value: REQ_FEE}(JOB, jobCfg, ROUND, h);
        } else if (p == Path.Answer) {
            uint256 salt = _salt("r17");
            uint256 total = _total("r17");
            uint256[] memory words = _words("r17");
            Proof memory proof = _proof("opening17Participant");
            vm.prank(PARTICIPANT);
            settle.answerOpening(JOB, jobCfg, ROUND, h, salt, total, words, proof);
        } else if (p == Path.ResolveRequest) {
            vm.prank(STRANGER);
            settle.resolveRequest(JOB, jobCfg, ROUND, h);
        } else if (p == Path.Equivocate) {
            uint256 other = _C("alt17");
            Proof memory proof = _proof("receiptAlt17");
            vm.prank(PROVER);
            settle.proveEquivocation(JOB, jobCfg, ROUND, h, other, proof);
        } else if (p == Path.Finalize) {
            vm.prank(AGG);
            settle.finalize(JOB, jobCfg, h);
        } else if (p == Path.OpenPayouts) {
            vm.prank(STRANGER);
            settle.openPayouts(JOB, jobCfg, h);
        } else {
            PayoutBatch memory b = _batch("r34", 0);
            Proof memory proof = _payoutProof("r34", 0);
            vm.prank(SUBMITTER);
            settle.payout(JOB, jobCfg, h, b, proof);
        }
    }

    function _challengeWith(History memory h) internal {
        _challengeRound(ROUND, h);
    }

    function _challengeRound(uint256 r, History memory h) internal {
        vm.prank(CHALLENGER);
        settle.challenge{value: CH_BOND}(JOB, jobCfg, r, h);
    }

    function _resolveWith(History memory h) internal {
        vm.prank(STRANGER);
        settle.resolve(JOB, jobCfg, ROUND, h);
    }

    /// @dev A deep copy (memory structs alias).
    function _copy(History memory h) internal pure returns (History memory c) {
        c.before = h.before;
        c.last = h.last;
        c.links = new Link[](h.links.length);
        for (uint256 i; i < h.links.length; ++i) {
            c.links[i] = Link(h.links[i].commitment, h.links[i].time);
        }
    }

    // ------------------------------------------------------------------------------- money

    /// @dev Opens payouts on a faulted job with the longest history ending at the tip, expecting rho to go
    ///      to `recipient` (event and balance).
    function _openFault(uint256 tip, address recipient) internal {
        History memory h = _history(tip + 1 - 17, tip);
        (uint256 notBefore,,) = settle.payoutsOpenAfter(JOB, jobCfg, h);
        if (block.timestamp <= notBefore) vm.warp(notBefore + 1);
        uint256 before = recipient.balance;
        vm.expectEmit(SETTLE);
        emit PayoutsOpened(JOB, tip, commitments[tip], true, recipient, RHO);
        vm.expectEmit(SETTLE);
        emit Transferred(JOB, LedgerKind.Bond, recipient, RHO, false);
        vm.prank(STRANGER);
        settle.openPayouts(JOB, jobCfg, h);
        assertEq(recipient.balance, before + RHO);
    }

    /// @dev What the reward recipient gets at completion on a fault: the rounding dust of both ledgers.
    function _dust(string memory state) internal view returns (uint256) {
        uint256[] memory words = _words(state);
        uint256 total = _total(state);
        uint256 escrowPaid;
        uint256 bondPaid;
        for (uint256 i; i < words.length; ++i) {
            escrowPaid += (words[i] >> 160) * ESCROW / total;
            bondPaid += (words[i] >> 160) * BOND_SHARE / total;
        }
        return ESCROW - escrowPaid + BOND_SHARE - bondPaid;
    }

    /// @dev Pays every batch of `state` with history `h` (ending at the tip) and checks every payee's ETH
    ///      (clean `S_i * u`; fault: pro rata plus the bond share) and the recipient's dust.
    function _payAndCheck(History memory h, string memory state, bool fault, address recipient)
        internal
        returns (uint256 owed)
    {
        address[] memory payees;
        uint256[] memory amounts;
        (payees, amounts, owed) = _owed(state, fault, ESCROW, BOND);
        uint256[] memory before = _balances(payees);
        uint256 recipientBefore = recipient.balance;
        _payAllWith(h, state);
        for (uint256 i; i < payees.length; ++i) {
            assertEq(payees[i].balance - before[i], amounts[i], "payee");
        }
        if (fault) assertEq(recipient.balance - recipientBefore, _dust(state), "dust to the reward recipient");
    }

    function _payAllWith(History memory h, string memory state) internal {
        uint256 batches = _batches(state);
        for (uint256 b; b < batches; ++b) {
            PayoutBatch memory batch = _batch(state, b);
            Proof memory proof = _payoutProof(state, b);
            vm.prank(SUBMITTER);
            settle.payout(JOB, jobCfg, h, batch, proof);
        }
    }

    function _assertCompleted(string memory state) internal view {
        JobView memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Completed));
        for (uint256 b; b < _batches(state); ++b) {
            assertTrue(settle.isBatchPaid(JOB, b));
        }
        (uint256 e, uint256 b, uint256 d) = settle.heldOf(JOB, jobCfg);
        assertEq(e + b + d, 0, "a completed job holds nothing");
        _assertLedgers(JOB);
    }
}

/// @notice The longest tip history on the proof-carrying commit: round 17 of a CC job committed with a
///         Transition proof from round 16, proven by 17 links from round 0 (`before` = H_{-1} = 0).
contract SettleFLHistoryProvenCommitTest is SettleFLTest {
    function setUp() public override {
        super.setUp();
        _createCC();
        _commitRounds(16);
    }

    function test_history_commitWithProof_longest_succeeds() public {
        History memory h = _history(0, 16);
        assertEq(h.links.length, 17);
        assertEq(h.before, 0);
        Proof memory proof = _proof("transition17Agg");
        uint256 c17 = _C(17);
        skip(1 hours);
        // refusals first
        History memory bad = _history(0, 16);
        bad.links[0].commitment = _C("alt0"); // another genesis
        vm.prank(AGG);
        vm.expectRevert(HistoryMismatch.selector);
        settle.commitWithProof(NONCE, bad, c17, proof);
        bad = _history(0, 16);
        bad.before = 1;
        vm.prank(AGG);
        vm.expectRevert(HistoryMismatch.selector);
        settle.commitWithProof(NONCE, bad, c17, proof);
        History memory below = _history(0, 15);
        vm.prank(AGG);
        vm.expectRevert(BadHistory.selector);
        settle.commitWithProof(NONCE, below, c17, proof);
        vm.prank(AGG);
        vm.expectEmit(SETTLE);
        emit RoundCommittedWithProof(JOB, 17, c17);
        settle.commitWithProof(NONCE, h, c17, proof);
        _record(17, c17);
        JobView memory j = settle.getJob(JOB);
        assertEq(j.tip, 17);
        assertEq(j.headHash, hashes[17]);
        assertEq(uint8(settle.challengeOf(JOB, 17).status), uint8(ChallengeStatus.Proven));
        History memory c = _hist(17);
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(AlreadyDisputed.selector, 17));
        settle.challenge{value: CH_BOND}(JOB, jobCfg, 17, c);
        assertEq(settle.checkHistory(JOB, _history(1, 17)), 1, "17 links ending at the new tip");
    }
}
// forge-lint: disable-end(unsafe-typecast, block-timestamp)
