// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {SettleFLTest} from "./utils/SettleFLTest.sol";

/// @notice The fixtures were proven with the committed build: if a circuit is rebuilt, this fails first
///         and says what to do, instead of every real-proof test failing with InvalidProof.
contract FixturesTest is SettleFLTest {
    function test_fixtures_matchCommittedBuild() public view {
        string memory build = vm.parseJsonString(fx, ".build");
        assertEq(build, "n32_b16_k32_j4");
        string memory manifest =
            vm.readFile(string.concat(vm.projectRoot(), "/circuits/builds/", build, "/manifest.json"));
        string[4] memory circuits = ["opening", "transition", "receipt", "payout"];
        for (uint256 i; i < 4; ++i) {
            for (uint256 k; k < 2; ++k) {
                string memory kind = k == 0 ? "zkey" : "verifier";
                assertEq(
                    vm.parseJsonString(fx, string.concat(".buildFiles.", circuits[i], ".", kind)),
                    vm.parseJsonString(manifest, string.concat(".circuits.", circuits[i], ".files.", kind, ".sha256")),
                    "stale fixtures: run `.venv/bin/python scripts/make_fixtures.py`"
                );
            }
        }
    }

    function test_fixtures_bindThisDeployment() public view {
        assertEq(vm.parseJsonUint(fx, ".chainId"), block.chainid);
        assertEq(vm.parseJsonAddress(fx, ".contract"), SETTLE);
        assertEq(vm.parseJsonAddress(fx, ".actors.aggregator"), AGG);
        assertEq(vm.parseJsonAddress(fx, ".actors.submitter"), SUBMITTER);
        assertEq(vm.parseJsonAddress(fx, ".actors.participant"), PARTICIPANT);
        assertEq(vm.parseJsonAddress(fx, ".actors.prover"), PROVER);
        assertEq(vm.parseJsonAddress(fx, ".actors.aggregator2"), AGG2);
        assertEq(vm.parseJsonUint(fx, ".job.nonce"), NONCE);
        assertEq(settle.computeJobId(AGG, NONCE), JOB);
        assertEq(settle.computeDomain(JOB), DOMAIN);
        assertEq(vm.parseJsonUint(fx, ".job.maxUnits"), MAX_UNITS);
        // v2: the second job is AGG2's with the same nonce (jobs are keccak256(aggregator, nonce))
        assertEq(settle.computeJobId(AGG2, NONCE), JOB2);
        assertEq(settle.computeDomain(JOB2), vm.parseJsonUint(fx, ".job2.domain"));
    }

    /// @dev The committed build has the v2 public inputs (docs/design-v2.md, section 1) that SettleFL passes.
    function test_fixtures_buildHasV2PublicInputs() public view {
        string memory manifest = vm.readFile(
            string.concat(vm.projectRoot(), "/circuits/builds/", vm.parseJsonString(fx, ".build"), "/manifest.json")
        );
        _assertInputs(manifest, "opening", "C", "x", "y", "");
        _assertInputs(manifest, "transition", "C_prev", "C_new", "rs", "");
        _assertInputs(manifest, "receipt", "C", "domain", "pubHash", "rs");
        _assertInputs(manifest, "payout", "C", "x", "y", "");
    }

    /// @dev Every state the suite commits is a field element with its round, and rounds 0..34 are there.
    function test_fixtures_statesCoverTheRounds() public view {
        for (uint256 r; r <= LAST_FIXTURE_ROUND; ++r) {
            assertEq(vm.parseJsonUint(fx, string.concat(".states.r", vm.toString(r), ".round")), r);
            assertLt(_C(r), P);
            assertEq(_words(_name(r)).length, _n(_name(r)));
        }
    }

    function _assertInputs(
        string memory manifest,
        string memory circuit,
        string memory a,
        string memory b,
        string memory c,
        string memory d
    ) private pure {
        string[] memory inputs =
            vm.parseJsonStringArray(manifest, string.concat(".circuits.", circuit, ".public_inputs"));
        uint256 count = bytes(d).length == 0 ? 3 : 4;
        assertEq(inputs.length, count, circuit);
        assertEq(inputs[0], a);
        assertEq(inputs[1], b);
        assertEq(inputs[2], c);
        if (count == 4) assertEq(inputs[3], d);
    }
}
