// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {ISettleFL} from "./interfaces/ISettleFL.sol";
import {SettleFLBase} from "./SettleFLBase.sol";
import {SettleFLExtension} from "./SettleFLExtension.sol";
import {Compression} from "./libraries/Compression.sol";
import {Transfers} from "./libraries/Transfers.sol";

/// @title SettleFL settlement contract
/// @notice Holds many federated-learning reward jobs. Verifiers (per circuit build), the ERC-20 allowlist
///         and the deployment-wide bounds are fixed in the constructor; there are no admin keys and no
///         upgrades. See `ISettleFL` for the API and docs/protocol.md for the protocol.
/// @dev The hot paths (commits, finalize, opening payouts, payouts) and the views run here. Creation,
///      disputes and withdrawals run in `SettleFLExtension`, deployed first and reached by `delegatecall`
///      under this contract's reentrancy lock (one contract would exceed EIP-170, and embedding the extension's
///      creation code would exceed the initcode limit of EIP-3860). The constructor refuses an extension made
///      for other builds or bounds; clients check both contracts' code (`settlefl.chain.deploy`).
// Deadlines are timestamps by design (windows are hours long; a validator moves a block's time by
// seconds at most), so comparisons with block.timestamp are intended throughout.
// forge-lint: disable-start(block-timestamp)
contract SettleFL is SettleFLBase, ISettleFL {
    /// @notice The extension this contract delegates its cold functions to (fixed at construction).
    address public immutable extension;

    /// @notice Fix the verifier set of every build, the ERC-20 allowlist and the deployment bounds.
    /// @param builds 1 to 4 builds; build `i` is job `terms.build = i`. Each `batchSize` must fit the
    ///        2^24 gas cap with every ETH payee failing: `B * (10k + 36k) + 1M <= 2^24`, `B <= 256`;
    ///        `N < 2^16` and `ceil(N / B) <= 64`.
    /// @param tokens The allowlisted escrow tokens with their fixed valuation for the minimum bond. Never
    ///        list rebasing tokens or tokens with transfer hooks.
    /// @param mins The deployment-wide bounds.
    /// @param extension_ A `SettleFLExtension` constructed with exactly these builds and bounds.
    constructor(BuildConfig[] memory builds, TokenConfig[] memory tokens, Minimums memory mins, address extension_)
        SettleFLBase(builds, mins)
    {
        if (
            extension_.code.length == 0
                || SettleFLExtension(extension_).configHash() != keccak256(abi.encode(builds, mins))
        ) revert BadExtension();
        extension = extension_;
        for (uint256 i; i < tokens.length; ++i) {
            TokenConfig memory t = tokens[i];
            if (
                t.token == address(0) || t.token.code.length == 0 || t.weiPerToken == 0
                    || t.weiPerToken > type(uint128).max || _tokenRate[t.token] != 0
            ) revert BadToken(i);
            _tokenRate[t.token] = t.weiPerToken;
        }
    }

    // ============================================================================= delegated API

    /// @inheritdoc ISettleFL
    function createJob(uint256, JobTerms calldata, uint256, uint256[] calldata, Proof calldata)
        external
        payable
        nonReentrant
        returns (bytes32)
    {
        return abi.decode(_delegate(), (bytes32));
    }

    /// @inheritdoc ISettleFL
    function challenge(bytes32, JobConfig calldata, uint256, History calldata) external payable nonReentrant {
        _delegate();
    }

    /// @inheritdoc ISettleFL
    function respond(bytes32, JobConfig calldata, uint256, History calldata, Proof calldata) external nonReentrant {
        _delegate();
    }

    /// @inheritdoc ISettleFL
    function resolve(bytes32, JobConfig calldata, uint256, History calldata) external nonReentrant {
        _delegate();
    }

    /// @inheritdoc ISettleFL
    function reclaim(bytes32, JobConfig calldata, uint256) external nonReentrant {
        _delegate();
    }

    /// @inheritdoc ISettleFL
    function requestOpening(bytes32, JobConfig calldata, uint256, History calldata) external payable nonReentrant {
        _delegate();
    }

    /// @inheritdoc ISettleFL
    function answerOpening(
        bytes32,
        JobConfig calldata,
        uint256,
        History calldata,
        uint256,
        uint256,
        uint256[] calldata,
        Proof calldata
    ) external nonReentrant {
        _delegate();
    }

    /// @inheritdoc ISettleFL
    function resolveRequest(bytes32, JobConfig calldata, uint256, History calldata) external nonReentrant {
        _delegate();
    }

    /// @inheritdoc ISettleFL
    function proveEquivocation(bytes32, JobConfig calldata, uint256, History calldata, uint256, Proof calldata)
        external
        nonReentrant
    {
        _delegate();
    }

    /// @inheritdoc ISettleFL
    function withdraw(address, address) external nonReentrant {
        _delegate();
    }

    /// @dev Runs the extension's function of the same selector in this contract's storage; bubbles reverts.
    function _delegate() private returns (bytes memory ret) {
        bool ok;
        (ok, ret) = extension.delegatecall(msg.data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }

    // ================================================================================== commits

    /// @inheritdoc ISettleFL
    /// @dev One warm-after-read slot (the head) and, every 16th round, one checkpoint slot. No external
    ///      call, so it only refuses to run inside a locked call instead of taking the lock.
    function commit(uint256 nonce, uint256 commitment) external notEntered {
        bytes32 jobId = _jobId(msg.sender, nonce);
        uint256 head = _heads[jobId];
        if (head & CP_BIT != 0) revert WrongVariant();
        uint256 r = _nextRound(jobId, head, commitment);
        _advance(jobId, head, r, commitment);
        emit RoundCommitted(jobId, r, commitment);
    }

    /// @inheritdoc ISettleFL
    function commitWithProof(uint256 nonce, History calldata tip, uint256 commitment, Proof calldata proof)
        external
        nonReentrant
    {
        bytes32 jobId = _jobId(msg.sender, nonce);
        uint256 head = _heads[jobId];
        uint256 r = _nextRound(jobId, head, commitment);
        uint256 prev = _tipLink(jobId, head, tip).commitment;
        _requireTransition(_buildOf(head), proof, [prev, commitment, _rs(r)]);
        _advance(jobId, head, r, commitment);
        if (head & CP_BIT == 0) _challenges[jobId][r].status = ChallengeStatus.Proven;
        emit RoundCommittedWithProof(jobId, r, commitment);
    }

    /// @dev Checks the deadline (0 once closed, and for a job this sender never created) and the
    ///      commitment; returns the new round.
    function _nextRound(bytes32 jobId, uint256 head, uint256 commitment) private view returns (uint256 r) {
        if (block.timestamp > head & DEADLINE_MASK) revert CommitsClosed(jobId);
        if (commitment >= Compression.P) revert NotAFieldElement(commitment);
        r = _tipOf(head) + 1;
        if (r > MAX_ROUND) revert RoundLimit();
    }

    /// @dev Folds round `r` into the head; stores a checkpoint every `CHECKPOINT_INTERVAL` rounds.
    function _advance(bytes32 jobId, uint256 head, uint256 r, uint256 commitment) private {
        uint256 h = _linkHash(head >> HASH_SHIFT, r, commitment, block.timestamp);
        _heads[jobId] = (h << HASH_SHIFT) | (r << TIP_SHIFT) | (head & KEEP_ON_COMMIT);
        if (r % CHECKPOINT_INTERVAL == 0) _checkpoints[jobId][r / CHECKPOINT_INTERVAL] = h;
    }

    // ========================================================================= finalize and open

    /// @inheritdoc ISettleFL
    function finalize(bytes32 jobId, JobConfig calldata cfg, History calldata tip) external nonReentrant {
        _checkConfig(jobId, cfg);
        uint256 head = _heads[jobId];
        if (_phase(head) != Phase.Active) revert AlreadyFinalized();
        Link calldata tipLink = _tipLink(jobId, head, tip);
        bool byAggregator = msg.sender == cfg.aggregator;
        if (!byAggregator) {
            uint256 inactiveAfter = tipLink.time + cfg.terms.inactivityTimeout;
            uint256 deadline = cfg.terms.hardDeadline;
            if (block.timestamp <= inactiveAfter && block.timestamp <= deadline) {
                revert FinalizeNotAllowed(inactiveAfter < deadline ? inactiveAfter : deadline);
            }
        }
        Status storage st = _status[jobId];
        head = _close(jobId, st, head, cfg.terms.challengeWindow, !byAggregator);
        if (
            byAggregator && st.openChallenges == 0 && st.openRequests == 0
                && block.timestamp > _windowsEnd(st, tipLink.time, cfg.terms.challengeWindow)
        ) _openPayouts(jobId, cfg, st.faulted, head, tipLink.commitment);
    }

    /// @inheritdoc ISettleFL
    function openPayouts(bytes32 jobId, JobConfig calldata cfg, History calldata tip) external nonReentrant {
        _checkConfig(jobId, cfg);
        uint256 head = _heads[jobId];
        Phase phase = _phase(head);
        if (phase == Phase.Active) revert NotFinalized();
        if (phase != Phase.Finalized) revert PayoutsAlreadyOpen();
        Status storage st = _status[jobId];
        Link calldata tipLink = _tipLink(jobId, head, tip);
        if (st.openChallenges != 0 || st.openRequests != 0) revert DisputesPending(st.openChallenges, st.openRequests);
        uint256 notBefore = _windowsEnd(st, tipLink.time, cfg.terms.challengeWindow);
        if (block.timestamp <= notBefore) revert TooEarly(notBefore);
        _openPayouts(jobId, cfg, st.faulted, head, tipLink.commitment);
    }

    /// @dev Fixes the outcome and pays `rho` of the bond to the reward recipient on a fault.
    function _openPayouts(bytes32 jobId, JobConfig calldata cfg, bool faulted, uint256 head, uint256 commitment)
        private
    {
        _heads[jobId] = _withState(head, STATE_PAYOUTS_OPEN);
        uint256 tip = _tipOf(head);
        address recipient;
        uint256 reward;
        if (faulted) {
            recipient = _rewardRecipient(jobId, tip);
            reward = cfg.terms.bond * RHO_BPS / BPS;
        }
        emit PayoutsOpened(jobId, tip, commitment, faulted, recipient, reward);
        if (reward != 0) _pushMoney(jobId, cfg, LedgerKind.Bond, address(0), recipient, reward, false);
    }

    // ================================================================================== payouts

    /// @inheritdoc ISettleFL
    function payout(
        bytes32 jobId,
        JobConfig calldata cfg,
        History calldata tip,
        PayoutBatch calldata batch,
        Proof calldata proof
    ) external nonReentrant {
        _checkConfig(jobId, cfg);
        uint256 head = _heads[jobId];
        bool complete;
        bool faulted;
        {
            if (_phase(head) != Phase.PayoutsOpen) revert PayoutsNotOpen();
            Status storage st = _status[jobId];
            uint256 batches = _checkBatch(st, _buildOf(head), cfg, batch);
            _checkPayoutProof(jobId, head, _tipLink(jobId, head, tip).commitment, batch, proof);
            (complete, faulted) = _markPaid(jobId, st, head, batch.index, batches, batch.total);
        }
        uint256 total = batch.total;
        (uint256 escrowOut, uint256 bondOut) = total == 0 ? (0, 0) : _payBatch(jobId, cfg, faulted, total, batch.words);
        emit BatchPaid(jobId, batch.index, msg.sender, escrowOut, bondOut);
        if (complete) _complete(jobId, cfg, faulted, _tipOf(head), total);
    }

    /// @dev Effects first: the batch is paid, and the job completed by its last batch (or by any batch when
    ///      `total = 0`: nobody is owed anything), before any transfer. A completed job needs no bitmap (every
    ///      batch counts as paid), so a job paid in one batch writes only its head.
    function _markPaid(bytes32 jobId, Status storage st, uint256 head, uint256 batch, uint256 batches, uint256 total)
        private
        returns (bool complete, bool faulted)
    {
        // batch < batches <= 64 (constructor), so the shifts fit.
        // forge-lint: disable-next-line(incorrect-shift)
        uint256 paid = uint256(st.paidBatches) | (1 << batch);
        // forge-lint: disable-next-line(incorrect-shift)
        complete = total == 0 || paid == (1 << batches) - 1;
        // forge-lint: disable-next-line(unsafe-typecast)
        if (complete) _heads[jobId] = _withState(head, STATE_COMPLETED);
        // forge-lint: disable-next-line(unsafe-typecast)
        else st.paidBatches = uint64(paid);
        faulted = st.faulted;
    }

    /// @dev Length, settlement bounds, non-empty, not yet paid. `n` and `total` need no storage: every
    ///      batch's proof opens the same `C_tip`, which binds them.
    function _checkBatch(Status storage st, uint256 build, JobConfig calldata cfg, PayoutBatch calldata batch)
        private
        view
        returns (uint256 batches)
    {
        uint256 size = _batchSize(build);
        if (batch.words.length != size) revert WrongBatchLength(size, batch.words.length);
        uint256 n = batch.n;
        if (n == 0 || n > _participants(build) || batch.total > cfg.terms.maxUnits) revert BadSettlement();
        batches = (n + size - 1) / size;
        uint256 index = batch.index;
        if (index >= batches) revert EmptyBatch(index);
        if ((st.paidBatches >> index) & 1 != 0) revert BatchAlreadyPaid(index);
    }

    /// @dev Derives `(x, y)` over `[domain, tip, n, total, batch, words]` and requires the Payout proof.
    function _checkPayoutProof(
        bytes32 jobId,
        uint256 head,
        uint256 commitment,
        PayoutBatch calldata batch,
        Proof calldata proof
    ) private view {
        Compression.PayoutHead memory h;
        h.jobId = jobId;
        h.sender = msg.sender;
        h.commitment = commitment;
        h.domain = _domain(jobId);
        h.round = _tipOf(head);
        h.n = batch.n;
        h.total = batch.total;
        h.batch = batch.index;
        (uint256 x, uint256 y) = Compression.payout(h, batch.words);
        _requirePayout(_buildOf(head), proof, [commitment, x, y]);
    }

    /// @dev What one word's payee is owed: clean `S * u`; fault: escrow and bond share pro rata.
    struct Rates {
        bool fault;
        uint256 unitPrice;
        uint256 escrow;
        uint256 bondShare;
        uint256 total;
    }

    function _amounts(Rates memory k, uint256 units) private pure returns (uint256 e, uint256 b) {
        // units < 2^93, unitPrice and escrow < 2^128: no product overflows, so a plain mulDiv is exact.
        if (!k.fault) return (units * k.unitPrice, 0);
        e = units * k.escrow / k.total;
        b = units * k.bondShare / k.total;
    }

    /// @dev Books the whole batch (each outflow capped by its own inflow), then pays it.
    function _payBatch(bytes32 jobId, JobConfig calldata cfg, bool fault, uint256 total, uint256[] calldata words)
        private
        returns (uint256 escrowOut, uint256 bondOut)
    {
        Rates memory k = Rates(fault, cfg.terms.unitPrice, cfg.terms.escrow, 0, total);
        if (fault) k.bondShare = cfg.terms.bond - cfg.terms.bond * RHO_BPS / BPS;
        (escrowOut, bondOut) = _batchTotals(k, words);
        _book(jobId, cfg, escrowOut, bondOut);
        address token = cfg.terms.token;
        if (token == address(0)) {
            uint256 failed = _payEth(k, words);
            if (failed != 0) _creditFailed(jobId, k, words, failed);
        } else {
            _payToken(jobId, k, token, words);
        }
    }

    /// @dev What the batch owes in total, from each ledger: the sum of `_amounts` over the words with a
    ///      payee (a word without one, which only an unchallenged invalid state can hold, is skipped: its
    ///      share stays in the ledger for the remainder instead of bricking the batch).
    function _batchTotals(Rates memory k, uint256[] calldata words)
        private
        pure
        returns (uint256 escrowOut, uint256 bondOut)
    {
        if (!k.fault) {
            uint256 units;
            uint256 mask = ADDRESS_MASK;
            assembly ("memory-safe") {
                let p := words.offset
                for { let end := add(p, shl(5, words.length)) } lt(p, end) { p := add(p, 0x20) } {
                    let w := calldataload(p)
                    // words < 2^253 (checked by the compression): units < 2^93, no overflow in 256 terms
                    if and(w, mask) { units := add(units, shr(160, w)) }
                }
            }
            return (units * k.unitPrice, 0);
        }
        uint256 len = words.length;
        for (uint256 i; i < len;) {
            uint256 w = words[i];
            unchecked {
                ++i;
            }
            if (w & ADDRESS_MASK == 0) continue;
            (uint256 e, uint256 b) = _amounts(k, w >> 160);
            escrowOut += e;
            bondOut += b;
        }
    }

    /// @dev Pays ETH in one pass over the calldata words: one call per payee with the fixed stipend, copying
    ///      no returndata, after a `gasleft()` guard. Returns a bitmap of the words whose call failed
    ///      (B <= 256), which `_creditFailed` turns into credits. Zero amounts and payee-less words are skipped.
    function _payEth(Rates memory k, uint256[] calldata words) private returns (uint256 failed) {
        bytes4 insufficientGas = InsufficientGas.selector;
        (uint256 mask, uint256 guard) = (ADDRESS_MASK, ETH_GUARD);
        assembly ("memory-safe") {
            let fault := mload(k)
            let price := mload(add(k, 0x20))
            let escrow := mload(add(k, 0x40))
            let share := mload(add(k, 0x60))
            let total := mload(add(k, 0x80))
            let start := words.offset
            for { let i := 0 } lt(i, words.length) { i := add(i, 1) } {
                let w := calldataload(add(start, shl(5, i)))
                let payee := and(w, mask)
                let units := shr(160, w)
                if iszero(or(iszero(payee), iszero(units))) {
                    // units < 2^93, price and escrow < 2^128: the products cannot overflow
                    let amount := mul(units, price)
                    if fault { amount := add(div(mul(units, escrow), total), div(mul(units, share), total)) }
                    if amount {
                        if lt(gas(), guard) {
                            mstore(0x00, insufficientGas)
                            revert(0x00, 0x04)
                        }
                        if iszero(call(ETH_STIPEND, payee, amount, 0, 0, 0, 0)) {
                            failed := or(failed, shl(i, 1))
                        }
                    }
                }
            }
        }
    }

    /// @dev Credits the payees whose ETH call failed (the bitmap of `_payEth`), per ledger.
    function _creditFailed(bytes32 jobId, Rates memory k, uint256[] calldata words, uint256 failed) private {
        for (uint256 i; failed != 0; ++i) {
            if (failed & 1 != 0) {
                uint256 w = words[i];
                // forge-lint: disable-next-line(unsafe-typecast)
                address payee = address(uint160(w));
                (uint256 e, uint256 b) = _amounts(k, w >> 160);
                if (e != 0) _credit(payee, address(0), jobId, LedgerKind.Escrow, e);
                if (b != 0) _credit(payee, address(0), jobId, LedgerKind.Bond, b);
            }
            failed >>= 1;
        }
    }

    function _book(bytes32 jobId, JobConfig calldata cfg, uint256 escrowOut, uint256 bondOut) private {
        Money memory m = _money[jobId];
        uint256 e = m.escrowOut + escrowOut;
        uint256 b = m.bondOut + bondOut;
        if (e > cfg.terms.escrow) revert LedgerOverdrawn(LedgerKind.Escrow);
        if (b > cfg.terms.bond) revert LedgerOverdrawn(LedgerKind.Bond);
        // both are capped by their inflows, which are below 2^128
        // forge-lint: disable-next-line(unsafe-typecast)
        _money[jobId] = Money(uint128(e), uint128(b));
    }

    /// @dev Pays an ERC-20 escrow (and, on a fault, the bond share in ETH), checked by balance delta.
    function _payToken(bytes32 jobId, Rates memory k, address token, uint256[] calldata words) private {
        uint256 len = words.length;
        for (uint256 i; i < len;) {
            uint256 w = words[i];
            unchecked {
                ++i;
            }
            // forge-lint: disable-next-line(unsafe-typecast)
            address payee = address(uint160(w));
            if (w >> 160 == 0 || payee == address(0)) continue;
            (uint256 e, uint256 b) = _amounts(k, w >> 160);
            if (e != 0) {
                uint256 moved = _sendToken(token, payee, e, TOKEN_TRANSFER_GAS);
                if (moved < e) _credit(payee, token, jobId, LedgerKind.Escrow, e - moved);
            }
            if (b != 0 && !_sendEth(payee, b)) _credit(payee, address(0), jobId, LedgerKind.Bond, b);
        }
    }

    /// @dev After the last batch: the remainder of the escrow and the bond go where the outcome says.
    function _complete(bytes32 jobId, JobConfig calldata cfg, bool faulted, uint256 tip, uint256 total) private {
        Money memory m = _money[jobId];
        uint256 escrowLeft = cfg.terms.escrow - m.escrowOut;
        uint256 bondLeft = cfg.terms.bond - m.bondOut;
        emit JobCompleted(jobId, escrowLeft, bondLeft);
        // forge-lint: disable-next-line(unsafe-typecast)
        _money[jobId] = Money(uint128(cfg.terms.escrow), uint128(cfg.terms.bond));
        address aggregator = cfg.aggregator;
        address token = cfg.terms.token;
        if (!faulted) {
            // Clean finish: the unused escrow and the bond (unless slashed after payouts opened) return,
            // in one call when both are ETH.
            if (token == address(0)) {
                _refundEthPair(jobId, aggregator, escrowLeft, bondLeft);
            } else {
                if (escrowLeft != 0) _send(jobId, LedgerKind.Escrow, token, aggregator, escrowLeft, true);
                if (bondLeft != 0) _send(jobId, LedgerKind.Bond, address(0), aggregator, bondLeft, true);
            }
        } else {
            // Fault: rounding dust and the rest of the bond go to the reward recipient, never the
            // aggregator; only with total = 0 (nobody earned anything) does the escrow return.
            address recipient = _rewardRecipient(jobId, tip);
            if (escrowLeft != 0) {
                if (total == 0) _send(jobId, LedgerKind.Escrow, token, aggregator, escrowLeft, true);
                else _send(jobId, LedgerKind.Escrow, token, recipient, escrowLeft, false);
            }
            if (bondLeft != 0) _send(jobId, LedgerKind.Bond, address(0), recipient, bondLeft, false);
        }
    }

    /// @dev Refunds an ETH escrow remainder and bond to the aggregator with one call (already booked).
    function _refundEthPair(bytes32 jobId, address to, uint256 escrowLeft, uint256 bondLeft) private {
        uint256 amount = escrowLeft + bondLeft;
        if (amount == 0) return;
        if (_sendEth(to, amount)) {
            if (escrowLeft != 0) emit Transferred(jobId, LedgerKind.Escrow, to, escrowLeft, true);
            if (bondLeft != 0) emit Transferred(jobId, LedgerKind.Bond, to, bondLeft, true);
        } else {
            if (escrowLeft != 0) _credit(to, address(0), jobId, LedgerKind.Escrow, escrowLeft);
            if (bondLeft != 0) _credit(to, address(0), jobId, LedgerKind.Bond, bondLeft);
        }
    }

    // ==================================================================================== views

    /// @inheritdoc ISettleFL
    function getJob(bytes32 jobId) external view returns (JobView memory v) {
        uint256 head = _heads[jobId];
        if (head == 0) return v;
        Status memory st = _status[jobId];
        Money memory m = _money[jobId];
        Disputes memory d = _disputes[jobId];
        v.phase = _phase(head);
        v.variant = head & CP_BIT != 0 ? Variant.CommitProof : Variant.CommitChallenge;
        v.build = _buildOf(head);
        v.tip = _tipOf(head);
        v.headHash = head >> HASH_SHIFT;
        v.commitDeadline = v.phase == Phase.Active ? head & DEADLINE_MASK : 0;
        v.configHash = _configs[jobId];
        v.faulted = st.faulted;
        v.bondSlashed = st.bondSlashed;
        v.openChallenges = st.openChallenges;
        v.openRequests = st.openRequests;
        v.disputeEnd = st.disputeEnd;
        v.tipRequestEnd = st.tipRequestEnd;
        v.paidBatches = st.paidBatches;
        v.equivocator = _equivocators[jobId];
        v.escrowOut = m.escrowOut;
        v.bondOut = m.bondOut;
        v.disputesIn = d.deposited;
        v.disputesOut = d.out;
    }

    /// @inheritdoc ISettleFL
    function checkpointOf(bytes32 jobId, uint256 index) external view returns (uint256) {
        return _checkpoints[jobId][index];
    }

    /// @inheritdoc ISettleFL
    function checkHistory(bytes32 jobId, History calldata history) external view returns (uint256 first) {
        uint256 head = _heads[jobId];
        if (head == 0) revert UnknownJob();
        return _checkHistory(jobId, head, history);
    }

    /// @inheritdoc ISettleFL
    function challengeOf(bytes32 jobId, uint256 round) external view returns (Challenge memory) {
        return _challenges[jobId][round];
    }

    /// @inheritdoc ISettleFL
    function requestOf(bytes32 jobId, uint256 round) external view returns (Request memory) {
        return _requests[jobId][round];
    }

    /// @inheritdoc ISettleFL
    function isBatchPaid(bytes32 jobId, uint256 batch) external view returns (bool) {
        if (_phase(_heads[jobId]) == Phase.Completed) return true;
        return batch < MAX_BATCHES && (_status[jobId].paidBatches >> batch) & 1 != 0;
    }

    /// @inheritdoc ISettleFL
    function heldOf(bytes32 jobId, JobConfig calldata cfg)
        external
        view
        returns (uint256 escrow, uint256 bond, uint256 disputes)
    {
        _checkConfig(jobId, cfg);
        Money memory m = _money[jobId];
        Disputes memory d = _disputes[jobId];
        return (cfg.terms.escrow - m.escrowOut, cfg.terms.bond - m.bondOut, uint256(d.deposited) - d.out);
    }

    /// @inheritdoc ISettleFL
    function payoutsOpenAfter(bytes32 jobId, JobConfig calldata cfg, History calldata tip)
        external
        view
        returns (uint256 notBefore, uint256 openChallenges, uint256 openRequests)
    {
        _checkConfig(jobId, cfg);
        Status storage st = _status[jobId];
        Link calldata tipLink = _tipLink(jobId, _heads[jobId], tip);
        return (_windowsEnd(st, tipLink.time, cfg.terms.challengeWindow), st.openChallenges, st.openRequests);
    }

    /// @inheritdoc ISettleFL
    function challengeWindowEnd(bytes32 jobId, JobConfig calldata cfg, uint256 round, uint256 time)
        external
        view
        returns (uint256)
    {
        _checkConfig(jobId, cfg);
        return _challengeWindowEnd(jobId, round, time, cfg.terms.challengeWindow);
    }

    /// @inheritdoc ISettleFL
    function creditOf(address account, address token) external view returns (uint256) {
        return _credits[account][token];
    }

    /// @inheritdoc ISettleFL
    function buildCount() external view returns (uint256) {
        return _buildCount;
    }

    /// @inheritdoc ISettleFL
    function buildAt(uint256 build) external view returns (BuildConfig memory) {
        if (build >= _buildCount) revert UnknownBuild(build);
        return BuildConfig(
            _participants(build),
            _batchSize(build),
            _openingVerifier(build),
            _transitionVerifier(build),
            _receiptVerifier(build),
            _payoutVerifier(build)
        );
    }

    /// @inheritdoc ISettleFL
    function minimums() external view returns (Minimums memory) {
        return Minimums(
            _minBondBps,
            _minChallengerBond,
            _minRequestFee,
            _minChallengeWindow,
            _minResponseWindow,
            _minInactivityTimeout,
            _maxDuration
        );
    }

    /// @inheritdoc ISettleFL
    function tokenRate(address token) external view returns (uint256) {
        return _tokenRate[token];
    }

    /// @inheritdoc ISettleFL
    function computeJobId(address aggregator, uint256 nonce) external pure returns (bytes32) {
        return _jobId(aggregator, nonce);
    }

    /// @inheritdoc ISettleFL
    function computeDomain(bytes32 jobId) external view returns (uint256) {
        return _domain(jobId);
    }

    /// @inheritdoc ISettleFL
    function linkHash(uint256 before, uint256 round, uint256 commitment, uint256 time) external pure returns (uint256) {
        return _linkHash(before, round, commitment, time);
    }

    /// @inheritdoc ISettleFL
    function openingChallenge(Compression.OpeningHead calldata head, uint256[] calldata words)
        external
        view
        returns (uint256 x, uint256 y)
    {
        return Compression.opening(head, words);
    }

    /// @inheritdoc ISettleFL
    function payoutChallenge(Compression.PayoutHead calldata head, uint256[] calldata words)
        external
        view
        returns (uint256 x, uint256 y)
    {
        return Compression.payout(head, words);
    }
}
// forge-lint: disable-end(block-timestamp)
