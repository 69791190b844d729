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
        Proof memory p = _proof("genesis");
        IOpeningVerifier v = IOpeningVerifier(openingV);
        assertTrue(v.verifyProof(p.a, p.b, p.c, pub));
        for (uint256 i; i < 9; ++i) {
            uint256 keep = pub[i];
            pub[i] = addmod(keep, 1, P);
            assertFalse(v.verifyProof(p.a, p.b, p.c, pub), "flipped input accepted");
            pub[i] = keep + P;
            assertFalse(v.verifyProof(p.a, p.b, p.c, pub), "aliased input accepted");
            pub[i] = keep;
        }
        p.c[0] = addmod(p.c[0], 1, P);
        assertFalse(v.verifyProof(p.a, p.b, p.c, pub));
    }

    function test_transition_everyInputFlipped_fails() public view {
        uint256[4] memory pub = [_C(1), _C(2), 2, uint256(uint160(AGG))];
        Proof memory p = _proof("transition2Agg");
        ITransitionVerifier v = ITransitionVerifier(transitionV);
        assertTrue(v.verifyProof(p.a, p.b, p.c, pub));
        for (uint256 i; i < 4; ++i) {
            uint256 keep = pub[i];
            pub[i] = addmod(keep, 1, P);
            assertFalse(v.verifyProof(p.a, p.b, p.c, pub), "flipped input accepted");
            pub[i] = keep + P;
            assertFalse(v.verifyProof(p.a, p.b, p.c, pub), "aliased input accepted");
            pub[i] = keep;
        }
        p.a[1] = addmod(p.a[1], 1, P);
        assertFalse(v.verifyProof(p.a, p.b, p.c, pub));
    }

    function test_receipt_everyInputFlipped_fails() public view {
        uint256[5] memory pub = [_C("alt2"), DOMAIN, 2, PUBHASH, uint256(uint160(PROVER))];
        Proof memory p = _proof("receiptAlt2");
        IReceiptVerifier v = IReceiptVerifier(receiptV);
        assertTrue(v.verifyProof(p.a, p.b, p.c, pub));
        for (uint256 i; i < 5; ++i) {
            uint256 keep = pub[i];
            pub[i] = addmod(keep, 1, P);
            assertFalse(v.verifyProof(p.a, p.b, p.c, pub), "flipped input accepted");
            pub[i] = keep + P;
            assertFalse(v.verifyProof(p.a, p.b, p.c, pub), "aliased input accepted");
            pub[i] = keep;
        }
    }

    function test_payout_everyInputFlipped_fails() public view {
        uint256[] memory words = _payoutWords("r3", 0);
        uint256 n = _n("r3");
        uint256 total = _total("r3");
        (uint256 x, uint256 y) = settle.payoutChallenge(
            Compression.PayoutHead(JOB, SUBMITTER, _C(3), DOMAIN, 3, n, total, 0), words
        );
        uint256[8] memory pub = [_C(3), DOMAIN, 3, n, total, 0, x, y];
        Proof memory p = _payoutProof("r3", 0);
        IPayoutVerifier v = IPayoutVerifier(payoutV);
        assertTrue(v.verifyProof(p.a, p.b, p.c, pub));
        for (uint256 i; i < 8; ++i) {
            uint256 keep = pub[i];
            pub[i] = addmod(keep, 1, P);
            assertFalse(v.verifyProof(p.a, p.b, p.c, pub), "flipped input accepted");
            pub[i] = keep + P;
            assertFalse(v.verifyProof(p.a, p.b, p.c, pub), "aliased input accepted");
            pub[i] = keep;
        }
    }
}
