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
        assertEq(settle.computeJobId(AGG, 0), JOB);
        assertEq(settle.computeDomain(JOB), DOMAIN);
        assertEq(vm.parseJsonUint(fx, ".job.maxUnits"), MAX_UNITS);
    }
}
