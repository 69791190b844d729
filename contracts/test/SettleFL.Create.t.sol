// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

// Tests cast small constants to addresses and compare warped timestamps on purpose.
// forge-lint: disable-start(unsafe-typecast, block-timestamp)

import {Vm} from "forge-std/Vm.sol";
import {SettleFLTest} from "./utils/SettleFLTest.sol";
import {SettleFL} from "../src/SettleFL.sol";
import {SettleFLExtension} from "../src/SettleFLExtension.sol";
import {MockVerifier} from "./mocks/Verifiers.sol";

/// @notice Construction and `createJob`: terms, window caps, escrow (balance delta), bonds, the genesis
///         proof, the nonce-addressed job id, the configuration hash (and every call that checks it), and
///         `getJob`'s decoding of the packed storage.
contract SettleFLCreateTest is SettleFLTest {
    /// @dev Storage slots of the per-job mappings (`forge inspect SettleFL storageLayout`).
    uint256 internal constant HEADS_SLOT = 1;
    uint256 internal constant CONFIGS_SLOT = 2;
    uint256 internal constant STATUS_SLOT = 4;
    uint256 internal constant MONEY_SLOT = 5;
    uint256 internal constant DISPUTES_SLOT = 6;
    uint256 internal constant EQUIVOCATORS_SLOT = 7;

    // ------------------------------------------------------------------------------ constructor

    function test_constructor_fixesBuildsTokensMinimums_succeeds() public view {
        assertEq(settle.buildCount(), 1);
        BuildConfig memory b = settle.buildAt(0);
        assertEq(b.participants, 32);
        assertEq(b.batchSize, 16);
        assertEq(b.opening, openingV);
        assertEq(b.transition, transitionV);
        assertEq(b.receipt, receiptV);
        assertEq(b.payout, payoutV);
        assertEq(settle.tokenRate(address(token)), 1e18);
        assertEq(settle.tokenRate(address(hookToken)), 1e18);
        assertEq(settle.tokenRate(address(0xdead)), 0);
        Minimums memory m = settle.minimums();
        assertEq(m.bondBps, MIN_BOND_BPS);
        assertEq(m.challengerBond, MIN_CH_BOND);
        assertEq(m.requestFee, MIN_REQ_FEE);
        assertEq(m.challengeWindow, MIN_WINDOW);
        assertEq(m.responseWindow, MIN_WINDOW);
        assertEq(m.inactivityTimeout, MIN_WINDOW);
        assertEq(m.maxDuration, MAX_DURATION);
        assertTrue(settle.extension().code.length > 0);
        assertEq(settle.CHECKPOINT_INTERVAL(), K);
        assertEq(settle.MAX_HISTORY(), K + 1);
        assertEq(settle.MAX_ROUND(), (1 << 21) - 1);
        assertEq(settle.MAX_BATCHES(), 64);
    }

    function test_buildAt_unknownBuild_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(UnknownBuild.selector, 1));
        settle.buildAt(1);
    }

    function test_constructor_badConfig_reverts() public {
        address ext = _extension(_builds(), _mins()); // the base checks run before the extension's
        BuildConfig[] memory none = new BuildConfig[](0);
        vm.expectRevert(NoBuilds.selector);
        new SettleFL(none, _tokens(), _mins(), ext);

        BuildConfig[] memory five = new BuildConfig[](5);
        for (uint256 i; i < 5; ++i) {
            five[i] = _builds()[0];
        }
        vm.expectRevert(abi.encodeWithSelector(TooManyBuilds.selector, 5));
        new SettleFL(five, _tokens(), _mins(), ext);

        BuildConfig[] memory bad = _builds();
        bad[0].participants = 40; // not a multiple of 16
        vm.expectRevert(abi.encodeWithSelector(BadBuild.selector, 0));
        new SettleFL(bad, _tokens(), _mins(), ext);

        bad = _builds();
        bad[0].participants = 512;
        bad[0].batchSize = 272; // above 256: breaks the 2^24 rule's ETH bound of the design
        vm.expectRevert(abi.encodeWithSelector(BadBuild.selector, 0));
        new SettleFL(bad, _tokens(), _mins(), ext);

        bad = _builds();
        bad[0].batchSize = 48; // larger than N
        vm.expectRevert(abi.encodeWithSelector(BadBuild.selector, 0));
        new SettleFL(bad, _tokens(), _mins(), ext);

        bad = _builds();
        bad[0].payout = address(0xbeef); // no code
        vm.expectRevert(abi.encodeWithSelector(BadBuild.selector, 0));
        new SettleFL(bad, _tokens(), _mins(), ext);

        TokenConfig[] memory tokens = new TokenConfig[](2);
        tokens[0] = TokenConfig(address(token), 1e18);
        tokens[1] = TokenConfig(address(token), 1e18); // listed twice
        vm.expectRevert(abi.encodeWithSelector(BadToken.selector, 1));
        new SettleFL(_builds(), tokens, _mins(), ext);

        tokens[1] = TokenConfig(address(0xbeef), 1e18); // no code
        vm.expectRevert(abi.encodeWithSelector(BadToken.selector, 1));
        new SettleFL(_builds(), tokens, _mins(), ext);

        Minimums memory m = _mins();
        m.bondBps = 10_001;
        vm.expectRevert(BadMinimums.selector);
        new SettleFL(_builds(), _tokens(), m, ext);
        m = _mins();
        m.challengeWindow = 0;
        vm.expectRevert(BadMinimums.selector);
        new SettleFL(_builds(), _tokens(), m, ext);
    }

    /// @dev SettleFL only delegates to an extension made for the same builds and bounds.
    function test_constructor_foreignExtension_reverts() public {
        Minimums memory other = _mins();
        other.responseWindow = 2 hours;
        address foreign = _extension(_builds(), other);
        vm.expectRevert(BadExtension.selector);
        new SettleFL(_builds(), _tokens(), _mins(), foreign);
        vm.expectRevert(BadExtension.selector);
        new SettleFL(_builds(), _tokens(), _mins(), address(0xbeef)); // no code
        SettleFL ok = new SettleFL(_builds(), _tokens(), _mins(), _extension(_builds(), _mins()));
        assertTrue(ok.extension() != address(0));
    }

    /// @dev v2 build rules: `ceil(N / B) <= 64` (the paid-batch bitmap) and `N < 2^16`.
    function test_constructor_tooManyBatches_reverts() public {
        address ext = _extension(_builds(), _mins()); // the base checks run before the extension's
        BuildConfig[] memory bad = _builds();
        bad[0].participants = 65 * 16; // 65 batches of 16
        vm.expectRevert(abi.encodeWithSelector(BadBuild.selector, 0));
        new SettleFL(bad, _tokens(), _mins(), ext);

        // N = 2^16 (with the largest B, 256 batches: no B <= 256 fits 2^16 into 64 batches either)
        bad[0].participants = 1 << 16;
        bad[0].batchSize = 256;
        vm.expectRevert(abi.encodeWithSelector(BadBuild.selector, 0));
        new SettleFL(bad, _tokens(), _mins(), ext);
    }

    function test_constructor_sixtyFourBatches_succeeds() public {
        BuildConfig[] memory builds = _builds();
        builds[0].participants = 64 * 16;
        SettleFL other = _newSettleFL(builds, _tokens(), _mins());
        assertEq(other.buildAt(0).participants, 1024);
    }

    /// @dev v2: every window minimum is capped by `maxDuration`, itself capped at 2^32 / 4 seconds.
    function test_constructor_badMaxDuration_reverts() public {
        address ext = _extension(_builds(), _mins()); // the base checks run before the extension's
        Minimums memory m = _mins();
        m.maxDuration = 0;
        vm.expectRevert(BadMinimums.selector);
        new SettleFL(_builds(), _tokens(), m, ext);

        m = _mins();
        m.maxDuration = uint256(type(uint32).max) / 4 + 1;
        vm.expectRevert(BadMinimums.selector);
        new SettleFL(_builds(), _tokens(), m, ext);

        for (uint256 i; i < 3; ++i) {
            m = _mins();
            m.maxDuration = 2 hours;
            if (i == 0) m.challengeWindow = 2 hours + 1;
            if (i == 1) m.responseWindow = 2 hours + 1;
            if (i == 2) m.inactivityTimeout = 2 hours + 1;
            vm.expectRevert(BadMinimums.selector);
            new SettleFL(_builds(), _tokens(), m, ext);
        }

        m = _mins();
        m.maxDuration = uint256(type(uint32).max) / 4;
        SettleFL other = _newSettleFL(_builds(), _tokens(), m);
        assertEq(other.minimums().maxDuration, uint256(type(uint32).max) / 4);
    }

    function test_extension_directCall_reverts() public {
        SettleFLExtension ext = SettleFLExtension(settle.extension());
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        vm.prank(AGG);
        vm.expectRevert(DirectCall.selector);
        ext.createJob{value: ESCROW + BOND}(NONCE, t, _C("r0"), _words("r0"), _proof("genesis"));
        vm.expectRevert(DirectCall.selector);
        ext.withdraw(address(0), address(this));
    }

    // ------------------------------------------------------------------------------ createJob

    function test_createJob_eth_succeeds() public {
        assertEq(settle.computeJobId(AGG, NONCE), JOB, "jobId computable before the transaction");
        assertEq(JOB, keccak256(abi.encode(AGG, NONCE)));
        assertEq(settle.computeDomain(JOB), DOMAIN);
        assertEq(settle.getJob(JOB).configHash, bytes32(0), "unknown before");
        uint256[] memory words = _words("r0");
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));

        vm.expectEmit(SETTLE);
        emit JobCreated(JOB, AGG, NONCE, JobConfig(AGG, t), DOMAIN, _C("r0"), words.length);
        bytes32 id = _create(t);

        assertEq(id, JOB);
        assertEq(SETTLE.balance, ESCROW + BOND);
        JobView memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Active));
        assertEq(uint8(j.variant), uint8(Variant.CommitChallenge));
        assertEq(j.build, 0);
        assertEq(j.tip, 0);
        assertEq(j.headHash, settle.linkHash(0, 0, _C("r0"), T0), "H_0 = linkHash(0, 0, C_0, t_0)");
        assertEq(j.headHash, uint256(keccak256(abi.encode(0, 0, _C("r0"), T0))) >> 56);
        assertEq(j.commitDeadline, T0 + DURATION);
        assertEq(j.configHash, keccak256(abi.encode(JobConfig(AGG, t))));
        assertFalse(j.faulted);
        assertFalse(j.bondSlashed);
        assertEq(j.openChallenges, 0);
        assertEq(j.openRequests, 0);
        assertEq(j.disputeEnd, 0);
        assertEq(j.tipRequestEnd, 0);
        assertEq(j.paidBatches, 0);
        assertEq(j.equivocator, address(0));
        assertEq(j.escrowOut, 0);
        assertEq(j.bondOut, 0);
        assertEq(j.disputesIn, 0);
        assertEq(j.disputesOut, 0);
        (uint256 e, uint256 b, uint256 d) = settle.heldOf(JOB, jobCfg);
        assertEq(e, ESCROW);
        assertEq(b, BOND);
        assertEq(d, 0);
        assertEq(settle.checkHistory(JOB, _tipHist()), 0, "the genesis link is the tip");
        assertEq(settle.checkpointOf(JOB, 0), 0);
        assertEq(settle.checkpointOf(JOB, 1), 0);
        _assertLedgers(JOB);
    }

    /// @dev v2: the genesis words are in the calldata; creation emits `JobCreated` only (no `StateOpened`).
    function test_createJob_emitsOnlyJobCreated_succeeds() public {
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        vm.recordLogs();
        vm.prank(AGG);
        settle.createJob{value: ESCROW + BOND}(NONCE, t, _C("r0"), _words("r0"), _proof("genesis"));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1);
        assertEq(logs[0].emitter, SETTLE);
        assertEq(logs[0].topics[0], JobCreated.selector);
        assertEq(logs[0].topics[1], JOB);
        assertEq(logs[0].topics[2], bytes32(uint256(uint160(AGG))));
        (uint256 nonce, JobConfig memory cfg, uint256 domain, uint256 c0, uint256 n) =
            abi.decode(logs[0].data, (uint256, JobConfig, uint256, uint256, uint256));
        assertEq(nonce, NONCE);
        assertEq(keccak256(abi.encode(cfg)), settle.getJob(JOB).configHash, "the event's config is the stored one");
        assertEq(domain, DOMAIN);
        assertEq(c0, _C("r0"));
        assertEq(n, _n("r0"));
    }

    function test_createJob_commitProof_succeeds() public {
        _createCP();
        JobView memory j = settle.getJob(JOB);
        assertEq(uint8(j.variant), uint8(Variant.CommitProof));
        assertEq(uint8(jobCfg.terms.variant), uint8(Variant.CommitProof));
        assertEq(j.configHash, keccak256(abi.encode(jobCfg)));
        assertEq(j.commitDeadline, T0 + DURATION, "the CP flag does not touch the deadline");
    }

    /// @dev The JobCreated event carries the configuration whose hash the contract stores: a client rebuilds
    ///      `cfg` from the event alone.
    function test_createJob_eventConfigHashesToStored_succeeds() public {
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        _create(t);
        assertEq(keccak256(abi.encode(jobCfg)), settle.getJob(JOB).configHash);
        assertEq(jobCfg.aggregator, AGG);
        assertEq(keccak256(abi.encode(jobCfg.terms)), keccak256(abi.encode(t)), "terms as given (escrow received)");
    }

    // v1's StaleNonce is gone: a nonce is any value the aggregator has not used (JobExists otherwise).

    function test_createJob_nonceUsedBySameAggregator_reverts() public {
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        _create(t);
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(JobExists.selector, JOB));
        settle.createJob{value: ESCROW + BOND}(NONCE, t, _C("r0"), _words("r0"), _proof("genesis"));
        // JobExists is checked first: whatever else is wrong with the call
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(JobExists.selector, JOB));
        settle.createJob{value: 0}(NONCE, t, P, new uint256[](0), _proof("genesis"));
    }

    function test_createJob_nonceOfCompletedJob_reverts() public {
        _createCC();
        _commitRounds(3);
        vm.warp(block.timestamp + WINDOW + 1);
        _finalize();
        _payAll("r3");
        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.Completed));
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(JobExists.selector, JOB));
        settle.createJob{value: ESCROW + BOND}(NONCE, t, _C("r0"), _words("r0"), _proof("genesis"));
    }

    function test_createJob_nonceOfFaultedJob_reverts() public {
        // a fault on round 1 rolls the head back to round 0: the job still exists
        _createCC();
        _commitRounds(1);
        _challenge(CHALLENGER, 1);
        skip(RESPONSE + 1);
        _resolve(1);
        assertEq(settle.getJob(JOB).tip, 0);
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(JobExists.selector, JOB));
        settle.createJob{value: ESCROW + BOND}(NONCE, t, _C("r0"), _words("r0"), _proof("genesis"));
    }

    function test_createJob_sameNonceOtherAggregator_succeeds() public {
        _createCC();
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        vm.prank(AGG2);
        bytes32 id = settle.createJob{value: ESCROW + BOND}(
            NONCE, t, vm.parseJsonUint(fx, ".job2.genesis.commitment"), _job2Words(), _proof("genesisJob2")
        );
        assertEq(id, JOB2);
        assertEq(id, settle.computeJobId(AGG2, NONCE));
        assertTrue(id != JOB);
        assertEq(settle.getJob(JOB2).configHash, keccak256(abi.encode(JobConfig(AGG2, t))));
    }

    /// @dev Any unused nonce, in any order (a deployment with mock verifiers: the real genesis proof binds
    ///      the job id, so only nonce 0 has one).
    function test_createJob_anyUnusedNonce_succeeds() public {
        _useMockVerifiers();
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        uint256[3] memory nonces = [type(uint256).max, 7, 0];
        for (uint256 i; i < 3; ++i) {
            vm.prank(AGG);
            bytes32 id = settle.createJob{value: ESCROW + BOND}(nonces[i], t, _C("r0"), _words("r0"), _proof("genesis"));
            assertEq(id, keccak256(abi.encode(AGG, nonces[i])));
            assertEq(uint8(settle.getJob(id).phase), uint8(Phase.Active));
        }
        for (uint256 i; i < 3; ++i) {
            bytes32 id = keccak256(abi.encode(AGG, nonces[i]));
            vm.prank(AGG);
            vm.expectRevert(abi.encodeWithSelector(JobExists.selector, id));
            settle.createJob{value: ESCROW + BOND}(nonces[i], t, _C("r0"), _words("r0"), _proof("genesis"));
        }
        assertEq(SETTLE.balance, 3 * (ESCROW + BOND));
    }

    function test_createJob_genesisProofOfAnotherSender_reverts() public {
        // The genesis proof binds jobId (through domain and x) and msg.sender (through x).
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        vm.prank(AGG2);
        vm.expectRevert(InvalidProof.selector);
        settle.createJob{value: ESCROW + BOND}(NONCE, t, _C("r0"), _words("r0"), _proof("genesis"));
    }

    function test_createJob_genesisProofOfAnotherNonce_reverts() public {
        // the same sender with another nonce names another job (another domain): the proof does not fit
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        vm.prank(AGG);
        vm.expectRevert(InvalidProof.selector);
        settle.createJob{value: ESCROW + BOND}(1, t, _C("r0"), _words("r0"), _proof("genesis"));
    }

    function test_createJob_genesisTampered_reverts() public {
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        uint256[] memory words = _words("r0");
        words[5] = uint160(0xBAD); // a hidden substitution of one address
        vm.prank(AGG);
        vm.expectRevert(InvalidProof.selector);
        settle.createJob{value: ESCROW + BOND}(NONCE, t, _C("r0"), words, _proof("genesis"));

        t.maxUnits = MAX_UNITS - 1; // maxUnits is bound by the genesis proof
        vm.prank(AGG);
        vm.expectRevert(InvalidProof.selector);
        settle.createJob{value: ESCROW + BOND}(NONCE, t, _C("r0"), _words("r0"), _proof("genesis"));

        t = _terms(Variant.CommitChallenge, address(0));
        vm.prank(AGG);
        vm.expectRevert(InvalidProof.selector);
        settle.createJob{value: ESCROW + BOND}(NONCE, t, _C("r1"), _words("r0"), _proof("genesis"));

        words = _words("r0");
        uint256[] memory shorter = new uint256[](words.length - 1); // n is bound too
        for (uint256 i; i < shorter.length; ++i) {
            shorter[i] = words[i];
        }
        vm.prank(AGG);
        vm.expectRevert(InvalidProof.selector);
        settle.createJob{value: ESCROW + BOND}(NONCE, t, _C("r0"), shorter, _proof("genesis"));
    }

    function test_createJob_genesisWords_reverts() public {
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        Proof memory p = _proof("genesis");
        uint256[] memory empty = new uint256[](0);
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(BadGenesisSize.selector, 0));
        settle.createJob{value: ESCROW + BOND}(NONCE, t, _C("r0"), empty, p);

        uint256[] memory tooMany = new uint256[](33);
        for (uint256 i; i < 33; ++i) {
            tooMany[i] = 0x1000 + i;
        }
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(BadGenesisSize.selector, 33));
        settle.createJob{value: ESCROW + BOND}(NONCE, t, _C("r0"), tooMany, p);

        uint256[] memory words = _words("r0");
        words[3] = words[3] + (1 << 160); // hidden units at genesis
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(BadGenesisWord.selector, 3));
        settle.createJob{value: ESCROW + BOND}(NONCE, t, _C("r0"), words, p);

        words = _words("r0");
        words[17] = 0; // a zero address
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(BadGenesisWord.selector, 17));
        settle.createJob{value: ESCROW + BOND}(NONCE, t, _C("r0"), words, p);

        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(NotAFieldElement.selector, P));
        settle.createJob{value: ESCROW + BOND}(NONCE, t, P, _words("r0"), p);
    }

    function test_createJob_badTerms_reverts() public {
        _expectTermsRevert(_withUnitPrice(0), abi.encodeWithSelector(InvalidUnitPrice.selector));
        _expectTermsRevert(
            _withUnitPrice(uint256(type(uint128).max) + 1), abi.encodeWithSelector(InvalidUnitPrice.selector)
        );
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        t.maxUnits = 0;
        _expectTermsRevert(t, abi.encodeWithSelector(InvalidMaxUnits.selector));
        t.maxUnits = 1 << 93;
        _expectTermsRevert(t, abi.encodeWithSelector(InvalidMaxUnits.selector));
        t = _terms(Variant.CommitChallenge, address(0));
        t.pubHash = 0;
        _expectTermsRevert(t, abi.encodeWithSelector(InvalidPubHash.selector));
        t.pubHash = P; // not a field element: equivocation could never be proven
        _expectTermsRevert(t, abi.encodeWithSelector(InvalidPubHash.selector));
        t = _terms(Variant.CommitChallenge, address(0));
        t.challengerBond = MIN_CH_BOND - 1;
        _expectTermsRevert(t, abi.encodeWithSelector(ChallengerBondTooSmall.selector, MIN_CH_BOND));
        t = _terms(Variant.CommitChallenge, address(0));
        t.requestFee = MIN_REQ_FEE - 1;
        _expectTermsRevert(t, abi.encodeWithSelector(RequestFeeTooSmall.selector, MIN_REQ_FEE));
        t = _terms(Variant.CommitChallenge, address(0));
        t.challengeWindow = uint32(MIN_WINDOW - 1);
        _expectTermsRevert(t, abi.encodeWithSelector(WindowTooShort.selector));
        t = _terms(Variant.CommitChallenge, address(0));
        t.responseWindow = uint32(MIN_WINDOW - 1);
        _expectTermsRevert(t, abi.encodeWithSelector(WindowTooShort.selector));
        t = _terms(Variant.CommitChallenge, address(0));
        t.inactivityTimeout = uint32(MIN_WINDOW - 1);
        _expectTermsRevert(t, abi.encodeWithSelector(WindowTooShort.selector));
        t = _terms(Variant.CommitChallenge, address(0));
        t.hardDeadline = uint32(block.timestamp);
        _expectTermsRevert(t, abi.encodeWithSelector(BadHardDeadline.selector));
        t.hardDeadline = uint32(block.timestamp + MAX_DURATION + 1);
        _expectTermsRevert(t, abi.encodeWithSelector(BadHardDeadline.selector));
        t = _terms(Variant.CommitChallenge, address(0));
        t.build = 1;
        _expectTermsRevert(t, abi.encodeWithSelector(UnknownBuild.selector, 1));
        t = _terms(Variant.CommitChallenge, address(0xdead));
        _expectTermsRevert(t, abi.encodeWithSelector(TokenNotAllowed.selector, address(0xdead)));
    }

    function test_createJob_windowsAtMinimum_succeeds() public {
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        t.challengeWindow = uint32(MIN_WINDOW);
        t.responseWindow = uint32(MIN_WINDOW);
        t.inactivityTimeout = uint32(MIN_WINDOW);
        _create(t);
        assertEq(jobCfg.terms.challengeWindow, MIN_WINDOW);
    }

    function test_createJob_hardDeadlineAtMaxDuration_succeeds() public {
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        t.hardDeadline = uint32(block.timestamp + MAX_DURATION);
        _create(t);
        assertEq(settle.getJob(JOB).commitDeadline, T0 + MAX_DURATION);
    }

    /// @dev Item 6: a window above the deployment's `maxDuration` would let one challenge or request block a
    ///      job for decades; each of the three is refused on its own.
    function test_createJob_windowAboveMaxDuration_reverts() public {
        for (uint256 i; i < 3; ++i) {
            JobTerms memory t = _withWindow(i, MAX_DURATION + 1);
            _expectTermsRevert(t, abi.encodeWithSelector(WindowTooLong.selector, MAX_DURATION));
        }
        // the largest uint32 too (never truncated)
        for (uint256 i; i < 3; ++i) {
            JobTerms memory t = _withWindow(i, type(uint32).max);
            _expectTermsRevert(t, abi.encodeWithSelector(WindowTooLong.selector, MAX_DURATION));
        }
    }

    function test_createJob_windowAtMaxDuration_succeeds() public {
        for (uint256 i; i < 3; ++i) {
            uint256 snap = vm.snapshotState();
            JobTerms memory t = _withWindow(i, MAX_DURATION);
            _create(t);
            assertEq(keccak256(abi.encode(jobCfg.terms)), keccak256(abi.encode(t)));
            assertEq(settle.getJob(JOB).configHash, keccak256(abi.encode(JobConfig(AGG, t))));
            vm.revertToState(snap);
        }
        JobTerms memory all = _terms(Variant.CommitChallenge, address(0));
        all.challengeWindow = uint32(MAX_DURATION);
        all.responseWindow = uint32(MAX_DURATION);
        all.inactivityTimeout = uint32(MAX_DURATION);
        _create(all);
        assertEq(jobCfg.terms.challengeWindow, MAX_DURATION);
        assertEq(jobCfg.terms.responseWindow, MAX_DURATION);
        assertEq(jobCfg.terms.inactivityTimeout, MAX_DURATION);
    }

    function test_createJob_escrowAndBond_reverts() public {
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        t.escrow = MAX_UNITS * UNIT_PRICE - 1; // maxUnits * u must be backed
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(EscrowTooSmall.selector, ESCROW, ESCROW - 1));
        settle.createJob{value: t.escrow + t.bond}(NONCE, t, _C("r0"), _words("r0"), _proof("genesis"));

        t = _terms(Variant.CommitChallenge, address(0));
        t.bond = ESCROW / 10 - 1; // below the deployment's 10%
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(BondTooSmall.selector, ESCROW / 10, ESCROW / 10 - 1));
        settle.createJob{value: t.escrow + t.bond}(NONCE, t, _C("r0"), _words("r0"), _proof("genesis"));

        t = _terms(Variant.CommitChallenge, address(0));
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(WrongPayment.selector, ESCROW + BOND, ESCROW + BOND - 1));
        settle.createJob{value: ESCROW + BOND - 1}(NONCE, t, _C("r0"), _words("r0"), _proof("genesis"));

        t = _terms(Variant.CommitChallenge, address(0));
        t.escrow = uint256(type(uint128).max) + 1;
        vm.prank(AGG);
        vm.expectRevert(EscrowTooLarge.selector);
        settle.createJob{value: 0}(NONCE, t, _C("r0"), _words("r0"), _proof("genesis"));
    }

    function test_createJob_erc20_booksBalanceDelta_succeeds() public {
        _create(_terms(Variant.CommitChallenge, address(token)));
        assertEq(token.balanceOf(SETTLE), ESCROW);
        assertEq(SETTLE.balance, BOND, "only the bond is ETH");
        assertEq(jobCfg.terms.token, address(token));
        assertEq(jobCfg.terms.escrow, ESCROW);
        (uint256 e, uint256 b,) = settle.heldOf(JOB, jobCfg);
        assertEq(e, ESCROW);
        assertEq(b, BOND);
        _assertLedgers(JOB);
    }

    function test_createJob_erc20_wrongValue_reverts() public {
        JobTerms memory t = _terms(Variant.CommitChallenge, address(token));
        token.mint(AGG, ESCROW);
        vm.startPrank(AGG);
        token.approve(SETTLE, ESCROW);
        vm.expectRevert(abi.encodeWithSelector(WrongPayment.selector, BOND, BOND + ESCROW));
        settle.createJob{value: BOND + ESCROW}(NONCE, t, _C("r0"), _words("r0"), _proof("genesis"));
        vm.stopPrank();
    }

    function test_createJob_feeOnTransfer_booksWhatArrived_succeeds() public {
        // 1% fee: stating escrow = maxUnits * u leaves the job short, so the creation is refused...
        JobTerms memory t = _terms(Variant.CommitChallenge, address(fotToken));
        fotToken.mint(AGG, 2 * ESCROW);
        vm.prank(AGG);
        fotToken.approve(SETTLE, 2 * ESCROW);
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(EscrowTooSmall.selector, ESCROW, ESCROW - ESCROW / 100));
        settle.createJob{value: BOND}(NONCE, t, _C("r0"), _words("r0"), _proof("genesis"));
        // ...and sending more books exactly the balance delta: the stored config holds what arrived.
        t.escrow = ESCROW * 100 / 99 + 1;
        uint256 arrived = t.escrow - t.escrow / 100;
        t.bond = arrived / 10 + 1;
        vm.recordLogs();
        vm.prank(AGG);
        settle.createJob{value: t.bond}(NONCE, t, _C("r0"), _words("r0"), _proof("genesis"));
        jobCfg = _createdConfig(JOB);
        assertEq(jobCfg.terms.escrow, arrived);
        assertEq(settle.getJob(JOB).configHash, keccak256(abi.encode(jobCfg)));
        assertEq(fotToken.balanceOf(SETTLE), arrived);
        (uint256 e,,) = settle.heldOf(JOB, jobCfg);
        assertEq(e, arrived);
        // the terms as sent (stated escrow) are not the job's configuration
        vm.expectRevert(ConfigMismatch.selector);
        settle.heldOf(JOB, JobConfig(AGG, t));
    }

    function test_createJob_noReturnToken_succeeds() public {
        _create(_terms(Variant.CommitChallenge, address(noReturnToken)));
        assertEq(noReturnToken.balanceOf(SETTLE), ESCROW);
        assertEq(jobCfg.terms.escrow, ESCROW);
    }

    function test_createJob_tokenBatchTooLarge_reverts() public {
        // A build with B = 256 fits the 2^24 cap for ETH payees but not for gas-capped ERC-20 calls.
        MockVerifier v = new MockVerifier();
        BuildConfig[] memory builds = new BuildConfig[](2);
        builds[0] = _builds()[0];
        builds[1] = BuildConfig(256, 256, address(v), address(v), address(v), address(v));
        SettleFL other = _newSettleFL(builds, _tokens(), _mins());
        JobTerms memory t = _terms(Variant.CommitChallenge, address(token));
        t.build = 1;
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(BatchTooLargeForToken.selector, 256));
        other.createJob{value: BOND}(NONCE, t, _C("r0"), _words("r0"), _proof("genesis"));
    }

    function test_createJob_twoJobs_separateLedgers_succeeds() public {
        _createCC();
        JobConfig memory cfg1 = jobCfg;
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        vm.recordLogs();
        vm.prank(AGG2);
        bytes32 id = settle.createJob{value: ESCROW + BOND}(
            NONCE, t, vm.parseJsonUint(fx, ".job2.genesis.commitment"), _job2Words(), _proof("genesisJob2")
        );
        JobConfig memory cfg2 = _createdConfig(id);
        assertEq(id, JOB2);
        assertEq(cfg2.aggregator, AGG2);
        assertEq(settle.getJob(JOB2).configHash, keccak256(abi.encode(cfg2)));
        assertTrue(settle.getJob(JOB2).configHash != settle.getJob(JOB).configHash);
        (uint256 e1, uint256 b1, uint256 d1) = settle.heldOf(JOB, cfg1);
        (uint256 e2, uint256 b2, uint256 d2) = settle.heldOf(JOB2, cfg2);
        assertEq(e1 + b1 + d1, ESCROW + BOND);
        assertEq(e2 + b2 + d2, ESCROW + BOND);
        assertEq(SETTLE.balance, e1 + b1 + d1 + e2 + b2 + d2);
        // a job's configuration does not open the other job
        vm.expectRevert(ConfigMismatch.selector);
        settle.heldOf(JOB, cfg2);
        vm.expectRevert(ConfigMismatch.selector);
        settle.heldOf(JOB2, cfg1);
    }

    // ------------------------------------------------------------------ the configuration hash

    /// @dev Any one of the 15 words of the configuration changed (aggregator and each term) is refused.
    function test_config_anyFieldChanged_reverts() public {
        _createCC();
        bytes memory enc = abi.encode(jobCfg);
        assertEq(enc.length, 15 * 32, "JobConfig is 15 static words");
        for (uint256 i; i < 15; ++i) {
            bytes memory changed = bytes.concat(enc);
            assembly {
                let p := add(add(changed, 0x20), mul(i, 0x20))
                mstore(p, add(mload(p), 1))
            }
            JobConfig memory bad = abi.decode(changed, (JobConfig));
            vm.expectRevert(ConfigMismatch.selector);
            settle.heldOf(JOB, bad);
        }
    }

    /// @dev Every call that takes the job's configuration checks it first.
    function test_config_wrongConfigEveryCall_reverts() public {
        _createCC();
        _commitRounds(3);
        JobConfig memory bad = jobCfg;
        bad.terms.challengerBond += 1;
        _expectEveryCallReverts(JOB, bad, abi.encodeWithSelector(ConfigMismatch.selector));
    }

    /// @dev ... and an unknown job is refused as such (the right configuration of another job included).
    function test_config_unknownJobEveryCall_reverts() public {
        _createCC();
        _commitRounds(3);
        bytes32 unknown = settle.computeJobId(AGG, NONCE + 1);
        _expectEveryCallReverts(unknown, jobCfg, abi.encodeWithSelector(UnknownJob.selector));
        History memory h = _tipHist();
        vm.expectRevert(UnknownJob.selector);
        settle.checkHistory(unknown, h);
        JobView memory j = settle.getJob(unknown);
        assertEq(uint8(j.phase), uint8(Phase.None));
        assertEq(j.configHash, bytes32(0));
    }

    // ------------------------------------------------------------------------------ getJob

    /// @dev getJob decodes every field of the packed head, status, money and disputes slots: each set to a
    ///      distinct extreme value, so a wrong shift or mask shows as a neighbour's bits.
    function test_getJob_decodesEveryField_succeeds() public {
        _createCC();
        uint256 hash = (uint256(1) << 200) - 3;
        uint256 tip = (1 << 21) - 1;
        _storeHead(JOB, hash, tip, 3, true, 2); // the head's state 2: Completed
        // Status: faulted | bondSlashed | openChallenges | openRequests | disputeEnd | tipRequestEnd | paidBatches
        uint256 status = 1 | (1 << 8) | (uint256(type(uint32).max) << 16) | (uint256(1) << 48)
            | (uint256(type(uint32).max - 1) << 80) | (uint256(3) << 112) | (uint256(type(uint64).max) << 144);
        vm.store(SETTLE, _slot(JOB, STATUS_SLOT), bytes32(status));
        vm.store(SETTLE, _slot(JOB, MONEY_SLOT), bytes32(uint256(type(uint128).max) | (uint256(5) << 128)));
        vm.store(SETTLE, _slot(JOB, DISPUTES_SLOT), bytes32(uint256(7) | (uint256(type(uint128).max - 1) << 128)));
        vm.store(SETTLE, _slot(JOB, EQUIVOCATORS_SLOT), bytes32(uint256(uint160(PROVER))));
        vm.store(SETTLE, _slot(JOB, CONFIGS_SLOT), keccak256("cfg"));

        JobView memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Completed));
        assertEq(uint8(j.variant), uint8(Variant.CommitProof));
        assertEq(j.build, 3);
        assertEq(j.tip, tip);
        assertEq(j.headHash, hash);
        assertEq(j.commitDeadline, 0, "a closed job has no commit deadline");
        assertEq(j.configHash, keccak256("cfg"));
        assertTrue(j.faulted);
        assertTrue(j.bondSlashed);
        assertEq(j.openChallenges, type(uint32).max);
        assertEq(j.openRequests, 1);
        assertEq(j.disputeEnd, type(uint32).max - 1);
        assertEq(j.tipRequestEnd, 3);
        assertEq(j.paidBatches, type(uint64).max);
        assertEq(j.equivocator, PROVER);
        assertEq(j.escrowOut, type(uint128).max);
        assertEq(j.bondOut, 5);
        assertEq(j.disputesIn, 7);
        assertEq(j.disputesOut, type(uint128).max - 1);
        assertTrue(settle.isBatchPaid(JOB, 63));
        assertTrue(settle.isBatchPaid(JOB, 64), "every batch of a completed job counts as paid");

        // an active head: its state is the commit deadline
        _storeHead(JOB, hash, tip, 3, true, type(uint32).max);
        j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Active));
        assertEq(j.commitDeadline, type(uint32).max);

        // the complementary pattern (state 0: Finalized)
        _storeHead(JOB, 1, 1, 1, false, 0);
        status = (uint256(1) << 16) | (uint256(type(uint32).max) << 48) | (uint256(1) << 80)
            | (uint256(type(uint32).max) << 112) | (uint256(1) << 144);
        vm.store(SETTLE, _slot(JOB, STATUS_SLOT), bytes32(status));
        j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Finalized));
        assertEq(uint8(j.variant), uint8(Variant.CommitChallenge));
        assertEq(j.build, 1);
        assertEq(j.tip, 1);
        assertEq(j.headHash, 1);
        assertEq(j.commitDeadline, 0);
        assertFalse(j.faulted);
        assertFalse(j.bondSlashed);
        assertEq(j.openChallenges, 1);
        assertEq(j.openRequests, type(uint32).max);
        assertEq(j.disputeEnd, 1);
        assertEq(j.tipRequestEnd, type(uint32).max);
        assertEq(j.paidBatches, 1);
        assertTrue(settle.isBatchPaid(JOB, 0));
        assertFalse(settle.isBatchPaid(JOB, 1));
    }

    /// @dev The head slot is where and how the contract keeps it (the layout other tests rely on).
    function test_getJob_headLayout_succeeds() public {
        _createCC();
        _commitRounds(2);
        uint256 head = uint256(vm.load(SETTLE, _slot(JOB, HEADS_SLOT)));
        assertEq(head >> 56, hashes[2]);
        assertEq((head >> 35) & ((1 << 21) - 1), 2);
        assertEq((head >> 33) & 3, 0);
        assertEq((head >> 32) & 1, 0);
        assertEq(head & type(uint32).max, T0 + DURATION);
    }

    // ---------------------------------------------------------------------------------- helpers

    function _withUnitPrice(uint256 u) private view returns (JobTerms memory t) {
        t = _terms(Variant.CommitChallenge, address(0));
        t.unitPrice = u;
    }

    /// @dev The standard terms with window `i` (0 challenge, 1 response, 2 inactivity) set to `w`.
    function _withWindow(uint256 i, uint256 w) private view returns (JobTerms memory t) {
        t = _terms(Variant.CommitChallenge, address(0));
        if (i == 0) t.challengeWindow = uint32(w);
        if (i == 1) t.responseWindow = uint32(w);
        if (i == 2) t.inactivityTimeout = uint32(w);
    }

    function _expectTermsRevert(JobTerms memory t, bytes memory err) private {
        uint256 value = t.escrow + t.bond;
        vm.prank(AGG);
        vm.expectRevert(err);
        settle.createJob{value: value}(NONCE, t, _C("r0"), _words("r0"), _proof("genesis"));
    }

    function _job2Words() private view returns (uint256[] memory) {
        return vm.parseJsonUintArray(fx, ".job2.genesis.words");
    }

    function _slot(bytes32 jobId, uint256 mappingSlot) private pure returns (bytes32) {
        return keccak256(abi.encode(jobId, mappingSlot));
    }

    function _storeHead(bytes32 jobId, uint256 hash, uint256 tip, uint256 build, bool cp, uint256 deadline) private {
        uint256 head = (hash << 56) | (tip << 35) | (build << 33) | (cp ? 1 << 32 : 0) | deadline;
        vm.store(SETTLE, _slot(jobId, HEADS_SLOT), bytes32(head));
    }

    /// @dev Redeploys SettleFL at SETTLE (before any job) with mock verifiers: any proof passes.
    function _useMockVerifiers() private {
        address v = address(new MockVerifier());
        BuildConfig[] memory builds = new BuildConfig[](1);
        builds[0] = BuildConfig(32, 16, v, v, v, v);
        // the token rates stay in SETTLE's storage (listing them again would be BadToken)
        deployCodeTo(
            "SettleFL.sol:SettleFL",
            abi.encode(builds, new TokenConfig[](0), _mins(), _extension(builds, _mins())),
            SETTLE
        );
    }

    /// @dev Every call that takes `(jobId, cfg)` reverts with `err` (each with arguments otherwise valid for
    ///      the standard job at tip 3).
    function _expectEveryCallReverts(bytes32 jobId, JobConfig memory cfg, bytes memory err) private {
        History memory tipH = _tipHist();
        History memory h2 = _hist(2);
        Proof memory p = _proof("transition2Agg");
        uint256[] memory words = _words("r2");

        vm.expectRevert(err);
        settle.heldOf(jobId, cfg);
        vm.expectRevert(err);
        settle.payoutsOpenAfter(jobId, cfg, tipH);
        vm.expectRevert(err);
        settle.challengeWindowEnd(jobId, cfg, 2, times[2]);

        vm.startPrank(AGG);
        vm.expectRevert(err);
        settle.finalize(jobId, cfg, tipH);
        vm.expectRevert(err);
        settle.openPayouts(jobId, cfg, tipH);
        vm.expectRevert(err);
        settle.challenge{value: CH_BOND}(jobId, cfg, 2, h2);
        vm.expectRevert(err);
        settle.respond(jobId, cfg, 2, h2, p);
        vm.expectRevert(err);
        settle.resolve(jobId, cfg, 2, h2);
        vm.expectRevert(err);
        settle.reclaim(jobId, cfg, 4);
        vm.expectRevert(err);
        settle.requestOpening{value: REQ_FEE}(jobId, cfg, 2, h2);
        vm.expectRevert(err);
        settle.answerOpening(jobId, cfg, 2, h2, _salt("r2"), _total("r2"), words, _proof("opening2Participant"));
        vm.expectRevert(err);
        settle.resolveRequest(jobId, cfg, 2, h2);
        vm.expectRevert(err);
        settle.proveEquivocation(jobId, cfg, 2, h2, _C("alt2"), _proof("receiptAlt2"));
        vm.expectRevert(err);
        settle.payout(jobId, cfg, tipH, _batch("r3", 0), _payoutProof("r3", 0));
        vm.stopPrank();
    }
}
// forge-lint: disable-end(unsafe-typecast, block-timestamp)
