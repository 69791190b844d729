// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

// Tests cast small constants to addresses and compare warped timestamps on purpose.
// forge-lint: disable-start(unsafe-typecast, block-timestamp)

import {SettleFLTest} from "./utils/SettleFLTest.sol";
import {Compression} from "../src/libraries/Compression.sol";

/// @notice Fuzzed properties: the compression matches a plain reference for any words; every word at
///         or above 2^253 is refused; deadlines hold at every second around them.
contract SettleFLFuzzTest is SettleFLTest {
    function testFuzz_payoutChallenge_matchesReference(uint256[16] memory raw, address sender, uint256 batch) public view {
        uint256[] memory words = new uint256[](16);
        for (uint256 i; i < 16; ++i) {
            words[i] = raw[i] >> 3; // below 2^253
        }
        Compression.PayoutHead memory h = Compression.PayoutHead(JOB, sender, 11, 22, 3, 22, 1000, batch);
        (uint256 x, uint256 y) = settle.payoutChallenge(h, words);
        assertEq(x, _payoutX(sender, batch, words));
        assertEq(y, _sumOfPowers(words, x));
    }

    function testFuzz_openingChallenge_matchesReference(uint256[] memory raw, address sender, uint256 salt) public view {
        vm.assume(raw.length > 0 && raw.length <= 64);
        uint256[] memory words = new uint256[](raw.length);
        for (uint256 i; i < raw.length; ++i) {
            words[i] = raw[i] >> 3;
        }
        Compression.OpeningHead memory h =
            Compression.OpeningHead(JOB, sender, 1, 2, 3, words.length, 5, MAX_UNITS, salt);
        (uint256 x, uint256 y) = settle.openingChallenge(h, words);
        assertEq(x, _openingX(sender, salt, words));
        assertEq(y, _sumOfPowers(words, x));
    }

    function testFuzz_compression_refusesWordsFrom2pow253(uint256 word, uint8 index) public {
        word = bound(word, 1 << 253, type(uint256).max);
        uint256[] memory words = new uint256[](16);
        words[index % 16] = word;
        vm.expectRevert(abi.encodeWithSelector(Compression.WordOutOfRange.selector, index % 16));
        settle.payoutChallenge(Compression.PayoutHead(JOB, SUBMITTER, 1, 2, 3, 4, 5, 0), words);
    }

    function testFuzz_challenge_window(uint32 dt) public {
        _createCC();
        _commitRounds(3);
        dt = uint32(bound(dt, 0, 3 * WINDOW));
        vm.warp(times[2] + dt);
        vm.prank(CHALLENGER);
        if (dt > WINDOW) vm.expectRevert(abi.encodeWithSelector(WindowClosed.selector, 2, times[2] + WINDOW));
        settle.challenge{value: CH_BOND}(JOB, 2, _ref(2));
    }

    function testFuzz_resolve_onlyAfterDeadline(uint32 dt) public {
        _createCC();
        _commitRounds(3);
        _challenge(CHALLENGER, 3);
        uint256 deadline = block.timestamp + RESPONSE;
        dt = uint32(bound(dt, 0, 2 * RESPONSE));
        vm.warp(block.timestamp + dt);
        if (block.timestamp <= deadline) {
            vm.expectRevert(abi.encodeWithSelector(TooEarly.selector, deadline));
            settle.resolve(JOB, 3);
        } else {
            settle.resolve(JOB, 3);
            assertEq(settle.getJob(JOB).tip, 2);
        }
    }

    function testFuzz_finalize_byStranger(uint32 dt) public {
        _createCC();
        dt = uint32(bound(dt, 0, DURATION + 1 days));
        vm.warp(T0 + dt);
        vm.prank(STRANGER);
        if (dt <= INACTIVITY) vm.expectRevert(abi.encodeWithSelector(FinalizeNotAllowed.selector, T0 + INACTIVITY));
        settle.finalize(JOB);
    }

    // --------------------------------------------------------------------------- references

    function _payoutX(address sender, uint256 batch, uint256[] memory words) internal view returns (uint256) {
        bytes32 tag = keccak256("SettleFL.payout.v1");
        return uint256(keccak256(abi.encode(tag, block.chainid, SETTLE, JOB, sender, 11, 22, 3, 22, 1000, batch, words))) % P;
    }

    function _openingX(address sender, uint256 salt, uint256[] memory words) internal view returns (uint256) {
        // abi.encode(TAG, chainid, this, jobId, sender, C, domain, r, n, total, maxUnits, salt, words),
        // written as its 12 static words, the offset of `words` and the array (too deep for one call).
        bytes memory head = abi.encode(
            keccak256("SettleFL.opening.v1"), block.chainid, SETTLE, JOB, sender, 1, 2, 3, words.length, 5, MAX_UNITS, salt
        );
        return uint256(keccak256(abi.encodePacked(head, uint256(13 * 32), words.length, words))) % P;
    }

    /// @dev sum_k w_k x^k term by term (not Horner).
    function _sumOfPowers(uint256[] memory words, uint256 x) internal pure returns (uint256 y) {
        uint256 power = 1;
        for (uint256 i; i < words.length; ++i) {
            y = addmod(y, mulmod(words[i], power, P), P);
            power = mulmod(power, x, P);
        }
    }
}
// forge-lint: disable-end(unsafe-typecast, block-timestamp)
