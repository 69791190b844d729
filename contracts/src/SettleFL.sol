// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {ISettleFL} from "./interfaces/ISettleFL.sol";
import {SettleFLBase} from "./SettleFLBase.sol";
import {SettleFLExtension} from "./SettleFLExtension.sol";
import {Compression} from "./libraries/Compression.sol";

/// @title SettleFL settlement contract
/// @notice Holds many federated-learning reward jobs. Verifiers (per circuit build), the ERC-20 allowlist
///         and the deployment-wide minimums are fixed in the constructor; there are no admin keys and no
///         upgrades. See `ISettleFL` for the API and DESIGN.md for the protocol.
/// @dev The hot paths (commits, finalize, payouts) and the views run here. Creation, disputes, opening
///      payouts and withdrawals run in `SettleFLExtension`, deployed by this constructor and reached by
///      `delegatecall` under this contract's reentrancy lock (one contract would exceed EIP-170).
// Deadlines are timestamps by design (windows are hours long; a validator moves a block's time by
// seconds at most), so comparisons with block.timestamp are intended throughout.
// forge-lint: disable-start(block-timestamp)
contract SettleFL is SettleFLBase, ISettleFL {
    /// @notice The extension this contract delegates its cold functions to (fixed at construction).
    address public immutable extension;

    /// @notice Fix the verifier set of every build, the ERC-20 allowlist and the deployment minimums.
    /// @param builds 1 to 4 builds; build `i` is job `terms.build = i`. Each `batchSize` must fit the
    ///        2^24 gas cap with every ETH payee failing: `B * (10k + 36k) + 1M <= 2^24`, `B <= 256`.
    /// @param tokens The allowlisted escrow tokens with their fixed valuation for the minimum bond. Never
    ///        list rebasing tokens or tokens with transfer hooks.
    /// @param mins The deployment-wide minimums.
    constructor(BuildConfig[] memory builds, TokenConfig[] memory tokens, Minimums memory mins)
        SettleFLBase(builds, mins)
    {
        for (uint256 i; i < tokens.length; ++i) {
            TokenConfig memory t = tokens[i];
            if (
                t.token == address(0) || t.token.code.length == 0 || t.weiPerToken == 0 || t.weiPerToken > type(uint128).max
                    || _tokenRate[t.token] != 0
            ) revert BadToken(i);
            _tokenRate[t.token] = t.weiPerToken;
        }

        extension = address(new SettleFLExtension(builds, mins));
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
    function challenge(bytes32, uint256, RoundRef calldata) external payable nonReentrant {
        _delegate();
    }

    /// @inheritdoc ISettleFL
    function respond(bytes32, uint256, RoundRef calldata, RoundRef calldata, Proof calldata) external nonReentrant {
        _delegate();
    }

    /// @inheritdoc ISettleFL
    function resolve(bytes32, uint256) external nonReentrant {
        _delegate();
    }

    /// @inheritdoc ISettleFL
    function reclaim(bytes32, uint256) external nonReentrant {
        _delegate();
    }

    /// @inheritdoc ISettleFL
    function requestOpening(bytes32, uint256, RoundRef calldata) external payable nonReentrant {
        _delegate();
    }

    /// @inheritdoc ISettleFL
    function answerOpening(bytes32, uint256, RoundRef calldata, uint256, uint256, uint256[] calldata, Proof calldata)
        external
        nonReentrant
    {
        _delegate();
    }

    /// @inheritdoc ISettleFL
    function resolveRequest(bytes32, uint256) external nonReentrant {
        _delegate();
    }

    /// @inheritdoc ISettleFL
    function proveEquivocation(bytes32, uint256, RoundRef calldata, uint256, Proof calldata) external nonReentrant {
        _delegate();
    }

    /// @inheritdoc ISettleFL
    function openPayouts(bytes32, RoundRef calldata) external nonReentrant {
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
    function commit(bytes32 jobId, uint256 commitment) external nonReentrant {
        Job storage job = _jobs[jobId];
        uint256 head = _head(job);
        uint256 r = _nextRound(head, commitment);
        if (head >> HEAD_CONFIG_SHIFT & CP_FLAG != 0) revert WrongVariant();
        _rounds[jobId][r] = _roundHash(commitment, block.timestamp);
        _setTip(job, head, r, block.timestamp);
        emit RoundCommitted(jobId, r, commitment);
    }

    /// @inheritdoc ISettleFL
    function commitWithProof(bytes32 jobId, uint256 prevCommitment, uint256 commitment, Proof calldata proof)
        external
        nonReentrant
    {
        Job storage job = _jobs[jobId];
        uint256 head = _head(job);
        uint256 r = _nextRound(head, commitment);
        uint256 config = head >> HEAD_CONFIG_SHIFT;
        mapping(uint256 => bytes32) storage rounds = _rounds[jobId];
        // While commits are open the tip is the last committed round, so its time is `lastCommit`.
        uint256 prevTime = (head >> HEAD_LAST_COMMIT_SHIFT) & type(uint32).max;
        if (rounds[r - 1] != _roundHash(prevCommitment, prevTime)) revert RoundMismatch(r - 1);
        _requireTransition(config & BUILD_MASK, proof, [prevCommitment, commitment, r, uint256(uint160(msg.sender))]);
        rounds[r] = _roundHash(commitment, block.timestamp);
        _setTip(job, head, r, block.timestamp);
        if (config & CP_FLAG == 0) _challenges[jobId][r].status = ChallengeStatus.Proven;
        emit RoundCommittedWithProof(jobId, r, commitment);
    }

    /// @dev Checks the caller, the deadline and the commitment against slot 0; returns the new round.
    function _nextRound(uint256 head, uint256 commitment) private view returns (uint256 r) {
        // the low 160 bits of slot 0 are the aggregator
        // forge-lint: disable-next-line(unsafe-typecast)
        if (msg.sender != address(uint160(head))) revert NotAggregator();
        if (block.timestamp > (head >> HEAD_DEADLINE_SHIFT) & type(uint32).max) revert CommitsClosed();
        if (commitment >= Compression.P) revert NotAFieldElement(commitment);
        r = ((head >> HEAD_TIP_SHIFT) & type(uint24).max) + 1;
        if (r > type(uint24).max) revert RoundLimit();
    }

    /// @inheritdoc ISettleFL
    function finalize(bytes32 jobId) external nonReentrant {
        Job storage job = _jobs[jobId];
        Phase phase = job.phase;
        if (phase == Phase.None) revert UnknownJob();
        if (phase != Phase.Active) revert AlreadyFinalized();
        if (msg.sender != job.aggregator) {
            uint256 inactiveAfter = uint256(job.lastCommit) + job.inactivityTimeout;
            uint256 deadline = job.hardDeadline;
            if (block.timestamp <= inactiveAfter && block.timestamp <= deadline) {
                revert FinalizeNotAllowed(inactiveAfter < deadline ? inactiveAfter : deadline);
            }
        }
        _close(job);
        emit JobFinalized(jobId, msg.sender);
    }

    // ================================================================================== payouts

    /// @inheritdoc ISettleFL
    function payout(
        bytes32 jobId,
        uint256 batch,
        uint256 n,
        uint256 total,
        uint256[] calldata words,
        Proof calldata proof
    ) external nonReentrant {
        Job storage job = _jobs[jobId];
        uint256 batches = _checkBatch(jobId, job, batch, n, total, words.length);
        _checkPayoutProof(jobId, job, batch, n, total, words, proof);

        // Effects: the batch is paid before any transfer.
        // forge-lint: disable-next-line(incorrect-shift)
        _paidBatches[jobId][batch >> 8] |= 1 << (batch & 255);
        if (job.n == 0) {
            // _checkBatch bounds them: n <= N < 2^32, total <= maxUnits < 2^93, batches <= ceil(N/B) < 2^16
            // forge-lint: disable-next-line(unsafe-typecast)
            job.n = uint32(n);
            // forge-lint: disable-next-line(unsafe-typecast)
            job.total = uint96(total);
            // forge-lint: disable-next-line(unsafe-typecast)
            job.batches = uint16(batches);
        }
        uint256 paidCount = uint256(job.batchesPaid) + 1;
        // forge-lint: disable-next-line(unsafe-typecast)
        job.batchesPaid = uint16(paidCount);

        (uint256 escrowOut, uint256 bondOut) = total == 0 ? (0, 0) : _payBatch(jobId, job, total, words);
        emit BatchPaid(jobId, batch, msg.sender, escrowOut, bondOut);
        // Nothing is owed when total = 0, so the first batch completes the job.
        if (total == 0 || paidCount == batches) _complete(jobId, job);
    }

    /// @dev Phase, length, settlement (n, total fixed by the first batch), non-empty, not yet paid.
    function _checkBatch(bytes32 jobId, Job storage job, uint256 batch, uint256 n, uint256 total, uint256 length)
        private
        view
        returns (uint256 batches)
    {
        if (job.phase != Phase.PayoutsOpen) revert PayoutsNotOpen();
        uint256 build = job.config & BUILD_MASK;
        uint256 batchSize = _batchSize(build);
        if (length != batchSize) revert WrongBatchLength(batchSize, length);
        uint256 settledN = job.n;
        if (settledN == 0) {
            if (n == 0 || n > _participants(build) || total > job.maxUnits) revert BadSettlement();
        } else if (n != settledN || total != job.total) {
            revert SettlementMismatch();
        }
        batches = (n + batchSize - 1) / batchSize;
        if (batch >= batches) revert EmptyBatch(batch);
        // forge-lint: disable-next-line(incorrect-shift)
        if (_paidBatches[jobId][batch >> 8] & (1 << (batch & 255)) != 0) revert BatchAlreadyPaid(batch);
    }

    function _checkPayoutProof(
        bytes32 jobId,
        Job storage job,
        uint256 batch,
        uint256 n,
        uint256 total,
        uint256[] calldata words,
        Proof calldata proof
    ) private view {
        uint256[8] memory pub;
        pub[0] = job.settledCommitment;
        pub[1] = job.domain;
        pub[2] = job.tip;
        pub[3] = n;
        pub[4] = total;
        pub[5] = batch;
        (pub[6], pub[7]) =
            Compression.payout(Compression.PayoutHead(jobId, msg.sender, pub[0], pub[1], pub[2], n, total, batch), words);
        _requirePayout(job.config & BUILD_MASK, proof, pub);
    }

    /// @dev Amounts owed to one word's payee: clean `S * u`; fault: escrow and bond share pro rata.
    struct Rates {
        bool fault;
        address token;
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

    function _payBatch(bytes32 jobId, Job storage job, uint256 total, uint256[] calldata words)
        private
        returns (uint256 escrowOut, uint256 bondOut)
    {
        Rates memory k;
        k.fault = job.faulted;
        k.token = job.token;
        k.unitPrice = job.unitPrice;
        k.escrow = job.escrow.deposited;
        k.total = total;
        if (k.fault) {
            uint256 bond = job.bond.deposited;
            k.bondShare = bond - bond * RHO_BPS / BPS;
        }
        uint256 len = words.length;
        // Pass 1: book the whole batch as paid (each outflow capped by its own inflow).
        for (uint256 i; i < len; ++i) {
            uint256 w = words[i];
            // Zero units are skipped; so is a word without a payee, which only an unchallenged invalid
            // state can hold: its share stays in the ledger for the remainder instead of bricking the batch.
            // forge-lint: disable-next-line(unsafe-typecast)
            if (w >> 160 == 0 || uint160(w) == 0) continue;
            (uint256 e, uint256 b) = _amounts(k, w >> 160);
            escrowOut += e;
            bondOut += b;
        }
        _book(job.escrow, LedgerKind.Escrow, escrowOut, false);
        _book(job.bond, LedgerKind.Bond, bondOut, false);
        // Pass 2: transfer; a failure becomes the payee's credit.
        uint256 escrowFailed;
        uint256 bondFailed;
        for (uint256 i; i < len; ++i) {
            uint256 w = words[i];
            // forge-lint: disable-next-line(unsafe-typecast)
            if (w >> 160 == 0 || uint160(w) == 0) continue;
            (uint256 ef, uint256 bf) = _payWord(jobId, k, w);
            escrowFailed += ef;
            bondFailed += bf;
        }
        if (escrowFailed != 0) _moveToCredited(job.escrow, escrowFailed, false);
        if (bondFailed != 0) _moveToCredited(job.bond, bondFailed, false);
    }

    /// @dev Pays one word's payee; returns the escrow and bond amounts that became credits.
    function _payWord(bytes32 jobId, Rates memory k, uint256 w) private returns (uint256 escrowFailed, uint256 bondFailed) {
        // a word is P + 2^160 * S: its low 160 bits are the payee
        // forge-lint: disable-next-line(unsafe-typecast)
        address payee = address(uint160(w));
        (uint256 e, uint256 b) = _amounts(k, w >> 160);
        if (k.token == address(0)) {
            if (e + b == 0) return (0, 0); // zero amounts are skipped
            if (!_sendEth(payee, e + b)) {
                _credit(payee, address(0), jobId, e + b);
                return (e, b);
            }
            return (0, 0);
        }
        if (e != 0) {
            uint256 moved = _sendToken(k.token, payee, e, TOKEN_TRANSFER_GAS);
            if (moved < e) {
                escrowFailed = e - moved;
                _credit(payee, k.token, jobId, escrowFailed);
            }
        }
        if (b != 0 && !_sendEth(payee, b)) {
            _credit(payee, address(0), jobId, b);
            bondFailed = b;
        }
    }

    /// @dev After the last batch: the remainder of the escrow and the bond go where the outcome says.
    function _complete(bytes32 jobId, Job storage job) private {
        job.phase = Phase.Completed;
        uint256 escrowLeft = _held(job.escrow);
        uint256 bondLeft = _held(job.bond);
        emit JobCompleted(jobId, escrowLeft, bondLeft);
        address aggregator = job.aggregator;
        if (!job.faulted) {
            // Clean finish: the unused escrow and the bond (unless slashed after payouts opened) return.
            _push(jobId, job.escrow, LedgerKind.Escrow, job.token, aggregator, escrowLeft, true);
            _push(jobId, job.bond, LedgerKind.Bond, address(0), aggregator, bondLeft, true);
        } else {
            // Fault: rounding dust and the rest of the bond go to the reward recipient, never the
            // aggregator; only with total = 0 (nobody earned anything) does the escrow return.
            address recipient = job.rewardRecipient;
            if (job.total == 0) _push(jobId, job.escrow, LedgerKind.Escrow, job.token, aggregator, escrowLeft, true);
            else _push(jobId, job.escrow, LedgerKind.Escrow, job.token, recipient, escrowLeft, false);
            _push(jobId, job.bond, LedgerKind.Bond, address(0), recipient, bondLeft, false);
        }
    }

    // ==================================================================================== views

    /// @inheritdoc ISettleFL
    function getJob(bytes32 jobId) external view returns (Job memory) {
        return _jobs[jobId];
    }

    /// @inheritdoc ISettleFL
    function jobConfig(bytes32 jobId) external view returns (Variant variant, uint256 build) {
        uint256 config = _jobs[jobId].config;
        return (config & CP_FLAG != 0 ? Variant.CommitProof : Variant.CommitChallenge, config & BUILD_MASK);
    }

    /// @inheritdoc ISettleFL
    function roundHash(bytes32 jobId, uint256 round) external view returns (bytes32) {
        return _rounds[jobId][round];
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
        // forge-lint: disable-next-line(incorrect-shift)
        return _paidBatches[jobId][batch >> 8] & (1 << (batch & 255)) != 0;
    }

    /// @inheritdoc ISettleFL
    function heldOf(bytes32 jobId) external view returns (uint256 escrow, uint256 bond, uint256 disputes) {
        Job storage job = _jobs[jobId];
        return (_held(job.escrow), _held(job.bond), _held(job.disputes));
    }

    /// @inheritdoc ISettleFL
    function payoutsOpenAfter(bytes32 jobId)
        external
        view
        returns (uint256 notBefore, uint256 openChallenges, uint256 openRequests)
    {
        Job storage job = _jobs[jobId];
        return (_windowsEnd(job), job.openChallenges, job.openRequests);
    }

    /// @inheritdoc ISettleFL
    function challengeWindowEnd(bytes32 jobId, uint256 round, uint256 time) external view returns (uint256) {
        return _challengeWindowEnd(jobId, _jobs[jobId], round, time);
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
    function computeJobId(address aggregator, uint256 nonce) public pure returns (bytes32) {
        return _jobId(aggregator, nonce);
    }

    /// @inheritdoc ISettleFL
    function computeDomain(bytes32 jobId) public view returns (uint256) {
        return _domain(jobId);
    }

    /// @inheritdoc ISettleFL
    function computeRoundHash(uint256 commitment, uint256 time) external pure returns (bytes32) {
        return _roundHash(commitment, time);
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
