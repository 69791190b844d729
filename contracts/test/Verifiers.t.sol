// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {SettleFLTest} from "./utils/SettleFLTest.sol";
import {Compression} from "../src/libraries/Compression.sol";
import {OpeningVerifier_n32_b16_k32_j4} from "settlefl-builds/n32_b16_k32_j4/opening/OpeningVerifier.sol";
import {TransitionVerifier_n32_b16_k32_j4} from "settlefl-builds/n32_b16_k32_j4/transition/TransitionVerifier.sol";
import {ReceiptVerifier_n32_b16_k32_j4} from "settlefl-builds/n32_b16_k32_j4/receipt/ReceiptVerifier.sol";
import {PayoutVerifier_n32_b16_k32_j4} from "settlefl-builds/n32_b16_k32_j4/payout/PayoutVerifier.sol";

/// @notice The committed build's real verifiers (v2 public inputs: Opening and Payout `[C, x, y]`,
///         Transition `[C_prev, C_new, rs]`, Receipt `[C, domain, pubHash, rs]`, with
///         `rs = sender + 2^160 * r`) accept each fixture proof with exactly its public inputs, and refuse
///         it when any single public input is changed (v + 1 mod p), or replaced by an alias v + p (not a
///         field element), or when a proof coordinate changes; a compressed proof also fails for an
///         `(x, y)` the library derives from any other header field or sender, and a packed one for
///         another sender or round.
/// @dev The selectors come from the build's own verifier contracts, so they follow its arities.
contract VerifiersTest is SettleFLTest {
    bytes4 internal constant OPENING = OpeningVerifier_n32_b16_k32_j4.verifyProof.selector;
    bytes4 internal constant TRANSITION = TransitionVerifier_n32_b16_k32_j4.verifyProof.selector;
    bytes4 internal constant RECEIPT = ReceiptVerifier_n32_b16_k32_j4.verifyProof.selector;
    bytes4 internal constant PAYOUT = PayoutVerifier_n32_b16_k32_j4.verifyProof.selector;

    function test_opening_everyInputFlipped_fails() public view {
        uint256[] memory words = _words("r0");
        (uint256 x, uint256 y) = settle.openingChallenge(_genesisHead(), words);
        _assertEveryInputBound(openingV, OPENING, _proof("genesis"), _list([_C("r0"), x, y]));
    }

    function test_opening_everyHeaderFieldChanged_fails() public view {
        uint256[] memory words = _words("r0");
        Proof memory p = _proof("genesis");
        for (uint256 field; field < 6; ++field) {
            Compression.OpeningHead memory h = _genesisHead();
            if (field == 0) h.domain += 1;
            else if (field == 1) h.round += 1;
            else if (field == 2) h.n += 1;
            else if (field == 3) h.total += 1;
            else if (field == 4) h.maxUnits += 1;
            else h.salt += 1;
            (uint256 x, uint256 y) = settle.openingChallenge(h, words);
            assertFalse(_verifies(openingV, OPENING, p, _list([_C("r0"), x, y])), "a header field is not bound");
        }
    }

    function test_opening_replayedByAnotherSender_fails() public view {
        uint256[] memory words = _words("r0");
        Compression.OpeningHead memory h = _genesisHead();
        h.sender = SUBMITTER;
        (uint256 x, uint256 y) = settle.openingChallenge(h, words);
        assertFalse(_verifies(openingV, OPENING, _proof("genesis"), _list([_C("r0"), x, y])));
    }

    function test_transition_everyInputFlipped_fails() public view {
        _assertEveryInputBound(transitionV, TRANSITION, _proof("transition2Agg"), _list([_C(1), _C(2), _rs(AGG, 2)]));
    }

    function test_transition_anotherSenderOrRound_fails() public view {
        Proof memory p = _proof("transition2Agg");
        assertTrue(_verifies(transitionV, TRANSITION, p, _list([_C(1), _C(2), _rs(AGG, 2)])));
        assertFalse(_verifies(transitionV, TRANSITION, p, _list([_C(1), _C(2), _rs(PARTICIPANT, 2)])));
        assertFalse(_verifies(transitionV, TRANSITION, p, _list([_C(1), _C(2), _rs(AGG, 3)])));
    }

    function test_receipt_everyInputFlipped_fails() public view {
        _assertEveryInputBound(
            receiptV, RECEIPT, _proof("receiptAlt2"), _list([_C("alt2"), DOMAIN, PUBHASH, _rs(PROVER, 2)])
        );
    }

    function test_receipt_anotherSenderOrRound_fails() public view {
        Proof memory p = _proof("receiptAlt2");
        assertTrue(_verifies(receiptV, RECEIPT, p, _list([_C("alt2"), DOMAIN, PUBHASH, _rs(PROVER, 2)])));
        assertFalse(_verifies(receiptV, RECEIPT, p, _list([_C("alt2"), DOMAIN, PUBHASH, _rs(STRANGER, 2)])));
        assertFalse(_verifies(receiptV, RECEIPT, p, _list([_C("alt2"), DOMAIN, PUBHASH, _rs(PROVER, 3)])));
    }

    function test_payout_everyInputFlipped_fails() public view {
        (uint256 x, uint256 y) = settle.payoutChallenge(_r3Head(0), _payoutWords("r3", 0));
        _assertEveryInputBound(payoutV, PAYOUT, _payoutProof("r3", 0), _list([_C(3), x, y]));
    }

    function test_payout_everyHeaderFieldChanged_fails() public view {
        uint256[] memory words = _payoutWords("r3", 0);
        Proof memory p = _payoutProof("r3", 0);
        for (uint256 field; field < 5; ++field) {
            Compression.PayoutHead memory h = _r3Head(0);
            if (field == 0) h.domain += 1;
            else if (field == 1) h.round += 1;
            else if (field == 2) h.n += 1;
            else if (field == 3) h.total += 1;
            else h.batch = 1;
            (uint256 x, uint256 y) = settle.payoutChallenge(h, words);
            assertFalse(_verifies(payoutV, PAYOUT, p, _list([_C(3), x, y])), "a header field is not bound");
        }
    }

    function test_payout_replayedByAnotherSender_fails() public view {
        Compression.PayoutHead memory h = _r3Head(0);
        h.sender = STRANGER;
        (uint256 x, uint256 y) = settle.payoutChallenge(h, _payoutWords("r3", 0));
        assertFalse(_verifies(payoutV, PAYOUT, _payoutProof("r3", 0), _list([_C(3), x, y])));
    }

    /// @dev `rs` exactly as the contract packs it: `uint256(uint160(msg.sender)) | (r << 160)`.
    function _rs(address sender, uint256 round) internal pure returns (uint256) {
        return uint256(uint160(sender)) | (round << 160);
    }

    function _genesisHead() internal view returns (Compression.OpeningHead memory) {
        return Compression.OpeningHead(JOB, AGG, _C("r0"), DOMAIN, 0, _n("r0"), 0, MAX_UNITS, 0);
    }

    function _r3Head(uint256 batch) internal view returns (Compression.PayoutHead memory) {
        return Compression.PayoutHead(JOB, SUBMITTER, _C(3), DOMAIN, 3, _n("r3"), _total("r3"), batch);
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
        (bool ok, bytes memory ret) = verifier.staticcall(abi.encodePacked(selector, abi.encode(p.a, p.b, p.c), pub));
        return ok && ret.length == 32 && abi.decode(ret, (bool));
    }

    function _list(uint256[3] memory a) internal pure returns (uint256[] memory out) {
        out = new uint256[](3);
        for (uint256 i; i < 3; ++i) {
            out[i] = a[i];
        }
    }

    function _list(uint256[4] memory a) internal pure returns (uint256[] memory out) {
        out = new uint256[](4);
        for (uint256 i; i < 4; ++i) {
            out[i] = a[i];
        }
    }
}
