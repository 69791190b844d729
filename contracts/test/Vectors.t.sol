// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {SettleFLTest} from "./utils/SettleFLTest.sol";
import {SettleFL} from "../src/SettleFL.sol";
import {Compression} from "../src/libraries/Compression.sol";

/// @notice The project's shared test vectors (tests/vectors/protocol.json, made by
///         settlefl/testvectors.py): Solidity must agree with Python and circom on jobId, domain and
///         both x formulas, bit for bit. SettleFL is deployed at the vectors' contract address.
contract VectorsTest is SettleFLTest {
    string internal vec;
    SettleFL internal deployed;

    function setUp() public override {
        super.setUp();
        vec = vm.readFile(string.concat(vm.projectRoot(), "/tests/vectors/protocol.json"));
        assertEq(vm.parseJsonUint(vec, ".chainId"), block.chainid);
        address where = vm.parseJsonAddress(vec, ".contract");
        deployCodeTo("SettleFL.sol:SettleFL", abi.encode(_builds(), _tokens(), _mins()), where);
        deployed = SettleFL(where);
    }

    function test_vectors_tags() public view {
        assertEq(Compression.TAG_OPENING, vm.parseJsonBytes32(vec, ".tags.opening"));
        assertEq(Compression.TAG_PAYOUT, vm.parseJsonBytes32(vec, ".tags.payout"));
        assertEq(Compression.TAG_OPENING, keccak256("SettleFL.opening.v1"));
        assertEq(Compression.TAG_PAYOUT, keccak256("SettleFL.payout.v1"));
    }

    function test_vectors_jobIdAndDomain() public view {
        address aggregator = vm.parseJsonAddress(vec, ".aggregator");
        uint256 nonce = vm.parseJsonUint(vec, ".nonce");
        bytes32 jobId = vm.parseJsonBytes32(vec, ".jobId");
        assertEq(deployed.computeJobId(aggregator, nonce), jobId);
        assertEq(deployed.computeDomain(jobId), vm.parseJsonUint(vec, ".domain"));
    }

    function test_vectors_openingChallenge() public view {
        bytes32 jobId = vm.parseJsonBytes32(vec, ".jobId");
        uint256[] memory words = vm.parseJsonUintArray(vec, ".openingChallenge.words");
        Compression.OpeningHead memory h = Compression.OpeningHead({
            jobId: jobId,
            sender: vm.parseJsonAddress(vec, ".openingChallenge.sender"),
            commitment: vm.parseJsonUint(vec, ".genesis.commitment"),
            domain: vm.parseJsonUint(vec, ".domain"),
            round: vm.parseJsonUint(vec, ".genesis.round"),
            n: vm.parseJsonUint(vec, ".genesis.n"),
            total: vm.parseJsonUint(vec, ".genesis.total"),
            maxUnits: vm.parseJsonUint(vec, ".genesis.maxUnits"),
            salt: vm.parseJsonUint(vec, ".genesis.salt")
        });
        (uint256 x, uint256 y) = deployed.openingChallenge(h, words);
        assertEq(x, vm.parseJsonUint(vec, ".openingChallenge.x"));
        assertEq(y, vm.parseJsonUint(vec, ".openingChallenge.y"));
    }

    function test_vectors_payoutChallenge() public view {
        uint256[] memory words = vm.parseJsonUintArray(vec, ".payoutChallenge.words");
        Compression.PayoutHead memory h = Compression.PayoutHead({
            jobId: vm.parseJsonBytes32(vec, ".jobId"),
            sender: vm.parseJsonAddress(vec, ".payoutChallenge.sender"),
            commitment: vm.parseJsonUint(vec, ".round1.commitment"),
            domain: vm.parseJsonUint(vec, ".domain"),
            round: vm.parseJsonUint(vec, ".round1.round"),
            n: vm.parseJsonUint(vec, ".round1.n"),
            total: vm.parseJsonUint(vec, ".round1.total"),
            batch: vm.parseJsonUint(vec, ".payoutChallenge.batch")
        });
        (uint256 x, uint256 y) = deployed.payoutChallenge(h, words);
        assertEq(x, vm.parseJsonUint(vec, ".payoutChallenge.x"));
        assertEq(y, vm.parseJsonUint(vec, ".payoutChallenge.y"));
    }
}
