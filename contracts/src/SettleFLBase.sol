// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {ISettleFLTypes} from "./interfaces/ISettleFL.sol";
import {IOpeningVerifier, ITransitionVerifier, IReceiptVerifier, IPayoutVerifier} from "./interfaces/IVerifiers.sol";
import {Compression} from "./libraries/Compression.sol";
import {Transfers} from "./libraries/Transfers.sol";

/// @title SettleFL storage, configuration and shared internals
/// @notice The storage layout, the constructor-fixed configuration and the helpers shared by `SettleFL`
///         and `SettleFLExtension`. The extension runs by `delegatecall` in SettleFL's storage, so both
///         inherit this one layout and nothing else declares state.
/// @dev Storage per job: one `Job` record (slot 0 is all an optimistic commit touches), one slot per round
///      holding `keccak256(abi.encode(C_r, t_r))`, one slot per disputed round for a challenge and one
///      for an opening request, a bitmap of paid batches. Every bookkeeping step is O(1); the only loops
///      run over calldata words whose length is fixed by the build (N or B).
abstract contract SettleFLBase is ISettleFLTypes {
    // ---------------------------------------------------------------------------------- constants

    /// @notice The BN254 scalar field modulus p.
    uint256 public constant FIELD_MODULUS = Compression.P;
    /// @notice Share of the aggregator bond paid to the reward recipient on a fault (rho = 10%).
    uint256 public constant RHO_BPS = 1000;
    /// @notice At most this many circuit builds per deployment (their verifiers are immutables).
    uint256 public constant MAX_BUILDS = 4;
    /// @notice Gas forwarded with an ETH payout, bond or refund (a fixed stipend; failures are credited).
    uint256 public constant ETH_STIPEND = 10_000;
    /// @notice Gas cap of an ERC-20 `transfer` to a payee.
    uint256 public constant TOKEN_TRANSFER_GAS = 50_000;
    /// @notice Gas cap of each ERC-20 `balanceOf` around a transfer (balance-delta accounting).
    uint256 public constant TOKEN_BALANCE_GAS = 15_000;
    /// @notice Per-payee gas the contract may forward to an ERC-20 (one transfer, two balance reads).
    uint256 public constant TOKEN_PAYEE_GAS = TOKEN_TRANSFER_GAS + 2 * TOKEN_BALANCE_GAS;
    /// @notice Per-payee overhead allowed by the batch-size rule `B * (stipend + 36k) + 1M <= 2^24`.
    uint256 public constant PAYEE_OVERHEAD_GAS = 36_000;
    /// @notice Fixed overhead allowed per batch (proof, compression, bookkeeping) by the same rule.
    uint256 public constant BATCH_OVERHEAD_GAS = 1_000_000;
    /// @notice The per-transaction gas cap a batch must fit with every payee failing (EIP-7825).
    uint256 public constant TX_GAS_CAP = 1 << 24;
    /// @notice Gas a call needs on top of what it forwards (cold account 2.6k + value 9k + new account
    ///         25k, plus bookkeeping): the `gasleft()` guard refuses to start a call with less.
    uint256 public constant CALL_RESERVE_GAS = 40_000;

    uint256 internal constant BPS = 10_000;
    uint256 internal constant UNITS_LIMIT = 1 << 93;
    uint256 internal constant CP_FLAG = 0x80;
    uint256 internal constant BUILD_MASK = 0x7f;

    // --------------------------------------------------------------------------------- immutables

    uint256 internal immutable _buildCount;
    uint256 internal immutable _n0;
    uint256 internal immutable _n1;
    uint256 internal immutable _n2;
    uint256 internal immutable _n3;
    uint256 internal immutable _b0;
    uint256 internal immutable _b1;
    uint256 internal immutable _b2;
    uint256 internal immutable _b3;
    address internal immutable _opening0;
    address internal immutable _opening1;
    address internal immutable _opening2;
    address internal immutable _opening3;
    address internal immutable _transition0;
    address internal immutable _transition1;
    address internal immutable _transition2;
    address internal immutable _transition3;
    address internal immutable _receipt0;
    address internal immutable _receipt1;
    address internal immutable _receipt2;
    address internal immutable _receipt3;
    address internal immutable _payout0;
    address internal immutable _payout1;
    address internal immutable _payout2;
    address internal immutable _payout3;

    uint256 internal immutable _minBondBps;
    uint256 internal immutable _minChallengerBond;
    uint256 internal immutable _minRequestFee;
    uint256 internal immutable _minChallengeWindow;
    uint256 internal immutable _minResponseWindow;
    uint256 internal immutable _minInactivityTimeout;
    uint256 internal immutable _maxDuration;

    // ------------------------------------------------------------------------------------ storage

    /// @notice The next job nonce of each aggregator: `jobId = keccak256(abi.encode(aggregator, nonce))`.
    mapping(address aggregator => uint256) public jobNonce;

    mapping(address token => uint256 weiPerToken) internal _tokenRate;
    mapping(bytes32 jobId => Job) internal _jobs;
    mapping(bytes32 jobId => mapping(uint256 round => bytes32)) internal _rounds;
    mapping(bytes32 jobId => mapping(uint256 round => Challenge)) internal _challenges;
    mapping(bytes32 jobId => mapping(uint256 round => Request)) internal _requests;
    mapping(bytes32 jobId => mapping(uint256 word => uint256 bits)) internal _paidBatches;
    mapping(address account => mapping(address token => uint256)) internal _credits;

    /// @dev The reentrancy lock (EIP-1153 transient storage: cleared at the end of every transaction).
    uint256 private transient _lock;

    // ---------------------------------------------------------------------------------- modifiers

    modifier nonReentrant() {
        if (_lock != 0) revert Reentrancy();
        _lock = 1;
        _;
        _lock = 0;
    }

    // -------------------------------------------------------------------------------- constructor

    /// @param builds 1 to 4 builds; build `i` is job `terms.build = i`. Each `batchSize` must fit the
    ///        2^24 gas cap with every ETH payee failing: `B * (10k + 36k) + 1M <= 2^24`, `B <= 256`.
    /// @param mins The deployment-wide minimums.
    constructor(BuildConfig[] memory builds, Minimums memory mins) {
        uint256 count = builds.length;
        if (count == 0) revert NoBuilds();
        if (count > MAX_BUILDS) revert TooManyBuilds(count);
        BuildConfig[4] memory b;
        for (uint256 i; i < count; ++i) {
            BuildConfig memory c = builds[i];
            if (
                c.participants == 0 || c.participants % 16 != 0 || c.participants > type(uint32).max
                    || c.batchSize == 0 || c.batchSize % 16 != 0 || c.batchSize > 256 || c.batchSize > c.participants
                    || c.batchSize * (ETH_STIPEND + PAYEE_OVERHEAD_GAS) + BATCH_OVERHEAD_GAS > TX_GAS_CAP
                    || (c.participants + c.batchSize - 1) / c.batchSize > type(uint16).max
                    || c.opening.code.length == 0 || c.transition.code.length == 0 || c.receipt.code.length == 0
                    || c.payout.code.length == 0
            ) revert BadBuild(i);
            b[i] = c;
        }
        _buildCount = count;
        (_n0, _n1, _n2, _n3) = (b[0].participants, b[1].participants, b[2].participants, b[3].participants);
        (_b0, _b1, _b2, _b3) = (b[0].batchSize, b[1].batchSize, b[2].batchSize, b[3].batchSize);
        (_opening0, _opening1, _opening2, _opening3) = (b[0].opening, b[1].opening, b[2].opening, b[3].opening);
        (_transition0, _transition1, _transition2, _transition3) =
            (b[0].transition, b[1].transition, b[2].transition, b[3].transition);
        (_receipt0, _receipt1, _receipt2, _receipt3) = (b[0].receipt, b[1].receipt, b[2].receipt, b[3].receipt);
        (_payout0, _payout1, _payout2, _payout3) = (b[0].payout, b[1].payout, b[2].payout, b[3].payout);

        if (
            mins.bondBps > BPS || mins.challengeWindow == 0 || mins.responseWindow == 0 || mins.inactivityTimeout == 0
                || mins.maxDuration == 0 || mins.challengeWindow > type(uint32).max || mins.responseWindow > type(uint32).max
                || mins.inactivityTimeout > type(uint32).max || mins.maxDuration > type(uint32).max
                || mins.challengerBond > type(uint128).max || mins.requestFee > type(uint128).max
        ) revert BadMinimums();
        _minBondBps = mins.bondBps;
        _minChallengerBond = mins.challengerBond;
        _minRequestFee = mins.requestFee;
        _minChallengeWindow = mins.challengeWindow;
        _minResponseWindow = mins.responseWindow;
        _minInactivityTimeout = mins.inactivityTimeout;
        _maxDuration = mins.maxDuration;
    }

    // ================================================================================== helpers

    // Slot 0 of a `Job`, as Solidity packs it (checked against `getJob` by a test):
    // aggregator bits 0-159 | tip 160-183 | lastCommit 184-215 | commitDeadline 216-247 | config 248-255.
    uint256 internal constant HEAD_TIP_SHIFT = 160;
    uint256 internal constant HEAD_LAST_COMMIT_SHIFT = 184;
    uint256 internal constant HEAD_DEADLINE_SHIFT = 216;
    uint256 internal constant HEAD_CONFIG_SHIFT = 248;
    uint256 internal constant HEAD_TIP_AND_TIME =
        (uint256(type(uint24).max) << HEAD_TIP_SHIFT) | (uint256(type(uint32).max) << HEAD_LAST_COMMIT_SHIFT);

    /// @dev Slot 0 of a job in one SLOAD (the commit path reads it once and writes it once).
    function _head(Job storage job) internal view returns (uint256 word) {
        assembly ("memory-safe") {
            word := sload(job.slot)
        }
    }

    /// @dev Writes a new tip and last-commit time into slot 0, keeping the other fields of `word`.
    function _setTip(Job storage job, uint256 word, uint256 tip, uint256 time) internal {
        word = (word & ~HEAD_TIP_AND_TIME) | (tip << HEAD_TIP_SHIFT) | (time << HEAD_LAST_COMMIT_SHIFT);
        assembly ("memory-safe") {
            sstore(job.slot, word)
        }
    }

    /// @dev Calls a snarkjs verifier with the proof straight from calldata and `count` public inputs from
    ///      memory at `pub`; true only for a 32-byte `true` (a verifier returns false when out of gas).
    function _verify(address verifier, bytes4 selector, Proof calldata proof, uint256 pub, uint256 count)
        internal
        view
        returns (bool ok)
    {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, selector)
            calldatacopy(add(m, 0x04), proof, 0x100)
            mcopy(add(m, 0x104), pub, shl(5, count))
            ok := staticcall(gas(), verifier, m, add(0x104, shl(5, count)), 0x00, 0x20)
            ok := and(ok, and(gt(returndatasize(), 0x1f), eq(mload(0x00), 1)))
        }
    }

    /// @dev Requires a Transition proof of `[C_prev, C_new, r, sender]` for build `build`.
    function _requireTransition(uint256 build, Proof calldata proof, uint256[4] memory pub) internal view {
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := pub
        }
        if (!_verify(_transitionVerifier(build), ITransitionVerifier.verifyProof.selector, proof, ptr, 4)) {
            revert InvalidProof();
        }
    }

    /// @dev Requires a Receipt proof of `[C, domain, r, pubHash, sender]`.
    function _requireReceipt(uint256 build, Proof calldata proof, uint256[5] memory pub) internal view {
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := pub
        }
        if (!_verify(_receiptVerifier(build), IReceiptVerifier.verifyProof.selector, proof, ptr, 5)) {
            revert InvalidProof();
        }
    }

    /// @dev Requires a Payout proof of `[C, domain, r, n, total, batch, x, y]`.
    function _requirePayout(uint256 build, Proof calldata proof, uint256[8] memory pub) internal view {
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := pub
        }
        if (!_verify(_payoutVerifier(build), IPayoutVerifier.verifyProof.selector, proof, ptr, 8)) {
            revert InvalidProof();
        }
    }

    /// @dev Requires an Opening proof of `[C, domain, r, n, total, maxUnits, salt, x, y]`.
    function _requireOpeningProof(uint256 build, Proof calldata proof, uint256[9] memory pub) internal view {
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := pub
        }
        if (!_verify(_openingVerifier(build), IOpeningVerifier.verifyProof.selector, proof, ptr, 9)) {
            revert InvalidProof();
        }
    }

    function _jobId(address aggregator, uint256 nonce) internal pure returns (bytes32) {
        return keccak256(abi.encode(aggregator, nonce));
    }

    function _domain(bytes32 jobId) internal view returns (uint256) {
        return uint256(keccak256(abi.encode(block.chainid, address(this), jobId))) % Compression.P;
    }

    /// @dev Ends the commit phase: no more commits; the tip may be requested for one more window.
    function _close(Job storage job) internal {
        job.phase = Phase.Finalized;
        job.commitDeadline = 0;
        job.finalizedAt = uint32(block.timestamp);
        _extendDisputes(job, block.timestamp + job.challengeWindow);
    }

    function _extendDisputes(Job storage job, uint256 end) internal {
        // timestamps are uint32 (until 2106), like every time the contract stores
        // forge-lint: disable-next-line(unsafe-typecast)
        if (end > job.disputeEnd) job.disputeEnd = uint32(end);
    }

    /// @dev A fault ends (and finalizes) the job; unanswered challenges and requests roll the tip back.
    function _fault(bytes32 jobId, Job storage job, FaultKind kind, uint256 round) internal {
        uint256 tip = job.tip;
        if (kind != FaultKind.Equivocation) {
            tip = round - 1; // round <= tip was checked, so this is min(tip, round - 1)
            // forge-lint: disable-next-line(unsafe-typecast)
            job.tip = uint24(tip);
        }
        job.faulted = true;
        if (job.phase == Phase.Active) _close(job);
        emit Faulted(jobId, kind, round, tip);
    }

    function _checkDisputable(Job storage job) internal view {
        Phase phase = job.phase;
        if (phase == Phase.None) revert UnknownJob();
        if (phase != Phase.Active && phase != Phase.Finalized) revert PayoutsAlreadyOpen();
    }

    /// @dev A committed, non-void round `1 <= round <= tip` matching its stored hash.
    function _checkRound(bytes32 jobId, Job storage job, uint256 round, RoundRef calldata ref) internal view {
        if (round == 0 || round > job.tip) revert RoundNotChallengeable(round);
        if (_rounds[jobId][round] != _roundHash(ref.commitment, ref.time)) revert RoundMismatch(round);
    }

    function _challengeWindowEnd(bytes32 jobId, Job storage job, uint256 round, uint256 time)
        internal
        view
        returns (uint256)
    {
        Request storage q = _requests[jobId][round];
        if (q.status == RequestStatus.Answered && q.answeredAt > time) time = q.answeredAt;
        return time + job.challengeWindow;
    }

    /// @dev Books `amount` out of `ledger`, sends it to `to`, and credits whatever did not arrive.
    function _push(
        bytes32 jobId,
        Ledger storage ledger,
        LedgerKind kind,
        address token,
        address to,
        uint256 amount,
        bool refund
    ) internal {
        if (amount == 0) return;
        _book(ledger, kind, amount, refund);
        uint256 moved;
        if (token == address(0)) moved = _sendEth(to, amount) ? amount : 0;
        else moved = _sendToken(token, to, amount, TOKEN_TRANSFER_GAS);
        if (moved != 0) emit Transferred(jobId, kind, to, moved, refund);
        if (moved < amount) {
            _moveToCredited(ledger, amount - moved, refund);
            _credit(to, token, jobId, amount - moved);
        }
    }

    /// @dev Caps every outflow by the ledger's own inflow.
    function _book(Ledger storage ledger, LedgerKind kind, uint256 amount, bool refund) internal {
        if (amount == 0) return;
        uint256 out = uint256(ledger.paid) + ledger.credited + ledger.refunded + amount;
        if (out > ledger.deposited) revert LedgerOverdrawn(kind);
        // so amount <= deposited < 2^128 (here and in _moveToCredited, which moves part of a booked amount)
        // forge-lint: disable-next-line(unsafe-typecast)
        if (refund) ledger.refunded += uint128(amount);
        // forge-lint: disable-next-line(unsafe-typecast)
        else ledger.paid += uint128(amount);
    }

    function _moveToCredited(Ledger storage ledger, uint256 amount, bool refund) internal {
        // forge-lint: disable-next-line(unsafe-typecast)
        if (refund) ledger.refunded -= uint128(amount);
        // forge-lint: disable-next-line(unsafe-typecast)
        else ledger.paid -= uint128(amount);
        // forge-lint: disable-next-line(unsafe-typecast)
        ledger.credited += uint128(amount);
    }

    function _credit(address account, address token, bytes32 jobId, uint256 amount) internal {
        _credits[account][token] += amount;
        emit Credited(account, token, jobId, amount);
    }

    /// @dev ETH with the fixed stipend; refuses to start when the caller left too little gas.
    function _sendEth(address to, uint256 amount) internal returns (bool) {
        if (gasleft() < ETH_STIPEND + ETH_STIPEND / 63 + CALL_RESERVE_GAS) revert InsufficientGas();
        return Transfers.sendEth(to, amount, ETH_STIPEND);
    }

    /// @dev An ERC-20 transfer checked by balance delta; returns what actually left this contract.
    ///      `gasLimit` 0 forwards all gas (withdrawals). Never moves more than `amount` unnoticed.
    function _sendToken(address token, address to, uint256 amount, uint256 gasLimit) internal returns (uint256 moved) {
        uint256 balanceGas = gasLimit == 0 ? 0 : TOKEN_BALANCE_GAS;
        if (gasLimit != 0 && gasleft() < TOKEN_PAYEE_GAS + TOKEN_PAYEE_GAS / 63 + CALL_RESERVE_GAS) {
            revert InsufficientGas();
        }
        (bool ok0, uint256 before) = Transfers.balanceOf(token, address(this), balanceGas);
        bool ok = Transfers.transfer(token, to, amount, gasLimit);
        (bool ok1, uint256 afterwards) = Transfers.balanceOf(token, address(this), balanceGas);
        if (!ok0 || !ok1 || afterwards > before) revert TokenMisbehaved();
        moved = before - afterwards;
        if (moved > amount || (!ok && moved != 0)) revert TokenMisbehaved();
    }

    function _roundHash(uint256 commitment, uint256 time) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, commitment)
            mstore(0x20, time)
            h := keccak256(0x00, 0x40)
        }
    }

    function _held(Ledger storage l) internal view returns (uint256) {
        return uint256(l.deposited) - l.paid - l.credited - l.refunded;
    }

    /// @dev Payouts open strictly after the last round's window, any window extended by an answered
    ///      request, and the tip's request window after finalize.
    function _windowsEnd(Job storage job) internal view returns (uint256) {
        uint256 lastWindow = uint256(job.lastCommit) + job.challengeWindow;
        uint256 extended = job.disputeEnd;
        return lastWindow > extended ? lastWindow : extended;
    }

    function _participants(uint256 i) internal view returns (uint256) {
        if (i == 0) return _n0;
        if (i == 1) return _n1;
        if (i == 2) return _n2;
        return _n3;
    }

    function _batchSize(uint256 i) internal view returns (uint256) {
        if (i == 0) return _b0;
        if (i == 1) return _b1;
        if (i == 2) return _b2;
        return _b3;
    }

    function _openingVerifier(uint256 i) internal view returns (address) {
        if (i == 0) return _opening0;
        if (i == 1) return _opening1;
        if (i == 2) return _opening2;
        return _opening3;
    }

    function _transitionVerifier(uint256 i) internal view returns (address) {
        if (i == 0) return _transition0;
        if (i == 1) return _transition1;
        if (i == 2) return _transition2;
        return _transition3;
    }

    function _receiptVerifier(uint256 i) internal view returns (address) {
        if (i == 0) return _receipt0;
        if (i == 1) return _receipt1;
        if (i == 2) return _receipt2;
        return _receipt3;
    }

    function _payoutVerifier(uint256 i) internal view returns (address) {
        if (i == 0) return _payout0;
        if (i == 1) return _payout1;
        if (i == 2) return _payout2;
        return _payout3;
    }
}
