// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

// Tests cast small constants to addresses and compare warped timestamps on purpose.
// forge-lint: disable-start(unsafe-typecast, block-timestamp)

import {SettleFLTest} from "./utils/SettleFLTest.sol";

/// @notice Commits (optimistic and proof-carrying) and finalize, at every deadline.
contract SettleFLCommitTest is SettleFLTest {
    /// @dev Storage slot of the `_jobs` mapping (see `forge inspect SettleFL storageLayout`).
    uint256 internal constant JOBS_SLOT = 2;

    // --------------------------------------------------------------------------------- commit

    function test_commit_byAggregator_succeeds() public {
        _createCC();
        skip(1 hours);
        vm.expectEmit(SETTLE);
        emit RoundCommitted(JOB, 1, _C(1));
        _commit(1);
        Job memory j = settle.getJob(JOB);
        assertEq(j.tip, 1);
        assertEq(j.lastCommit, block.timestamp);
        assertEq(settle.roundHash(JOB, 1), settle.computeRoundHash(_C(1), block.timestamp));
        // slot 0 keeps the other fields (its packing is read and written in one word)
        assertEq(j.aggregator, AGG);
        assertEq(j.commitDeadline, T0 + DURATION);
        (Variant v, uint256 build) = settle.jobConfig(JOB);
        assertEq(uint8(v), uint8(Variant.CommitChallenge));
        assertEq(build, 0);
        _commitRounds(2);
        assertEq(settle.getJob(JOB).tip, 3);
    }

    function test_commit_byStranger_reverts() public {
        _createCC();
        vm.prank(STRANGER);
        vm.expectRevert(NotAggregator.selector);
        settle.commit(JOB, _C(1));
        vm.prank(AGG);
        vm.expectRevert(NotAggregator.selector); // an unknown job has no aggregator
        settle.commit(bytes32(uint256(1)), _C(1));
    }

    function test_commit_notAFieldElement_reverts() public {
        _createCC();
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(NotAFieldElement.selector, P));
        settle.commit(JOB, P);
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
        vm.expectRevert(CommitsClosed.selector);
        settle.commit(JOB, _C(1));
    }

    function test_commit_afterFinalize_reverts() public {
        _createCC();
        _finalize();
        vm.prank(AGG);
        vm.expectRevert(CommitsClosed.selector);
        settle.commit(JOB, _C(1));
    }

    function test_commit_afterFault_reverts() public {
        _createCC();
        // THREATS "Life after a fault": the first fault ends the job; the tip only decreases.
        _commitRounds(2);
        _challenge(CHALLENGER, 2);
        skip(RESPONSE + 1);
        settle.resolve(JOB, 2);
        vm.prank(AGG);
        vm.expectRevert(CommitsClosed.selector);
        settle.commit(JOB, _C(2));
        vm.prank(AGG);
        vm.expectRevert(CommitsClosed.selector);
        settle.commitWithProof(JOB, _C(1), _C(2), _proof("transition2Agg"));
    }

    function test_commit_inCommitProofJob_reverts() public {
        _createCC();
        vm.prank(AGG2);
        uint256[] memory words = vm.parseJsonUintArray(fx, ".job2.genesis.words");
        uint256 c0 = vm.parseJsonUint(fx, ".job2.genesis.commitment");
        JobTerms memory t = _terms(Variant.CommitProof, address(0));
        settle.createJob{value: ESCROW + BOND}(0, t, c0, words, _proof("genesisJob2"));
        vm.prank(AGG2);
        vm.expectRevert(WrongVariant.selector);
        settle.commit(JOB2, _C(1));
    }

    function test_commit_roundLimit_reverts() public {
        // Put the tip at 2^24 - 1 (slot 0 of the job: tip at bits 160..183).
        _createCC();
        bytes32 slot = keccak256(abi.encode(JOB, JOBS_SLOT));
        uint256 word = uint256(vm.load(SETTLE, slot));
        assertEq(address(uint160(word)), AGG, "slot 0 of the job");
        word |= uint256(type(uint24).max) << 160;
        vm.store(SETTLE, slot, bytes32(word));
        vm.prank(AGG);
        vm.expectRevert(RoundLimit.selector);
        settle.commit(JOB, _C(1));
    }

    // ----------------------------------------------------------------------- commitWithProof

    function test_commitWithProof_commitProof_succeeds() public {
        _createCP();
        for (uint256 r = 1; r <= 3; ++r) {
            skip(10 minutes);
            vm.expectEmit(SETTLE);
            emit RoundCommittedWithProof(JOB, r, _C(r));
            _commitWithProof(r);
        }
        Job memory j = settle.getJob(JOB);
        assertEq(j.tip, 3);
        assertEq(settle.roundHash(JOB, 3), settle.computeRoundHash(_C(3), block.timestamp));
    }

    function test_commitWithProof_wrongPrevious_reverts() public {
        _createCP();
        _commitWithProof(1);
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(RoundMismatch.selector, 1));
        settle.commitWithProof(JOB, _C(0), _C(2), _proof("transition2Agg"));
    }

    function test_commitWithProof_wrongProof_reverts() public {
        _createCP();
        _commitWithProof(1);
        // round 3's proof does not show C_2 follows C_1
        vm.prank(AGG);
        vm.expectRevert(InvalidProof.selector);
        settle.commitWithProof(JOB, _C(1), _C(2), _proof("transition3Agg"));
        // a participant's proof binds its sender, not the aggregator
        vm.prank(AGG);
        vm.expectRevert(InvalidProof.selector);
        settle.commitWithProof(JOB, _C(1), _C(2), _proof("transition2Participant"));
    }

    function test_commitWithProof_inCommitChallenge_provesRound() public {
        _createCC();
        skip(1 hours);
        _commitWithProof(1);
        assertEq(uint8(settle.challengeOf(JOB, 1).status), uint8(ChallengeStatus.Proven));
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(AlreadyDisputed.selector, 1));
        settle.challenge{value: CH_BOND}(JOB, 1, _ref(1));
        _commit(2); // optimistic commits continue after a proven one
        assertEq(settle.getJob(JOB).tip, 2);
    }

    // -------------------------------------------------------------------------------- finalize

    function test_finalize_byAggregator_succeeds() public {
        _createCC();
        _commitRounds(1);
        vm.expectEmit(SETTLE);
        emit JobFinalized(JOB, AGG);
        _finalize();
        Job memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Finalized));
        assertEq(j.finalizedAt, block.timestamp);
        assertEq(j.commitDeadline, 0);
        assertEq(j.disputeEnd, block.timestamp + WINDOW);
        vm.prank(AGG);
        vm.expectRevert(AlreadyFinalized.selector);
        settle.finalize(JOB);
    }

    function test_finalize_byStrangerAtInactivityTimeout_reverts() public {
        _createCC();
        _commitRounds(1);
        vm.warp(times[1] + INACTIVITY);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(FinalizeNotAllowed.selector, times[1] + INACTIVITY));
        settle.finalize(JOB);
        // same block: the aggregator may still commit, which restarts the timeout
        _commit(2);
        vm.warp(times[2] + INACTIVITY + 1);
        vm.prank(STRANGER);
        settle.finalize(JOB);
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.Finalized));
    }

    function test_finalize_byStrangerAfterInactivityTimeout_succeeds() public {
        _createCC();
        vm.warp(T0 + INACTIVITY + 1);
        vm.prank(STRANGER);
        settle.finalize(JOB);
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.Finalized));
    }

    function test_finalize_hardDeadline_sameBlockRace() public {
        _createCC();
        // Commit every day so inactivity never triggers; the hard deadline ends the job.
        for (uint256 r = 1; r <= 3; ++r) {
            vm.warp(T0 + DURATION - 3 days + r * 1 days);
            _commit(r);
        }
        assertEq(block.timestamp, T0 + DURATION);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(FinalizeNotAllowed.selector, T0 + DURATION));
        settle.finalize(JOB);
        vm.warp(T0 + DURATION + 1);
        vm.prank(AGG);
        vm.expectRevert(CommitsClosed.selector);
        settle.commit(JOB, _C(4));
        vm.prank(STRANGER);
        settle.finalize(JOB);
    }

    function test_finalize_unknownJob_reverts() public {
        _createCC();
        vm.expectRevert(UnknownJob.selector);
        settle.finalize(bytes32(uint256(1)));
    }
}
// forge-lint: disable-end(unsafe-typecast, block-timestamp)
