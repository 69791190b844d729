// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

// Tests cast small constants to addresses and compare warped timestamps on purpose.
// forge-lint: disable-start(unsafe-typecast, block-timestamp)

import {Test} from "forge-std/Test.sol";
import {Vm} from "forge-std/Vm.sol";
import {SettleFL} from "../../src/SettleFL.sol";
import {SettleFLExtension} from "../../src/SettleFLExtension.sol";
import {ISettleFL, ISettleFLTypes} from "../../src/interfaces/ISettleFL.sol";
import {OpeningVerifier_n32_b16_k32_j4} from "settlefl-builds/n32_b16_k32_j4/opening/OpeningVerifier.sol";
import {TransitionVerifier_n32_b16_k32_j4} from "settlefl-builds/n32_b16_k32_j4/transition/TransitionVerifier.sol";
import {ReceiptVerifier_n32_b16_k32_j4} from "settlefl-builds/n32_b16_k32_j4/receipt/ReceiptVerifier.sol";
import {PayoutVerifier_n32_b16_k32_j4} from "settlefl-builds/n32_b16_k32_j4/payout/PayoutVerifier.sol";
import {
    MockToken,
    FalseToken,
    NoReturnToken,
    LyingToken,
    GreedyToken,
    ReturnBombToken,
    HookToken
} from "../mocks/Tokens.sol";

/// @notice The shared test bed: the committed test build's real verifiers, SettleFL at the fixed address
///         the fixtures were proven for, the fixed actors, and the "standard" job of
///         contracts/test/fixtures/std.json (made by scripts/make_fixtures.py). Every proof in the
///         fixtures binds chain 31337, SETTLE, the job and its sender.
/// @dev The bed mirrors what a client keeps: the job's configuration (decoded from `JobCreated`) and,
///      per round of the standard job, the commitment committed, its time and the rolling hash, so every
///      test can build the `History` a call needs (`_hist`, `_tipHist`, `_history`).
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
    uint256 internal constant NONCE = 0; // the standard job's creation nonce
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
    uint256 internal constant K = 16; // SettleFL.CHECKPOINT_INTERVAL
    /// @dev The rounds of the standard job the fixtures hold states (and commitments) for.
    uint256 internal constant LAST_FIXTURE_ROUND = 34;

    // Deployment bounds.
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
    HookToken internal hookToken;

    string internal fx;
    bytes32 internal JOB;
    bytes32 internal JOB2;
    uint256 internal DOMAIN;
    uint256 internal PUBHASH;

    /// @dev The standard job's configuration as created (escrow = what arrived).
    JobConfig internal jobCfg;
    /// @dev Per round of the standard job: the commitment committed, its time, the rolling hash H_r.
    uint256[64] internal commitments;
    uint32[64] internal times;
    uint256[64] internal hashes;

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
        hookToken = new HookToken();

        deployCodeTo(
            "SettleFL.sol:SettleFL", abi.encode(_builds(), _tokens(), _mins(), _extension(_builds(), _mins())), SETTLE
        );
        settle = SettleFL(SETTLE);

        JOB = vm.parseJsonBytes32(fx, ".job.jobId");
        JOB2 = vm.parseJsonBytes32(fx, ".job2.jobId");
        DOMAIN = vm.parseJsonUint(fx, ".job.domain");
        PUBHASH = vm.parseJsonUint(fx, ".job.pubHash");

        address[9] memory funded =
            [AGG, AGG2, SUBMITTER, PARTICIPANT, PROVER, CHALLENGER, CHALLENGER2, REQUESTER, STRANGER];
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
        tokens = new TokenConfig[](8);
        tokens[0] = TokenConfig(address(token), 1e18);
        tokens[1] = TokenConfig(address(fotToken), 1e18);
        tokens[2] = TokenConfig(address(falseToken), 1e18);
        tokens[3] = TokenConfig(address(noReturnToken), 1e18);
        tokens[4] = TokenConfig(address(lyingToken), 1e18);
        tokens[5] = TokenConfig(address(greedyToken), 1e18);
        tokens[6] = TokenConfig(address(bombToken), 1e18);
        tokens[7] = TokenConfig(address(hookToken), 1e18);
    }

    /// @dev An extension for these builds and bounds (deployed first: SettleFL takes its address).
    function _extension(BuildConfig[] memory builds, Minimums memory mins) internal returns (address) {
        return address(new SettleFLExtension(builds, mins));
    }

    /// @dev A SettleFL with its extension (the extension's constructor checks builds and bounds first).
    function _newSettleFL(BuildConfig[] memory builds, TokenConfig[] memory tokens, Minimums memory mins)
        internal
        returns (SettleFL)
    {
        return new SettleFL(builds, tokens, mins, _extension(builds, mins));
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
        return vm.parseJsonUintArray(fx, string.concat(".payouts.", state, "[", vm.toString(batch), "].words"));
    }

    function _payoutProof(string memory state, uint256 batch) internal view returns (Proof memory) {
        return
            _toProof(vm.parseJsonUintArray(fx, string.concat(".payouts.", state, "[", vm.toString(batch), "].proof")));
    }

    /// @dev Batch `batch` of fixture state `state`, as `payout` takes it.
    function _batch(string memory state, uint256 batch) internal view returns (PayoutBatch memory) {
        return PayoutBatch(batch, _n(state), _total(state), _payoutWords(state, batch));
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

    /// @dev Creates the standard job (aggregator AGG, nonce 0) with `t`; funds and approves tokens; keeps
    ///      the configuration the contract emitted (what a client keeps) in `jobCfg`.
    function _create(JobTerms memory t) internal returns (bytes32 jobId) {
        uint256 value = t.bond;
        if (t.token == address(0)) {
            value += t.escrow;
        } else {
            MockToken(t.token).mint(AGG, t.escrow);
            vm.prank(AGG);
            MockToken(t.token).approve(SETTLE, t.escrow);
        }
        vm.recordLogs();
        vm.prank(AGG);
        jobId = settle.createJob{value: value}(NONCE, t, _C("r0"), _words("r0"), _proof("genesis"));
        jobCfg = _createdConfig(jobId);
        _record(0, _C("r0"));
    }

    /// @dev The configuration in the `JobCreated` event of `jobId` among the recorded logs.
    function _createdConfig(bytes32 jobId) internal returns (JobConfig memory cfg) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == JobCreated.selector && logs[i].topics[1] == jobId) {
                (, cfg,,,) = abi.decode(logs[i].data, (uint256, JobConfig, uint256, uint256, uint256));
                return cfg;
            }
        }
        revert("no JobCreated event");
    }

    function _createCC() internal returns (bytes32) {
        return _create(_terms(Variant.CommitChallenge, address(0)));
    }

    function _createCP() internal returns (bytes32) {
        return _create(_terms(Variant.CommitProof, address(0)));
    }

    /// @dev The standard job's configuration.
    function _cfg() internal view returns (JobConfig memory) {
        return jobCfg;
    }

    /// @dev Mirrors a commit of the standard job at the current time (what a client derives from events).
    function _record(uint256 r, uint256 commitment) internal {
        commitments[r] = commitment;
        times[r] = uint32(block.timestamp);
        hashes[r] = settle.linkHash(r == 0 ? 0 : hashes[r - 1], r, commitment, block.timestamp);
    }

    /// @dev Optimistic commit of round `r` of the standard job at the current time.
    function _commit(uint256 r) internal {
        _commitC(r, _C(r));
    }

    /// @dev Optimistic commit of `commitment` as round `r` of the standard job.
    function _commitC(uint256 r, uint256 commitment) internal {
        vm.prank(AGG);
        settle.commit(NONCE, commitment);
        _record(r, commitment);
    }

    /// @dev Proof-carrying commit of round `r` (1..3) by the aggregator.
    function _commitWithProof(uint256 r) internal {
        History memory h = _history(r - 1, r - 1);
        vm.prank(AGG);
        settle.commitWithProof(NONCE, h, _C(r), _proof(string.concat("transition", vm.toString(r), "Agg")));
        _record(r, _C(r));
    }

    /// @dev Commits rounds 1..`upTo`, one hour apart.
    function _commitRounds(uint256 upTo) internal {
        for (uint256 r = 1; r <= upTo; ++r) {
            skip(1 hours);
            _commit(r);
        }
    }

    function _tip() internal view returns (uint256) {
        return settle.getJob(JOB).tip;
    }

    /// @dev Rounds `first .. last` of the standard job as committed, with `before` = H_{first - 1}.
    function _history(uint256 first, uint256 last) internal view returns (History memory h) {
        h.before = first == 0 ? 0 : hashes[first - 1];
        h.last = last;
        h.links = new Link[](last + 1 - first);
        for (uint256 i; i < h.links.length; ++i) {
            h.links[i] = Link(commitments[first + i], times[first + i]);
        }
    }

    /// @dev The shortest valid history covering rounds `from .. to`: it ends at the next checkpoint at or
    ///      above `to`, or at the tip.
    function _cover(uint256 from, uint256 to) internal view returns (History memory) {
        uint256 tip = _tip();
        uint256 end = to == 0 ? K : (to + K - 1) / K * K;
        if (end > tip) end = tip;
        return _history(from, end);
    }

    /// @dev A history covering rounds `r - 1` and `r` (every dispute path accepts it).
    function _hist(uint256 r) internal view returns (History memory) {
        return _cover(r == 0 ? 0 : r - 1, r);
    }

    /// @dev A one-link history of the tip.
    function _tipHist() internal view returns (History memory) {
        uint256 tip = _tip();
        return _history(tip, tip);
    }

    // Every helper builds its history before `vm.prank`: `_hist` reads the tip with a call, which would
    // consume the prank.

    function _challenge(address who, uint256 r) internal {
        History memory h = _hist(r);
        vm.prank(who);
        settle.challenge{value: CH_BOND}(JOB, jobCfg, r, h);
    }

    function _respond(address who, uint256 r, string memory proofName) internal {
        History memory h = _hist(r);
        vm.prank(who);
        settle.respond(JOB, jobCfg, r, h, _proof(proofName));
    }

    function _resolve(uint256 r) internal {
        History memory h = _hist(r);
        vm.prank(STRANGER);
        settle.resolve(JOB, jobCfg, r, h);
    }

    function _request(address who, uint256 r) internal {
        History memory h = _hist(r);
        vm.prank(who);
        settle.requestOpening{value: REQ_FEE}(JOB, jobCfg, r, h);
    }

    /// @dev Answers the request on round `r` with fixture state `state` and proof `proofName`.
    function _answer(address who, uint256 r, string memory state, string memory proofName) internal {
        History memory h = _hist(r);
        vm.prank(who);
        settle.answerOpening(JOB, jobCfg, r, h, _salt(state), _total(state), _words(state), _proof(proofName));
    }

    function _resolveRequest(uint256 r) internal {
        History memory h = _hist(r);
        vm.prank(STRANGER);
        settle.resolveRequest(JOB, jobCfg, r, h);
    }

    /// @dev PROVER proves that the aggregator signed fixture state `other` as round `r`.
    function _equivocate(uint256 r, string memory other, string memory proofName) internal {
        History memory h = _hist(r);
        vm.prank(PROVER);
        settle.proveEquivocation(JOB, jobCfg, r, h, _C(other), _proof(proofName));
    }

    /// @dev The aggregator finalizes (payouts open in the same call when every window has closed).
    function _finalize() internal {
        History memory h = _tipHist();
        vm.prank(AGG);
        settle.finalize(JOB, jobCfg, h);
    }

    /// @dev Warps past every window and opens payouts on the current tip (if they are not open yet).
    function _open() internal {
        if (settle.getJob(JOB).phase != Phase.Finalized) return;
        (uint256 notBefore,,) = settle.payoutsOpenAfter(JOB, jobCfg, _tipHist());
        if (block.timestamp <= notBefore) vm.warp(notBefore + 1);
        History memory h = _tipHist();
        vm.prank(STRANGER);
        settle.openPayouts(JOB, jobCfg, h);
    }

    function _payBatch(string memory state, uint256 batch) internal {
        History memory h = _tipHist();
        vm.prank(SUBMITTER);
        settle.payout(JOB, jobCfg, h, _batch(state, batch), _payoutProof(state, batch));
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

    /// @dev ETH credits of every account a standard-job test pays (actors and the fixture payees).
    function _ethCredits() internal view returns (uint256 sum) {
        address[10] memory actors =
            [AGG, AGG2, SUBMITTER, PARTICIPANT, PROVER, CHALLENGER, CHALLENGER2, REQUESTER, STRANGER, address(0)];
        for (uint256 i; i < actors.length; ++i) {
            sum += settle.creditOf(actors[i], address(0));
        }
        for (uint256 i = 0x1000; i < 0x1020; ++i) {
            if (address(uint160(i)) != PARTICIPANT) sum += settle.creditOf(address(uint160(i)), address(0));
        }
    }

    /// @dev The standard job's ledgers balance the contract's ETH (an ETH job alone in the contract): what
    ///      each ledger still holds plus every ETH credit is exactly SettleFL's balance, and no ledger has
    ///      paid out more than it received.
    function _assertLedgers(bytes32 jobId) internal view {
        (uint256 e, uint256 b, uint256 d) = settle.heldOf(jobId, jobCfg);
        JobView memory j = settle.getJob(jobId);
        assertEq(j.escrowOut + e, jobCfg.terms.escrow, "escrow ledger");
        assertEq(j.bondOut + b, jobCfg.terms.bond, "bond ledger");
        assertEq(j.disputesOut + d, j.disputesIn, "disputes ledger");
        if (jobCfg.terms.token == address(0)) {
            assertEq(
                SETTLE.balance, e + b + d + _ethCredits(), "SettleFL's balance is what its ledgers hold plus credits"
            );
        } else {
            assertEq(
                SETTLE.balance, b + d + _ethCredits(), "SettleFL's ETH is the bond and dispute ledgers plus credits"
            );
        }
    }
}
// forge-lint: disable-end(unsafe-typecast, block-timestamp)
