// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

// Tests cast small constants to addresses and compare warped timestamps on purpose.
// forge-lint: disable-start(unsafe-typecast, block-timestamp)

import {SettleFLTest} from "./utils/SettleFLTest.sol";
import {SettleFL} from "../src/SettleFL.sol";
import {SettleFLExtension} from "../src/SettleFLExtension.sol";
import {ISettleFL} from "../src/interfaces/ISettleFL.sol";
import {MockVerifier} from "./mocks/Verifiers.sol";
import {MockToken} from "./mocks/Tokens.sol";

/// @notice Construction and `createJob`: terms, escrow (balance delta), bonds, the genesis proof.
contract SettleFLCreateTest is SettleFLTest {
    // ------------------------------------------------------------------------------ constructor

    function test_constructor_fixesBuildsTokensMinimums() public view {
        assertEq(settle.buildCount(), 1);
        BuildConfig memory b = settle.buildAt(0);
        assertEq(b.participants, 32);
        assertEq(b.batchSize, 16);
        assertEq(b.opening, openingV);
        assertEq(b.transition, transitionV);
        assertEq(b.receipt, receiptV);
        assertEq(b.payout, payoutV);
        assertEq(settle.tokenRate(address(token)), 1e18);
        assertEq(settle.tokenRate(address(0xdead)), 0);
        Minimums memory m = settle.minimums();
        assertEq(m.bondBps, MIN_BOND_BPS);
        assertEq(m.challengerBond, MIN_CH_BOND);
        assertEq(m.maxDuration, MAX_DURATION);
        assertTrue(settle.extension().code.length > 0);
    }

    function test_constructor_badConfig_reverts() public {
        BuildConfig[] memory none = new BuildConfig[](0);
        vm.expectRevert(NoBuilds.selector);
        new SettleFL(none, _tokens(), _mins());

        BuildConfig[] memory five = new BuildConfig[](5);
        for (uint256 i; i < 5; ++i) {
            five[i] = _builds()[0];
        }
        vm.expectRevert(abi.encodeWithSelector(TooManyBuilds.selector, 5));
        new SettleFL(five, _tokens(), _mins());

        BuildConfig[] memory bad = _builds();
        bad[0].participants = 40; // not a multiple of 16
        vm.expectRevert(abi.encodeWithSelector(BadBuild.selector, 0));
        new SettleFL(bad, _tokens(), _mins());

        bad = _builds();
        bad[0].participants = 512;
        bad[0].batchSize = 272; // above 256: breaks the 2^24 rule's ETH bound of the design
        vm.expectRevert(abi.encodeWithSelector(BadBuild.selector, 0));
        new SettleFL(bad, _tokens(), _mins());

        bad = _builds();
        bad[0].batchSize = 48; // larger than N
        vm.expectRevert(abi.encodeWithSelector(BadBuild.selector, 0));
        new SettleFL(bad, _tokens(), _mins());

        bad = _builds();
        bad[0].payout = address(0xbeef); // no code
        vm.expectRevert(abi.encodeWithSelector(BadBuild.selector, 0));
        new SettleFL(bad, _tokens(), _mins());

        TokenConfig[] memory tokens = new TokenConfig[](2);
        tokens[0] = TokenConfig(address(token), 1e18);
        tokens[1] = TokenConfig(address(token), 1e18); // listed twice
        vm.expectRevert(abi.encodeWithSelector(BadToken.selector, 1));
        new SettleFL(_builds(), tokens, _mins());

        tokens[1] = TokenConfig(address(0xbeef), 1e18); // no code
        vm.expectRevert(abi.encodeWithSelector(BadToken.selector, 1));
        new SettleFL(_builds(), tokens, _mins());

        Minimums memory m = _mins();
        m.bondBps = 10_001;
        vm.expectRevert(BadMinimums.selector);
        new SettleFL(_builds(), _tokens(), m);
        m = _mins();
        m.challengeWindow = 0;
        vm.expectRevert(BadMinimums.selector);
        new SettleFL(_builds(), _tokens(), m);
    }

    function test_extension_directCall_reverts() public {
        SettleFLExtension ext = SettleFLExtension(settle.extension());
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        vm.prank(AGG);
        vm.expectRevert(DirectCall.selector);
        ext.createJob{value: ESCROW + BOND}(0, t, _C("r0"), _words("r0"), _proof("genesis"));
        vm.expectRevert(DirectCall.selector);
        ext.withdraw(address(0), address(this));
    }

    // ------------------------------------------------------------------------------ createJob

    function test_createJob_eth_succeeds() public {
        assertEq(settle.jobNonce(AGG), 0);
        assertEq(settle.computeJobId(AGG, 0), JOB, "jobId computable before the transaction");
        assertEq(settle.computeDomain(JOB), DOMAIN);
        uint256[] memory words = _words("r0");
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));

        vm.expectEmit(SETTLE);
        emit JobCreated(JOB, AGG, 0, t, ESCROW, DOMAIN, _C("r0"));
        vm.expectEmit(SETTLE);
        emit StateOpened(JOB, 0, _C("r0"), words.length, 0, 0, words);
        bytes32 id = _create(t);

        assertEq(id, JOB);
        assertEq(settle.jobNonce(AGG), 1);
        assertEq(SETTLE.balance, ESCROW + BOND);
        Job memory j = settle.getJob(JOB);
        assertEq(j.aggregator, AGG);
        assertEq(j.tip, 0);
        assertEq(j.lastCommit, T0);
        assertEq(j.commitDeadline, T0 + DURATION);
        assertEq(j.hardDeadline, T0 + DURATION);
        assertEq(j.domain, DOMAIN);
        assertEq(j.pubHash, PUBHASH);
        assertEq(j.maxUnits, MAX_UNITS);
        assertEq(j.unitPrice, UNIT_PRICE);
        assertEq(j.challengerBond, CH_BOND);
        assertEq(j.requestFee, REQ_FEE);
        assertEq(uint8(j.phase), uint8(Phase.Active));
        assertEq(j.escrow.deposited, ESCROW);
        assertEq(j.bond.deposited, BOND);
        assertEq(j.disputes.deposited, 0);
        assertEq(settle.roundHash(JOB, 0), settle.computeRoundHash(_C("r0"), T0));
        (Variant v, uint256 build) = settle.jobConfig(JOB);
        assertEq(uint8(v), uint8(Variant.CommitChallenge));
        assertEq(build, 0);
        _assertLedgers(JOB);
    }

    function test_createJob_commitProof_succeeds() public {
        _createCP();
        (Variant v,) = settle.jobConfig(JOB);
        assertEq(uint8(v), uint8(Variant.CommitProof));
    }

    function test_createJob_staleNonce_reverts() public {
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(StaleNonce.selector, 0, 1));
        settle.createJob{value: ESCROW + BOND}(1, t, _C("r0"), _words("r0"), _proof("genesis"));
        _create(t);
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(StaleNonce.selector, 1, 0));
        settle.createJob{value: ESCROW + BOND}(0, t, _C("r0"), _words("r0"), _proof("genesis"));
    }

    function test_createJob_genesisProofOfAnotherSender_reverts() public {
        // The genesis proof binds jobId (through domain and x) and msg.sender (through x).
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        vm.prank(AGG2);
        vm.expectRevert(InvalidProof.selector);
        settle.createJob{value: ESCROW + BOND}(0, t, _C("r0"), _words("r0"), _proof("genesis"));
    }

    function test_createJob_genesisTampered_reverts() public {
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        uint256[] memory words = _words("r0");
        words[5] = uint160(0xBAD); // a hidden substitution of one address
        vm.prank(AGG);
        vm.expectRevert(InvalidProof.selector);
        settle.createJob{value: ESCROW + BOND}(0, t, _C("r0"), words, _proof("genesis"));

        t.maxUnits = MAX_UNITS - 1; // maxUnits is bound by the genesis proof
        vm.prank(AGG);
        vm.expectRevert(InvalidProof.selector);
        settle.createJob{value: ESCROW + BOND}(0, t, _C("r0"), _words("r0"), _proof("genesis"));

        t = _terms(Variant.CommitChallenge, address(0));
        vm.prank(AGG);
        vm.expectRevert(InvalidProof.selector);
        settle.createJob{value: ESCROW + BOND}(0, t, _C("r1"), _words("r0"), _proof("genesis"));
    }

    function test_createJob_genesisWords_reverts() public {
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        Proof memory p = _proof("genesis");
        uint256[] memory empty = new uint256[](0);
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(BadGenesisSize.selector, 0));
        settle.createJob{value: ESCROW + BOND}(0, t, _C("r0"), empty, p);

        uint256[] memory tooMany = new uint256[](33);
        for (uint256 i; i < 33; ++i) {
            tooMany[i] = 0x1000 + i;
        }
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(BadGenesisSize.selector, 33));
        settle.createJob{value: ESCROW + BOND}(0, t, _C("r0"), tooMany, p);

        uint256[] memory words = _words("r0");
        words[3] = words[3] + (1 << 160); // hidden units at genesis
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(BadGenesisWord.selector, 3));
        settle.createJob{value: ESCROW + BOND}(0, t, _C("r0"), words, p);

        words = _words("r0");
        words[17] = 0; // a zero address
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(BadGenesisWord.selector, 17));
        settle.createJob{value: ESCROW + BOND}(0, t, _C("r0"), words, p);

        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(NotAFieldElement.selector, P));
        settle.createJob{value: ESCROW + BOND}(0, t, P, _words("r0"), p);
    }

    function test_createJob_badTerms_reverts() public {
        _expectTermsRevert(_withUnitPrice(0), abi.encodeWithSelector(InvalidUnitPrice.selector));
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

    function test_createJob_escrowAndBond_reverts() public {
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        t.escrow = MAX_UNITS * UNIT_PRICE - 1; // maxUnits * u must be backed
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(EscrowTooSmall.selector, ESCROW, ESCROW - 1));
        settle.createJob{value: t.escrow + t.bond}(0, t, _C("r0"), _words("r0"), _proof("genesis"));

        t = _terms(Variant.CommitChallenge, address(0));
        t.bond = ESCROW / 10 - 1; // below the deployment's 10%
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(BondTooSmall.selector, ESCROW / 10, ESCROW / 10 - 1));
        settle.createJob{value: t.escrow + t.bond}(0, t, _C("r0"), _words("r0"), _proof("genesis"));

        t = _terms(Variant.CommitChallenge, address(0));
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(WrongPayment.selector, ESCROW + BOND, ESCROW + BOND - 1));
        settle.createJob{value: ESCROW + BOND - 1}(0, t, _C("r0"), _words("r0"), _proof("genesis"));
    }

    function test_createJob_erc20_booksBalanceDelta() public {
        _create(_terms(Variant.CommitChallenge, address(token)));
        assertEq(token.balanceOf(SETTLE), ESCROW);
        assertEq(SETTLE.balance, BOND, "only the bond is ETH");
        assertEq(settle.getJob(JOB).escrow.deposited, ESCROW);
        assertEq(settle.getJob(JOB).token, address(token));
    }

    function test_createJob_erc20_wrongValue_reverts() public {
        JobTerms memory t = _terms(Variant.CommitChallenge, address(token));
        token.mint(AGG, ESCROW);
        vm.startPrank(AGG);
        token.approve(SETTLE, ESCROW);
        vm.expectRevert(abi.encodeWithSelector(WrongPayment.selector, BOND, BOND + ESCROW));
        settle.createJob{value: BOND + ESCROW}(0, t, _C("r0"), _words("r0"), _proof("genesis"));
        vm.stopPrank();
    }

    function test_createJob_feeOnTransfer_booksWhatArrived() public {
        // 1% fee: stating escrow = maxUnits * u leaves the job short, so the creation is refused...
        JobTerms memory t = _terms(Variant.CommitChallenge, address(fotToken));
        fotToken.mint(AGG, 2 * ESCROW);
        vm.prank(AGG);
        fotToken.approve(SETTLE, 2 * ESCROW);
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(EscrowTooSmall.selector, ESCROW, ESCROW - ESCROW / 100));
        settle.createJob{value: BOND}(0, t, _C("r0"), _words("r0"), _proof("genesis"));
        // ...and sending more books exactly the balance delta.
        t.escrow = ESCROW * 100 / 99 + 1;
        uint256 arrived = t.escrow - t.escrow / 100;
        t.bond = arrived / 10 + 1;
        vm.prank(AGG);
        settle.createJob{value: t.bond}(0, t, _C("r0"), _words("r0"), _proof("genesis"));
        assertEq(settle.getJob(JOB).escrow.deposited, arrived);
        assertEq(fotToken.balanceOf(SETTLE), arrived);
    }

    function test_createJob_noReturnToken_succeeds() public {
        _create(_terms(Variant.CommitChallenge, address(noReturnToken)));
        assertEq(noReturnToken.balanceOf(SETTLE), ESCROW);
    }

    function test_createJob_tokenBatchTooLarge_reverts() public {
        // A build with B = 256 fits the 2^24 cap for ETH payees but not for gas-capped ERC-20 calls.
        MockVerifier v = new MockVerifier();
        BuildConfig[] memory builds = new BuildConfig[](2);
        builds[0] = _builds()[0];
        builds[1] = BuildConfig(256, 256, address(v), address(v), address(v), address(v));
        SettleFL other = new SettleFL(builds, _tokens(), _mins());
        JobTerms memory t = _terms(Variant.CommitChallenge, address(token));
        t.build = 1;
        vm.prank(AGG);
        vm.expectRevert(abi.encodeWithSelector(BatchTooLargeForToken.selector, 256));
        other.createJob{value: BOND}(0, t, _C("r0"), _words("r0"), _proof("genesis"));
    }

    function test_createJob_twoJobs_separateLedgers() public {
        _createCC();
        uint256[] memory words = vm.parseJsonUintArray(fx, ".job2.genesis.words");
        uint256 c0 = vm.parseJsonUint(fx, ".job2.genesis.commitment");
        JobTerms memory t = _terms(Variant.CommitChallenge, address(0));
        vm.prank(AGG2);
        bytes32 id = settle.createJob{value: ESCROW + BOND}(0, t, c0, words, _proof("genesisJob2"));
        assertEq(id, JOB2);
        assertEq(settle.getJob(JOB2).aggregator, AGG2);
        assertEq(SETTLE.balance, 2 * (ESCROW + BOND));
        _assertLedgers(JOB);
        _assertLedgers(JOB2);
    }

    // ---------------------------------------------------------------------------------- helpers

    function _withUnitPrice(uint256 u) private view returns (JobTerms memory t) {
        t = _terms(Variant.CommitChallenge, address(0));
        t.unitPrice = u;
    }

    function _expectTermsRevert(JobTerms memory t, bytes memory err) private {
        vm.prank(AGG);
        vm.expectRevert(err);
        settle.createJob{value: t.escrow + t.bond}(0, t, _C("r0"), _words("r0"), _proof("genesis"));
    }
}
// forge-lint: disable-end(unsafe-typecast, block-timestamp)
