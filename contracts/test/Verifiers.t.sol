// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {SettleFLTest} from "./utils/SettleFLTest.sol";
import {Compression} from "../src/libraries/Compression.sol";
import {IOpeningVerifier, ITransitionVerifier, IReceiptVerifier, IPayoutVerifier} from "../src/interfaces/IVerifiers.sol";

/// @notice The committed build's real verifiers accept each fixture proof with exactly its public
///         inputs, and refuse it when any single public input is changed (v + 1 mod p), or replaced by
///         an alias v + p (not a field element), or when a proof coordinate changes.
contract VerifiersTest is SettleFLTest {
    function test_opening_everyInputFlipped_fails() public view {
        uint256[] memory words = _words("r0");
        (uint256 x, uint256 y) = settle.openingChallenge(
            Compression.OpeningHead(JOB, AGG, _C("r0"), DOMAIN, 0, words.length, 0, MAX_UNITS, 0), words
        );
        uint256[9] memory pub = [_C("r0"), DOMAIN, 0, words.length, 0, MAX_UNITS, 0, x, y];
        _assertEveryInputBound(openingV, IOpeningVerifier.verifyProof.selector, _proof("genesis"), _list(pub));
    }

    function test_transition_everyInputFlipped_fails() public view {
        uint256[4] memory pub = [_C(1), _C(2), 2, uint256(uint160(AGG))];
        _assertEveryInputBound(
            transitionV, ITransitionVerifier.verifyProof.selector, _proof("transition2Agg"), _list(pub)
        );
    }

    function test_receipt_everyInputFlipped_fails() public view {
        uint256[5] memory pub = [_C("alt2"), DOMAIN, 2, PUBHASH, uint256(uint160(PROVER))];
        _assertEveryInputBound(receiptV, IReceiptVerifier.verifyProof.selector, _proof("receiptAlt2"), _list(pub));
    }

    function test_payout_everyInputFlipped_fails() public view {
        uint256[] memory words = _payoutWords("r3", 0);
        uint256 n = _n("r3");
        uint256 total = _total("r3");
        (uint256 x, uint256 y) = settle.payoutChallenge(
            Compression.PayoutHead(JOB, SUBMITTER, _C(3), DOMAIN, 3, n, total, 0), words
        );
        uint256[8] memory pub = [_C(3), DOMAIN, 3, n, total, 0, x, y];
        _assertEveryInputBound(payoutV, IPayoutVerifier.verifyProof.selector, _payoutProof("r3", 0), _list(pub));
    }

    /// @dev The proof verifies with `pub`, and fails with any single input changed (v + 1 mod p), with
    ///      any input aliased (v + p, not a field element), and with a proof coordinate changed.
    function _assertEveryInputBound(address verifier, bytes4 selector, Proof memory p, uint256[] memory pub)
        internal
        view
    {
        assertTrue(_verifies(verifier, selector, p, pub), "the honest proof is refused");
        for (uint256 i; i < pub.length; ++i) {
            uint256 keep = pub[i];
            pub[i] = addmod(keep, 1, P);
            assertFalse(_verifies(verifier, selector, p, pub), "flipped input accepted");
            pub[i] = keep + P;
            assertFalse(_verifies(verifier, selector, p, pub), "aliased input accepted");
            pub[i] = keep;
        }
        p.c[0] = addmod(p.c[0], 1, P);
        assertFalse(_verifies(verifier, selector, p, pub), "altered proof accepted");
    }

    /// @dev `verifyProof(a, b, c, pub)` for a verifier of any arity: a static `uint256[K]` argument is
    ///      ABI-encoded as its K words, which is what `abi.encodePacked` makes of a `uint256[]`.
    function _verifies(address verifier, bytes4 selector, Proof memory p, uint256[] memory pub)
        internal
        view
        returns (bool)
    {
        (bool ok, bytes memory ret) =
            verifier.staticcall(abi.encodePacked(selector, abi.encode(p.a, p.b, p.c), pub));
        return ok && ret.length == 32 && abi.decode(ret, (bool));
    }

    function _list(uint256[4] memory a) internal pure returns (uint256[] memory out) {
        out = new uint256[](4);
        for (uint256 i; i < 4; ++i) out[i] = a[i];
    }

    function _list(uint256[5] memory a) internal pure returns (uint256[] memory out) {
        out = new uint256[](5);
        for (uint256 i; i < 5; ++i) out[i] = a[i];
    }

    function _list(uint256[8] memory a) internal pure returns (uint256[] memory out) {
        out = new uint256[](8);
        for (uint256 i; i < 8; ++i) out[i] = a[i];
    }

    function _list(uint256[9] memory a) internal pure returns (uint256[] memory out) {
        out = new uint256[](9);
        for (uint256 i; i < 9; ++i) out[i] = a[i];
    }
}
