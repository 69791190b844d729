// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

/// @title Public-input compression for Opening and Payout proofs (DESIGN.md, "Circuits")
/// @notice A vector of words travels as calldata; the verifier sees only
///         `x = keccak256(abi.encode(TAG, chainId, contract, jobId, sender, <other inputs>, words)) mod p`
///         and `y = sum_k words[k] * x^k mod p` (Horner's rule). Sound only where the committed vector is
///         fixed before `x` (Opening, Payout), never for Transition. Matches settlefl/compression.py.
/// @dev Every word must be below 2^253 (canonical: never aliased by `w + p`); `x = 0` is refused.
library Compression {
    /// @notice The BN254 scalar field.
    uint256 internal constant P = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice keccak256("SettleFL.opening.v1")
    bytes32 internal constant TAG_OPENING = keccak256("SettleFL.opening.v1");
    /// @notice keccak256("SettleFL.payout.v1")
    bytes32 internal constant TAG_PAYOUT = keccak256("SettleFL.payout.v1");

    error WordOutOfRange(uint256 index);
    error ZeroChallenge();

    /// @notice The header of an Opening's `x`: every public input except `x, y`.
    struct OpeningHead {
        bytes32 jobId;
        address sender;
        uint256 commitment;
        uint256 domain;
        uint256 round;
        uint256 n;
        uint256 total;
        uint256 maxUnits;
        uint256 salt;
    }

    /// @notice The header of a Payout's `x`: every public input except `x, y`.
    struct PayoutHead {
        bytes32 jobId;
        address sender;
        uint256 commitment;
        uint256 domain;
        uint256 round;
        uint256 n;
        uint256 total;
        uint256 batch;
    }

    /// @notice `(x, y)` of an Opening proof; `words` are the `n` used words.
    function opening(OpeningHead memory h, uint256[] calldata words) internal view returns (uint256 x, uint256 y) {
        // abi.encode(TAG, chainid, this, jobId, sender, C, domain, r, n, total, maxUnits, salt, words):
        // 12 static head words, the offset of `words` (13 * 32), its length, its elements.
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := mload(0x40)
        }
        _head(ptr, TAG_OPENING, h.jobId, h.sender);
        assembly ("memory-safe") {
            mstore(add(ptr, 0xa0), mload(add(h, 0x40))) // commitment
            mstore(add(ptr, 0xc0), mload(add(h, 0x60))) // domain
            mstore(add(ptr, 0xe0), mload(add(h, 0x80))) // round
            mstore(add(ptr, 0x100), mload(add(h, 0xa0))) // n
            mstore(add(ptr, 0x120), mload(add(h, 0xc0))) // total
            mstore(add(ptr, 0x140), mload(add(h, 0xe0))) // maxUnits
            mstore(add(ptr, 0x160), mload(add(h, 0x100))) // salt
            mstore(add(ptr, 0x180), 0x1a0) // offset of words
        }
        return _finish(ptr, 0x1a0, words);
    }

    /// @notice `(x, y)` of a Payout proof; `words` are the batch's `B` words (zeros included).
    function payout(PayoutHead memory h, uint256[] calldata words) internal view returns (uint256 x, uint256 y) {
        // abi.encode(TAG, chainid, this, jobId, sender, C, domain, r, n, total, batch, words):
        // 11 static head words, the offset of `words` (12 * 32), its length, its elements.
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := mload(0x40)
        }
        _head(ptr, TAG_PAYOUT, h.jobId, h.sender);
        assembly ("memory-safe") {
            mstore(add(ptr, 0xa0), mload(add(h, 0x40))) // commitment
            mstore(add(ptr, 0xc0), mload(add(h, 0x60))) // domain
            mstore(add(ptr, 0xe0), mload(add(h, 0x80))) // round
            mstore(add(ptr, 0x100), mload(add(h, 0xa0))) // n
            mstore(add(ptr, 0x120), mload(add(h, 0xc0))) // total
            mstore(add(ptr, 0x140), mload(add(h, 0xe0))) // batch
            mstore(add(ptr, 0x160), 0x180) // offset of words
        }
        return _finish(ptr, 0x180, words);
    }

    function _head(uint256 ptr, bytes32 tag, bytes32 jobId, address sender) private view {
        assembly ("memory-safe") {
            mstore(ptr, tag)
            mstore(add(ptr, 0x20), chainid())
            mstore(add(ptr, 0x40), address())
            mstore(add(ptr, 0x60), jobId)
            mstore(add(ptr, 0x80), sender)
        }
    }

    /// @dev Appends `words` (length + elements) at `ptr + headLen`, hashes, reduces, evaluates.
    ///      Uses memory past the free-memory pointer as scratch and leaves the pointer unchanged.
    function _finish(uint256 ptr, uint256 headLen, uint256[] calldata words) private pure returns (uint256 x, uint256 y) {
        uint256 len = words.length;
        assembly ("memory-safe") {
            let lenPtr := add(ptr, headLen)
            mstore(lenPtr, len)
            calldatacopy(add(lenPtr, 0x20), words.offset, shl(5, len))
            x := mod(keccak256(ptr, add(add(headLen, 0x20), shl(5, len))), P)
        }
        if (x == 0) revert ZeroChallenge();
        // Horner: y = (((w_{L-1}) x + w_{L-2}) x + ...) x + w_0, and every word below 2^253.
        uint256 bad = type(uint256).max;
        assembly ("memory-safe") {
            let p := P
            for { let i := len } gt(i, 0) {} {
                i := sub(i, 1)
                let w := calldataload(add(words.offset, shl(5, i)))
                if shr(253, w) { bad := i }
                y := addmod(mulmod(y, x, p), w, p)
            }
        }
        if (bad != type(uint256).max) revert WordOutOfRange(bad);
    }
}
