// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

// Tests cast small constants to addresses and compare warped timestamps on purpose.
// forge-lint: disable-start(unsafe-typecast, block-timestamp)

import {SettleFLTest} from "./utils/SettleFLTest.sol";
import {ISettleFL} from "../src/interfaces/ISettleFL.sol";
import {RejectingPayee} from "./mocks/Payees.sol";

/// @notice One test per external state-changing function, for `forge snapshot --match-contract GasSnapshot`
///         (written to .gas-snapshot). Each test's body is a single call with real proofs whose calldata was
///         prepared in setUp and parked as the code of an address (loading it costs one EXTCODECOPY), so a
///         test's gas is the call's execution plus a few thousand for the harness. Real-transaction figures
///         (with the 21k base and calldata) come from bench/gas.py.
abstract contract GasSnapshotBase is SettleFLTest {
    mapping(uint256 => address) internal callers;
    mapping(uint256 => uint256) internal values;

    /// @dev Parks call `slot` (its calldata as the code of address 0xB10B + slot) for `_run(slot)`.
    function _prepare(uint256 slot, address who, uint256 amount, bytes memory data) internal {
        vm.etch(address(uint160(0xB10B + slot)), data);
        callers[slot] = who;
        values[slot] = amount;
    }

    function _prepareBatch(uint256 slot, uint256 batch) internal {
        _prepare(
            slot,
            SUBMITTER,
            0,
            abi.encodeCall(ISettleFL.payout, (JOB, jobCfg, _tipHist(), _batch("r3", batch), _payoutProof("r3", batch)))
        );
    }

    function _run(uint256 slot) internal {
        bytes memory data = address(uint160(0xB10B + slot)).code;
        vm.prank(callers[slot]);
        (bool ok,) = SETTLE.call{value: values[slot]}(data);
        require(ok, "call failed");
    }
}

contract GasSnapshotCreateTest is GasSnapshotBase {
    function setUp() public override {
        super.setUp();
        _prepare(
            0,
            AGG,
            ESCROW + BOND,
            abi.encodeCall(
                ISettleFL.createJob,
                (NONCE, _terms(Variant.CommitChallenge, address(0)), _C("r0"), _words("r0"), _proof("genesis"))
            )
        );
    }

    function test_gas_createJob() public {
        _run(0);
    }
}

contract GasSnapshotActiveTest is GasSnapshotBase {
    function setUp() public override {
        super.setUp();
        _createCC();
        _commitRounds(3);
        _prepare(0, AGG, 0, abi.encodeCall(ISettleFL.commit, (NONCE, _C("r4"))));
        _prepare(1, CHALLENGER, CH_BOND, abi.encodeCall(ISettleFL.challenge, (JOB, jobCfg, 3, _hist(3))));
        _prepare(2, REQUESTER, REQ_FEE, abi.encodeCall(ISettleFL.requestOpening, (JOB, jobCfg, 3, _hist(3))));
        _prepare(
            3,
            PROVER,
            0,
            abi.encodeCall(ISettleFL.proveEquivocation, (JOB, jobCfg, 2, _hist(2), _C("alt2"), _proof("receiptAlt2")))
        );
        // the aggregator closes while round 3's window is open: payouts wait
        _prepare(4, AGG, 0, abi.encodeCall(ISettleFL.finalize, (JOB, jobCfg, _tipHist())));
    }

    function test_gas_commit() public {
        _run(0);
    }

    function test_gas_challenge() public {
        _run(1);
    }

    function test_gas_requestOpening() public {
        _run(2);
    }

    function test_gas_proveEquivocation() public {
        _run(3);
    }

    function test_gas_finalize() public {
        _run(4);
    }
}

contract GasSnapshotCheckpointTest is GasSnapshotBase {
    function setUp() public override {
        super.setUp();
        _createCC();
        _commitRounds(15);
        _prepare(0, AGG, 0, abi.encodeCall(ISettleFL.commit, (NONCE, _C(16))));
    }

    /// @dev Round 16 also writes checkpoint 1 (a fresh slot).
    function test_gas_commit_checkpoint() public {
        _run(0);
    }
}

contract GasSnapshotCommitProofTest is GasSnapshotBase {
    function setUp() public override {
        super.setUp();
        _createCP();
        _commitWithProof(1);
        _commitWithProof(2);
        _prepare(
            0, AGG, 0, abi.encodeCall(ISettleFL.commitWithProof, (NONCE, _tipHist(), _C(3), _proof("transition3Agg")))
        );
    }

    /// @dev CP, the tip history of one link.
    function test_gas_commitWithProof() public {
        _run(0);
    }
}

contract GasSnapshotLongHistoryTest is GasSnapshotBase {
    function setUp() public override {
        super.setUp();
        _createCC();
        _commitRounds(16);
        _prepare(
            0,
            AGG,
            0,
            abi.encodeCall(ISettleFL.commitWithProof, (NONCE, _history(0, 16), _C(17), _proof("transition17Agg")))
        );
    }

    /// @dev CC (proves the round), the longest tip history: 17 links.
    function test_gas_commitWithProof_history17() public {
        _run(0);
    }
}

contract GasSnapshotFinalizeOpenTest is GasSnapshotBase {
    function setUp() public override {
        super.setUp();
        _createCC();
        _commitRounds(3);
        skip(WINDOW + 1);
        _prepare(0, AGG, 0, abi.encodeCall(ISettleFL.finalize, (JOB, jobCfg, _tipHist())));
    }

    /// @dev The aggregator closes after every window: payouts open in the same call.
    function test_gas_finalize_opensPayouts() public {
        _run(0);
    }
}

contract GasSnapshotChallengedTest is GasSnapshotBase {
    function setUp() public override {
        super.setUp();
        _createCC();
        _commitRounds(3);
        _challenge(CHALLENGER, 2);
        _challenge(CHALLENGER2, 3);
        _prepare(0, AGG, 0, abi.encodeCall(ISettleFL.respond, (JOB, jobCfg, 2, _hist(2), _proof("transition2Agg"))));
        _prepare(1, STRANGER, 0, abi.encodeCall(ISettleFL.resolve, (JOB, jobCfg, 2, _hist(2))));
    }

    function test_gas_respond() public {
        _run(0);
    }

    function test_gas_resolve() public {
        skip(RESPONSE + 1);
        _run(1);
    }
}

contract GasSnapshotDeepTest is GasSnapshotBase {
    function setUp() public override {
        super.setUp();
        _createCC();
        _commitRounds(34);
        _challenge(CHALLENGER, 17);
        History memory h = _hist(17); // rounds 16..32: 17 links ending at checkpoint 2
        require(h.links.length == 17, "17 links");
        _prepare(
            0,
            PARTICIPANT,
            0,
            abi.encodeCall(ISettleFL.respond, (JOB, jobCfg, 17, h, _proof("transition17Participant")))
        );
    }

    /// @dev A response whose history is the longest (17 links).
    function test_gas_respond_history17() public {
        _run(0);
    }
}

contract GasSnapshotVoidTest is GasSnapshotBase {
    function setUp() public override {
        super.setUp();
        _createCC();
        _commitRounds(3);
        _challenge(CHALLENGER, 2);
        _challenge(CHALLENGER2, 3);
        skip(RESPONSE + 1);
        _resolve(2);
        _prepare(0, STRANGER, 0, abi.encodeCall(ISettleFL.reclaim, (JOB, jobCfg, 3)));
    }

    function test_gas_reclaim() public {
        _run(0);
    }
}

contract GasSnapshotRequestedTest is GasSnapshotBase {
    function setUp() public override {
        super.setUp();
        _createCC();
        _commitRounds(3);
        _request(REQUESTER, 2);
        _prepare(
            0,
            PARTICIPANT,
            0,
            abi.encodeCall(
                ISettleFL.answerOpening,
                (JOB, jobCfg, 2, _hist(2), _salt("r2"), _total("r2"), _words("r2"), _proof("opening2Participant"))
            )
        );
        _prepare(1, STRANGER, 0, abi.encodeCall(ISettleFL.resolveRequest, (JOB, jobCfg, 2, _hist(2))));
    }

    function test_gas_answerOpening() public {
        _run(0);
    }

    function test_gas_resolveRequest() public {
        skip(RESPONSE + 1);
        _run(1);
    }
}

contract GasSnapshotFinalizedTest is GasSnapshotBase {
    function setUp() public override {
        super.setUp();
        _createCC();
        _commitRounds(3);
        _finalize();
        skip(WINDOW + 1);
        _prepare(0, STRANGER, 0, abi.encodeCall(ISettleFL.openPayouts, (JOB, jobCfg, _tipHist())));
    }

    function test_gas_openPayouts() public {
        _run(0);
    }
}

contract GasSnapshotPayoutTest is GasSnapshotBase {
    function setUp() public override {
        super.setUp();
        _createCC();
        _commitRounds(3);
        skip(WINDOW + 1);
        _finalize();
        _prepareBatch(0, 0);
    }

    /// @dev 16 payees, each a fresh account (25k each for the new account).
    function test_gas_payout_batch16() public {
        _run(0);
    }
}

contract GasSnapshotLastBatchTest is GasSnapshotBase {
    function setUp() public override {
        super.setUp();
        _createCC();
        _commitRounds(3);
        skip(WINDOW + 1);
        _finalize();
        _payBatch("r3", 0);
        _prepareBatch(1, 1);
    }

    /// @dev The last batch (6 payees) also completes the job: remainder and bond to the aggregator.
    function test_gas_payout_lastBatchCompletes() public {
        _run(1);
    }
}

contract GasSnapshotWithdrawTest is GasSnapshotBase {
    function setUp() public override {
        super.setUp();
        vm.etch(SLOT3, address(new RejectingPayee()).code);
        _createCC();
        _commitRounds(3);
        skip(WINDOW + 1);
        _finalize();
        _payBatch("r3", 0);
        require(settle.creditOf(SLOT3, address(0)) != 0, "SLOT3 was credited");
        _prepare(0, SLOT3, 0, abi.encodeCall(ISettleFL.withdraw, (address(0), STRANGER)));
    }

    function test_gas_withdraw() public {
        _run(0);
    }
}
// forge-lint: disable-end(unsafe-typecast, block-timestamp)
