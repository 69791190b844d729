// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

// Tests cast small constants to addresses and compare warped timestamps on purpose.
// forge-lint: disable-start(unsafe-typecast, block-timestamp)

import {SettleFLTest} from "./utils/SettleFLTest.sol";
import {Compression} from "../src/libraries/Compression.sol";

/// @notice Fuzzed properties: the compression matches a plain reference for any header and words; every
///         word at or above 2^253 and every header value at or above p is refused; deadlines hold at every
///         second around them; the rolling hash is the fold of `linkHash` over any commit sequence, and any
///         single change to a valid history (a link's commitment or time, or `before`) is refused.
contract SettleFLFuzzTest is SettleFLTest {
    uint256 internal constant MAX_FUZZ_ROUNDS = 40;

    // ------------------------------------------------------------------------------ compression

    function testFuzz_payoutChallenge_matchesReference(
        uint256[16] memory raw,
        address sender,
        uint256[5] memory header,
        uint256 commitment
    ) public view {
        uint256[] memory words = new uint256[](16);
        for (uint256 i; i < 16; ++i) {
            words[i] = raw[i] >> 3; // below 2^253
        }
        for (uint256 i; i < 5; ++i) {
            header[i] = bound(header[i], 0, P - 1);
        }
        Compression.PayoutHead memory h =
            Compression.PayoutHead(JOB, sender, commitment, header[0], header[1], header[2], header[3], header[4]);
        (uint256 x, uint256 y) = settle.payoutChallenge(h, words);
        assertEq(x, _payoutX(h, words));
        assertEq(y, _sumOfPowers(_concat(header, words), x));
    }

    function testFuzz_openingChallenge_matchesReference(
        uint256[] memory raw,
        address sender,
        uint256[6] memory header,
        uint256 commitment
    ) public view {
        vm.assume(raw.length > 0 && raw.length <= 64);
        uint256[] memory words = new uint256[](raw.length);
        for (uint256 i; i < raw.length; ++i) {
            words[i] = raw[i] >> 3;
        }
        for (uint256 i; i < 6; ++i) {
            header[i] = bound(header[i], 0, P - 1);
        }
        Compression.OpeningHead memory h = Compression.OpeningHead(
            JOB, sender, commitment, header[0], header[1], header[2], header[3], header[4], header[5]
        );
        (uint256 x, uint256 y) = settle.openingChallenge(h, words);
        assertEq(x, _openingX(h, words));
        uint256[] memory head = new uint256[](6);
        for (uint256 i; i < 6; ++i) {
            head[i] = header[i];
        }
        assertEq(y, _sumOfPowers(_concat(head, words), x));
    }

    /// @dev Pins the references' packed encoding to a plain `abi.encode` of every field (spec, section 1).
    function test_challengeReferences_matchAbiEncode_succeeds() public view {
        uint256[] memory words = new uint256[](3);
        words[0] = 7;
        words[1] = 8;
        words[2] = 9;
        Compression.PayoutHead memory ph = Compression.PayoutHead(JOB, SUBMITTER, 11, 22, 3, 22, 1000, 1);
        bytes32 tag = keccak256("SettleFL.payout.v2");
        uint256 x = uint256(
            keccak256(abi.encode(tag, block.chainid, SETTLE, JOB, SUBMITTER, 11, 22, 3, 22, 1000, 1, words))
        ) % P;
        assertEq(x, _payoutX(ph, words));
        Compression.OpeningHead memory oh = Compression.OpeningHead(JOB, SUBMITTER, 1, 2, 3, 3, 5, MAX_UNITS, 6);
        tag = keccak256("SettleFL.opening.v2");
        bytes memory head = abi.encode(tag, block.chainid, SETTLE, JOB, SUBMITTER, 1, 2, 3, 3, 5, MAX_UNITS, 6);
        // (13 values and an array are too deep for one abi.encode: the head, then the offset, length, words)
        x = uint256(keccak256(abi.encodePacked(head, uint256(13 * 32), words.length, words))) % P;
        assertEq(x, _openingX(oh, words));
        (uint256 cx,) = settle.openingChallenge(oh, words);
        assertEq(cx, x);
    }

    function testFuzz_compression_refusesWordsFrom2pow253_reverts(uint256 word, uint8 index) public {
        word = bound(word, 1 << 253, type(uint256).max);
        uint256[] memory words = new uint256[](16);
        words[index % 16] = word;
        vm.expectRevert(abi.encodeWithSelector(Compression.WordOutOfRange.selector, index % 16));
        settle.payoutChallenge(Compression.PayoutHead(JOB, SUBMITTER, 1, 2, 3, 4, 5, 0), words);
    }

    /// @dev v2: header values enter `V`; a value >= p would hash as itself but evaluate reduced.
    function testFuzz_compression_refusesHeaderFromP_reverts(uint256 value, uint8 index) public {
        value = bound(value, P, type(uint256).max);
        uint256[5] memory header = [uint256(2), 3, 4, 5, 0];
        header[index % 5] = value;
        uint256[] memory words = new uint256[](16);
        vm.expectRevert(abi.encodeWithSelector(Compression.HeaderOutOfRange.selector, index % 5));
        settle.payoutChallenge(
            Compression.PayoutHead(JOB, SUBMITTER, 1, header[0], header[1], header[2], header[3], header[4]), words
        );
    }

    // -------------------------------------------------------------------------------- deadlines

    function testFuzz_challenge_window(uint32 dt) public {
        _createCC();
        _commitRounds(3);
        dt = uint32(bound(dt, 0, 3 * WINDOW));
        vm.warp(times[2] + dt);
        History memory h = _hist(2);
        vm.prank(CHALLENGER);
        if (dt > WINDOW) vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 2, times[2] + WINDOW));
        settle.challenge{value: CH_BOND}(JOB, jobCfg, 2, h);
    }

    function testFuzz_resolve_onlyAfterDeadline(uint32 dt) public {
        _createCC();
        _commitRounds(3);
        _challenge(CHALLENGER, 3);
        uint256 deadline = block.timestamp + RESPONSE;
        dt = uint32(bound(dt, 0, 2 * RESPONSE));
        vm.warp(block.timestamp + dt);
        History memory h = _hist(3);
        if (block.timestamp <= deadline) {
            vm.expectRevert(abi.encodeWithSelector(TooEarly.selector, deadline));
            settle.resolve(JOB, jobCfg, 3, h);
        } else {
            uint256 before = CHALLENGER.balance;
            settle.resolve(JOB, jobCfg, 3, h);
            assertEq(settle.getJob(JOB).tip, 2);
            assertEq(settle.getJob(JOB).headHash, hashes[2]);
            assertEq(CHALLENGER.balance, before + CH_BOND, "the challenger's bond is refunded");
        }
    }

    function testFuzz_finalize_byStranger(uint32 dt) public {
        _createCC();
        dt = uint32(bound(dt, 0, DURATION + 1 days));
        vm.warp(T0 + dt);
        History memory h = _tipHist();
        vm.prank(STRANGER);
        if (dt <= INACTIVITY) vm.expectRevert(abi.encodeWithSelector(FinalizeNotAllowed.selector, T0 + INACTIVITY));
        settle.finalize(JOB, jobCfg, h);
    }

    // -------------------------------------------------------------------------------- histories

    function testFuzz_linkHash_matchesReference(uint256 before, uint256 round, uint256 commitment, uint256 time)
        public
        view
    {
        uint256 h = settle.linkHash(before, round, commitment, time);
        assertEq(h, uint256(keccak256(abi.encode(before, round, commitment, time))) >> 56);
        assertLt(h, 1 << 200);
    }

    /// @dev Over any commit sequence (random commitments, gaps including 0), the stored head is the fold
    ///      of `linkHash` from H_{-1} = 0, and every 16th round's checkpoint is the fold at that round.
    function testFuzz_rollingHash_equalsFoldedLinkHash(uint256 seed, uint256 rounds) public {
        _createCC();
        rounds = bound(rounds, 1, MAX_FUZZ_ROUNDS);
        uint256 h = uint256(keccak256(abi.encode(0, 0, _C("r0"), T0))) >> 56;
        assertEq(settle.getJob(JOB).headHash, h);
        for (uint256 r = 1; r <= rounds; ++r) {
            (uint256 c, uint256 gap) = _random(seed, r);
            skip(gap);
            vm.prank(AGG);
            settle.commit(NONCE, c);
            h = settle.linkHash(h, r, c, block.timestamp);
            assertEq(settle.getJob(JOB).headHash, h, "head = fold");
            if (r % K == 0) assertEq(settle.checkpointOf(JOB, r / K), h, "checkpoint = fold");
            else assertEq(settle.checkpointOf(JOB, r / K + 1), 0);
        }
        assertEq(settle.getJob(JOB).tip, rounds);
    }

    /// @dev The same fold computed without the contract (plain keccak) over a sequence.
    function testFuzz_rollingHash_equalsKeccakFold(uint256 seed, uint256 rounds) public {
        _createCC();
        rounds = bound(rounds, 1, MAX_FUZZ_ROUNDS);
        uint256 h = uint256(keccak256(abi.encode(uint256(0), uint256(0), _C("r0"), T0))) >> 56;
        for (uint256 r = 1; r <= rounds; ++r) {
            (uint256 c, uint256 gap) = _random(seed, r);
            skip(gap);
            vm.prank(AGG);
            settle.commit(NONCE, c);
            h = uint256(keccak256(abi.encode(h, r, c, block.timestamp))) >> 56;
        }
        assertEq(settle.getJob(JOB).headHash, h);
    }

    /// @dev Any valid history (ending at the tip or a checkpoint, 1..17 links) is accepted, and changing any
    ///      one of its links (commitment or time, by any non-zero delta) or its `before` is a mismatch, both
    ///      for the view and for a state-changing call.
    function testFuzz_history_changedLinkOrBefore_reverts(
        uint256 seed,
        uint256 rounds,
        uint256 lastSel,
        uint256 lenSel,
        uint256 index,
        uint256 delta,
        bool changeTime
    ) public {
        _createCC();
        rounds = bound(rounds, 1, MAX_FUZZ_ROUNDS);
        _commitRandom(seed, rounds);

        // last: the tip or a checkpoint at or below it
        uint256 checkpoints = rounds / K;
        lastSel = bound(lastSel, 0, checkpoints);
        uint256 last = lastSel == 0 ? rounds : lastSel * K;
        uint256 maxLen = last + 1 < K + 1 ? last + 1 : K + 1;
        uint256 len = bound(lenSel, 1, maxLen);
        uint256 first = last + 1 - len;
        History memory h = _history(first, last);
        assertEq(settle.checkHistory(JOB, h), first, "valid");

        index = bound(index, 0, len); // len: `before`
        delta = bound(delta, 1, type(uint256).max);
        unchecked {
            if (index == len) h.before += delta;
            else if (changeTime) h.links[index].time += delta;
            else h.links[index].commitment += delta;
        }
        vm.expectRevert(HistoryMismatch.selector);
        settle.checkHistory(JOB, h);
        vm.prank(CHALLENGER);
        vm.expectRevert(HistoryMismatch.selector);
        settle.challenge{value: CH_BOND}(JOB, jobCfg, last, h);
        vm.prank(REQUESTER);
        vm.expectRevert(HistoryMismatch.selector);
        settle.requestOpening{value: REQ_FEE}(JOB, jobCfg, last, h);
    }

    /// @dev A history whose round labels are shifted (the right links claimed as other rounds) is refused.
    function testFuzz_history_shiftedRounds_reverts(uint256 seed, uint256 rounds, uint256 lenSel) public {
        _createCC();
        rounds = bound(rounds, 2, MAX_FUZZ_ROUNDS);
        _commitRandom(seed, rounds);
        uint256 len = bound(lenSel, 1, rounds < K + 1 ? rounds : K + 1);
        History memory h = _history(rounds - len, rounds - 1); // links of rounds tip-len .. tip-1
        h.last = rounds; // claimed as tip-len+1 .. tip
        vm.expectRevert(HistoryMismatch.selector);
        settle.checkHistory(JOB, h);
    }

    // --------------------------------------------------------------------------- references

    function _payoutX(Compression.PayoutHead memory h, uint256[] memory words) internal view returns (uint256) {
        // abi.encode(TAG, chainid, this, jobId, sender, C, domain, r, n, total, batch, words): its 11 static
        // words (the head struct is 8 of them), the offset of `words` (12 * 32), the array.
        bytes memory head =
            abi.encodePacked(keccak256("SettleFL.payout.v2"), block.chainid, uint256(uint160(SETTLE)), abi.encode(h));
        return uint256(keccak256(abi.encodePacked(head, uint256(12 * 32), words.length, words))) % P;
    }

    function _openingX(Compression.OpeningHead memory h, uint256[] memory words) internal view returns (uint256) {
        // abi.encode(TAG, chainid, this, jobId, sender, C, domain, r, n, total, maxUnits, salt, words): 12 static
        // words (the head struct is 9 of them), the offset of `words` (13 * 32), the array.
        bytes memory head =
            abi.encodePacked(keccak256("SettleFL.opening.v2"), block.chainid, uint256(uint160(SETTLE)), abi.encode(h));
        return uint256(keccak256(abi.encodePacked(head, uint256(13 * 32), words.length, words))) % P;
    }

    function _concat(uint256[5] memory header, uint256[] memory words) internal pure returns (uint256[] memory v) {
        uint256[] memory head = new uint256[](5);
        for (uint256 i; i < 5; ++i) {
            head[i] = header[i];
        }
        return _concat(head, words);
    }

    function _concat(uint256[] memory a, uint256[] memory b) internal pure returns (uint256[] memory v) {
        v = new uint256[](a.length + b.length);
        for (uint256 i; i < a.length; ++i) {
            v[i] = a[i];
        }
        for (uint256 i; i < b.length; ++i) {
            v[a.length + i] = b[i];
        }
    }

    /// @dev sum_k V_k x^k term by term (not Horner).
    function _sumOfPowers(uint256[] memory v, uint256 x) internal pure returns (uint256 y) {
        uint256 power = 1;
        for (uint256 i; i < v.length; ++i) {
            y = addmod(y, mulmod(v[i], power, P), P);
            power = mulmod(power, x, P);
        }
    }

    /// @dev A commitment (any field element) and a gap (0 .. 6 hours) for round `r` of sequence `seed`.
    function _random(uint256 seed, uint256 r) internal pure returns (uint256 c, uint256 gap) {
        uint256 v = uint256(keccak256(abi.encode(seed, r)));
        c = v % P;
        gap = (v >> 200) % (6 hours + 1);
    }

    /// @dev Commits rounds 1..`rounds` of the standard job with `_random` values (mirrored).
    function _commitRandom(uint256 seed, uint256 rounds) internal {
        for (uint256 r = 1; r <= rounds; ++r) {
            (uint256 c, uint256 gap) = _random(seed, r);
            skip(gap);
            _commitC(r, c);
        }
    }
}
// forge-lint: disable-end(unsafe-typecast, block-timestamp)
