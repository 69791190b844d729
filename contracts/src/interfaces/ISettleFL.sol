// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {Compression} from "../libraries/Compression.sol";

/// @title SettleFL types, events and errors
/// @notice Shared by the contract, its extension, clients and tests.
interface ISettleFLTypes {
    // ------------------------------------------------------------------------------------- types

    /// @notice A Groth16 proof in the coordinates a snarkjs Solidity verifier takes (`b` already swapped).
    struct Proof {
        uint256[2] a;
        uint256[2][2] b;
        uint256[2] c;
    }

    /// @notice One committed round as the chain hashes it: its commitment `C_r` and commit time `t_r`
    ///         (the block timestamp of the commit; of the creation for round 0).
    struct Link {
        uint256 commitment;
        uint256 time;
    }

    /// @notice Consecutive committed rounds `last + 1 - links.length .. last`, proven by folding them into
    ///         the stored hash at `last` (the head when `last` is the tip, else the checkpoint at `last`).
    /// @dev `before` is the hash of the round before the first link; it needs no authentication of its
    ///      own (a wrong value that still folds to a stored hash is a keccak collision). At most
    ///      `MAX_HISTORY` links; any round pair `r - 1, r` fits (docs/protocol.md, "Histories").
    struct History {
        uint256 before;
        uint256 last;
        Link[] links;
    }

    /// @notice One payout batch: its index, the settled state's `n` and `total` (bound by the proof: every
    ///         batch opens the same `C_tip`), and the batch's `B` words (zeros past `n`).
    struct PayoutBatch {
        uint256 index;
        uint256 n;
        uint256 total;
        uint256[] words;
    }

    enum Variant {
        CommitChallenge,
        CommitProof
    }

    /// @notice Life of a job: Active (commits open) -> Finalized (by the aggregator, by anyone after the
    ///         inactivity timeout or the hard deadline, or by the first fault) -> PayoutsOpen -> Completed.
    enum Phase {
        None,
        Active,
        Finalized,
        PayoutsOpen,
        Completed
    }

    /// @notice `Proven`: the round was committed with a Transition proof (CC), so it cannot be challenged.
    enum ChallengeStatus {
        None,
        Open,
        Answered,
        Unanswered,
        Reclaimed,
        Proven
    }

    enum RequestStatus {
        None,
        Open,
        Answered,
        Unanswered,
        Reclaimed
    }

    enum FaultKind {
        UnansweredChallenge,
        Equivocation,
        UnansweredRequest
    }

    /// @notice The three per-job sub-ledgers; each outflow is capped by its own inflow.
    enum LedgerKind {
        Escrow,
        Bond,
        Disputes
    }

    /// @notice One circuit build: its size, batch size and the four snarkjs verifiers made for it.
    struct BuildConfig {
        uint256 participants;
        uint256 batchSize;
        address opening;
        address transition;
        address receipt;
        address payout;
    }

    /// @notice An allowlisted ERC-20 escrow token and the deployment's fixed valuation of it, used only
    ///         for the minimum aggregator bond (bonds are in ETH): `weiPerToken` wei per 1e18 base units.
    struct TokenConfig {
        address token;
        uint256 weiPerToken;
    }

    /// @notice Deployment-wide bounds, fixed in the constructor (a demo may run short windows, a
    ///         mainnet deployment cannot). Every window of a job is at most `maxDuration`.
    struct Minimums {
        uint256 bondBps; // aggregator bond >= bondBps / 10_000 of the escrow's value in wei
        uint256 challengerBond; // wei
        uint256 requestFee; // wei
        uint256 challengeWindow; // seconds (CP: the per-round opening-request window)
        uint256 responseWindow; // seconds
        uint256 inactivityTimeout; // seconds
        uint256 maxDuration; // seconds from creation to the hard deadline, and the cap of every window
    }

    /// @notice What an aggregator asks for at creation.
    /// @dev `escrow` is the amount sent (ETH: `msg.value - bond`) or pulled with `transferFrom`
    ///      (ERC-20); the job books the balance delta actually received. `maxUnits * unitPrice` must
    ///      not exceed it; `maxUnits` is stated (not derived) because the genesis proof binds it and a
    ///      fee-on-transfer token makes the received amount unknowable before the transaction.
    struct JobTerms {
        Variant variant;
        uint8 build;
        address token; // address(0): ETH
        uint256 unitPrice;
        uint256 maxUnits;
        uint256 escrow;
        uint256 bond; // aggregator bond, ETH, both variants
        uint256 challengerBond; // ETH per challenge
        uint256 requestFee; // ETH per opening request
        uint32 challengeWindow;
        uint32 responseWindow;
        uint32 inactivityTimeout;
        uint32 hardDeadline; // absolute timestamp; commits at or before it
        uint256 pubHash; // Poseidon(Ax, Ay) of the aggregator's Baby Jubjub receipt key
    }

    /// @notice A job's fixed configuration: the contract stores only `keccak256(abi.encode(config))`
    ///         and every call that needs it passes it back (it is in the `JobCreated` event).
    /// @dev `terms.escrow` is the escrow actually received (the escrow ledger's whole inflow).
    struct JobConfig {
        address aggregator;
        JobTerms terms;
    }

    /// @notice Everything the contract stores about a job, decoded (`getJob`).
    struct JobView {
        Phase phase;
        Variant variant;
        uint256 build;
        uint256 tip;
        uint256 headHash; // H_tip, the rolling hash of rounds 0..tip
        uint256 commitDeadline; // the hard deadline while commits are open; 0 once closed
        bytes32 configHash;
        bool faulted;
        bool bondSlashed;
        uint256 openChallenges;
        uint256 openRequests;
        uint256 disputeEnd; // latest end of a window extended by an answered opening request (CC)
        uint256 tipRequestEnd; // after a close by anyone but the aggregator, or a fault: the tip stays requestable until then
        uint256 paidBatches; // bitmap
        address equivocator;
        uint256 escrowOut; // paid + credited + refunded, escrow ledger
        uint256 bondOut; // the same, aggregator-bond ledger
        uint256 disputesIn; // challenger bonds and request fees received
        uint256 disputesOut; // the same, paid + credited + refunded
    }

    struct Challenge {
        address challenger;
        uint32 time;
        ChallengeStatus status;
    }

    struct Request {
        address requester;
        uint32 time;
        RequestStatus status;
        uint32 answeredAt;
    }

    // ------------------------------------------------------------------------------------ events

    /// @notice A job was created. The genesis words are in this transaction's calldata (`createJob`).
    event JobCreated(
        bytes32 indexed jobId,
        address indexed aggregator,
        uint256 nonce,
        JobConfig config,
        uint256 domain,
        uint256 genesisCommitment,
        uint256 n
    );
    /// @notice An opening request was answered: round `round` opens to these values and the words in this
    ///         transaction's calldata (`answerOpening`).
    event StateOpened(
        bytes32 indexed jobId, uint256 indexed round, uint256 commitment, uint256 n, uint256 total, uint256 salt
    );
    /// @notice An optimistic commit (CC): the round is challengeable for a window. `t_r` is the block time.
    event RoundCommitted(bytes32 indexed jobId, uint256 round, uint256 commitment);
    /// @notice A commit carrying a Transition proof from the previous round (CP, or a proven CC round).
    event RoundCommittedWithProof(bytes32 indexed jobId, uint256 round, uint256 commitment);
    /// @notice Commits closed: by the aggregator, by anyone after inactivity or the hard deadline, or by a fault.
    event JobFinalized(bytes32 indexed jobId, address indexed by);
    event Challenged(bytes32 indexed jobId, uint256 indexed round, address indexed challenger, uint256 deadline);
    event ChallengeAnswered(bytes32 indexed jobId, uint256 indexed round, address indexed responder);
    event ChallengeResolved(bytes32 indexed jobId, uint256 indexed round, address indexed challenger);
    event ChallengeReclaimed(bytes32 indexed jobId, uint256 indexed round, address indexed challenger);
    event OpeningRequested(bytes32 indexed jobId, uint256 indexed round, address indexed requester, uint256 deadline);
    event OpeningAnswered(bytes32 indexed jobId, uint256 indexed round, address indexed answerer);
    event RequestResolved(bytes32 indexed jobId, uint256 indexed round, address indexed requester);
    event RequestReclaimed(bytes32 indexed jobId, uint256 indexed round, address indexed requester);
    /// @notice An answered opening request keeps round `round` challengeable (and payouts closed) until `end`.
    event DisputeWindowExtended(bytes32 indexed jobId, uint256 indexed round, uint256 end);
    /// @notice A fault. `tip` is the tip after it (a rollback for unanswered challenges and requests).
    event Faulted(bytes32 indexed jobId, FaultKind kind, uint256 round, uint256 tip);
    event EquivocationProven(
        bytes32 indexed jobId,
        uint256 indexed round,
        address indexed prover,
        uint256 otherCommitment,
        bool afterPayoutsOpened
    );
    event PayoutsOpened(
        bytes32 indexed jobId,
        uint256 tip,
        uint256 commitment,
        bool faulted,
        address rewardRecipient,
        uint256 rewardAmount
    );
    /// @notice A payout batch was paid. Amounts are what left each ledger (paid or credited).
    event BatchPaid(
        bytes32 indexed jobId, uint256 indexed batch, address indexed submitter, uint256 escrowOut, uint256 bondOut
    );
    event JobCompleted(bytes32 indexed jobId, uint256 escrowRemainder, uint256 bondRemainder);
    /// @notice A single transfer out of a ledger outside payout batches (bonds, fees, refunds, rewards).
    event Transferred(
        bytes32 indexed jobId, LedgerKind indexed ledger, address indexed to, uint256 amount, bool refund
    );
    /// @notice A transfer out of `ledger` failed and became a withdrawable credit.
    event Credited(
        address indexed account, address indexed token, bytes32 indexed jobId, LedgerKind ledger, uint256 amount
    );
    event Withdrawn(address indexed account, address indexed token, address to, uint256 amount);

    // ------------------------------------------------------------------------------------ errors

    error Reentrancy();
    error NoBuilds();
    error TooManyBuilds(uint256 count);
    error BadBuild(uint256 index);
    error BadToken(uint256 index);
    error BadMinimums();
    error BadExtension();

    error JobExists(bytes32 jobId);
    error UnknownBuild(uint256 build);
    error TokenNotAllowed(address token);
    error BatchTooLargeForToken(uint256 batchSize);
    error InvalidUnitPrice();
    error InvalidMaxUnits();
    error WrongPayment(uint256 expected, uint256 sent);
    error EscrowTooLarge();
    error EscrowTooSmall(uint256 needed, uint256 received);
    error BondTooSmall(uint256 minimum, uint256 bond);
    error ChallengerBondTooSmall(uint256 minimum);
    error RequestFeeTooSmall(uint256 minimum);
    error WindowTooShort();
    error WindowTooLong(uint256 maximum);
    error BadHardDeadline();
    error TimeOverflow();
    error NotAFieldElement(uint256 value);
    error InvalidPubHash();
    error BadGenesisSize(uint256 n);
    error BadGenesisWord(uint256 index);
    error InvalidProof();

    error UnknownJob();
    error ConfigMismatch();
    error WrongVariant();
    error CommitsClosed(bytes32 jobId);
    error RoundLimit();
    error BadHistory();
    error HistoryMismatch();
    error RoundNotCovered(uint256 round);
    error RoundNotChallengeable(uint256 round);
    error WindowClosed(uint256 round, uint256 end);
    error AlreadyDisputed(uint256 round);
    error NotOpen(uint256 round);
    error RoundVoid(uint256 round);
    error NotVoid(uint256 round);
    error TooLate(uint256 deadline);
    error TooEarly(uint256 deadline);
    error NothingToReclaim(uint256 round);
    error AlreadyFinalized();
    error NotFinalized();
    error FinalizeNotAllowed(uint256 openAfter);
    error PayoutsAlreadyOpen();
    error DisputesPending(uint256 openChallenges, uint256 openRequests);
    error SameCommitment();
    error EquivocationAlreadyProven();
    error NothingToSlash();
    error BadOpening();

    error PayoutsNotOpen();
    error WrongBatchLength(uint256 expected, uint256 got);
    error EmptyBatch(uint256 batch);
    error BatchAlreadyPaid(uint256 batch);
    error BadSettlement();
    error WordOutOfRange(uint256 index);
    error ZeroChallenge();
    error DirectCall();
    error InsufficientGas();
    error LedgerOverdrawn(LedgerKind ledger);
    error TokenMisbehaved();
    error NothingToWithdraw();
    error WithdrawFailed();
}

/// @title SettleFL: trustless reward settlement for federated learning
/// @notice One contract holds many jobs. An aggregator escrows the rewards of a federated-learning job
///         and commits one Poseidon commitment per round, folded into a rolling hash (no storage slot per
///         round); Groth16 proofs (BN254) show that the reward state only evolved by the rules and that
///         every payout comes from the settled state. Two variants share one commitment format:
///         Commit-and-Challenge (CC, optimistic commits, bond-only challenges answered by Transition
///         proofs) and Commit-with-Proof (CP, a Transition proof with every commit). See docs/protocol.md.
/// @dev Calls that need the job's fixed terms take `JobConfig calldata cfg` (checked against the stored
///      hash: `ConfigMismatch`); calls that need committed rounds take a `History` (checked against the
///      rolling hash: `HistoryMismatch`). Clients rebuild both from the contract's events.
interface ISettleFL is ISettleFLTypes {
    // ------------------------------------------------------------------------- state-changing API

    /// @notice Create a job: escrow (ETH or an allowlisted ERC-20), aggregator bond (ETH), terms and the
    ///         genesis state `C_0`, opened by an `Opening` proof over the initial addresses.
    /// @dev `msg.value` must be `terms.bond` (+ `terms.escrow` for ETH). The genesis proof binds
    ///      `domain`, which depends on `jobId = keccak256(abi.encode(msg.sender, nonce))`; the nonce is any
    ///      value the aggregator has not used (`JobExists` otherwise).
    /// @param nonce A nonce of the caller's choice, unused by it so far.
    /// @param terms The job's terms.
    /// @param genesisCommitment `C_0 = Poseidon(domain, 0, n, 0, maxUnits, hW, 0)`.
    /// @param words The `n` initial words: participant addresses (`0 < w < 2^160`), zero units.
    /// @param proof `Opening` proof of `[C_0, x, y]`, `(x, y)` over `[domain, 0, n, 0, maxUnits, 0, words]`
    ///        and bound to `msg.sender`.
    /// @return jobId The new job's identifier.
    function createJob(
        uint256 nonce,
        JobTerms calldata terms,
        uint256 genesisCommitment,
        uint256[] calldata words,
        Proof calldata proof
    ) external payable returns (bytes32 jobId);

    /// @notice Commit round `tip + 1` optimistically (CC only). The caller is the aggregator by construction:
    ///         the job is `keccak256(abi.encode(msg.sender, nonce))`. At or before the hard deadline, never
    ///         after finalize or a fault. The round is challengeable for a window.
    /// @param nonce The job's creation nonce.
    /// @param commitment `C_r`, a BN254 scalar-field element.
    function commit(uint256 nonce, uint256 commitment) external;

    /// @notice Commit round `tip + 1` with a `Transition` proof from the tip (CP; in CC it proves the round).
    ///         Same caller and deadline rules as `commit`.
    /// @param nonce The job's creation nonce.
    /// @param tip A history ending at the tip (one link suffices): it proves `C_{r-1}`.
    /// @param commitment `C_r`.
    /// @param proof `Transition` proof of `[C_{r-1}, C_r, msg.sender + 2^160 * r]`.
    function commitWithProof(uint256 nonce, History calldata tip, uint256 commitment, Proof calldata proof) external;

    /// @notice End the commit phase: the aggregator at any time, anyone once `inactivityTimeout` has
    ///         passed since the last commit or the hard deadline has passed. When the aggregator finalizes
    ///         after every window has closed and nothing is pending, payouts open in the same call.
    ///         Closed by anyone else, the tip stays requestable for one more challenge window.
    /// @param jobId The job.
    /// @param cfg The job's configuration.
    /// @param tip A history ending at the tip.
    function finalize(bytes32 jobId, JobConfig calldata cfg, History calldata tip) external;

    /// @notice Open payouts: anyone, after finalize, once every window has closed and no challenge or
    ///         opening request is pending. Fixes the settled state `C_tip`, the outcome and (on a fault)
    ///         the reward recipient, who gets `rho` (10%) of the aggregator bond.
    /// @dev Strictly after the latest of: `t_tip + challengeWindow`, every answered request +
    ///      challengeWindow (CC), and `tipRequestEnd`. Challenges and requests left on rounds above the tip
    ///      by a rollback are void and must be `reclaim`ed first (anyone may; the bond goes back to its
    ///      owner). The reward recipient is whoever faulted round `tip + 1` (unanswered challenge, else
    ///      unanswered request), else the equivocation prover.
    /// @param jobId The job.
    /// @param cfg The job's configuration.
    /// @param tip A history ending at the tip.
    function openPayouts(bytes32 jobId, JobConfig calldata cfg, History calldata tip) external;

    /// @notice Challenge round `round` (CC) with the job's challenger bond, within the round's window
    ///         (`t_r + challengeWindow`, extended by an answered opening request), one open challenge per
    ///         round, never on a proven round or once payouts are open.
    /// @param jobId The job.
    /// @param cfg The job's configuration.
    /// @param round `1 <= round <= tip`.
    /// @param history A history covering `round`.
    function challenge(bytes32 jobId, JobConfig calldata cfg, uint256 round, History calldata history) external payable;

    /// @notice Answer an open challenge with a `Transition` proof from round `round - 1`; anyone, at or
    ///         before `challenge time + responseWindow`. The round becomes proven and the challenger bond
    ///         goes to `msg.sender` (bound into the proof).
    /// @param jobId The job.
    /// @param cfg The job's configuration.
    /// @param round The challenged round.
    /// @param history A history covering rounds `round - 1` and `round`.
    /// @param proof `Transition` proof of `[C_{r-1}, C_r, msg.sender + 2^160 * r]`.
    function respond(
        bytes32 jobId,
        JobConfig calldata cfg,
        uint256 round,
        History calldata history,
        Proof calldata proof
    ) external;

    /// @notice Resolve an unanswered challenge after its response deadline: a fault that ends the job,
    ///         rolls the tip back to `round - 1` and refunds the challenger.
    /// @param jobId The job.
    /// @param cfg The job's configuration.
    /// @param round The challenged round (`<= tip`; above the tip a challenge is void: `reclaim`).
    /// @param history A history covering `round` (it proves the hash of round `round - 1`, the new head).
    function resolve(bytes32 jobId, JobConfig calldata cfg, uint256 round, History calldata history) external;

    /// @notice Refund a void challenge and/or opening request (its round is above the tip after a rollback).
    /// @param jobId The job.
    /// @param cfg The job's configuration.
    /// @param round The round above the tip.
    function reclaim(bytes32 jobId, JobConfig calldata cfg, uint256 round) external;

    /// @notice Ask for the opening of round `round` with the job's request fee, once per round: inside the
    ///         round's window, or on the tip after a close by anyone but the aggregator (or a fault) until
    ///         `tipRequestEnd`.
    /// @param jobId The job.
    /// @param cfg The job's configuration.
    /// @param round `1 <= round <= tip`.
    /// @param history A history covering `round`.
    function requestOpening(bytes32 jobId, JobConfig calldata cfg, uint256 round, History calldata history)
        external
        payable;

    /// @notice Answer an open opening request with the words, salt and an `Opening` proof, at or before
    ///         `request time + responseWindow`; anyone. The contract emits the opening (`StateOpened`),
    ///         pays the fee to `msg.sender`, and (CC) keeps the round challengeable for one more window.
    /// @param jobId The job.
    /// @param cfg The job's configuration.
    /// @param round The requested round.
    /// @param history A history covering `round`.
    /// @param salt The round's salt.
    /// @param total The round's total units.
    /// @param words The round's `n` used words.
    /// @param proof `Opening` proof of `[C_r, x, y]`, `(x, y)` over `[domain, r, n, total, maxUnits, salt, words]`.
    function answerOpening(
        bytes32 jobId,
        JobConfig calldata cfg,
        uint256 round,
        History calldata history,
        uint256 salt,
        uint256 total,
        uint256[] calldata words,
        Proof calldata proof
    ) external;

    /// @notice Resolve an unanswered opening request after its deadline: a fault at `round - 1` (the job
    ///         ends, the tip rolls back to `round - 1`); the fee is refunded to the requester.
    /// @param jobId The job.
    /// @param cfg The job's configuration.
    /// @param round The requested round (`<= tip`).
    /// @param history A history covering `round`.
    function resolveRequest(bytes32 jobId, JobConfig calldata cfg, uint256 round, History calldata history) external;

    /// @notice Prove that the aggregator signed a commitment for a committed, non-void round
    ///         `1 <= round <= tip` that differs from the chain's. Before payouts open: a fault (no
    ///         rollback). After: moves what remains of the aggregator bond (clean outcome) to the prover.
    /// @param jobId The job.
    /// @param cfg The job's configuration.
    /// @param round The round.
    /// @param history A history covering `round`.
    /// @param otherCommitment The signed commitment `C' != C_r`.
    /// @param proof `Receipt` proof of `[C', domain, pubHash, msg.sender + 2^160 * round]`.
    function proveEquivocation(
        bytes32 jobId,
        JobConfig calldata cfg,
        uint256 round,
        History calldata history,
        uint256 otherCommitment,
        Proof calldata proof
    ) external;

    /// @notice Pay one batch of the settled state: anyone, each batch once, with the batch's `B` words as
    ///         calldata and a `Payout` proof. Clean outcome: `S_i * unitPrice`; fault: the escrow pro rata
    ///         plus the participants' share of the bond. Failed transfers become credits. The last batch
    ///         completes the job and sends the remainder and the bond where the outcome says.
    /// @dev Edge rules: `total = 0` completes the job with its first batch (nobody is owed anything);
    ///      on a fault it returns the escrow to the aggregator and gives the whole bond to the reward
    ///      recipient. On a fault the rounding dust of both ledgers goes to the reward recipient, never
    ///      to the aggregator. Zero amounts are skipped. ETH goes out with a 10k stipend, an ERC-20 with
    ///      a 50k cap checked by balance delta; a batch reverts (`InsufficientGas`) rather than starve a
    ///      payee's call.
    /// @param jobId The job.
    /// @param cfg The job's configuration.
    /// @param tip A history ending at the tip.
    /// @param batch The batch: index (`index * B < n`), `n`, `total` and its `B` words.
    /// @param proof `Payout` proof of `[C_tip, x, y]`, `(x, y)` over `[domain, tip, n, total, index, words]`.
    function payout(
        bytes32 jobId,
        JobConfig calldata cfg,
        History calldata tip,
        PayoutBatch calldata batch,
        Proof calldata proof
    ) external;

    /// @notice Withdraw the caller's credits in `token` (address(0): ETH) to `to`, with all gas.
    /// @param token The asset.
    /// @param to The receiver (the caller may redirect, e.g. away from a blacklisted address).
    function withdraw(address token, address to) external;

    // ------------------------------------------------------------------------------------- views

    /// @notice Everything stored about a job, decoded (zero if unknown).
    /// @param jobId The job.
    /// @return The job.
    function getJob(bytes32 jobId) external view returns (JobView memory);

    /// @notice The stored rolling hash at checkpoint `index` (round `16 * index`), 0 if none.
    /// @param jobId The job.
    /// @param index The checkpoint index (>= 1).
    /// @return The hash `H_{16 * index}`.
    function checkpointOf(bytes32 jobId, uint256 index) external view returns (uint256);

    /// @notice Checks a history against the stored hashes (reverts like the state-changing calls do).
    /// @param jobId The job.
    /// @param history The history.
    /// @return first The first round it covers.
    function checkHistory(bytes32 jobId, History calldata history) external view returns (uint256 first);

    /// @notice The challenge record of a round.
    /// @param jobId The job.
    /// @param round The round.
    /// @return The challenger, its time and status.
    function challengeOf(bytes32 jobId, uint256 round) external view returns (Challenge memory);

    /// @notice The opening-request record of a round.
    /// @param jobId The job.
    /// @param round The round.
    /// @return The requester, its time, status and answer time.
    function requestOf(bytes32 jobId, uint256 round) external view returns (Request memory);

    /// @notice Whether a payout batch was paid.
    /// @param jobId The job.
    /// @param batch The batch index.
    /// @return True once paid.
    function isBatchPaid(bytes32 jobId, uint256 batch) external view returns (bool);

    /// @notice What each sub-ledger of a job still holds.
    /// @param jobId The job.
    /// @param cfg The job's configuration (it holds the escrow and bond received).
    /// @return escrow Escrow held.
    /// @return bond Aggregator bond held.
    /// @return disputes Challenger bonds and request fees held.
    function heldOf(bytes32 jobId, JobConfig calldata cfg)
        external
        view
        returns (uint256 escrow, uint256 bond, uint256 disputes);

    /// @notice When payouts may open (strictly after this time), and what is still pending.
    /// @param jobId The job.
    /// @param cfg The job's configuration.
    /// @param tip A history ending at the tip.
    /// @return notBefore Payouts open strictly after this timestamp (once finalized).
    /// @return openChallenges Challenges not yet answered, resolved or reclaimed.
    /// @return openRequests Opening requests not yet answered, resolved or reclaimed.
    function payoutsOpenAfter(bytes32 jobId, JobConfig calldata cfg, History calldata tip)
        external
        view
        returns (uint256 notBefore, uint256 openChallenges, uint256 openRequests);

    /// @notice The end (inclusive) of round `round`'s challenge window given its commit time.
    /// @param jobId The job.
    /// @param cfg The job's configuration.
    /// @param round The round.
    /// @param time The round's commit time.
    /// @return The last second at which the round can be challenged.
    function challengeWindowEnd(bytes32 jobId, JobConfig calldata cfg, uint256 round, uint256 time)
        external
        view
        returns (uint256);

    /// @notice Credits withdrawable by `account` in `token` (address(0): ETH).
    /// @param account The account.
    /// @param token The asset.
    /// @return The amount.
    function creditOf(address account, address token) external view returns (uint256);

    /// @notice The number of builds of this deployment.
    /// @return The count.
    function buildCount() external view returns (uint256);

    /// @notice A build's parameters and verifiers.
    /// @param build The build index.
    /// @return The build.
    function buildAt(uint256 build) external view returns (BuildConfig memory);

    /// @notice The deployment-wide bounds.
    /// @return The minimums (and `maxDuration`, the cap of every window).
    function minimums() external view returns (Minimums memory);

    /// @notice The fixed valuation of an allowlisted token (wei per 1e18 base units); 0 if not allowed.
    /// @param token The token.
    /// @return The valuation.
    function tokenRate(address token) external view returns (uint256);

    /// @notice `keccak256(abi.encode(aggregator, nonce))`.
    /// @param aggregator The aggregator.
    /// @param nonce Its job nonce.
    /// @return The job id.
    function computeJobId(address aggregator, uint256 nonce) external pure returns (bytes32);

    /// @notice `keccak256(abi.encode(chainId, address(this), jobId)) mod p`.
    /// @param jobId The job.
    /// @return The domain.
    function computeDomain(bytes32 jobId) external view returns (uint256);

    /// @notice One step of the rolling hash: `keccak256(abi.encode(before, round, commitment, time)) >> 56`.
    /// @param before The hash of the previous round (0 before round 0).
    /// @param round The round.
    /// @param commitment `C_r`.
    /// @param time `t_r`.
    /// @return The 200-bit hash `H_r`.
    function linkHash(uint256 before, uint256 round, uint256 commitment, uint256 time) external pure returns (uint256);

    /// @notice The `(x, y)` this contract derives for an Opening proof submitted by `head.sender`.
    /// @param head Every value the proof binds besides the words, plus the job and the sender.
    /// @param words The `n` words.
    /// @return x The challenge point.
    /// @return y The evaluation.
    function openingChallenge(Compression.OpeningHead calldata head, uint256[] calldata words)
        external
        view
        returns (uint256 x, uint256 y);

    /// @notice The `(x, y)` this contract derives for a Payout proof submitted by `head.sender`.
    /// @param head Every value the proof binds besides the words, plus the job and the sender.
    /// @param words The batch's `B` words.
    /// @return x The challenge point.
    /// @return y The evaluation.
    function payoutChallenge(Compression.PayoutHead calldata head, uint256[] calldata words)
        external
        view
        returns (uint256 x, uint256 y);
}
