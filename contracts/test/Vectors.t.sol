// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {SettleFLTest} from "./utils/SettleFLTest.sol";
import {SettleFL} from "../src/SettleFL.sol";
import {Compression} from "../src/libraries/Compression.sol";

/// @notice The project's shared test vectors (tests/vectors/protocol.json, made by
///         settlefl/testvectors.py): Solidity must agree with Python and circom on jobId, domain, both
///         (x, y) formulas (v2: the header inside y) and the packing of rs, bit for bit. SettleFL is
///         deployed at the vectors' contract address.
contract VectorsTest is SettleFLTest {
    string internal vec;
    SettleFL internal deployed;

    function setUp() public override {
        super.setUp();
        vec = vm.readFile(string.concat(vm.projectRoot(), "/tests/vectors/protocol.json"));
        assertEq(vm.parseJsonUint(vec, ".chainId"), block.chainid);
        address where = vm.parseJsonAddress(vec, ".contract");
        deployCodeTo(
            "SettleFL.sol:SettleFL", abi.encode(_builds(), _tokens(), _mins(), _extension(_builds(), _mins())), where
        );
        deployed = SettleFL(where);
    }

    function test_vectors_tags() public view {
        assertEq(Compression.TAG_OPENING, vm.parseJsonBytes32(vec, ".tags.opening"));
        assertEq(Compression.TAG_PAYOUT, vm.parseJsonBytes32(vec, ".tags.payout"));
        assertEq(Compression.TAG_OPENING, keccak256("SettleFL.opening.v2"));
        assertEq(Compression.TAG_PAYOUT, keccak256("SettleFL.payout.v2"));
    }

    function test_vectors_jobIdAndDomain() public view {
        address aggregator = vm.parseJsonAddress(vec, ".aggregator");
        uint256 nonce = vm.parseJsonUint(vec, ".nonce");
        bytes32 jobId = vm.parseJsonBytes32(vec, ".jobId");
        assertEq(deployed.computeJobId(aggregator, nonce), jobId);
        assertEq(deployed.computeDomain(jobId), vm.parseJsonUint(vec, ".domain"));
    }

    function test_vectors_openingChallenge() public view {
        uint256[] memory words = vm.parseJsonUintArray(vec, ".openingChallenge.words");
        (uint256 x, uint256 y) = deployed.openingChallenge(_openingHead(), words);
        assertEq(x, vm.parseJsonUint(vec, ".openingChallenge.x"));
        assertEq(y, vm.parseJsonUint(vec, ".openingChallenge.y"));
        // y evaluates V = [domain, r, n, total, maxUnits, salt, words]: recomputed here term by term.
        Compression.OpeningHead memory h = _openingHead();
        uint256[] memory header = new uint256[](6);
        (header[0], header[1], header[2], header[3], header[4], header[5]) =
        (h.domain, h.round, h.n, h.total, h.maxUnits, h.salt);
        assertEq(y, _evaluate(_concat(header, words), x));
    }

    function test_vectors_payoutChallenge() public view {
        uint256[] memory words = vm.parseJsonUintArray(vec, ".payoutChallenge.words");
        (uint256 x, uint256 y) = deployed.payoutChallenge(_payoutHead(), words);
        assertEq(x, vm.parseJsonUint(vec, ".payoutChallenge.x"));
        assertEq(y, vm.parseJsonUint(vec, ".payoutChallenge.y"));
        // y evaluates V = [domain, r, n, total, batch, words]: recomputed here term by term.
        Compression.PayoutHead memory h = _payoutHead();
        uint256[] memory header = new uint256[](5);
        (header[0], header[1], header[2], header[3], header[4]) = (h.domain, h.round, h.n, h.total, h.batch);
        assertEq(y, _evaluate(_concat(header, words), x));
    }

    function test_vectors_packedRoundSender() public view {
        address sender = vm.parseJsonAddress(vec, ".packedRoundSender.sender");
        uint256 round = vm.parseJsonUint(vec, ".packedRoundSender.round");
        assertEq(uint256(uint160(sender)) | (round << 160), vm.parseJsonUint(vec, ".packedRoundSender.rs"));
    }

    /// @dev Every header value at p (or v + p) is refused, naming its position in V: a value v + p would
    ///      hash into x as itself but enter y (and the circuit) as v.
    function test_vectors_headerValueNotAFieldElement_reverts() public {
        uint256[] memory words = vm.parseJsonUintArray(vec, ".openingChallenge.words");
        for (uint256 i; i < 6; ++i) {
            Compression.OpeningHead memory h = _openingHead();
            if (i == 0) h.domain = P;
            else if (i == 1) h.round = P;
            else if (i == 2) h.n = P;
            else if (i == 3) h.total = P;
            else if (i == 4) h.maxUnits = P;
            else h.salt += P; // the same salt as a circuit sees it, another calldata value
            vm.expectRevert(abi.encodeWithSelector(Compression.HeaderOutOfRange.selector, i));
            deployed.openingChallenge(h, words);
        }
        words = vm.parseJsonUintArray(vec, ".payoutChallenge.words");
        for (uint256 i; i < 5; ++i) {
            Compression.PayoutHead memory q = _payoutHead();
            if (i == 0) q.domain = P;
            else if (i == 1) q.round = P;
            else if (i == 2) q.n = P;
            else if (i == 3) q.total = P;
            else q.batch = type(uint256).max;
            vm.expectRevert(abi.encodeWithSelector(Compression.HeaderOutOfRange.selector, i));
            deployed.payoutChallenge(q, words);
        }
    }

    function _openingHead() internal view returns (Compression.OpeningHead memory) {
        return Compression.OpeningHead({
            jobId: vm.parseJsonBytes32(vec, ".jobId"),
            sender: vm.parseJsonAddress(vec, ".openingChallenge.sender"),
            commitment: vm.parseJsonUint(vec, ".genesis.commitment"),
            domain: vm.parseJsonUint(vec, ".domain"),
            round: vm.parseJsonUint(vec, ".genesis.round"),
            n: vm.parseJsonUint(vec, ".genesis.n"),
            total: vm.parseJsonUint(vec, ".genesis.total"),
            maxUnits: vm.parseJsonUint(vec, ".genesis.maxUnits"),
            salt: vm.parseJsonUint(vec, ".genesis.salt")
        });
    }

    function _payoutHead() internal view returns (Compression.PayoutHead memory) {
        return Compression.PayoutHead({
            jobId: vm.parseJsonBytes32(vec, ".jobId"),
            sender: vm.parseJsonAddress(vec, ".payoutChallenge.sender"),
            commitment: vm.parseJsonUint(vec, ".round1.commitment"),
            domain: vm.parseJsonUint(vec, ".domain"),
            round: vm.parseJsonUint(vec, ".round1.round"),
            n: vm.parseJsonUint(vec, ".round1.n"),
            total: vm.parseJsonUint(vec, ".round1.total"),
            batch: vm.parseJsonUint(vec, ".payoutChallenge.batch")
        });
    }

    function _concat(uint256[] memory header, uint256[] memory words) internal pure returns (uint256[] memory v) {
        v = new uint256[](header.length + words.length);
        for (uint256 i; i < header.length; ++i) {
            v[i] = header[i];
        }
        for (uint256 i; i < words.length; ++i) {
            v[header.length + i] = words[i];
        }
    }

    /// @dev sum_k v_k x^k mod p, by powers of x (not Horner, so not the library's own loop).
    function _evaluate(uint256[] memory v, uint256 x) internal pure returns (uint256 y) {
        uint256 power = 1;
        for (uint256 k; k < v.length; ++k) {
            y = addmod(y, mulmod(v[k], power, P), P);
            power = mulmod(power, x, P);
        }
    }
}
