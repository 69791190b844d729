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
/// @dev Storage per job (docs/protocol.md, "Contract storage"): the head (the rolling hash of every
///      committed round, the tip, the variant, the build and the commit deadline in one slot: all a commit
///      touches), the hash of the job's fixed configuration, a checkpoint every 16 rounds, and slots
///      written only by disputes, finalize and payouts (status, money, disputes, equivocator, one challenge
///      and one request record per disputed round). Every bookkeeping step is O(1); the only loops run
///      over calldata whose length is bounded by the build (N or B) or by `MAX_HISTORY`.
abstract contract SettleFLBase is ISettleFLTypes {
    // ---------------------------------------------------------------------------------- constants

    /// @notice The BN254 scalar field modulus p.
    uint256 public constant FIELD_MODULUS = Compression.P;
    /// @notice Share of the aggregator bond paid to the reward recipient on a fault (rho = 10%).
    uint256 public constant RHO_BPS = 1000;
    /// @notice At most this many circuit builds per deployment (their verifiers are immutables).
    uint256 public constant MAX_BUILDS = 4;
    /// @notice Every `CHECKPOINT_INTERVAL`-th round's rolling hash is also stored, so a history never needs
    ///         more than `MAX_HISTORY` links.
    uint256 public constant CHECKPOINT_INTERVAL = 16;
    /// @notice The most links a history may carry: rounds `r - 1 .. next checkpoint >= r`.
    uint256 public constant MAX_HISTORY = CHECKPOINT_INTERVAL + 1;
    /// @notice The highest round number (the tip takes 21 bits of the head).
    uint256 public constant MAX_ROUND = (1 << 21) - 1;
    /// @notice At most this many payout batches per build (the paid-batch bitmap).
    uint256 public constant MAX_BATCHES = 64;
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
    uint256 internal constant ETH_GUARD = ETH_STIPEND + ETH_STIPEND / 63 + CALL_RESERVE_GAS;
    uint256 internal constant ADDRESS_MASK = (1 << 160) - 1;

    // The head of a job, one slot: H_tip (200 bits) | tip (21) | build (2) | CP flag (1) | state (32). The
    // state is the commit deadline while the job is active (always > 2: it was in the future at creation);
    // once closed it is the phase: 0 Finalized, 1 PayoutsOpen, 2 Completed. So a commit, a finalize and a
    // clean job's single payout batch touch no other mutable slot, and a commit after closing fails its
    // deadline check by construction.
    uint256 internal constant HASH_SHIFT = 56;
    uint256 internal constant TIP_SHIFT = 35;
    uint256 internal constant BUILD_SHIFT = 33;
    uint256 internal constant CP_BIT = 1 << 32;
    uint256 internal constant DEADLINE_MASK = (1 << 32) - 1;
    uint256 internal constant STATE_FINALIZED = 0;
    uint256 internal constant STATE_PAYOUTS_OPEN = 1;
    uint256 internal constant STATE_COMPLETED = 2;
    /// @dev The bits a commit keeps: build, variant and deadline.
    // forge-lint: disable-next-line(incorrect-shift)
    uint256 internal constant KEEP_ON_COMMIT = (3 << BUILD_SHIFT) | CP_BIT | DEADLINE_MASK;

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

    /// @dev What disputes and multi-batch payouts change (one slot; zero for an undisputed job paid in one
    ///      batch). The phase lives in the head.
    struct Status {
        bool faulted;
        bool bondSlashed;
        uint32 openChallenges;
        uint32 openRequests;
        uint32 disputeEnd;
        uint32 tipRequestEnd;
        uint64 paidBatches;
    }

    /// @dev What left the escrow and bond ledgers (paid + credited + refunded); their inflows are in the config.
    struct Money {
        uint128 escrowOut;
        uint128 bondOut;
    }

    /// @dev The challenger-bond and request-fee ledger.
    struct Disputes {
        uint128 deposited;
        uint128 out;
    }

    mapping(address token => uint256 weiPerToken) internal _tokenRate;
    mapping(bytes32 jobId => uint256) internal _heads;
    mapping(bytes32 jobId => bytes32) internal _configs;
    mapping(bytes32 jobId => mapping(uint256 index => uint256)) internal _checkpoints;
    mapping(bytes32 jobId => Status) internal _status;
    mapping(bytes32 jobId => Money) internal _money;
    mapping(bytes32 jobId => Disputes) internal _disputes;
    mapping(bytes32 jobId => address) internal _equivocators;
    mapping(bytes32 jobId => mapping(uint256 round => Challenge)) internal _challenges;
    mapping(bytes32 jobId => mapping(uint256 round => Request)) internal _requests;
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

    /// @dev For functions that make no external call: they only refuse to run inside a locked call.
    modifier notEntered() {
        if (_lock != 0) revert Reentrancy();
        _;
    }

    // -------------------------------------------------------------------------------- constructor

    /// @param builds 1 to 4 builds; build `i` is job `terms.build = i`. Each `batchSize` must fit the
    ///        2^24 gas cap with every ETH payee failing: `B * (10k + 36k) + 1M <= 2^24`, `B <= 256`;
    ///        `N < 2^16` and `ceil(N / B) <= 64`.
    /// @param mins The deployment-wide bounds.
    constructor(BuildConfig[] memory builds, Minimums memory mins) {
        uint256 count = builds.length;
        if (count == 0) revert NoBuilds();
        if (count > MAX_BUILDS) revert TooManyBuilds(count);
        BuildConfig[4] memory b;
        for (uint256 i; i < count; ++i) {
            BuildConfig memory c = builds[i];
            if (
                c.participants == 0 || c.participants % 16 != 0 || c.participants >= 1 << 16 || c.batchSize == 0
                    || c.batchSize % 16 != 0 || c.batchSize > 256 || c.batchSize > c.participants
                    || c.batchSize * (ETH_STIPEND + PAYEE_OVERHEAD_GAS) + BATCH_OVERHEAD_GAS > TX_GAS_CAP
                    || (c.participants + c.batchSize - 1) / c.batchSize > MAX_BATCHES || c.opening.code.length == 0
                    || c.transition.code.length == 0 || c.receipt.code.length == 0 || c.payout.code.length == 0
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
                || mins.maxDuration == 0 || mins.maxDuration > type(uint32).max / 4
                || mins.challengeWindow > mins.maxDuration || mins.responseWindow > mins.maxDuration
                || mins.inactivityTimeout > mins.maxDuration || mins.challengerBond > type(uint128).max
                || mins.requestFee > type(uint128).max
        ) revert BadMinimums();
        _minBondBps = mins.bondBps;
        _minChallengerBond = mins.challengerBond;
        _minRequestFee = mins.requestFee;
        _minChallengeWindow = mins.challengeWindow;
        _minResponseWindow = mins.responseWindow;
        _minInactivityTimeout = mins.inactivityTimeout;
        _maxDuration = mins.maxDuration;
    }

    // ============================================================================ head and history

    /// @dev `H_r = keccak256(abi.encode(before, round, commitment, time)) >> 56`: 200 bits, so a collision
    ///      (which would let the aggregator that writes the history equivocate) costs 2^100 work.
    function _linkHash(uint256 before, uint256 round, uint256 commitment, uint256 time)
        internal
        pure
        returns (uint256 h)
    {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, before)
            mstore(add(m, 0x20), round)
            mstore(add(m, 0x40), commitment)
            mstore(add(m, 0x60), time)
            h := shr(56, keccak256(m, 0x80))
        }
    }

    function _tipOf(uint256 head) internal pure returns (uint256) {
        return (head >> TIP_SHIFT) & MAX_ROUND;
    }

    function _buildOf(uint256 head) internal pure returns (uint256) {
        return (head >> BUILD_SHIFT) & 3;
    }

    /// @dev The job's phase, from its head.
    function _phase(uint256 head) internal pure returns (Phase) {
        if (head == 0) return Phase.None;
        uint256 state = head & DEADLINE_MASK;
        if (state > STATE_COMPLETED) return Phase.Active;
        if (state == STATE_FINALIZED) return Phase.Finalized;
        if (state == STATE_PAYOUTS_OPEN) return Phase.PayoutsOpen;
        return Phase.Completed;
    }

    /// @dev The head with its state replaced (a closed job's phase).
    function _withState(uint256 head, uint256 state) internal pure returns (uint256) {
        return (head & ~DEADLINE_MASK) | state;
    }

    /// @dev The head after a rollback to `tip` (whose hash is `hash`): commits closed, variant and build kept.
    function _rolledBack(uint256 head, uint256 tip, uint256 hash) internal pure returns (uint256) {
        return (hash << HASH_SHIFT) | (tip << TIP_SHIFT) | (head & (KEEP_ON_COMMIT & ~DEADLINE_MASK));
    }

    /// @dev Folds `h` and requires it to end at the stored hash of round `h.last` (the head, or a
    ///      checkpoint at or below the tip). Returns the first round it covers.
    function _checkHistory(bytes32 jobId, uint256 head, History calldata h) internal view returns (uint256 first) {
        (first,) = _fold(jobId, head, h, type(uint256).max);
    }

    /// @dev Like `_checkHistory`, and also returns `before` = the hash of round `round - 1` (`round` must be
    ///      covered). That hash is authenticated by the fold, like every link.
    function _fold(bytes32 jobId, uint256 head, History calldata h, uint256 round)
        internal
        view
        returns (uint256 first, uint256 before)
    {
        uint256 len = h.links.length;
        uint256 last = h.last;
        uint256 tip = _tipOf(head);
        if (len == 0 || len > MAX_HISTORY || last > tip || len > last + 1) revert BadHistory();
        uint256 expected;
        if (last == tip) {
            expected = head >> HASH_SHIFT;
        } else {
            if (last == 0 || last % CHECKPOINT_INTERVAL != 0) revert BadHistory();
            expected = _checkpoints[jobId][last / CHECKPOINT_INTERVAL];
        }
        unchecked {
            first = last + 1 - len;
            uint256 hash = h.before;
            for (uint256 i; i < len; ++i) {
                if (first + i == round) before = hash;
                Link calldata link = h.links[i];
                hash = _linkHash(hash, first + i, link.commitment, link.time);
            }
            if (hash != expected) revert HistoryMismatch();
        }
    }

    /// @dev The link of round `round` in a checked history that starts at `first`.
    function _linkAt(History calldata h, uint256 first, uint256 round) internal pure returns (Link calldata) {
        if (round < first || round > h.last) revert RoundNotCovered(round);
        return h.links[round - first];
    }

    /// @dev The tip's link, from a checked history that ends at the tip.
    function _tipLink(bytes32 jobId, uint256 head, History calldata h) internal view returns (Link calldata) {
        _checkHistory(jobId, head, h);
        if (h.last != _tipOf(head)) revert RoundNotCovered(_tipOf(head));
        return h.links[h.links.length - 1];
    }

    // ================================================================================== config

    /// @dev Requires `cfg` to be the job's stored configuration (its calldata encoding is `abi.encode`).
    function _checkConfig(bytes32 jobId, JobConfig calldata cfg) internal view {
        bytes32 stored = _configs[jobId];
        if (stored == 0) revert UnknownJob();
        bytes32 given;
        assembly ("memory-safe") {
            let m := mload(0x40)
            calldatacopy(m, cfg, 0x1e0) // 15 static words
            given := keccak256(m, 0x1e0)
        }
        if (given != stored) revert ConfigMismatch();
    }

    function _hashConfig(JobConfig memory cfg) internal pure returns (bytes32) {
        return keccak256(abi.encode(cfg));
    }

    // ================================================================================== proofs

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

    /// @dev `sender + 2^160 * round`: the Transition and Receipt circuits' packed public input.
    function _rs(uint256 round) internal view returns (uint256) {
        return uint256(uint160(msg.sender)) | (round << 160);
    }

    /// @dev Requires a Transition proof of `[C_prev, C_new, sender + 2^160 * r]`.
    function _requireTransition(uint256 build, Proof calldata proof, uint256[3] memory pub) internal view {
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := pub
        }
        if (!_verify(_transitionVerifier(build), ITransitionVerifier.verifyProof.selector, proof, ptr, 3)) {
            revert InvalidProof();
        }
    }

    /// @dev Requires a Receipt proof of `[C, domain, pubHash, sender + 2^160 * r]`.
    function _requireReceipt(uint256 build, Proof calldata proof, uint256[4] memory pub) internal view {
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := pub
        }
        if (!_verify(_receiptVerifier(build), IReceiptVerifier.verifyProof.selector, proof, ptr, 4)) {
            revert InvalidProof();
        }
    }

    /// @dev Requires an Opening proof of `[C, x, y]` (x, y over the header and the words).
    function _requireOpeningProof(uint256 build, Proof calldata proof, uint256[3] memory pub) internal view {
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := pub
        }
        if (!_verify(_openingVerifier(build), IOpeningVerifier.verifyProof.selector, proof, ptr, 3)) {
            revert InvalidProof();
        }
    }

    /// @dev Requires a Payout proof of `[C, x, y]` (x, y over the header and the batch's words).
    function _requirePayout(uint256 build, Proof calldata proof, uint256[3] memory pub) internal view {
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := pub
        }
        if (!_verify(_payoutVerifier(build), IPayoutVerifier.verifyProof.selector, proof, ptr, 3)) {
            revert InvalidProof();
        }
    }

    function _jobId(address aggregator, uint256 nonce) internal pure returns (bytes32 id) {
        assembly ("memory-safe") {
            mstore(0x00, aggregator)
            mstore(0x20, nonce)
            id := keccak256(0x00, 0x40)
        }
    }

    function _domain(bytes32 jobId) internal view returns (uint256) {
        return uint256(keccak256(abi.encode(block.chainid, address(this), jobId))) % Compression.P;
    }

    // ================================================================================ lifecycle

    /// @dev Closes the commit phase of an active job: the head's state becomes Finalized (no more commits).
    ///      `tipStaysRequestable` (a close by anyone but the aggregator, or a fault) keeps the tip
    ///      requestable for one more challenge window, so an abandoned job's state can still be made payable.
    ///      Returns the new head.
    function _close(bytes32 jobId, Status storage st, uint256 head, uint256 window, bool tipStaysRequestable)
        internal
        returns (uint256 closed)
    {
        closed = _withState(head, STATE_FINALIZED);
        _heads[jobId] = closed;
        if (tipStaysRequestable) st.tipRequestEnd = _time32(block.timestamp + window);
        emit JobFinalized(jobId, msg.sender);
    }

    /// @dev A fault ends (and finalizes) the job; unanswered challenges and requests roll the tip back to
    ///      `round - 1`, whose hash is `before`.
    function _fault(
        bytes32 jobId,
        JobConfig calldata cfg,
        Status storage st,
        uint256 head,
        FaultKind kind,
        uint256 round,
        uint256 before
    ) internal {
        uint256 tip = _tipOf(head);
        bool active = _phase(head) == Phase.Active;
        if (kind != FaultKind.Equivocation) {
            tip = round - 1; // round <= tip was checked, so this is min(tip, round - 1)
            head = _rolledBack(head, tip, before);
        }
        st.faulted = true;
        if (active) {
            _close(jobId, st, head, cfg.terms.challengeWindow, true);
        } else if (kind != FaultKind.Equivocation) {
            // A rollback of an already closed job: the new tip gets its own request window too, so a state
            // nobody holds can still be made payable (unanswered, it rolls back further).
            _heads[jobId] = head;
            uint256 end = block.timestamp + cfg.terms.challengeWindow;
            if (end > st.tipRequestEnd) st.tipRequestEnd = _time32(end);
        }
        emit Faulted(jobId, kind, round, tip);
    }

    /// @dev The job must be active or finalized (disputes are refused once payouts open).
    function _checkDisputable(uint256 head) internal pure {
        Phase phase = _phase(head);
        if (phase != Phase.Active && phase != Phase.Finalized) revert PayoutsAlreadyOpen();
    }

    function _challengeWindowEnd(bytes32 jobId, uint256 round, uint256 time, uint256 window)
        internal
        view
        returns (uint256)
    {
        Request storage q = _requests[jobId][round];
        if (q.status == RequestStatus.Answered && q.answeredAt > time) time = q.answeredAt;
        return time + window;
    }

    /// @dev Payouts open strictly after the tip's window, any window extended by an answered request, and
    ///      the tip's request window after a close by anyone but the aggregator.
    function _windowsEnd(Status storage st, uint256 tipTime, uint256 window) internal view returns (uint256 end) {
        end = tipTime + window;
        if (st.disputeEnd > end) end = st.disputeEnd;
        if (st.tipRequestEnd > end) end = st.tipRequestEnd;
    }

    /// @dev Who receives `rho` of the bond on a fault: whoever faulted round `tip + 1` (unanswered
    ///      challenge, else unanswered request), else the equivocation prover.
    function _rewardRecipient(bytes32 jobId, uint256 tip) internal view returns (address) {
        Challenge storage c = _challenges[jobId][tip + 1];
        if (c.status == ChallengeStatus.Unanswered) return c.challenger;
        Request storage q = _requests[jobId][tip + 1];
        if (q.status == RequestStatus.Unanswered) return q.requester;
        return _equivocators[jobId];
    }

    /// @dev Every time the contract stores is a uint32 (until 2106); never truncated silently.
    function _time32(uint256 t) internal pure returns (uint32) {
        if (t > type(uint32).max) revert TimeOverflow();
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint32(t);
    }

    // ================================================================================== money

    /// @dev Books `amount` out of the escrow or bond ledger (capped by its inflow), sends it, and credits
    ///      whatever did not arrive.
    function _pushMoney(
        bytes32 jobId,
        JobConfig calldata cfg,
        LedgerKind kind,
        address token,
        address to,
        uint256 amount,
        bool refund
    ) internal {
        if (amount == 0) return;
        Money storage m = _money[jobId];
        if (kind == LedgerKind.Escrow) {
            uint256 out = uint256(m.escrowOut) + amount;
            if (out > cfg.terms.escrow) revert LedgerOverdrawn(kind);
            // forge-lint: disable-next-line(unsafe-typecast)
            m.escrowOut = uint128(out);
        } else {
            uint256 out = uint256(m.bondOut) + amount;
            if (out > cfg.terms.bond) revert LedgerOverdrawn(kind);
            // forge-lint: disable-next-line(unsafe-typecast)
            m.bondOut = uint128(out);
        }
        _send(jobId, kind, token, to, amount, refund);
    }

    /// @dev The same for the disputes ledger (challenger bonds and request fees, always ETH).
    function _pushDisputes(bytes32 jobId, address to, uint256 amount, bool refund) internal {
        if (amount == 0) return;
        Disputes storage d = _disputes[jobId];
        uint256 out = uint256(d.out) + amount;
        if (out > d.deposited) revert LedgerOverdrawn(LedgerKind.Disputes);
        // forge-lint: disable-next-line(unsafe-typecast)
        d.out = uint128(out);
        _send(jobId, LedgerKind.Disputes, address(0), to, amount, refund);
    }

    /// @dev Sends an amount already booked out of `kind`; a failure becomes `to`'s credit.
    function _send(bytes32 jobId, LedgerKind kind, address token, address to, uint256 amount, bool refund) internal {
        uint256 moved;
        if (token == address(0)) moved = _sendEth(to, amount) ? amount : 0;
        else moved = _sendToken(token, to, amount, TOKEN_TRANSFER_GAS);
        if (moved != 0) emit Transferred(jobId, kind, to, moved, refund);
        if (moved < amount) _credit(to, token, jobId, kind, amount - moved);
    }

    function _credit(address account, address token, bytes32 jobId, LedgerKind kind, uint256 amount) internal {
        _credits[account][token] += amount;
        emit Credited(account, token, jobId, kind, amount);
    }

    /// @dev ETH with the fixed stipend; refuses to start when the caller left too little gas.
    function _sendEth(address to, uint256 amount) internal returns (bool) {
        if (gasleft() < ETH_GUARD) revert InsufficientGas();
        return Transfers.sendEth(to, amount, ETH_STIPEND);
    }

    /// @dev An ERC-20 transfer checked by balance delta; returns what actually left this contract.
    ///      `gasLimit` 0 forwards all gas (withdrawals). A balance that rose (a payee's hook sending tokens
    ///      back) counts as nothing moved, so the caller credits the payee instead of bricking the job; a
    ///      token that takes more than `amount` reverts (it would take other jobs' money).
    function _sendToken(address token, address to, uint256 amount, uint256 gasLimit) internal returns (uint256 moved) {
        uint256 balanceGas = gasLimit == 0 ? 0 : TOKEN_BALANCE_GAS;
        if (gasLimit != 0 && gasleft() < TOKEN_PAYEE_GAS + TOKEN_PAYEE_GAS / 63 + CALL_RESERVE_GAS) {
            revert InsufficientGas();
        }
        (bool ok0, uint256 before) = Transfers.balanceOf(token, address(this), balanceGas);
        bool ok = Transfers.transfer(token, to, amount, gasLimit);
        (bool ok1, uint256 afterwards) = Transfers.balanceOf(token, address(this), balanceGas);
        if (!ok0 || !ok1) revert TokenMisbehaved();
        if (afterwards >= before) return 0;
        moved = before - afterwards;
        if (moved > amount || !ok) revert TokenMisbehaved();
    }

    // ================================================================================== builds

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
