// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

// Tests cast small constants to addresses and compare warped timestamps on purpose.
// forge-lint: disable-start(unsafe-typecast, block-timestamp)

import {Test} from "forge-std/Test.sol";
import {console} from "forge-std/console.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";
import {SettleFL} from "../src/SettleFL.sol";
import {SettleFLExtension} from "../src/SettleFLExtension.sol";
import {ISettleFLTypes} from "../src/interfaces/ISettleFL.sol";
import {MockVerifier} from "./mocks/Verifiers.sol";
import {MockToken} from "./mocks/Tokens.sol";
import {RejectingPayee} from "./mocks/Payees.sol";

/// @notice Drives random sequences of every external function over several jobs (ETH and ERC-20
///         escrows, both variants, aggregators with several nonces). The verifiers accept any proof, so
///         payouts may claim arbitrary words: the money rules must hold without relying on proofs
///         (THREATS "Cross-job drain").
/// @dev Like a client, the handler keeps per job what the contract no longer stores: the configuration
///      (rebuilt from the terms, escrow = what arrived, checked against `getJob().configHash`) and every
///      committed round's commitment, time and rolling hash, from which it builds the `History` each call
///      takes (shortest, longest or tampered).
contract SettleFLHandler is Test, ISettleFLTypes {
    uint256 internal constant P = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant MAX_JOBS = 6;
    uint256 internal constant UNIT_PRICE = 1e9;
    uint256 internal constant MAX_UNITS = 1e6;
    uint256 internal constant CH_BOND = 0.01 ether;
    uint256 internal constant REQ_FEE = 0.001 ether;
    uint256 internal constant B = 16;
    uint256 internal constant K = 16; // CHECKPOINT_INTERVAL
    uint256 internal constant MAX_HISTORY = 17;

    SettleFL public immutable settle;
    MockToken public immutable token;
    address public immutable rejecting;

    bytes32[] public jobs;
    mapping(bytes32 => JobConfig) internal cfgOf;
    mapping(bytes32 => uint256) public nonceOf;
    /// @dev The mirror of every committed round (rounds above a rolled-back tip stay: they are void).
    mapping(bytes32 => uint256[]) internal commitments;
    mapping(bytes32 => uint256[]) internal times;
    mapping(bytes32 => uint256[]) internal hashes;
    /// @dev The modelled reward state: each job's payees and, per round, their cumulative units.
    mapping(bytes32 => address[]) internal members;
    mapping(bytes32 => mapping(uint256 => uint256[])) internal units;
    address[] public accounts; // everyone who may hold a credit
    address[] internal payees;

    mapping(bytes32 => uint256) public ghostEscrowIn;
    mapping(bytes32 => uint256) public ghostBondIn;
    mapping(bytes32 => uint256) public ghostDisputesIn;
    bool public crossJobMove;
    bool public mirrorBroken;
    mapping(string => uint256) public succeeded;

    constructor(SettleFL settle_, MockToken token_) {
        settle = settle_;
        token = token_;
        rejecting = address(new RejectingPayee());
        for (uint256 i; i < 12; ++i) {
            payees.push(address(uint160(0x100000 + i)));
        }
        payees.push(rejecting);
        for (uint256 i; i < payees.length; ++i) {
            accounts.push(payees[i]);
        }
        for (uint256 i; i < 4; ++i) {
            accounts.push(_actor(i));
            vm.deal(_actor(i), 1000 ether);
        }
        for (uint256 i; i < 3; ++i) {
            accounts.push(_aggregator(i));
        }
    }

    // ------------------------------------------------------------------------------- actions

    function createJob(uint256 seed) public {
        if (jobs.length >= MAX_JOBS) return;
        // three aggregators, each with several jobs under different nonces
        address aggregator = _aggregator(jobs.length);
        uint256 nonce = jobs.length;
        JobTerms memory t = _newTerms(seed);
        uint256[] memory words = _genesis(seed);
        bool useToken = t.token != address(0);
        vm.deal(aggregator, aggregator.balance + t.escrow + t.bond);
        if (useToken) {
            token.mint(aggregator, t.escrow);
            vm.prank(aggregator);
            token.approve(address(settle), t.escrow);
        }
        bytes32 id = settle.computeJobId(aggregator, nonce);
        uint256 c0 = seed % P;
        bytes32[] memory before = _snapshot();
        uint256 ethBefore = address(settle).balance;
        uint256 tokBefore = token.balanceOf(address(settle));
        vm.prank(aggregator);
        settle.createJob{value: useToken ? t.bond : t.escrow + t.bond}(nonce, t, c0, words, _proof());
        _checkOthers(before, id);
        // what actually arrived (the ghost inflows, measured independently of the contract)
        uint256 ethIn = address(settle).balance - ethBefore;
        ghostBondIn[id] = t.bond;
        ghostEscrowIn[id] = useToken ? token.balanceOf(address(settle)) - tokBefore : ethIn - t.bond;
        if (useToken && ethIn != t.bond) mirrorBroken = true;
        _register(id, aggregator, nonce, t, words, c0);
        if (seed % 5 == 0) _reuseNonce(aggregator, nonce, t, words, c0);
    }

    function _newTerms(uint256 seed) internal view returns (JobTerms memory) {
        uint256 escrow = MAX_UNITS * UNIT_PRICE + (seed >> 24) % 1e12;
        return JobTerms({
            variant: (seed >> 4) % 2 == 0 ? Variant.CommitChallenge : Variant.CommitProof,
            build: 0,
            token: seed % 2 == 0 ? address(token) : address(0),
            unitPrice: UNIT_PRICE,
            maxUnits: MAX_UNITS,
            escrow: escrow,
            bond: escrow / 10 + 1,
            challengerBond: CH_BOND,
            requestFee: REQ_FEE,
            challengeWindow: 6 hours,
            responseWindow: 2 hours,
            inactivityTimeout: 12 hours,
            hardDeadline: uint32(block.timestamp + 30 days),
            pubHash: 1
        });
    }

    function _genesis(uint256 seed) internal view returns (uint256[] memory words) {
        uint256 n = bound(seed >> 8, 1, 32);
        words = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            words[i] = uint160(payees[((seed >> 16) + i) % payees.length]);
        }
    }

    /// @dev Keeps what a client keeps: the configuration (the terms, escrow = what arrived, checked
    ///      against the stored hash), the genesis round and the modelled members.
    function _register(
        bytes32 id,
        address aggregator,
        uint256 nonce,
        JobTerms memory t,
        uint256[] memory words,
        uint256 c0
    ) internal {
        t.escrow = ghostEscrowIn[id];
        JobConfig storage c = cfgOf[id];
        c.aggregator = aggregator;
        c.terms = t;
        if (keccak256(abi.encode(c)) != settle.getJob(id).configHash) mirrorBroken = true;
        jobs.push(id);
        nonceOf[id] = nonce;
        for (uint256 i; i < words.length; ++i) {
            members[id].push(address(uint160(words[i])));
            units[id][0].push(0);
        }
        _mirror(id, 0, c0);
        succeeded["createJob"]++;
    }

    /// @dev A nonce is used once: the same aggregator and nonce again is refused (JobExists).
    function _reuseNonce(address aggregator, uint256 nonce, JobTerms memory t, uint256[] memory words, uint256 c0)
        internal
    {
        uint256 value = t.token == address(0) ? t.escrow + t.bond : t.bond;
        vm.deal(aggregator, aggregator.balance + value);
        bytes32[] memory before = _snapshot();
        vm.prank(aggregator);
        try settle.createJob{value: value}(nonce, t, c0, words, _proof()) {
            mirrorBroken = true;
        } catch (bytes memory err) {
            if (bytes4(err) != JobExists.selector) mirrorBroken = true;
        }
        _checkOthers(before, bytes32(0));
    }

    function commit(uint256 jobSeed, uint256 c, bool withProof) public {
        bytes32 id = _job(jobSeed);
        if (id == 0) return;
        c %= P;
        if (cfgOf[id].terms.variant == Variant.CommitProof) withProof = true;
        History memory tip = _tipHist(id, c);
        // mostly the aggregator; sometimes an actor, whose nonce names another (empty) job
        address sender = c % 9 == 0 ? _actor(c) : cfgOf[id].aggregator;
        uint256 nonce = nonceOf[id];
        bytes32[] memory before = _snapshot();
        vm.prank(sender); // (the very next external call is the one pranked)
        if (withProof) {
            try settle.commitWithProof(nonce, tip, c, _proof()) {
                _recordCommit(id, sender, c, "commitWithProof");
            } catch {}
        } else {
            try settle.commit(nonce, c) {
                _recordCommit(id, sender, c, "commit");
            } catch {}
        }
        _checkOthers(before, id);
    }

    function challenge(uint256 jobSeed, uint256 roundSeed, uint256 actorSeed) public {
        (bytes32 id, uint256 r) = _recent(jobSeed, roundSeed);
        if (id == 0) return;
        History memory h = _hist(id, r, actorSeed);
        JobConfig memory c = cfgOf[id];
        bytes32[] memory before = _snapshot();
        vm.prank(_actor(actorSeed));
        try settle.challenge{value: CH_BOND}(id, c, r, h) {
            ghostDisputesIn[id] += CH_BOND;
            succeeded["challenge"]++;
        } catch {}
        _checkOthers(before, id);
    }

    function respond(uint256 jobSeed, uint256 roundSeed, uint256 actorSeed) public {
        (bytes32 id, uint256 r) = _disputed(jobSeed, roundSeed, false);
        if (id == 0 || r == 0) return;
        History memory h = _hist(id, r, actorSeed);
        JobConfig memory c = cfgOf[id];
        bytes32[] memory before = _snapshot();
        vm.prank(_actor(actorSeed));
        try settle.respond(id, c, r, h, _proof()) {
            succeeded["respond"]++;
        } catch {}
        _checkOthers(before, id);
    }

    function resolve(uint256 jobSeed, uint256 roundSeed, bool request) public {
        (bytes32 id, uint256 r) = _disputed(jobSeed, roundSeed, request);
        if (id == 0) return;
        if (roundSeed % 2 == 0) skip(2 hours + 1); // past the response deadline
        History memory h = _hist(id, r, roundSeed >> 8);
        JobConfig memory c = cfgOf[id];
        bytes32[] memory before = _snapshot();
        if (request) {
            try settle.resolveRequest(id, c, r, h) {
                succeeded["resolveRequest"]++;
                _checkRollback(id, r);
            } catch {}
        } else {
            try settle.resolve(id, c, r, h) {
                succeeded["resolve"]++;
                _checkRollback(id, r);
            } catch {}
        }
        _checkOthers(before, id);
    }

    function reclaim(uint256 jobSeed, uint256 roundSeed) public {
        (bytes32 id, uint256 r) = _disputed(jobSeed, roundSeed, roundSeed % 2 == 0);
        if (id == 0) return;
        JobConfig memory c = cfgOf[id];
        bytes32[] memory before = _snapshot();
        try settle.reclaim(id, c, r) {
            succeeded["reclaim"]++;
        } catch {}
        _checkOthers(before, id);
    }

    function requestOpening(uint256 jobSeed, uint256 roundSeed, uint256 actorSeed) public {
        (bytes32 id, uint256 r) = _recent(jobSeed, roundSeed);
        if (id == 0) return;
        History memory h = _hist(id, r, actorSeed);
        JobConfig memory c = cfgOf[id];
        bytes32[] memory before = _snapshot();
        vm.prank(_actor(actorSeed));
        try settle.requestOpening{value: REQ_FEE}(id, c, r, h) {
            ghostDisputesIn[id] += REQ_FEE;
            succeeded["requestOpening"]++;
        } catch {}
        _checkOthers(before, id);
    }

    function answerOpening(uint256 jobSeed, uint256 roundSeed, uint256 actorSeed, uint256 wordSeed) public {
        (bytes32 id, uint256 r) = _disputed(jobSeed, roundSeed, true);
        if (id == 0) return;
        (uint256[] memory words, uint256 total) = _stateWords(id, r, 0, members[id].length);
        if (wordSeed % 8 == 0) words = _words(wordSeed, bound(wordSeed, 1, 32));
        History memory h = _hist(id, r, actorSeed);
        JobConfig memory c = cfgOf[id];
        bytes32[] memory before = _snapshot();
        vm.prank(_actor(actorSeed));
        try settle.answerOpening(id, c, r, h, wordSeed % P, total, words, _proof()) {
            succeeded["answerOpening"]++;
        } catch {}
        _checkOthers(before, id);
    }

    function proveEquivocation(uint256 jobSeed, uint256 roundSeed, uint256 actorSeed) public {
        if (actorSeed % 8 != 0) return; // rare: it ends the job
        (bytes32 id, uint256 r) = _round(jobSeed, roundSeed);
        if (id == 0) return;
        History memory h = _hist(id, r, roundSeed >> 8);
        JobConfig memory c = cfgOf[id];
        bytes32[] memory before = _snapshot();
        vm.prank(_actor(actorSeed));
        try settle.proveEquivocation(id, c, r, h, roundSeed % P, _proof()) {
            succeeded["proveEquivocation"]++;
        } catch {}
        _checkOthers(before, id);
    }

    function finalize(uint256 jobSeed, bool byAggregator) public {
        bytes32 id = _job(jobSeed);
        if (id == 0 || (commitments[id].length < 4 && jobSeed % 4 != 0)) return; // let jobs live a while
        byAggregator = byAggregator && jobSeed % 4 == 0; // mostly strangers (after the inactivity timeout)
        if (!byAggregator && jobSeed % 3 == 0) skip(12 hours + 1); // an abandoned job
        History memory h = _tipHist(id, jobSeed >> 8);
        JobConfig memory c = cfgOf[id];
        bytes32[] memory before = _snapshot();
        vm.prank(byAggregator ? c.aggregator : _actor(jobSeed));
        try settle.finalize(id, c, h) {
            succeeded["finalize"]++;
        } catch {}
        _checkOthers(before, id);
    }

    function openPayouts(uint256 jobSeed) public {
        bytes32 id = _job(jobSeed);
        if (id == 0) return;
        _openPayouts(id, jobSeed % 3 == 0 && commitments[id].length >= 4, jobSeed >> 8);
    }

    /// @dev With `prepare`: finalizes (as the aggregator: payouts may open in the same call) and waits out
    ///      the windows first, so that runs reach payouts; refused anyway while disputes are pending.
    function _openPayouts(bytes32 id, bool prepare, uint256 shape) internal {
        JobConfig memory c = cfgOf[id];
        if (prepare) {
            if (settle.getJob(id).phase == Phase.Active) {
                History memory t = _tipHist(id, 1);
                bytes32[] memory snap = _snapshot();
                vm.prank(c.aggregator);
                try settle.finalize(id, c, t) {
                    succeeded["finalize"]++;
                } catch {}
                _checkOthers(snap, id);
            }
            if (settle.getJob(id).phase != Phase.Finalized) return;
            (uint256 notBefore,,) = settle.payoutsOpenAfter(id, c, _tipHist(id, 1));
            if (block.timestamp <= notBefore) vm.warp(notBefore + 1);
        }
        History memory h = _tipHist(id, shape);
        bytes32[] memory before = _snapshot();
        try settle.openPayouts(id, c, h) {
            succeeded["openPayouts"]++;
        } catch {}
        _checkOthers(before, id);
    }

    function payout(uint256 jobSeed, uint256 batchSeed, uint256 wordSeed, uint256 tamper) public {
        bytes32 id = _job(jobSeed);
        if (id == 0) return;
        uint256 tip = settle.getJob(id).tip;
        uint256 n = members[id].length;
        uint256 batch = batchSeed % ((n + B - 1) / B);
        (uint256[] memory words, uint256 total) = _stateWords(id, tip, batch * B, B);
        if (tamper % 6 == 0) {
            // a forged batch (the mock verifier accepts it): inflated units, other payees, other n
            uint256[] memory forged = _words(wordSeed, B);
            for (uint256 i; i < B; ++i) {
                if (forged[i] != 0) words[i] = forged[i];
            }
            if (tamper % 12 == 0) total = bound(wordSeed, 0, MAX_UNITS);
            if (tamper % 18 == 0) n = bound(wordSeed, 1, 32);
            if (tamper % 30 == 0) batch = bound(wordSeed >> 8, 0, 2);
        }
        History memory h = _tipHist(id, tamper >> 8);
        JobConfig memory c = cfgOf[id];
        bytes32[] memory before = _snapshot();
        vm.prank(_actor(batchSeed));
        try settle.payout(id, c, h, PayoutBatch(batch, n, total, words), _proof()) {
            succeeded["payout"]++;
        } catch {}
        _checkOthers(before, id);
    }

    /// @dev `len` words of the modelled state of round `r` from slot `start` (zeros past n), and the total.
    function _stateWords(bytes32 id, uint256 r, uint256 start, uint256 len)
        internal
        view
        returns (uint256[] memory words, uint256 total)
    {
        uint256[] storage u = units[id][r];
        words = new uint256[](len);
        for (uint256 i; i < u.length; ++i) {
            total += u[i];
            if (i >= start && i < start + len) words[i - start] = uint160(members[id][i]) | (u[i] << 160);
        }
    }

    function withdraw(uint256 accountSeed, bool inToken) public {
        address account = accounts[accountSeed % accounts.length];
        address asset = inToken ? address(token) : address(0);
        vm.prank(account);
        try settle.withdraw(asset, address(uint160(0xD00D))) {
            succeeded["withdraw"]++;
        } catch {}
    }

    function warp(uint256 dt) public {
        skip(bound(dt, 0, 3 hours));
    }

    // --------------------------------------------------------------------------- lifecycle steps

    /// @dev The fuzzer picks these three most often: each advances a random job by an action that
    ///      fits its phase (mostly valid, sometimes refused), so runs reach disputes and payouts.
    function stepA(uint256 seed) external {
        _step(seed);
    }

    function stepB(uint256 seed) external {
        _step(seed);
    }

    function stepC(uint256 seed) external {
        _step(seed);
    }

    function _step(uint256 seed) internal {
        uint256 choice = seed % 100;
        uint256 a = seed >> 16;
        uint256 b = seed >> 64;
        uint256 c = seed >> 128;
        if (jobs.length < MAX_JOBS && choice < 4) return createJob(a);
        bytes32 id = _job(a);
        if (id == 0) return;
        JobView memory j = settle.getJob(id);
        if (j.phase == Phase.Active) {
            if (choice < 50) commit(a, b, false);
            else if (choice < 64) challenge(a, b, c);
            else if (choice < 74) requestOpening(a, b, c);
            else if (choice < 80) respond(a, b, c);
            else if (choice < 85) resolve(a, b, b % 2 == 0);
            else if (choice < 90) answerOpening(a, b, c, seed);
            else if (choice < 93) proveEquivocation(a, b, c);
            else if (choice < 96) warp(b);
            else if (choice < 98) _openPayouts(id, true, c); // the aggregator finalizes (and may open)
            else finalize(a, b % 2 == 0);
        } else if (j.phase == Phase.Finalized) {
            if (j.openChallenges + j.openRequests > 0) {
                bool request = j.openChallenges == 0 || (j.openRequests > 0 && b % 2 == 0);
                (, uint256 r) = _disputed(a, b, request);
                if (r > j.tip) reclaim(a, r);
                else if (choice < 50) request ? answerOpening(a, r, c, seed) : respond(a, r, c);
                else resolve(a, r, request);
            } else if (choice < 15) {
                challenge(a, b, c);
            } else if (choice < 25) {
                requestOpening(a, b, c);
            } else {
                _openPayouts(id, true, c);
            }
        } else if (j.phase == Phase.PayoutsOpen) {
            if (choice < 95) payout(a, b, c, seed >> 200);
            else proveEquivocation(a, b, 0);
        } else {
            withdraw(b, b % 2 == 0);
        }
    }

    // ------------------------------------------------------------------------------- helpers

    function jobCount() external view returns (uint256) {
        return jobs.length;
    }

    function accountCount() external view returns (uint256) {
        return accounts.length;
    }

    function configOf(bytes32 id) external view returns (JobConfig memory) {
        return cfgOf[id];
    }

    function _actor(uint256 seed) internal pure returns (address) {
        return address(uint160(0xC000 + seed % 4));
    }

    function _aggregator(uint256 i) internal pure returns (address) {
        return address(uint160(0xA000 + i % 3));
    }

    function _job(uint256 seed) internal view returns (bytes32) {
        return jobs.length == 0 ? bytes32(0) : jobs[seed % jobs.length];
    }

    function _round(uint256 jobSeed, uint256 roundSeed) internal view returns (bytes32 id, uint256 r) {
        id = _job(jobSeed);
        if (id == 0) return (id, 0);
        r = roundSeed % commitments[id].length;
    }

    /// @dev Mostly one of the last three rounds up to the tip (inside their windows), sometimes any
    ///      (including void rounds above a rolled-back tip).
    function _recent(uint256 jobSeed, uint256 roundSeed) internal view returns (bytes32 id, uint256 r) {
        (id, r) = _round(jobSeed, roundSeed);
        if (id == 0 || roundSeed % 5 == 0) return (id, r);
        uint256 tip = settle.getJob(id).tip;
        uint256 back = (roundSeed >> 8) % 3;
        r = tip > back ? tip - back : tip;
    }

    /// @dev A round of a job with an open challenge (or request), found by a scan from a random start;
    ///      any round when there is none (the call then exercises a refusal).
    function _disputed(uint256 jobSeed, uint256 roundSeed, bool request) internal view returns (bytes32 id, uint256 r) {
        (id, r) = _round(jobSeed, roundSeed);
        if (id == 0) return (id, r);
        uint256 len = commitments[id].length;
        for (uint256 k; k < len; ++k) {
            uint256 q = (r + k) % len;
            bool open = request
                ? settle.requestOf(id, q).status == RequestStatus.Open
                : settle.challengeOf(id, q).status == ChallengeStatus.Open;
            if (open) return (id, q);
        }
    }

    // ----------------------------------------------------------------------------- histories

    /// @dev Mirrored rounds `first .. last` of job `id`, `before` = H_{first - 1}.
    function _history(bytes32 id, uint256 first, uint256 last) internal view returns (History memory h) {
        h.before = first == 0 ? 0 : hashes[id][first - 1];
        h.last = last;
        h.links = new Link[](last + 1 - first);
        for (uint256 i; i < h.links.length; ++i) {
            h.links[i] = Link(commitments[id][first + i], times[id][first + i]);
        }
    }

    /// @dev A history covering rounds `r - 1` and `r` (clamped to the tip). By `shape`: mostly the
    ///      shortest (ending at the next checkpoint at or above `r`, or the tip), sometimes the longest
    ///      ending there (17 links), sometimes one with a wrong link (refused: HistoryMismatch).
    function _hist(bytes32 id, uint256 r, uint256 shape) internal view returns (History memory h) {
        uint256 tip = settle.getJob(id).tip;
        if (r > tip) r = tip;
        uint256 from = r == 0 ? 0 : r - 1;
        uint256 end = r == 0 ? K : (r + K - 1) / K * K;
        if (end > tip) end = tip;
        uint256 s = shape % 16;
        if (s < 3) from = end + 1 >= MAX_HISTORY ? end + 1 - MAX_HISTORY : 0; // the longest ending at `end`
        h = _history(id, from, end);
        if (s == 15) h.links[h.links.length - 1].time += 1; // tampered
    }

    /// @dev A history ending at the tip: one link, sometimes longer, sometimes ending at a checkpoint
    ///      below the tip (refused by calls that need the tip), rarely tampered.
    function _tipHist(bytes32 id, uint256 shape) internal view returns (History memory h) {
        uint256 tip = settle.getJob(id).tip;
        uint256 s = shape % 16;
        uint256 first = tip;
        uint256 last = tip;
        if (s < 3) first = tip + 1 >= MAX_HISTORY ? tip + 1 - MAX_HISTORY : 0;
        else if (s == 3 && tip >= K) last = first = tip / K * K; // a checkpoint, not the tip (or the tip itself)
        h = _history(id, first, last);
        if (s == 15) h.before ^= 1; // tampered
    }

    function _mirror(bytes32 id, uint256 r, uint256 c) internal {
        uint256 prev = r == 0 ? 0 : hashes[id][r - 1];
        uint256 h = uint256(keccak256(abi.encode(prev, r, c, block.timestamp))) >> 56;
        commitments[id].push(c);
        times[id].push(block.timestamp);
        hashes[id].push(h);
        if (settle.getJob(id).headHash != h) mirrorBroken = true;
    }

    function _recordCommit(bytes32 id, address sender, uint256 c, string memory what) internal {
        if (sender != cfgOf[id].aggregator) {
            mirrorBroken = true; // only the aggregator's nonce names this job
            return;
        }
        uint256 r = commitments[id].length;
        uint256[] storage prev = units[id][r - 1];
        uint256 total;
        for (uint256 i; i < prev.length; ++i) {
            total += prev[i];
        }
        for (uint256 i; i < prev.length; ++i) {
            uint256 add = uint256(keccak256(abi.encode(c, i))) % 3000;
            if (total + add > MAX_UNITS) add = 0;
            total += add;
            units[id][r].push(prev[i] + add);
        }
        _mirror(id, r, c);
        if (r % K == 0 && settle.checkpointOf(id, r / K) != hashes[id][r]) mirrorBroken = true;
        succeeded[what]++;
    }

    /// @dev After an unanswered challenge or request on `r`: the tip is `r - 1` and the head its mirrored hash.
    function _checkRollback(bytes32 id, uint256 r) internal {
        JobView memory j = settle.getJob(id);
        if (j.tip != r - 1 || j.headHash != hashes[id][r - 1] || !j.faulted) mirrorBroken = true;
    }

    function _proof() internal pure returns (Proof memory p) {}

    /// @dev Payout or opening words: payees with random units, sometimes absurd, sometimes zero.
    function _words(uint256 seed, uint256 len) internal view returns (uint256[] memory words) {
        words = new uint256[](len);
        for (uint256 i; i < len; ++i) {
            uint256 s = uint256(keccak256(abi.encode(seed, i)));
            if (s % 7 == 0) continue;
            uint256 amount = s % 5 == 0 ? (s >> 8) % (1 << 92) : (s >> 8) % (MAX_UNITS / 8);
            words[i] = uint160(payees[(s >> 100) % payees.length]) | (amount << 160);
        }
    }

    function _snapshot() internal view returns (bytes32[] memory out) {
        out = new bytes32[](jobs.length);
        for (uint256 i; i < jobs.length; ++i) {
            out[i] = _fingerprint(jobs[i]);
        }
    }

    /// @dev Everything stored about a job (ledgers, phase, head, disputes, bitmap) plus what it holds.
    function _fingerprint(bytes32 id) internal view returns (bytes32) {
        (uint256 e, uint256 b, uint256 d) = settle.heldOf(id, cfgOf[id]);
        return keccak256(abi.encode(settle.getJob(id), e, b, d));
    }

    /// @dev Every job but `target` must be untouched by a call on `target`.
    function _checkOthers(bytes32[] memory before, bytes32 target) internal {
        for (uint256 i; i < before.length; ++i) {
            if (jobs[i] != target && _fingerprint(jobs[i]) != before[i]) crossJobMove = true;
        }
    }
}

/// forge-config: default.invariant.runs = 24
/// forge-config: default.invariant.depth = 150
contract SettleFLInvariantTest is StdInvariant, Test, ISettleFLTypes {
    SettleFL internal settle;
    MockToken internal token;
    SettleFLHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        MockVerifier v = new MockVerifier();
        token = new MockToken();
        BuildConfig[] memory builds = new BuildConfig[](1);
        builds[0] = BuildConfig(32, 16, address(v), address(v), address(v), address(v));
        TokenConfig[] memory tokens = new TokenConfig[](1);
        tokens[0] = TokenConfig(address(token), 1e18);
        Minimums memory mins = Minimums(1000, 0.001 ether, 0.0001 ether, 1 hours, 1 hours, 1 hours, 365 days);
        settle = new SettleFL(builds, tokens, mins, address(new SettleFLExtension(builds, mins)));
        handler = new SettleFLHandler(settle, token);
        targetContract(address(handler));
        // Lifecycle steps three times as often as the raw actions (which play arbitrary calls).
        bytes4[] memory selectors = new bytes4[](11);
        selectors[0] = SettleFLHandler.stepA.selector;
        selectors[1] = SettleFLHandler.stepB.selector;
        selectors[2] = SettleFLHandler.stepC.selector;
        selectors[3] = SettleFLHandler.stepA.selector;
        selectors[4] = SettleFLHandler.stepB.selector;
        selectors[5] = SettleFLHandler.stepC.selector;
        selectors[6] = SettleFLHandler.warp.selector;
        selectors[7] = SettleFLHandler.withdraw.selector;
        selectors[8] = SettleFLHandler.payout.selector;
        selectors[9] = SettleFLHandler.challenge.selector;
        selectors[10] = SettleFLHandler.commit.selector;
        targetSelector(FuzzSelector(address(handler), selectors));
        handler.createJob(1);
        handler.createJob(2);
    }

    /// @notice One campaign checks every money property after every call (one campaign instead of
    ///         three keeps the suite fast): ledgers, solvency, no cross-job movement, and the handler's
    ///         mirror of configurations and rolling hashes.
    function invariant_money() public view {
        _outflowsCappedByInflows();
        _solvent();
        _noCrossJobMovement();
        assertFalse(handler.mirrorBroken(), "the client mirror (config, rolling hash, nonce) agrees with the chain");
    }

    /// @notice For every job and sub-ledger: what left is at most what came in (escrowOut <= escrow,
    ///         bondOut <= bond, disputesOut <= disputesIn), and the inflows are what was actually sent.
    function _outflowsCappedByInflows() internal view {
        for (uint256 i; i < handler.jobCount(); ++i) {
            bytes32 id = handler.jobs(i);
            JobConfig memory cfg = handler.configOf(id);
            JobView memory j = settle.getJob(id);
            assertEq(j.configHash, keccak256(abi.encode(cfg)), "config");
            assertEq(cfg.terms.escrow, handler.ghostEscrowIn(id), "escrow in = what arrived");
            assertEq(cfg.terms.bond, handler.ghostBondIn(id), "bond in = what was sent");
            assertEq(j.disputesIn, handler.ghostDisputesIn(id), "disputes in = bonds and fees sent");
            assertLe(j.escrowOut, cfg.terms.escrow, "escrowOut <= escrow");
            assertLe(j.bondOut, cfg.terms.bond, "bondOut <= bond");
            assertLe(j.disputesOut, j.disputesIn, "disputesOut <= disputesIn");
            (uint256 e, uint256 b, uint256 d) = settle.heldOf(id, cfg);
            assertEq(e + j.escrowOut, cfg.terms.escrow);
            assertEq(b + j.bondOut, cfg.terms.bond);
            assertEq(d + j.disputesOut, j.disputesIn);
            if (j.phase == Phase.Completed) assertEq(e + b + d, 0, "a completed job holds nothing");
        }
    }

    /// @notice The contract holds exactly what its jobs hold plus the outstanding credits, in ETH and
    ///         in the token: nothing is created, lost, or owed twice.
    function _solvent() internal view {
        uint256 eth;
        uint256 tok;
        for (uint256 i; i < handler.jobCount(); ++i) {
            bytes32 id = handler.jobs(i);
            JobConfig memory cfg = handler.configOf(id);
            (uint256 e, uint256 b, uint256 d) = settle.heldOf(id, cfg);
            if (cfg.terms.token == address(0)) eth += e;
            else tok += e;
            eth += b + d;
        }
        for (uint256 i; i < handler.accountCount(); ++i) {
            address a = handler.accounts(i);
            eth += settle.creditOf(a, address(0));
            tok += settle.creditOf(a, address(token));
        }
        assertEq(address(settle).balance, eth, "ETH");
        assertEq(token.balanceOf(address(settle)), tok, "token");
    }

    /// @notice No call on one job moved another job's ledgers, phase, head or disputes.
    function _noCrossJobMovement() internal view {
        assertFalse(handler.crossJobMove());
    }

    /// @notice A fixed pseudo-random sequence of 400 lifecycle steps and warps, with every money
    ///         property checked at the end (a deterministic companion to the fuzzed campaign; -vv shows
    ///         how many calls of each kind went through).
    function test_lifecycle_fixedRandomSequence() public {
        for (uint256 i; i < 400; ++i) {
            uint256 seed = uint256(keccak256(abi.encode("settlefl", i)));
            if (seed % 10 == 0) handler.warp(seed >> 8);
            else handler.stepA(seed >> 8);
            if (i % 50 == 49) invariant_money();
        }
        this.afterInvariant();
        invariant_money();
        assertGt(handler.succeeded("payout"), 0, "the sequence reaches payouts");
        assertGt(handler.succeeded("challenge"), 0, "and disputes");
    }

    /// @dev Run with -vv to see how often each action got through (reverting attempts are normal).
    function afterInvariant() external view {
        string[13] memory names = [
            "createJob",
            "commit",
            "commitWithProof",
            "challenge",
            "respond",
            "resolve",
            "reclaim",
            "requestOpening",
            "answerOpening",
            "resolveRequest",
            "proveEquivocation",
            "finalize",
            "openPayouts"
        ];
        for (uint256 i; i < names.length; ++i) {
            console.log(names[i], handler.succeeded(names[i]));
        }
        console.log("payout", handler.succeeded("payout"));
        console.log("withdraw", handler.succeeded("withdraw"));
    }
}
// forge-lint: disable-end(unsafe-typecast, block-timestamp)
