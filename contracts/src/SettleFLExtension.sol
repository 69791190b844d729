// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {SettleFLBase} from "./SettleFLBase.sol";
import {Compression} from "./libraries/Compression.sol";
import {Transfers} from "./libraries/Transfers.sol";

/// @title SettleFL extension: creation, disputes, withdrawals
/// @notice The rarely-called half of SettleFL, split off only because one contract would exceed the
///         24,576-byte code limit (EIP-170). It is deployed first; `SettleFL` takes its address in its
///         constructor (an immutable: no upgrades; an extension made for other builds or bounds is refused) and
///         forwards these functions to it by `delegatecall`, so it runs in
///         SettleFL's storage, under SettleFL's reentrancy lock, and emits from SettleFL's address. Called
///         directly it refuses everything. The API and its documentation are in `ISettleFL`.
// Deadlines are timestamps by design (windows are hours long; a validator moves a block's time by
// seconds at most), so comparisons with block.timestamp are intended throughout.
// forge-lint: disable-start(block-timestamp)
contract SettleFLExtension is SettleFLBase {
    address private immutable _self;

    /// @notice `keccak256(abi.encode(builds, mins))` of this extension's constructor arguments, which
    ///         `SettleFL`'s constructor compares with its own: both run with the same verifiers and bounds.
    bytes32 public immutable configHash;

    /// @dev Only reachable through SettleFL's `delegatecall` (which holds the reentrancy lock).
    modifier onlyDelegated() {
        if (address(this) == _self) revert DirectCall();
        _;
    }

    /// @param builds The builds, exactly as SettleFL was given them.
    /// @param mins The bounds, exactly as SettleFL was given them.
    constructor(BuildConfig[] memory builds, Minimums memory mins) SettleFLBase(builds, mins) {
        _self = address(this);
        configHash = keccak256(abi.encode(builds, mins));
    }

    // ================================================================================= creation

    /// @dev See `ISettleFL`. Writes two fresh slots (head, config hash); everything else is calldata.
    function createJob(
        uint256 nonce,
        JobTerms calldata terms,
        uint256 genesisCommitment,
        uint256[] calldata words,
        Proof calldata proof
    ) external payable onlyDelegated returns (bytes32 jobId) {
        jobId = _jobId(msg.sender, nonce);
        if (_heads[jobId] != 0) revert JobExists(jobId);
        _checkTerms(terms);
        uint256 domain = _domain(jobId);
        _checkGenesis(jobId, domain, terms, genesisCommitment, words, proof);
        uint256 received = _receiveEscrow(terms);

        JobConfig memory cfg = JobConfig(msg.sender, terms);
        cfg.terms.escrow = received;
        _configs[jobId] = _hashConfig(cfg);
        uint256 h0 = _linkHash(0, 0, genesisCommitment, block.timestamp);
        _heads[jobId] = (h0 << HASH_SHIFT) | (uint256(terms.build) << BUILD_SHIFT)
            | (terms.variant == Variant.CommitProof ? CP_BIT : 0) | terms.hardDeadline;
        emit JobCreated(jobId, msg.sender, nonce, cfg, domain, genesisCommitment, words.length);
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
        if (t.requestFee < _minRequestFee || t.requestFee > type(uint128).max) {
            revert RequestFeeTooSmall(_minRequestFee);
        }
        if (
            t.challengeWindow < _minChallengeWindow || t.responseWindow < _minResponseWindow
                || t.inactivityTimeout < _minInactivityTimeout
        ) revert WindowTooShort();
        // A window longer than the deployment allows would let one challenge block a job for decades.
        if (t.challengeWindow > _maxDuration || t.responseWindow > _maxDuration || t.inactivityTimeout > _maxDuration) {
            revert WindowTooLong(_maxDuration);
        }
        if (t.hardDeadline <= block.timestamp || t.hardDeadline > block.timestamp + _maxDuration) {
            revert BadHardDeadline();
        }
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
        for (uint256 i; i < n;) {
            uint256 w = words[i];
            if (w == 0 || w >> 160 != 0) revert BadGenesisWord(i);
            unchecked {
                ++i;
            }
        }
        if (c0 >= Compression.P) revert NotAFieldElement(c0);
        _requireOpening(
            t.build, Compression.OpeningHead(jobId, msg.sender, c0, domain, 0, n, 0, t.maxUnits, 0), words, proof
        );
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

    // =============================================================================== challenges

    /// @dev See `ISettleFL`.
    function challenge(bytes32 jobId, JobConfig calldata cfg, uint256 round, History calldata history)
        external
        payable
        onlyDelegated
    {
        _checkConfig(jobId, cfg);
        Status storage st = _status[jobId];
        uint256 head = _heads[jobId];
        _checkDisputable(head);
        if (head & CP_BIT != 0) revert WrongVariant();
        Link calldata link = _round(jobId, head, history, round);
        Challenge storage c = _challenges[jobId][round];
        if (c.status != ChallengeStatus.None) revert AlreadyDisputed(round);
        uint256 end = _challengeWindowEnd(jobId, round, link.time, cfg.terms.challengeWindow);
        if (block.timestamp > end) revert WindowClosed(round, end);
        uint256 bond = cfg.terms.challengerBond;
        if (msg.value != bond) revert WrongPayment(bond, msg.value);

        c.challenger = msg.sender;
        c.time = _time32(block.timestamp);
        c.status = ChallengeStatus.Open;
        st.openChallenges += 1;
        _deposit(jobId, bond);
        emit Challenged(jobId, round, msg.sender, block.timestamp + cfg.terms.responseWindow);
    }

    /// @dev See `ISettleFL`.
    function respond(
        bytes32 jobId,
        JobConfig calldata cfg,
        uint256 round,
        History calldata history,
        Proof calldata proof
    ) external onlyDelegated {
        _checkConfig(jobId, cfg);
        Challenge storage c = _challenges[jobId][round];
        if (c.status != ChallengeStatus.Open) revert NotOpen(round);
        uint256 head = _heads[jobId];
        if (round > _tipOf(head)) revert RoundVoid(round);
        uint256 deadline = uint256(c.time) + cfg.terms.responseWindow;
        if (block.timestamp > deadline) revert TooLate(deadline);
        uint256 first = _checkHistory(jobId, head, history);
        uint256 prev = _linkAt(history, first, round - 1).commitment;
        uint256 cur = _linkAt(history, first, round).commitment;
        _requireTransition(_buildOf(head), proof, [prev, cur, _rs(round)]);

        c.status = ChallengeStatus.Answered;
        _status[jobId].openChallenges -= 1;
        emit ChallengeAnswered(jobId, round, msg.sender);
        _pushDisputes(jobId, msg.sender, cfg.terms.challengerBond, false);
    }

    /// @dev See `ISettleFL`.
    function resolve(bytes32 jobId, JobConfig calldata cfg, uint256 round, History calldata history)
        external
        onlyDelegated
    {
        _checkConfig(jobId, cfg);
        Challenge storage c = _challenges[jobId][round];
        if (c.status != ChallengeStatus.Open) revert NotOpen(round);
        uint256 head = _heads[jobId];
        if (round > _tipOf(head)) revert RoundVoid(round);
        uint256 deadline = uint256(c.time) + cfg.terms.responseWindow;
        if (block.timestamp <= deadline) revert TooEarly(deadline);
        (, uint256 before) = _fold(jobId, head, history, _covered(history, round));

        c.status = ChallengeStatus.Unanswered;
        Status storage st = _status[jobId];
        st.openChallenges -= 1;
        address challenger = c.challenger;
        emit ChallengeResolved(jobId, round, challenger);
        _fault(jobId, cfg, st, head, FaultKind.UnansweredChallenge, round, before);
        _pushDisputes(jobId, challenger, cfg.terms.challengerBond, true);
    }

    /// @dev See `ISettleFL`.
    function reclaim(bytes32 jobId, JobConfig calldata cfg, uint256 round) external onlyDelegated {
        _checkConfig(jobId, cfg);
        if (round <= _tipOf(_heads[jobId])) revert NotVoid(round);
        Challenge storage c = _challenges[jobId][round];
        Request storage q = _requests[jobId][round];
        bool challengeOpen = c.status == ChallengeStatus.Open;
        bool requestOpen = q.status == RequestStatus.Open;
        if (!challengeOpen && !requestOpen) revert NothingToReclaim(round);
        Status storage st = _status[jobId];
        if (challengeOpen) {
            c.status = ChallengeStatus.Reclaimed;
            st.openChallenges -= 1;
        }
        if (requestOpen) {
            q.status = RequestStatus.Reclaimed;
            st.openRequests -= 1;
        }
        if (challengeOpen) {
            emit ChallengeReclaimed(jobId, round, c.challenger);
            _pushDisputes(jobId, c.challenger, cfg.terms.challengerBond, true);
        }
        if (requestOpen) {
            emit RequestReclaimed(jobId, round, q.requester);
            _pushDisputes(jobId, q.requester, cfg.terms.requestFee, true);
        }
    }

    // ========================================================================= opening requests

    /// @dev See `ISettleFL`.
    function requestOpening(bytes32 jobId, JobConfig calldata cfg, uint256 round, History calldata history)
        external
        payable
        onlyDelegated
    {
        _checkConfig(jobId, cfg);
        Status storage st = _status[jobId];
        uint256 head = _heads[jobId];
        _checkDisputable(head);
        Link calldata link = _round(jobId, head, history, round);
        Request storage q = _requests[jobId][round];
        if (q.status != RequestStatus.None) revert AlreadyDisputed(round);
        uint256 end = link.time + cfg.terms.challengeWindow;
        if (block.timestamp > end) {
            // After a close by anyone but the aggregator (or a fault) the tip stays requestable for one
            // more window, so that an abandoned job's state can be made payable.
            if (_phase(head) != Phase.Finalized || round != _tipOf(head) || block.timestamp > st.tipRequestEnd) {
                revert WindowClosed(round, end);
            }
        }
        uint256 fee = cfg.terms.requestFee;
        if (msg.value != fee) revert WrongPayment(fee, msg.value);

        q.requester = msg.sender;
        q.time = _time32(block.timestamp);
        q.status = RequestStatus.Open;
        st.openRequests += 1;
        _deposit(jobId, fee);
        emit OpeningRequested(jobId, round, msg.sender, block.timestamp + cfg.terms.responseWindow);
    }

    /// @dev See `ISettleFL`.
    function answerOpening(
        bytes32 jobId,
        JobConfig calldata cfg,
        uint256 round,
        History calldata history,
        uint256 salt,
        uint256 total,
        uint256[] calldata words,
        Proof calldata proof
    ) external onlyDelegated {
        _checkConfig(jobId, cfg);
        Request storage q = _requests[jobId][round];
        if (q.status != RequestStatus.Open) revert NotOpen(round);
        uint256 head = _heads[jobId];
        if (round > _tipOf(head)) revert RoundVoid(round);
        uint256 deadline = uint256(q.time) + cfg.terms.responseWindow;
        if (block.timestamp > deadline) revert TooLate(deadline);
        uint256 commitment = _round(jobId, head, history, round).commitment;
        _checkAnswer(jobId, cfg, head, round, commitment, salt, total, words, proof);

        q.status = RequestStatus.Answered;
        q.answeredAt = _time32(block.timestamp);
        Status storage st = _status[jobId];
        st.openRequests -= 1;
        if (head & CP_BIT == 0) {
            // CC: the answer keeps the round challengeable for one more window, and payouts wait for it.
            uint256 end = block.timestamp + cfg.terms.challengeWindow;
            if (end > st.disputeEnd) st.disputeEnd = _time32(end);
            emit DisputeWindowExtended(jobId, round, end);
        }
        emit StateOpened(jobId, round, commitment, words.length, total, salt);
        emit OpeningAnswered(jobId, round, msg.sender);
        _pushDisputes(jobId, msg.sender, cfg.terms.requestFee, false);
    }

    /// @dev The opened header's bounds and the Opening proof of round `round`.
    function _checkAnswer(
        bytes32 jobId,
        JobConfig calldata cfg,
        uint256 head,
        uint256 round,
        uint256 commitment,
        uint256 salt,
        uint256 total,
        uint256[] calldata words,
        Proof calldata proof
    ) private view {
        uint256 build = _buildOf(head);
        if (words.length == 0 || words.length > _participants(build) || total > cfg.terms.maxUnits) {
            revert BadOpening();
        }
        if (salt >= Compression.P) revert NotAFieldElement(salt);
        Compression.OpeningHead memory opened;
        opened.jobId = jobId;
        opened.sender = msg.sender;
        opened.commitment = commitment;
        opened.domain = _domain(jobId);
        opened.round = round;
        opened.n = words.length;
        opened.total = total;
        opened.maxUnits = cfg.terms.maxUnits;
        opened.salt = salt;
        _requireOpening(build, opened, words, proof);
    }

    /// @dev Derives `(x, y)` over the header and the words and requires the Opening proof `[C, x, y]`.
    function _requireOpening(
        uint256 build,
        Compression.OpeningHead memory head,
        uint256[] calldata words,
        Proof calldata proof
    ) private view {
        (uint256 x, uint256 y) = Compression.opening(head, words);
        _requireOpeningProof(build, proof, [head.commitment, x, y]);
    }

    /// @dev See `ISettleFL`.
    function resolveRequest(bytes32 jobId, JobConfig calldata cfg, uint256 round, History calldata history)
        external
        onlyDelegated
    {
        _checkConfig(jobId, cfg);
        Request storage q = _requests[jobId][round];
        if (q.status != RequestStatus.Open) revert NotOpen(round);
        uint256 head = _heads[jobId];
        if (round > _tipOf(head)) revert RoundVoid(round);
        uint256 deadline = uint256(q.time) + cfg.terms.responseWindow;
        if (block.timestamp <= deadline) revert TooEarly(deadline);
        (, uint256 before) = _fold(jobId, head, history, _covered(history, round));

        q.status = RequestStatus.Unanswered;
        Status storage st = _status[jobId];
        st.openRequests -= 1;
        address requester = q.requester;
        emit RequestResolved(jobId, round, requester);
        _fault(jobId, cfg, st, head, FaultKind.UnansweredRequest, round, before);
        _pushDisputes(jobId, requester, cfg.terms.requestFee, true);
    }

    // ============================================================================= equivocation

    /// @dev See `ISettleFL`.
    function proveEquivocation(
        bytes32 jobId,
        JobConfig calldata cfg,
        uint256 round,
        History calldata history,
        uint256 otherCommitment,
        Proof calldata proof
    ) external onlyDelegated {
        _checkConfig(jobId, cfg);
        uint256 head = _heads[jobId];
        uint256 commitment = _round(jobId, head, history, round).commitment;
        if (otherCommitment == commitment) revert SameCommitment();
        _requireReceipt(_buildOf(head), proof, [otherCommitment, _domain(jobId), cfg.terms.pubHash, _rs(round)]);

        Status storage st = _status[jobId];
        Phase phase = _phase(head);
        if (phase == Phase.Active || phase == Phase.Finalized) {
            if (_equivocators[jobId] != address(0)) revert EquivocationAlreadyProven();
            _equivocators[jobId] = msg.sender;
            emit EquivocationProven(jobId, round, msg.sender, otherCommitment, false);
            _fault(jobId, cfg, st, head, FaultKind.Equivocation, round, 0);
        } else {
            // Payouts are open: the settled state never changes; only a bond the aggregator would get
            // back (clean outcome, not yet returned) moves to the prover.
            uint256 held = cfg.terms.bond - _money[jobId].bondOut;
            if (st.faulted || st.bondSlashed || held == 0) revert NothingToSlash();
            st.bondSlashed = true;
            emit EquivocationProven(jobId, round, msg.sender, otherCommitment, true);
            _pushMoney(jobId, cfg, LedgerKind.Bond, address(0), msg.sender, held, false);
        }
    }

    // ================================================================================ withdraws

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

    // ================================================================================== helpers

    /// @dev The link of a committed round `1 <= round <= tip` from a checked history covering it.
    function _round(bytes32 jobId, uint256 head, History calldata history, uint256 round)
        private
        view
        returns (Link calldata)
    {
        if (round == 0) revert RoundNotChallengeable(0);
        uint256 first = _checkHistory(jobId, head, history);
        return _linkAt(history, first, round);
    }

    /// @dev `round`, after requiring a history to cover it (so `_fold` records the hash before it).
    function _covered(History calldata history, uint256 round) private pure returns (uint256) {
        uint256 len = history.links.length;
        if (len == 0 || round > history.last || round + len <= history.last) revert RoundNotCovered(round);
        return round;
    }

    function _deposit(bytes32 jobId, uint256 amount) private {
        // every deposit is a bond or fee below 2^128, and there is at most one per round
        // forge-lint: disable-next-line(unsafe-typecast)
        _disputes[jobId].deposited += uint128(amount);
    }
}
// forge-lint: disable-end(block-timestamp)
