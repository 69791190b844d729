// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

// Tests cast small constants to addresses and compare warped timestamps on purpose.
// forge-lint: disable-start(unsafe-typecast, block-timestamp)

import {Test} from "forge-std/Test.sol";
import {SettleFL} from "../../src/SettleFL.sol";
import {ISettleFL, ISettleFLTypes} from "../../src/interfaces/ISettleFL.sol";
import {OpeningVerifier_n32_b16_k32_j4} from "settlefl-builds/n32_b16_k32_j4/opening/OpeningVerifier.sol";
import {TransitionVerifier_n32_b16_k32_j4} from "settlefl-builds/n32_b16_k32_j4/transition/TransitionVerifier.sol";
import {ReceiptVerifier_n32_b16_k32_j4} from "settlefl-builds/n32_b16_k32_j4/receipt/ReceiptVerifier.sol";
import {PayoutVerifier_n32_b16_k32_j4} from "settlefl-builds/n32_b16_k32_j4/payout/PayoutVerifier.sol";
import {MockToken, FalseToken, NoReturnToken, LyingToken, GreedyToken, ReturnBombToken} from "../mocks/Tokens.sol";

/// @notice The shared test bed: the committed test build's real verifiers, SettleFL at the fixed address
///         the fixtures were proven for, the fixed actors, and the "standard" job of
///         contracts/test/fixtures/std.json (made by scripts/make_fixtures.py). Every proof in the
///         fixtures binds chain 31337, SETTLE, the job and its sender.
abstract contract SettleFLTest is Test, ISettleFLTypes {
    // Fixed addresses, mirrored in scripts/make_fixtures.py.
    address internal constant SETTLE = address(uint160(0x5E771E0000000000000000000000000000000001));
    address internal constant AGG = address(uint160(0xA66));
    address internal constant AGG2 = address(uint160(0xA67));
    address internal constant SUBMITTER = address(uint160(0x5B0));
    address internal constant PARTICIPANT = address(uint160(0x1004));
    address internal constant PROVER = address(uint160(0x9E0F));
    address internal constant CHALLENGER = address(uint160(0xC4A1));
    address internal constant CHALLENGER2 = address(uint160(0xC4A2));
    address internal constant REQUESTER = address(uint160(0xE0E5));
    address internal constant STRANGER = address(uint160(0x5BAD));
    // The genesis slots where hostile-payee tests put their mock contracts.
    address internal constant SLOT0 = address(uint160(0x1000));
    address internal constant SLOT1 = address(uint160(0x1001));
    address internal constant SLOT2 = address(uint160(0x1002));
    address internal constant SLOT3 = address(uint160(0x1003));

    uint256 internal constant P = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant T0 = 1_700_000_000;
    uint256 internal constant MAX_UNITS = 2_000_000;
    uint256 internal constant UNIT_PRICE = 5e11;
    uint256 internal constant ESCROW = MAX_UNITS * UNIT_PRICE; // 1 ether
    uint256 internal constant BOND = 0.1 ether;
    uint256 internal constant CH_BOND = 0.05 ether;
    uint256 internal constant REQ_FEE = 0.01 ether;
    uint32 internal constant WINDOW = 1 days;
    uint32 internal constant RESPONSE = 12 hours;
    uint32 internal constant INACTIVITY = 3 days;
    uint32 internal constant DURATION = 30 days;
    uint256 internal constant B = 16;

    // Deployment minimums.
    uint256 internal constant MIN_BOND_BPS = 1000;
    uint256 internal constant MIN_CH_BOND = 0.01 ether;
    uint256 internal constant MIN_REQ_FEE = 0.001 ether;
    uint256 internal constant MIN_WINDOW = 1 hours;
    uint256 internal constant MAX_DURATION = 365 days;

    SettleFL internal settle;
    address internal openingV;
    address internal transitionV;
    address internal receiptV;
    address internal payoutV;
    MockToken internal token;
    MockToken internal fotToken;
    FalseToken internal falseToken;
    NoReturnToken internal noReturnToken;
    LyingToken internal lyingToken;
    GreedyToken internal greedyToken;
    ReturnBombToken internal bombToken;

    string internal fx;
    bytes32 internal JOB;
    bytes32 internal JOB2;
    uint256 internal DOMAIN;
    uint256 internal PUBHASH;

    /// @dev Commit time of each round of the standard job (index = round).
    uint32[8] internal times;

    function setUp() public virtual {
        vm.warp(T0);
        fx = vm.readFile(string.concat(vm.projectRoot(), "/contracts/test/fixtures/std.json"));
        openingV = address(new OpeningVerifier_n32_b16_k32_j4());
        transitionV = address(new TransitionVerifier_n32_b16_k32_j4());
        receiptV = address(new ReceiptVerifier_n32_b16_k32_j4());
        payoutV = address(new PayoutVerifier_n32_b16_k32_j4());

        token = new MockToken();
        fotToken = new MockToken();
        fotToken.setFee(100); // 1% fee on every transfer
        falseToken = new FalseToken();
        noReturnToken = new NoReturnToken();
        lyingToken = new LyingToken();
        greedyToken = new GreedyToken();
        bombToken = new ReturnBombToken();

        deployCodeTo("SettleFL.sol:SettleFL", abi.encode(_builds(), _tokens(), _mins()), SETTLE);
        settle = SettleFL(SETTLE);

        JOB = vm.parseJsonBytes32(fx, ".job.jobId");
        JOB2 = vm.parseJsonBytes32(fx, ".job2.jobId");
        DOMAIN = vm.parseJsonUint(fx, ".job.domain");
        PUBHASH = vm.parseJsonUint(fx, ".job.pubHash");

        address[9] memory funded = [AGG, AGG2, SUBMITTER, PARTICIPANT, PROVER, CHALLENGER, CHALLENGER2, REQUESTER, STRANGER];
        for (uint256 i; i < funded.length; ++i) {
            vm.deal(funded[i], 100 ether);
        }
    }

    // ------------------------------------------------------------------------------ deployment

    function _builds() internal view returns (BuildConfig[] memory builds) {
        builds = new BuildConfig[](1);
        builds[0] = BuildConfig(32, 16, openingV, transitionV, receiptV, payoutV);
    }

    function _tokens() internal view returns (TokenConfig[] memory tokens) {
        tokens = new TokenConfig[](7);
        tokens[0] = TokenConfig(address(token), 1e18);
        tokens[1] = TokenConfig(address(fotToken), 1e18);
        tokens[2] = TokenConfig(address(falseToken), 1e18);
        tokens[3] = TokenConfig(address(noReturnToken), 1e18);
        tokens[4] = TokenConfig(address(lyingToken), 1e18);
        tokens[5] = TokenConfig(address(greedyToken), 1e18);
        tokens[6] = TokenConfig(address(bombToken), 1e18);
    }

    function _mins() internal pure returns (Minimums memory) {
        return Minimums(MIN_BOND_BPS, MIN_CH_BOND, MIN_REQ_FEE, MIN_WINDOW, MIN_WINDOW, MIN_WINDOW, MAX_DURATION);
    }

    // -------------------------------------------------------------------------------- fixtures

    function _key(string memory state) internal pure returns (string memory) {
        return string.concat(".states.", state);
    }

    function _name(uint256 round) internal pure returns (string memory) {
        return string.concat("r", vm.toString(round));
    }

    function _C(string memory state) internal view returns (uint256) {
        return vm.parseJsonUint(fx, string.concat(_key(state), ".commitment"));
    }

    function _C(uint256 round) internal view returns (uint256) {
        return _C(_name(round));
    }

    function _n(string memory state) internal view returns (uint256) {
        return vm.parseJsonUint(fx, string.concat(_key(state), ".n"));
    }

    function _total(string memory state) internal view returns (uint256) {
        return vm.parseJsonUint(fx, string.concat(_key(state), ".total"));
    }

    function _salt(string memory state) internal view returns (uint256) {
        return vm.parseJsonUint(fx, string.concat(_key(state), ".salt"));
    }

    function _words(string memory state) internal view returns (uint256[] memory) {
        return vm.parseJsonUintArray(fx, string.concat(_key(state), ".words"));
    }

    function _proof(string memory name) internal view returns (Proof memory p) {
        return _toProof(vm.parseJsonUintArray(fx, string.concat(".proofs.", name)));
    }

    function _toProof(uint256[] memory v) internal pure returns (Proof memory p) {
        p.a = [v[0], v[1]];
        p.b = [[v[2], v[3]], [v[4], v[5]]];
        p.c = [v[6], v[7]];
    }

    function _batches(string memory state) internal view returns (uint256) {
        return (_n(state) + B - 1) / B;
    }

    function _payoutWords(string memory state, uint256 batch) internal view returns (uint256[] memory) {
        return vm.parseJsonUintArray(
            fx, string.concat(".payouts.", state, "[", vm.toString(batch), "].words")
        );
    }

    function _payoutProof(string memory state, uint256 batch) internal view returns (Proof memory) {
        return _toProof(
            vm.parseJsonUintArray(fx, string.concat(".payouts.", state, "[", vm.toString(batch), "].proof"))
        );
    }

    // ------------------------------------------------------------------------------ job helpers

    function _terms(Variant variant, address asset) internal view returns (JobTerms memory) {
        return JobTerms({
            variant: variant,
            build: 0,
            token: asset,
            unitPrice: UNIT_PRICE,
            maxUnits: MAX_UNITS,
            escrow: ESCROW,
            bond: BOND,
            challengerBond: CH_BOND,
            requestFee: REQ_FEE,
            challengeWindow: WINDOW,
            responseWindow: RESPONSE,
            inactivityTimeout: INACTIVITY,
            hardDeadline: uint32(block.timestamp + DURATION),
            pubHash: PUBHASH
        });
    }

    /// @dev Creates the standard job (aggregator AGG, nonce 0) with `t`; funds and approves tokens.
    function _create(JobTerms memory t) internal returns (bytes32 jobId) {
        uint256 value = t.bond;
        if (t.token == address(0)) {
            value += t.escrow;
        } else {
            MockToken(t.token).mint(AGG, t.escrow);
            vm.prank(AGG);
            MockToken(t.token).approve(SETTLE, t.escrow);
        }
        vm.prank(AGG);
        jobId = settle.createJob{value: value}(0, t, _C("r0"), _words("r0"), _proof("genesis"));
        times[0] = uint32(block.timestamp);
    }

    function _createCC() internal returns (bytes32) {
        return _create(_terms(Variant.CommitChallenge, address(0)));
    }

    function _createCP() internal returns (bytes32) {
        return _create(_terms(Variant.CommitProof, address(0)));
    }

    /// @dev Optimistic commit of round `r` of the standard job at the current time.
    function _commit(uint256 r) internal {
        vm.prank(AGG);
        settle.commit(JOB, _C(r));
        times[r] = uint32(block.timestamp);
    }

    /// @dev Proof-carrying commit of round `r` (1..3) by the aggregator.
    function _commitWithProof(uint256 r) internal {
        vm.prank(AGG);
        settle.commitWithProof(JOB, _C(r - 1), _C(r), _proof(string.concat("transition", vm.toString(r), "Agg")));
        times[r] = uint32(block.timestamp);
    }

    /// @dev Commits rounds 1..`upTo`, one hour apart.
    function _commitRounds(uint256 upTo) internal {
        for (uint256 r = 1; r <= upTo; ++r) {
            skip(1 hours);
            _commit(r);
        }
    }

    function _ref(uint256 r) internal view returns (RoundRef memory) {
        return RoundRef(_C(r), times[r]);
    }

    function _challenge(address who, uint256 r) internal {
        vm.prank(who);
        settle.challenge{value: CH_BOND}(JOB, r, _ref(r));
    }

    function _request(address who, uint256 r) internal {
        vm.prank(who);
        settle.requestOpening{value: REQ_FEE}(JOB, r, _ref(r));
    }

    function _finalize() internal {
        vm.prank(AGG);
        settle.finalize(JOB);
    }

    /// @dev Warps past every window and opens payouts on the current tip.
    function _open() internal {
        (uint256 notBefore,,) = settle.payoutsOpenAfter(JOB);
        if (block.timestamp <= notBefore) vm.warp(notBefore + 1);
        uint256 tip = settle.getJob(JOB).tip;
        vm.prank(STRANGER);
        settle.openPayouts(JOB, _ref(tip));
    }

    function _payBatch(string memory state, uint256 batch) internal {
        vm.prank(SUBMITTER);
        settle.payout(JOB, batch, _n(state), _total(state), _payoutWords(state, batch), _payoutProof(state, batch));
    }

    function _payAll(string memory state) internal {
        uint256 batches = _batches(state);
        for (uint256 b; b < batches; ++b) {
            _payBatch(state, b);
        }
    }

    // ------------------------------------------------------------------------- expected money

    /// @dev The payees of a state with what each is owed (clean: S * u; fault: pro rata + bond share).
    function _owed(string memory state, bool fault, uint256 escrow, uint256 bond)
        internal
        view
        returns (address[] memory payees, uint256[] memory amounts, uint256 sum)
    {
        uint256[] memory words = _words(state);
        uint256 total = _total(state);
        uint256 bondShare = bond - bond * 1000 / 10_000;
        payees = new address[](words.length);
        amounts = new uint256[](words.length);
        for (uint256 i; i < words.length; ++i) {
            payees[i] = address(uint160(words[i]));
            uint256 units = words[i] >> 160;
            if (units == 0) continue;
            amounts[i] = fault ? units * escrow / total + units * bondShare / total : units * UNIT_PRICE;
            sum += amounts[i];
        }
    }

    function _balances(address[] memory who) internal view returns (uint256[] memory out) {
        out = new uint256[](who.length);
        for (uint256 i; i < who.length; ++i) {
            out[i] = who[i].balance;
        }
    }

    /// @dev Each sub-ledger of `jobId` balances: paid + credited + refunded + held == deposited.
    function _assertLedgers(bytes32 jobId) internal view {
        Job memory j = settle.getJob(jobId);
        (uint256 e, uint256 b, uint256 d) = settle.heldOf(jobId);
        assertEq(uint256(j.escrow.paid) + j.escrow.credited + j.escrow.refunded + e, j.escrow.deposited, "escrow ledger");
        assertEq(uint256(j.bond.paid) + j.bond.credited + j.bond.refunded + b, j.bond.deposited, "bond ledger");
        assertEq(
            uint256(j.disputes.paid) + j.disputes.credited + j.disputes.refunded + d, j.disputes.deposited, "disputes ledger"
        );
    }
}
// forge-lint: disable-end(unsafe-typecast, block-timestamp)
