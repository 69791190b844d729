// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

/// @title Public-input compression for Opening and Payout proofs (docs/circuits.md, "Fewer public inputs")
/// @notice The verifier sees only `C, x, y`. The header fields and the words travel as calldata, as one
///         vector `V` (Opening: `[domain, r, n, total, maxUnits, salt, words]`; Payout:
///         `[domain, r, n, total, batch, words]`), bound by
///         `x = keccak256(abi.encode(TAG, chainId, contract, jobId, sender, C, <header in V order>, words)) mod p`
///         and `y = sum_k V_k x^k mod p` (Horner's rule). Sound only where `V` is fixed before `x` (`C` is
///         public and opened by the witness: Opening, Payout), never for Transition. Matches
///         settlefl/compression.py.
/// @dev Every word must be below 2^253 and every header value below p (canonical: never aliased by
///      `v + p`, which would hash into `x` as itself but enter `y` reduced); `x = 0` is refused.
library Compression {
    /// @notice The BN254 scalar field.
    uint256 internal constant P = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice keccak256("SettleFL.opening.v2")
    bytes32 internal constant TAG_OPENING = keccak256("SettleFL.opening.v2");
    /// @notice keccak256("SettleFL.payout.v2")
    bytes32 internal constant TAG_PAYOUT = keccak256("SettleFL.payout.v2");

    error WordOutOfRange(uint256 index);
    /// @notice A header value is not a field element (`index` is its position in `V`).
    error HeaderOutOfRange(uint256 index);
    error ZeroChallenge();

    /// @notice What an Opening's `x` binds besides the words; everything from `domain` on also heads `V`.
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

    /// @notice What a Payout's `x` binds besides the words; everything from `domain` on also heads `V`.
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
            mstore(add(ptr, 0xc0), mload(add(h, 0x60))) // domain     V_0
            mstore(add(ptr, 0xe0), mload(add(h, 0x80))) // round      V_1
            mstore(add(ptr, 0x100), mload(add(h, 0xa0))) // n         V_2
            mstore(add(ptr, 0x120), mload(add(h, 0xc0))) // total     V_3
            mstore(add(ptr, 0x140), mload(add(h, 0xe0))) // maxUnits  V_4
            mstore(add(ptr, 0x160), mload(add(h, 0x100))) // salt     V_5
            mstore(add(ptr, 0x180), 0x1a0) // offset of words
        }
        return _finish(ptr, 0x1a0, 6, words);
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
            mstore(add(ptr, 0xc0), mload(add(h, 0x60))) // domain   V_0
            mstore(add(ptr, 0xe0), mload(add(h, 0x80))) // round    V_1
            mstore(add(ptr, 0x100), mload(add(h, 0xa0))) // n       V_2
            mstore(add(ptr, 0x120), mload(add(h, 0xc0))) // total   V_3
            mstore(add(ptr, 0x140), mload(add(h, 0xe0))) // batch   V_4
            mstore(add(ptr, 0x160), 0x180) // offset of words
        }
        return _finish(ptr, 0x180, 5, words);
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

    /// @dev Appends `words` (length + elements) at `ptr + headLen`, hashes, reduces, and evaluates
    ///      `V = header || words`, the header being the `headerLen` (6 or 5) words at `ptr + 0xc0`. Uses
    ///      memory past the free-memory pointer as scratch and leaves the pointer unchanged.
    function _finish(uint256 ptr, uint256 headLen, uint256 headerLen, uint256[] calldata words)
        private
        pure
        returns (uint256 x, uint256 y)
    {
        uint256 len = words.length;
        assembly ("memory-safe") {
            let lenPtr := add(ptr, headLen)
            mstore(lenPtr, len)
            calldatacopy(add(lenPtr, 0x20), words.offset, shl(5, len))
            x := mod(keccak256(ptr, add(add(headLen, 0x20), shl(5, len))), P)
        }
        if (x == 0) revert ZeroChallenge();
        // Horner from the top coefficient: first the words (V_{headerLen + len - 1} .. V_{headerLen}),
        // each below 2^253, then the header (V_{headerLen - 1} .. V_0), each below p.
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
        // The header, unrolled (fixed positions from ptr + 0xc0): salt (Opening only), then V_4 .. V_0.
        uint256 big; // non-zero if a header value is >= p
        assembly ("memory-safe") {
            let p := P
            let h := add(ptr, 0xc0)
            let v := 0
            if eq(headerLen, 6) {
                v := mload(add(h, 0xa0))
                big := iszero(lt(v, p))
                y := addmod(mulmod(y, x, p), v, p)
            }
            v := mload(add(h, 0x80))
            big := or(big, iszero(lt(v, p)))
            y := addmod(mulmod(y, x, p), v, p)
            v := mload(add(h, 0x60))
            big := or(big, iszero(lt(v, p)))
            y := addmod(mulmod(y, x, p), v, p)
            v := mload(add(h, 0x40))
            big := or(big, iszero(lt(v, p)))
            y := addmod(mulmod(y, x, p), v, p)
            v := mload(add(h, 0x20))
            big := or(big, iszero(lt(v, p)))
            y := addmod(mulmod(y, x, p), v, p)
            v := mload(h)
            big := or(big, iszero(lt(v, p)))
            y := addmod(mulmod(y, x, p), v, p)
        }
        if (big != 0) revert HeaderOutOfRange(_firstOutOfRange(ptr + 0xc0, headerLen));
    }

    /// @dev The index of the first of `len` memory words from `at` that is `>= P` (the revert path only).
    function _firstOutOfRange(uint256 at, uint256 len) private pure returns (uint256 i) {
        for (; i < len; ++i) {
            uint256 v;
            assembly ("memory-safe") {
                v := mload(add(at, shl(5, i)))
            }
            if (v >= P) return i;
        }
    }
}
