// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {SettleFLBase} from "./SettleFLBase.sol";
import {Compression} from "./libraries/Compression.sol";
import {Transfers} from "./libraries/Transfers.sol";

/// @title SettleFL extension: creation, disputes, opening payouts, withdrawals
/// @notice The rarely-called half of SettleFL, split off only because one contract would exceed the
///         24,576-byte code limit (EIP-170). `SettleFL` deploys it in its constructor (its address is an
///         immutable: no upgrades) and forwards these functions to it by `delegatecall`, so it runs in
///         SettleFL's storage, under SettleFL's reentrancy lock, and emits from SettleFL's address. Called
///         directly it refuses everything. The API and its documentation are in `ISettleFL`.
// Deadlines are timestamps by design (windows are hours long; a validator moves a block's time by
// seconds at most), so comparisons with block.timestamp are intended throughout.
// forge-lint: disable-start(block-timestamp)
contract SettleFLExtension is SettleFLBase {
    address private immutable _self;

    /// @dev Only reachable through SettleFL's `delegatecall` (which holds the reentrancy lock).
    modifier onlyDelegated() {
        if (address(this) == _self) revert DirectCall();
        _;
    }

    /// @param builds The builds, exactly as SettleFL was given them.
    /// @param mins The minimums, exactly as SettleFL was given them.
    constructor(BuildConfig[] memory builds, Minimums memory mins) SettleFLBase(builds, mins) {
        _self = address(this);
    }

    /// @dev See `ISettleFL`.
    function createJob(
        uint256 nonce,
        JobTerms calldata terms,
        uint256 genesisCommitment,
        uint256[] calldata words,
        Proof calldata proof
    ) external payable onlyDelegated returns (bytes32 jobId) {
        uint256 expected = jobNonce[msg.sender];
        if (nonce != expected) revert StaleNonce(expected, nonce);
        jobNonce[msg.sender] = expected + 1;
        jobId = _jobId(msg.sender, nonce);

        _checkTerms(terms);
        uint256 domain = _domain(jobId);
        _checkGenesis(jobId, domain, terms, genesisCommitment, words, proof);
        uint256 received = _receiveEscrow(terms);

        _storeJob(jobId, nonce, terms, received, domain, genesisCommitment);
        emit StateOpened(jobId, 0, genesisCommitment, words.length, 0, 0, words);
    }

    function _storeJob(
        bytes32 jobId,
        uint256 nonce,
        JobTerms calldata terms,
        uint256 received,
        uint256 domain,
        uint256 genesisCommitment
    ) private {
        Job storage job = _jobs[jobId];
        uint32 now32 = uint32(block.timestamp);
        job.aggregator = msg.sender;
        job.lastCommit = now32;
        job.commitDeadline = terms.hardDeadline;
        // forge-lint: disable-next-line(unsafe-typecast)
        job.config = uint8(terms.build) | (terms.variant == Variant.CommitProof ? uint8(CP_FLAG) : 0);
        job.domain = domain;
        job.pubHash = terms.pubHash;
        job.token = terms.token;
        job.maxUnits = uint96(terms.maxUnits);
        job.unitPrice = uint128(terms.unitPrice);
        job.challengerBond = uint128(terms.challengerBond);
        job.requestFee = uint128(terms.requestFee);
        job.challengeWindow = terms.challengeWindow;
        job.responseWindow = terms.responseWindow;
        job.inactivityTimeout = terms.inactivityTimeout;
        job.hardDeadline = terms.hardDeadline;
        job.phase = Phase.Active;
        job.createdAt = now32;
        // received, bond and fees are checked below 2^128 in _receiveEscrow and _checkTerms
        // forge-lint: disable-next-line(unsafe-typecast)
        job.escrow.deposited = uint128(received);
        job.bond.deposited = uint128(terms.bond);
        _rounds[jobId][0] = _roundHash(genesisCommitment, block.timestamp);
        emit JobCreated(jobId, msg.sender, nonce, terms, received, domain, genesisCommitment);
    }

    function _checkTerms(JobTerms calldata t) private view {
        if (t.build >= _buildCount) revert UnknownBuild(t.build);
        if (t.unitPrice == 0 || t.unitPrice > type(uint128).max) revert InvalidUnitPrice();
        if (t.maxUnits == 0 || t.maxUnits >= UNITS_LIMIT) revert InvalidMaxUnits();
        if (t.escrow > type(uint128).max || t.bond > type(uint128).max) revert EscrowTooLarge();
        if (t.pubHash == 0 || t.pubHash >= Compression.P) revert InvalidPubHash();
        if (t.challengerBond < _minChallengerBond || t.challengerBond > type(uint128).max) {
            revert ChallengerBondTooSmall(_minChallengerBond);
        }
        if (t.requestFee < _minRequestFee || t.requestFee > type(uint128).max) revert RequestFeeTooSmall(_minRequestFee);
        if (
            t.challengeWindow < _minChallengeWindow || t.responseWindow < _minResponseWindow
                || t.inactivityTimeout < _minInactivityTimeout
        ) revert WindowTooShort();
        if (t.hardDeadline <= block.timestamp || t.hardDeadline > block.timestamp + _maxDuration) revert BadHardDeadline();
        if (t.token != address(0)) {
            if (_tokenRate[t.token] == 0) revert TokenNotAllowed(t.token);
            uint256 batchSize = _batchSize(t.build);
            if (batchSize * (TOKEN_PAYEE_GAS + PAYEE_OVERHEAD_GAS) + BATCH_OVERHEAD_GAS > TX_GAS_CAP) {
                revert BatchTooLargeForToken(batchSize);
            }
        }
    }

    function _checkGenesis(
        bytes32 jobId,
        uint256 domain,
        JobTerms calldata t,
        uint256 c0,
        uint256[] calldata words,
        Proof calldata proof
    ) private view {
        uint256 n = words.length;
        if (n == 0 || n > _participants(t.build)) revert BadGenesisSize(n);
        for (uint256 i; i < n; ++i) {
            uint256 w = words[i];
            if (w == 0 || w >> 160 != 0) revert BadGenesisWord(i);
        }
        if (c0 >= Compression.P) revert NotAFieldElement(c0);
        _requireOpening(jobId, t.build, [c0, domain, 0, n, 0, t.maxUnits, 0, 0, 0], words, proof);
    }

    /// @dev Takes the escrow (balance delta for ERC-20) and the ETH bond; checks escrow and bond sizes.
    function _receiveEscrow(JobTerms calldata t) private returns (uint256 received) {
        uint256 value;
        if (t.token == address(0)) {
            if (msg.value != t.escrow + t.bond) revert WrongPayment(t.escrow + t.bond, msg.value);
            received = t.escrow;
            value = received;
        } else {
            if (msg.value != t.bond) revert WrongPayment(t.bond, msg.value);
            (bool ok0, uint256 before) = Transfers.balanceOf(t.token, address(this), 0);
            bool ok = Transfers.pull(t.token, msg.sender, t.escrow);
            (bool ok1, uint256 afterwards) = Transfers.balanceOf(t.token, address(this), 0);
            if (!ok0 || !ok || !ok1 || afterwards < before) revert TokenMisbehaved();
            received = afterwards - before;
            if (received > type(uint128).max) revert EscrowTooLarge();
            value = received * _tokenRate[t.token] / 1e18;
        }
        uint256 needed = t.maxUnits * t.unitPrice;
        if (needed > received) revert EscrowTooSmall(needed, received);
        uint256 minBond = (value * _minBondBps + BPS - 1) / BPS;
        if (t.bond < minBond) revert BondTooSmall(minBond, t.bond);
    }

    /// @dev See `ISettleFL`.
    function challenge(bytes32 jobId, uint256 round, RoundRef calldata ref) external payable onlyDelegated {
        Job storage job = _jobs[jobId];
        _checkDisputable(job);
        if (job.config & CP_FLAG != 0) revert WrongVariant();
        _checkRound(jobId, job, round, ref);
        Challenge storage c = _challenges[jobId][round];
        if (c.status != ChallengeStatus.None) revert AlreadyDisputed(round);
        uint256 end = _challengeWindowEnd(jobId, job, round, ref.time);
        if (block.timestamp > end) revert WindowClosed(round, end);
        uint256 bond = job.challengerBond;
        if (msg.value != bond) revert WrongPayment(bond, msg.value);

        c.challenger = msg.sender;
        c.time = uint32(block.timestamp);
        c.status = ChallengeStatus.Open;
        job.openChallenges += 1;
        // forge-lint: disable-next-line(unsafe-typecast)
        job.disputes.deposited += uint128(bond);
        emit Challenged(jobId, round, msg.sender, block.timestamp + job.responseWindow);
    }

    /// @dev See `ISettleFL`.
    function respond(
        bytes32 jobId,
        uint256 round,
        RoundRef calldata prev,
        RoundRef calldata cur,
        Proof calldata proof
    ) external onlyDelegated {
        Job storage job = _jobs[jobId];
        Challenge storage c = _challenges[jobId][round];
        if (c.status != ChallengeStatus.Open) revert NotOpen(round);
        if (round > job.tip) revert RoundVoid(round);
        uint256 deadline = uint256(c.time) + job.responseWindow;
        if (block.timestamp > deadline) revert TooLate(deadline);
        if (_rounds[jobId][round - 1] != _roundHash(prev.commitment, prev.time)) revert RoundMismatch(round - 1);
        if (_rounds[jobId][round] != _roundHash(cur.commitment, cur.time)) revert RoundMismatch(round);
        _requireTransition(
            job.config & BUILD_MASK, proof, [prev.commitment, cur.commitment, round, uint256(uint160(msg.sender))]
        );

        c.status = ChallengeStatus.Answered;
        job.openChallenges -= 1;
        emit ChallengeAnswered(jobId, round, msg.sender);
        _push(jobId, job.disputes, LedgerKind.Disputes, address(0), msg.sender, job.challengerBond, false);
    }

    /// @dev See `ISettleFL`.
    function resolve(bytes32 jobId, uint256 round) external onlyDelegated {
        Job storage job = _jobs[jobId];
        Challenge storage c = _challenges[jobId][round];
        if (c.status != ChallengeStatus.Open) revert NotOpen(round);
        if (round > job.tip) revert RoundVoid(round);
        uint256 deadline = uint256(c.time) + job.responseWindow;
        if (block.timestamp <= deadline) revert TooEarly(deadline);

        c.status = ChallengeStatus.Unanswered;
        job.openChallenges -= 1;
        address challenger = c.challenger;
        emit ChallengeResolved(jobId, round, challenger);
        _fault(jobId, job, FaultKind.UnansweredChallenge, round);
        _push(jobId, job.disputes, LedgerKind.Disputes, address(0), challenger, job.challengerBond, true);
    }

    /// @dev See `ISettleFL`.
    function reclaim(bytes32 jobId, uint256 round) external onlyDelegated {
        Job storage job = _jobs[jobId];
        if (job.phase == Phase.None) revert UnknownJob();
        if (round <= job.tip) revert NotVoid(round);
        Challenge storage c = _challenges[jobId][round];
        Request storage q = _requests[jobId][round];
        bool challengeOpen = c.status == ChallengeStatus.Open;
        bool requestOpen = q.status == RequestStatus.Open;
        if (!challengeOpen && !requestOpen) revert NothingToReclaim(round);
        if (challengeOpen) {
            c.status = ChallengeStatus.Reclaimed;
            job.openChallenges -= 1;
        }
        if (requestOpen) {
            q.status = RequestStatus.Reclaimed;
            job.openRequests -= 1;
        }
        if (challengeOpen) {
            emit ChallengeReclaimed(jobId, round, c.challenger);
            _push(jobId, job.disputes, LedgerKind.Disputes, address(0), c.challenger, job.challengerBond, true);
        }
        if (requestOpen) {
            emit RequestReclaimed(jobId, round, q.requester);
            _push(jobId, job.disputes, LedgerKind.Disputes, address(0), q.requester, job.requestFee, true);
        }
    }

    /// @dev See `ISettleFL`.
    function requestOpening(bytes32 jobId, uint256 round, RoundRef calldata ref) external payable onlyDelegated {
        Job storage job = _jobs[jobId];
        _checkDisputable(job);
        _checkRound(jobId, job, round, ref);
        Request storage q = _requests[jobId][round];
        if (q.status != RequestStatus.None) revert AlreadyDisputed(round);
        uint256 end = uint256(ref.time) + job.challengeWindow;
        if (block.timestamp > end) {
            // After finalize the tip stays requestable for one window, so that an abandoned job's state
            // can be made payable (THREATS.md, "Withheld receipts", "Abandoned job").
            uint256 tipEnd = uint256(job.finalizedAt) + job.challengeWindow;
            if (job.phase != Phase.Finalized || round != job.tip || block.timestamp > tipEnd) {
                revert WindowClosed(round, end);
            }
        }
        uint256 fee = job.requestFee;
        if (msg.value != fee) revert WrongPayment(fee, msg.value);

        q.requester = msg.sender;
        q.time = uint32(block.timestamp);
        q.status = RequestStatus.Open;
        job.openRequests += 1;
        // forge-lint: disable-next-line(unsafe-typecast)
        job.disputes.deposited += uint128(fee);
        emit OpeningRequested(jobId, round, msg.sender, block.timestamp + job.responseWindow);
    }

    /// @dev See `ISettleFL`.
    function answerOpening(
        bytes32 jobId,
        uint256 round,
        RoundRef calldata ref,
        uint256 salt,
        uint256 total,
        uint256[] calldata words,
        Proof calldata proof
    ) external onlyDelegated {
        Job storage job = _jobs[jobId];
        Request storage q = _requests[jobId][round];
        if (q.status != RequestStatus.Open) revert NotOpen(round);
        if (round > job.tip) revert RoundVoid(round);
        uint256 deadline = uint256(q.time) + job.responseWindow;
        if (block.timestamp > deadline) revert TooLate(deadline);
        if (_rounds[jobId][round] != _roundHash(ref.commitment, ref.time)) revert RoundMismatch(round);
        _checkOpening(jobId, job, round, ref.commitment, salt, total, words, proof);

        q.status = RequestStatus.Answered;
        q.answeredAt = uint32(block.timestamp);
        job.openRequests -= 1;
        // CC: the answer keeps the round challengeable for one more window (payouts wait for it).
        if (job.config & CP_FLAG == 0) _extendDisputes(job, block.timestamp + job.challengeWindow);
        emit StateOpened(jobId, round, ref.commitment, words.length, total, salt, words);
        emit OpeningAnswered(jobId, round, msg.sender);
        _push(jobId, job.disputes, LedgerKind.Disputes, address(0), msg.sender, job.requestFee, false);
    }

    function _checkOpening(
        bytes32 jobId,
        Job storage job,
        uint256 round,
        uint256 commitment,
        uint256 salt,
        uint256 total,
        uint256[] calldata words,
        Proof calldata proof
    ) private view {
        uint256 build = job.config & BUILD_MASK;
        if (words.length == 0 || words.length > _participants(build)) revert BadSettlement();
        uint256[9] memory pub = [commitment, job.domain, round, words.length, total, job.maxUnits, salt, 0, 0];
        _requireOpening(jobId, build, pub, words, proof);
    }

    /// @dev Derives `x, y` into `pub[7], pub[8]` and requires the Opening proof.
    function _requireOpening(
        bytes32 jobId,
        uint256 build,
        uint256[9] memory pub,
        uint256[] calldata words,
        Proof calldata proof
    ) private view {
        (pub[7], pub[8]) = Compression.opening(
            Compression.OpeningHead(jobId, msg.sender, pub[0], pub[1], pub[2], pub[3], pub[4], pub[5], pub[6]), words
        );
        _requireOpeningProof(build, proof, pub);
    }

    /// @dev See `ISettleFL`.
    function resolveRequest(bytes32 jobId, uint256 round) external onlyDelegated {
        Job storage job = _jobs[jobId];
        Request storage q = _requests[jobId][round];
        if (q.status != RequestStatus.Open) revert NotOpen(round);
        if (round > job.tip) revert RoundVoid(round);
        uint256 deadline = uint256(q.time) + job.responseWindow;
        if (block.timestamp <= deadline) revert TooEarly(deadline);

        q.status = RequestStatus.Unanswered;
        job.openRequests -= 1;
        address requester = q.requester;
        emit RequestResolved(jobId, round, requester);
        _fault(jobId, job, FaultKind.UnansweredRequest, round);
        _push(jobId, job.disputes, LedgerKind.Disputes, address(0), requester, job.requestFee, true);
    }

    /// @dev See `ISettleFL`.
    function proveEquivocation(
        bytes32 jobId,
        uint256 round,
        RoundRef calldata ref,
        uint256 otherCommitment,
        Proof calldata proof
    ) external onlyDelegated {
        Job storage job = _jobs[jobId];
        if (job.phase == Phase.None) revert UnknownJob();
        _checkRound(jobId, job, round, ref);
        if (otherCommitment == ref.commitment) revert SameCommitment();
        _requireReceipt(
            job.config & BUILD_MASK,
            proof,
            [otherCommitment, job.domain, round, job.pubHash, uint256(uint160(msg.sender))]
        );

        if (job.phase == Phase.Active || job.phase == Phase.Finalized) {
            if (job.equivocator != address(0)) revert EquivocationAlreadyProven();
            job.equivocator = msg.sender;
            emit EquivocationProven(jobId, round, msg.sender, otherCommitment, false);
            _fault(jobId, job, FaultKind.Equivocation, round);
        } else {
            // Payouts are open: the settled state never changes; only a bond the aggregator would get
            // back (clean outcome, not yet returned) moves to the prover.
            uint256 held = _held(job.bond);
            if (job.faulted || job.bondSlashed || held == 0) revert NothingToSlash();
            job.bondSlashed = true;
            emit EquivocationProven(jobId, round, msg.sender, otherCommitment, true);
            _push(jobId, job.bond, LedgerKind.Bond, address(0), msg.sender, held, false);
        }
    }

    /// @dev See `ISettleFL`.
    function openPayouts(bytes32 jobId, RoundRef calldata tipRef) external onlyDelegated {
        Job storage job = _jobs[jobId];
        Phase phase = job.phase;
        if (phase == Phase.None) revert UnknownJob();
        if (phase == Phase.Active) revert NotFinalized();
        if (phase != Phase.Finalized) revert PayoutsAlreadyOpen();
        if (job.openChallenges != 0 || job.openRequests != 0) {
            revert DisputesPending(job.openChallenges, job.openRequests);
        }
        uint256 notBefore = _windowsEnd(job);
        if (block.timestamp <= notBefore) revert TooEarly(notBefore);
        uint256 tip = job.tip;
        if (_rounds[jobId][tip] != _roundHash(tipRef.commitment, tipRef.time)) revert RoundMismatch(tip);

        job.phase = Phase.PayoutsOpen;
        job.settledCommitment = tipRef.commitment;
        address recipient;
        uint256 reward;
        if (job.faulted) {
            // The reward recipient is whoever faulted round tip + 1 (the earliest rolled-back round),
            // else the equivocation prover (a fault without a rollback).
            Challenge storage c = _challenges[jobId][tip + 1];
            Request storage q = _requests[jobId][tip + 1];
            if (c.status == ChallengeStatus.Unanswered) recipient = c.challenger;
            else if (q.status == RequestStatus.Unanswered) recipient = q.requester;
            else recipient = job.equivocator;
            job.rewardRecipient = recipient;
            reward = uint256(job.bond.deposited) * RHO_BPS / BPS;
        }
        emit PayoutsOpened(jobId, tip, tipRef.commitment, job.faulted, recipient, reward);
        if (reward != 0) _push(jobId, job.bond, LedgerKind.Bond, address(0), recipient, reward, false);
    }

    /// @dev See `ISettleFL`.
    function withdraw(address token, address to) external onlyDelegated {
        uint256 amount = _credits[msg.sender][token];
        if (amount == 0) revert NothingToWithdraw();
        _credits[msg.sender][token] = 0;
        emit Withdrawn(msg.sender, token, to, amount);
        if (token == address(0)) {
            if (!Transfers.sendEth(to, amount, gasleft())) revert WithdrawFailed();
        } else if (_sendToken(token, to, amount, 0) != amount) {
            revert WithdrawFailed();
        }
    }
}
// forge-lint: disable-end(block-timestamp)
