// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

// Tests cast small constants to addresses and compare warped timestamps on purpose.
// forge-lint: disable-start(unsafe-typecast, block-timestamp)

import {Vm} from "forge-std/Vm.sol";
import {SettleFLTest} from "./utils/SettleFLTest.sol";
import {ISettleFL} from "../src/interfaces/ISettleFL.sol";
import {GasBombPayee, ReturnBombPayee, ReentrantPayee, RejectingPayee, SendBackHookPayee} from "./mocks/Payees.sol";
import {MockToken} from "./mocks/Tokens.sol";

/// @notice Payout batches: calldata checks, hostile payees (gas bomb, return bomb, re-entry, rejection),
///         hostile or quirky tokens, the gas guard, credits and withdrawals, the `total = 0` edges and
///         the separation of two jobs. v2 stores neither `n` nor `total` (every batch proof opens `C_tip`,
///         which binds them) nor the paid/credited/refunded split of a ledger: tests assert balances,
///         `creditOf`, `getJob().escrowOut/bondOut/paidBatches` and the events instead.
contract SettleFLPayoutTest is SettleFLTest {
    uint256 internal constant START = 100 ether; // every funded actor's starting balance
    uint256 internal constant RHO = BOND * 1000 / 10_000;
    uint256 internal constant BOND_SHARE = BOND - RHO;

    /// @dev A clean CC job with `asset` settled at round 3, payouts open.
    function _settleCC(address asset) internal {
        _create(_terms(Variant.CommitChallenge, asset));
        _commitRounds(3);
        _finalize();
        _open();
    }

    /// @dev A CC job with `asset` whose round 2 was challenged and left unanswered: a fault settled at
    ///      round 1 (n = 20), CHALLENGER the reward recipient, payouts open (rho already paid).
    function _settleFault(address asset) internal {
        _create(_terms(Variant.CommitChallenge, asset));
        _commitRounds(3);
        _challenge(CHALLENGER, 2);
        skip(RESPONSE + 1);
        _resolve(2);
        assertEq(_tip(), 1);
        _open();
    }

    /// @dev `payout` of the standard job by `who`, every argument prepared before the prank.
    function _payAs(address who, PayoutBatch memory b, Proof memory p) internal {
        History memory h = _tipHist();
        JobConfig memory c = jobCfg;
        vm.prank(who);
        settle.payout(JOB, c, h, b, p);
    }

    /// @dev Expects `payout` by SUBMITTER to revert with `err`.
    function _payReverts(PayoutBatch memory b, Proof memory p, bytes memory err) internal {
        History memory h = _tipHist();
        JobConfig memory c = jobCfg;
        vm.prank(SUBMITTER);
        vm.expectRevert(err);
        settle.payout(JOB, c, h, b, p);
    }

    function _phase() internal view returns (Phase) {
        return settle.getJob(JOB).phase;
    }

    // ----------------------------------------------------------------------------- calldata

    function test_payout_aliasedWord_reverts() public {
        // THREATS "Aliased payout words": w + p equals w mod p but decodes to another payee.
        _settleCC(address(0));
        PayoutBatch memory b = _batch("r3", 0);
        b.words[7] += P;
        _payReverts(b, _payoutProof("r3", 0), abi.encodeWithSelector(WordOutOfRange.selector, 7));
        assertEq(settle.getJob(JOB).paidBatches, 0);
    }

    function test_payout_wrongLength_reverts() public {
        _settleCC(address(0));
        PayoutBatch memory b = _batch("r3", 1);
        uint256[] memory shorter = new uint256[](B - 1);
        for (uint256 i; i < B - 1; ++i) {
            shorter[i] = b.words[i];
        }
        b.words = shorter;
        _payReverts(b, _payoutProof("r3", 1), abi.encodeWithSelector(WrongBatchLength.selector, B, B - 1));
        b.words = new uint256[](B + 1);
        _payReverts(b, _payoutProof("r3", 1), abi.encodeWithSelector(WrongBatchLength.selector, B, B + 1));
    }

    function test_payout_emptyBatch_reverts() public {
        // THREATS "Empty batches": batch 2 would start at slot 32, past n = 22.
        _settleCC(address(0));
        PayoutBatch memory b = PayoutBatch(2, _n("r3"), _total("r3"), new uint256[](B));
        _payReverts(b, _payoutProof("r3", 1), abi.encodeWithSelector(EmptyBatch.selector, 2));
        b.index = type(uint256).max;
        _payReverts(b, _payoutProof("r3", 1), abi.encodeWithSelector(EmptyBatch.selector, type(uint256).max));
        b.index = 64; // past the paid-batch bitmap
        _payReverts(b, _payoutProof("r3", 1), abi.encodeWithSelector(EmptyBatch.selector, 64));
    }

    function test_payout_absoluteUnits_notDiluted() public {
        // THREATS "Dilution by shares": round 3 gave slot 4 a huge row (2^20 units); everyone else is
        // still paid S_i * u exactly, because units are absolute and backed by maxUnits * u <= escrow.
        _settleCC(address(0));
        uint256[] memory words = _payoutWords("r3", 0);
        assertGt(words[4] >> 160, 1 << 20, "slot 4 holds the big row");
        uint256 before = SLOT0.balance;
        uint256 big = PARTICIPANT.balance;
        _payBatch("r3", 0);
        assertEq(SLOT0.balance - before, (words[0] >> 160) * UNIT_PRICE);
        assertEq(PARTICIPANT.balance - big, (words[4] >> 160) * UNIT_PRICE, "the big row gets exactly its units");
    }

    function test_payout_wordWithoutPayee_skippedNotBricked() public {
        // An invalid round nobody challenged ("bad4": a used slot holding units but the zero address)
        // must not brick its batch: the word is skipped, its share stays in the escrow and returns with
        // the remainder, and everyone else is paid S_i * u.
        _create(_terms(Variant.CommitChallenge, address(0)));
        _commitRounds(3);
        skip(1 hours);
        _commitC(4, _C("bad4"));
        _finalize();
        _open();

        uint256 aggBefore = AGG.balance;
        uint256 zeroBefore = address(0).balance;
        uint256[] memory words = _payoutWords("bad4", 1);
        uint256 slot22 = words[22 - B];
        assertEq(uint160(slot22), 0, "slot 22 has no payee");
        assertEq(slot22 >> 160, 500, "but holds 500 units");
        address slot21 = address(uint160(words[21 - B]));
        uint256 slot21Before = slot21.balance;
        uint256 paid = _total("r3") * UNIT_PRICE; // bad4 = r3 + the payee-less word
        _payBatch("bad4", 0);
        vm.expectEmit(SETTLE);
        emit JobCompleted(JOB, ESCROW - paid, BOND);
        _payBatch("bad4", 1);

        JobView memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Completed));
        assertTrue(settle.isBatchPaid(JOB, 0) && settle.isBatchPaid(JOB, 1), "a completed job's batches are all paid");
        assertEq(address(0).balance, zeroBefore, "nothing is sent to the zero address");
        assertEq(settle.creditOf(address(0), address(0)), 0, "nor credited to it");
        assertEq(slot21.balance - slot21Before, (words[21 - B] >> 160) * UNIT_PRICE);
        assertEq(AGG.balance - aggBefore, ESCROW - paid + BOND, "the skipped share returns");
        assertEq(SETTLE.balance, 0);
        _assertLedgers(JOB);
    }

    function test_payout_wordWithoutPayee_fault_shareToRecipient_succeeds() public {
        // The same invalid round settled by a fault (round 5 challenged and left unanswered): the
        // payee-less word is skipped on both legs; its pro-rata share of escrow and bond is dust that goes
        // to the reward recipient, never to the aggregator nor the zero address.
        _create(_terms(Variant.CommitChallenge, address(0)));
        _commitRounds(3);
        skip(1 hours);
        _commitC(4, _C("bad4"));
        skip(1 hours);
        _commit(5);
        _challenge(CHALLENGER, 5);
        skip(RESPONSE + 1);
        _resolve(5);
        assertEq(_tip(), 4);
        _open();
        uint256 challengerBefore = CHALLENGER.balance;
        _payAll("bad4");

        uint256[] memory words = _words("bad4");
        uint256 total = _total("bad4");
        uint256 escrowPaid;
        uint256 bondPaid;
        for (uint256 i; i < words.length; ++i) {
            if (uint160(words[i]) == 0) continue;
            escrowPaid += (words[i] >> 160) * ESCROW / total;
            bondPaid += (words[i] >> 160) * BOND_SHARE / total;
        }
        assertGt(ESCROW - escrowPaid, 500 * ESCROW / total - 1, "the skipped share is in the dust");
        assertEq(CHALLENGER.balance - challengerBefore, ESCROW - escrowPaid + BOND_SHARE - bondPaid);
        assertEq(AGG.balance, START - ESCROW - BOND, "the aggregator gets nothing back");
        assertEq(uint8(_phase()), uint8(Phase.Completed));
        assertEq(SETTLE.balance, 0);
        _assertLedgers(JOB);
    }

    function test_payout_twice_reverts() public {
        _settleCC(address(0));
        _payBatch("r3", 1);
        assertTrue(settle.isBatchPaid(JOB, 1));
        assertFalse(settle.isBatchPaid(JOB, 0));
        assertEq(settle.getJob(JOB).paidBatches, 2);
        _payReverts(_batch("r3", 1), _payoutProof("r3", 1), abi.encodeWithSelector(BatchAlreadyPaid.selector, 1));
    }

    function test_payout_outOfOrder_lastBatchCompletes_succeeds() public {
        // Batch 1 first: the job stays open; batch 0 then completes it (whichever batch is paid last).
        _settleCC(address(0));
        (,, uint256 owed) = _owed("r3", false, ESCROW, BOND);
        _payBatch("r3", 1);
        JobView memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.PayoutsOpen), "one batch left");
        assertEq(j.paidBatches, 2);
        assertEq(AGG.balance, START - ESCROW - BOND, "no refund before the last batch");
        vm.expectEmit(SETTLE);
        emit JobCompleted(JOB, ESCROW - owed, BOND);
        _payBatch("r3", 0);
        j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Completed));
        assertEq(j.paidBatches, 2, "the bitmap holds the batches before the last; the phase says the rest");
        assertTrue(settle.isBatchPaid(JOB, 0) && settle.isBatchPaid(JOB, 1));
        assertEq(j.escrowOut, ESCROW);
        assertEq(j.bondOut, BOND);
        assertEq(AGG.balance, START - owed);
        assertEq(SETTLE.balance, 0);
        _assertLedgers(JOB);
        // once completed, no batch is accepted (not even a repeat)
        _payReverts(_batch("r3", 0), _payoutProof("r3", 0), abi.encodeWithSelector(PayoutsNotOpen.selector));
    }

    function test_payout_beforeOpen_reverts() public {
        _create(_terms(Variant.CommitChallenge, address(0)));
        _commitRounds(3);
        // active
        _payReverts(_batch("r3", 0), _payoutProof("r3", 0), abi.encodeWithSelector(PayoutsNotOpen.selector));
        // finalized by the aggregator before the tip's window closed: payouts wait
        _finalize();
        assertEq(uint8(_phase()), uint8(Phase.Finalized));
        _payReverts(_batch("r3", 0), _payoutProof("r3", 0), abi.encodeWithSelector(PayoutsNotOpen.selector));
    }

    function test_payout_frontRun_reverts() public {
        _settleCC(address(0));
        PayoutBatch memory b = _batch("r3", 0);
        Proof memory p = _payoutProof("r3", 0);
        History memory h = _tipHist();
        vm.prank(STRANGER); // x binds msg.sender
        vm.expectRevert(InvalidProof.selector);
        settle.payout(JOB, jobCfg, h, b, p);
    }

    function test_payout_tamperedWords_reverts() public {
        _settleCC(address(0));
        PayoutBatch memory b = _batch("r3", 0);
        (b.words[2], b.words[3]) = (b.words[3], b.words[2]); // two payees swap places
        _payReverts(b, _payoutProof("r3", 0), abi.encodeWithSelector(InvalidProof.selector));
        b = _batch("r3", 0);
        b.words[2] += 1 << 160; // one more unit
        b.words[3] -= 1 << 160; // taken from a neighbour
        _payReverts(b, _payoutProof("r3", 0), abi.encodeWithSelector(InvalidProof.selector));
        b = _batch("r3", 0);
        b.index = 1; // batch 0's words and proof presented as batch 1
        _payReverts(b, _payoutProof("r3", 0), abi.encodeWithSelector(InvalidProof.selector));
    }

    function test_payout_otherState_reverts() public {
        // A proof of an earlier state (round 2) cannot pay a job settled at round 3.
        _settleCC(address(0));
        _payReverts(_batch("r2", 0), _payoutProof("r2", 0), abi.encodeWithSelector(InvalidProof.selector));
    }

    function test_payout_settlement_reverts() public {
        // n and total are not stored: they are bound by C_tip, which every batch proof opens.
        _settleCC(address(0));
        PayoutBatch memory b = _batch("r3", 0);
        Proof memory p = _payoutProof("r3", 0);
        b.n = 0;
        _payReverts(b, p, abi.encodeWithSelector(BadSettlement.selector));
        b.n = 33; // above the build's N
        _payReverts(b, p, abi.encodeWithSelector(BadSettlement.selector));
        b = _batch("r3", 0);
        b.total = MAX_UNITS + 1;
        _payReverts(b, p, abi.encodeWithSelector(BadSettlement.selector));
        b = _batch("r3", 0);
        b.n -= 1;
        _payReverts(b, p, abi.encodeWithSelector(InvalidProof.selector));
        b.n = B; // one batch: would complete the job with batch 0 and refund batch 1's share
        _payReverts(b, p, abi.encodeWithSelector(InvalidProof.selector));
        b = _batch("r3", 0);
        b.total = 0; // total = 0 would complete the job at once and pay nobody
        _payReverts(b, p, abi.encodeWithSelector(InvalidProof.selector));
        b.total = _total("r3") - 1;
        _payReverts(b, p, abi.encodeWithSelector(InvalidProof.selector));

        _payBatch("r3", 0);
        // a later batch cannot change the settlement either (v1: SettlementMismatch; v2: the proof)
        b = _batch("r3", 1);
        p = _payoutProof("r3", 1);
        b.n += 1;
        _payReverts(b, p, abi.encodeWithSelector(InvalidProof.selector));
        b = _batch("r3", 1);
        b.total += 1;
        _payReverts(b, p, abi.encodeWithSelector(InvalidProof.selector));
        JobView memory j = settle.getJob(JOB);
        assertEq(j.paidBatches, 1);
        (, uint256[] memory amounts,) = _owed("r3", false, ESCROW, BOND);
        uint256 first;
        for (uint256 i; i < B; ++i) {
            first += amounts[i];
        }
        assertEq(j.escrowOut, first, "batch 0 booked exactly");
        _payBatch("r3", 1);
        assertEq(uint8(_phase()), uint8(Phase.Completed));
        _assertLedgers(JOB);
    }

    function test_payout_wrongConfig_reverts() public {
        // The terms are not stored: a cfg with a higher unit price or escrow would overpay.
        _settleCC(address(0));
        History memory h = _tipHist();
        PayoutBatch memory b = _batch("r3", 0);
        Proof memory p = _payoutProof("r3", 0);
        JobConfig memory c = jobCfg;
        c.terms.unitPrice *= 2;
        vm.prank(SUBMITTER);
        vm.expectRevert(ConfigMismatch.selector);
        settle.payout(JOB, c, h, b, p);
        c = jobCfg;
        c.terms.escrow += 1;
        vm.prank(SUBMITTER);
        vm.expectRevert(ConfigMismatch.selector);
        settle.payout(JOB, c, h, b, p);
        vm.prank(SUBMITTER);
        vm.expectRevert(UnknownJob.selector);
        settle.payout(keccak256("no such job"), jobCfg, h, b, p);
    }

    function test_payout_historyNotAtTip_reverts() public {
        // Every batch opens C_tip: a history ending below the tip, or a wrong link, is refused.
        _settleCC(address(0));
        PayoutBatch memory b = _batch("r3", 0);
        Proof memory p = _payoutProof("r3", 0);
        History memory h = _history(2, 2);
        vm.prank(SUBMITTER);
        vm.expectRevert(BadHistory.selector); // round 2 is neither the tip nor a checkpoint
        settle.payout(JOB, jobCfg, h, b, p);
        h = _tipHist();
        h.links[0].commitment = _C(2);
        vm.prank(SUBMITTER);
        vm.expectRevert(HistoryMismatch.selector);
        settle.payout(JOB, jobCfg, h, b, p);
    }

    // ------------------------------------------------------------------------------- gas rules

    function test_payout_starvedVerifier_revertsInvalidProof() public {
        // A snarkjs verifier returns false when the pairing runs out of gas: the check is require'd.
        _settleCC(address(0));
        PayoutBatch memory b = _batch("r3", 0);
        Proof memory p = _payoutProof("r3", 0);
        History memory h = _tipHist();
        vm.expectCall(payoutV, bytes(""));
        vm.prank(SUBMITTER);
        vm.expectRevert(InvalidProof.selector);
        settle.payout{gas: 180_000}(JOB, jobCfg, h, b, p);
        assertFalse(settle.isBatchPaid(JOB, 0));
    }

    function test_payout_gasGuard_revertsBatch() public {
        // A submitter cannot starve the payees' calls into credits: the batch reverts instead.
        _settleCC(address(0));
        PayoutBatch memory b = _batch("r3", 0);
        Proof memory p = _payoutProof("r3", 0);
        History memory h = _tipHist();
        vm.prank(SUBMITTER);
        vm.expectRevert(InsufficientGas.selector);
        settle.payout{gas: 500_000}(JOB, jobCfg, h, b, p);
        assertFalse(settle.isBatchPaid(JOB, 0));
        assertEq(settle.creditOf(SLOT0, address(0)), 0);
        assertEq(settle.getJob(JOB).escrowOut, 0);
        _payBatch("r3", 0); // with enough gas it goes through
        assertEq(settle.creditOf(SLOT0, address(0)), 0);
    }

    function test_payout_gasGuard_tokenBatch_reverts() public {
        // The same guard before every ERC-20 leg.
        _settleCC(address(token));
        PayoutBatch memory b = _batch("r3", 0);
        Proof memory p = _payoutProof("r3", 0);
        History memory h = _tipHist();
        vm.prank(SUBMITTER);
        vm.expectRevert(InsufficientGas.selector);
        settle.payout{gas: 500_000}(JOB, jobCfg, h, b, p);
        assertFalse(settle.isBatchPaid(JOB, 0));
        assertEq(settle.creditOf(SLOT0, address(token)), 0);
    }

    // ------------------------------------------------------------------- the 2^24 batch rule

    /// @dev Every payee of the standard job becomes a gas bomb (its ETH leg always fails).
    function _everyPayeeHostile() internal {
        bytes memory bomb = address(new GasBombPayee()).code;
        for (uint256 i; i < 22; ++i) {
            vm.etch(address(uint160(0x1000 + i)), bomb);
        }
    }

    /// @dev Gas of a payout call of `state`'s batch `batch` (arguments prepared beforehand).
    function _measured(string memory state, uint256 batch) internal returns (uint256 used) {
        PayoutBatch memory b = _batch(state, batch);
        Proof memory p = _payoutProof(state, batch);
        History memory h = _tipHist();
        JobConfig memory c = jobCfg;
        vm.prank(SUBMITTER);
        uint256 before = gasleft();
        settle.payout(JOB, c, h, b, p);
        used = before - gasleft();
    }

    function test_payout_everyPayeeFailing_ethBatchFitsTxCap() public {
        // THREATS "Gas caps": B * (stipend + 36k) + 1M <= 2^24 must hold with every payee failing.
        // The marginal cost per failing payee, from a 6-payee and a 16-payee batch (the larger one
        // also completes the job, so the estimate errs high), extrapolated to B = 256.
        _settleCC(address(0));
        _everyPayeeHostile();
        uint256 small = _measured("r3", 1); // slots 16..21
        uint256 large = _measured("r3", 0); // slots 0..15, and completion
        uint256 perPayee = (large - small) / 10;
        uint256 fixedPart = small - 6 * perPayee;
        emit log_named_uint("ETH: per failing payee", perPayee);
        emit log_named_uint("ETH: fixed part", fixedPart);
        assertLe(perPayee, settle.ETH_STIPEND() + settle.PAYEE_OVERHEAD_GAS(), "per failing payee");
        assertLe(fixedPart + 256 * perPayee, 1 << 24, "a 256-payee ETH batch fits the cap");
        (address[] memory payees, uint256[] memory amounts, uint256 owed) = _owed("r3", false, ESCROW, BOND);
        for (uint256 i; i < 22; ++i) {
            assertEq(settle.creditOf(payees[i], address(0)), amounts[i], "every payee credited");
        }
        assertEq(SETTLE.balance, owed, "exactly the credits remain");
        _assertLedgers(JOB);
    }

    function test_payout_everyPayeeFailing_tokenFaultBatchFitsTxCap() public {
        // The heaviest case: an ERC-20 escrow on a fault pays each payee a token leg (escrow pro
        // rata) and an ETH leg (its share of the bond). Hostile payees can only make the ETH leg fail
        // (an allowlisted token's cost does not depend on the payee); B = 128 must still fit.
        _settleFault(address(token)); // settles round 1: n = 20
        _everyPayeeHostile();
        uint256 small = _measured("r1", 1); // 4 payees
        uint256 large = _measured("r1", 0); // 16 payees, and completion
        uint256 perPayee = (large - small) / 12;
        uint256 fixedPart = small - 4 * perPayee;
        emit log_named_uint("ERC-20 fault: per payee", perPayee);
        emit log_named_uint("ERC-20 fault: fixed part", fixedPart);
        assertLe(perPayee, settle.TOKEN_PAYEE_GAS() + settle.PAYEE_OVERHEAD_GAS(), "per payee, both legs");
        assertLe(fixedPart + 128 * perPayee, 1 << 24, "a 128-payee ERC-20 fault batch fits the cap");
        // the token legs arrived, the bond legs were credited
        (address[] memory payees,,) = _owed("r1", true, ESCROW, BOND);
        uint256[] memory words = _words("r1");
        uint256 total = _total("r1");
        for (uint256 i; i < payees.length; ++i) {
            uint256 units = words[i] >> 160;
            assertEq(token.balanceOf(payees[i]), units * ESCROW / total, "token leg paid");
            assertEq(settle.creditOf(payees[i], address(0)), units * BOND_SHARE / total, "bond leg credited");
        }
        assertEq(uint8(_phase()), uint8(Phase.Completed));
        _assertLedgers(JOB);
        _assertTokenLedger(token);
    }

    // --------------------------------------------------------------------------- hostile payees

    function test_payout_hostilePayees_creditedAndBounded() public {
        _settleCC(address(0));
        vm.etch(SLOT0, address(new GasBombPayee()).code);
        vm.etch(SLOT1, address(new ReturnBombPayee()).code);
        vm.etch(SLOT2, address(new ReentrantPayee(ISettleFL(SETTLE))).code);
        vm.etch(SLOT3, address(new RejectingPayee()).code);
        (address[] memory payees, uint256[] memory amounts, uint256 owed) = _owed("r3", false, ESCROW, BOND);
        uint256[] memory before = _balances(payees);

        uint256 batch0;
        for (uint256 i; i < B; ++i) {
            batch0 += amounts[i];
        }
        for (uint256 i; i < 4; ++i) {
            vm.expectEmit(SETTLE);
            emit Credited(payees[i], address(0), JOB, LedgerKind.Escrow, amounts[i]);
        }
        vm.expectEmit(SETTLE);
        emit BatchPaid(JOB, 0, SUBMITTER, batch0, 0);
        // the re-entrant payee tries to withdraw from inside its payment; the lock refuses it
        uint256 used = _measuredBatch(0, true);
        // 16 payees, each at most the stipend plus a fresh account: a gas bomb cannot eat the batch
        assertLt(used, 400_000 + 16 * 50_000, "bounded batch gas");

        uint256 credited;
        for (uint256 i; i < 4; ++i) {
            assertEq(payees[i].balance, before[i], "hostile payee got nothing directly");
            assertEq(settle.creditOf(payees[i], address(0)), amounts[i], "hostile payee credited");
            credited += amounts[i];
        }
        for (uint256 i = 4; i < B; ++i) {
            assertEq(payees[i].balance - before[i], amounts[i]);
        }
        assertEq(settle.getJob(JOB).escrowOut, batch0, "paid and credited both left the escrow ledger");
        assertEq(SETTLE.balance, ESCROW + BOND - batch0 + credited);
        _payBatch("r3", 1);
        assertEq(AGG.balance, START - owed, "completion refunds the aggregator despite the credits");
        assertEq(SETTLE.balance, credited, "only the credits remain");
        _assertLedgers(JOB);

        // withdrawals: to itself fails for the rejecting and the re-entrant payee, to elsewhere works
        vm.prank(SLOT3);
        vm.expectRevert(WithdrawFailed.selector);
        settle.withdraw(address(0), SLOT3);
        vm.prank(SLOT2);
        vm.expectRevert(WithdrawFailed.selector);
        settle.withdraw(address(0), SLOT2);
        for (uint256 i; i < 4; ++i) {
            address to = address(uint160(0xD000 + i));
            vm.expectEmit(SETTLE);
            emit Withdrawn(payees[i], address(0), to, amounts[i]);
            vm.prank(payees[i]);
            settle.withdraw(address(0), to);
            assertEq(to.balance, amounts[i]);
            assertEq(settle.creditOf(payees[i], address(0)), 0);
        }
        assertEq(SETTLE.balance, 0);
        vm.prank(SLOT0);
        vm.expectRevert(NothingToWithdraw.selector);
        settle.withdraw(address(0), SLOT0);
    }

    function test_payout_rejectingAggregator_refundCredited() public {
        _settleCC(address(0));
        vm.etch(AGG, address(new RejectAll()).code); // the aggregator turned out to be a contract
        (,, uint256 owed) = _owed("r3", false, ESCROW, BOND);
        _payBatch("r3", 0);
        vm.expectEmit(SETTLE);
        emit JobCompleted(JOB, ESCROW - owed, BOND);
        vm.expectEmit(SETTLE);
        emit Credited(AGG, address(0), JOB, LedgerKind.Escrow, ESCROW - owed);
        vm.expectEmit(SETTLE);
        emit Credited(AGG, address(0), JOB, LedgerKind.Bond, BOND);
        _payBatch("r3", 1);
        assertEq(settle.creditOf(AGG, address(0)), ESCROW - owed + BOND);
        JobView memory j = settle.getJob(JOB);
        assertEq(j.escrowOut, ESCROW);
        assertEq(j.bondOut, BOND);
        assertEq(AGG.balance, START - ESCROW - BOND);
        assertEq(SETTLE.balance, ESCROW - owed + BOND, "only the aggregator's credit remains");
        _assertLedgers(JOB);
        vm.prank(AGG);
        settle.withdraw(address(0), AGG2);
        assertEq(AGG2.balance, START + ESCROW - owed + BOND);
        assertEq(SETTLE.balance, 0);
    }

    // ---------------------------------------------------------------------------------- tokens

    function test_payout_erc20_feeOnTransfer() public {
        JobTerms memory t = _terms(Variant.CommitChallenge, address(fotToken));
        t.escrow = ESCROW * 100 / 99 + 100;
        uint256 arrived = t.escrow - t.escrow / 100;
        t.bond = arrived / 10 + 1;
        _create(t);
        assertEq(jobCfg.terms.escrow, arrived, "the config books what arrived");
        _commitRounds(3);
        _finalize();
        _open();
        (address[] memory payees, uint256[] memory amounts, uint256 owed) = _owed("r3", false, arrived, t.bond);
        vm.recordLogs();
        _payAll("r3");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < payees.length; ++i) {
            assertEq(fotToken.balanceOf(payees[i]), amounts[i] - amounts[i] / 100, "the token's fee is the payee's");
        }
        uint256 batchOut;
        uint256 refunded;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != SETTLE) continue;
            bytes32 sig = logs[i].topics[0];
            if (sig == BatchPaid.selector) {
                (uint256 e, uint256 b) = abi.decode(logs[i].data, (uint256, uint256));
                batchOut += e;
                assertEq(b, 0);
            } else if (sig == Transferred.selector && uint256(logs[i].topics[2]) == uint256(LedgerKind.Escrow)) {
                (uint256 amount, bool refund) = abi.decode(logs[i].data, (uint256, bool));
                assertTrue(refund);
                assertEq(address(uint160(uint256(logs[i].topics[3]))), AGG);
                refunded += amount;
            } else {
                assertTrue(sig != Credited.selector, "nothing credited");
            }
        }
        assertEq(batchOut, owed, "booked by balance delta out of the contract");
        assertEq(refunded, arrived - owed, "the remainder of what arrived is refunded");
        assertEq(fotToken.balanceOf(AGG), (arrived - owed) - (arrived - owed) / 100);
        JobView memory j = settle.getJob(JOB);
        assertEq(j.escrowOut, arrived);
        assertEq(fotToken.balanceOf(SETTLE), 0);
        _assertLedgers(JOB);
    }

    function test_payout_erc20_returnsFalse_credited() public {
        _settleCC(address(falseToken));
        falseToken.setBlocked(SLOT3, true); // a blacklisted payee: transfer returns false
        (, uint256[] memory amounts,) = _owed("r3", false, ESCROW, BOND);
        vm.expectEmit(SETTLE);
        emit Credited(SLOT3, address(falseToken), JOB, LedgerKind.Escrow, amounts[3]);
        _payAll("r3");
        assertEq(falseToken.balanceOf(SLOT3), 0);
        assertEq(settle.creditOf(SLOT3, address(falseToken)), amounts[3]);
        assertEq(falseToken.balanceOf(SETTLE), amounts[3]);
        assertEq(falseToken.balanceOf(PARTICIPANT), amounts[4]);
        _assertLedgers(JOB);
        _assertTokenLedger(falseToken);
        // still blocked: the withdrawal fails and the credit stays; to another address it works
        vm.prank(SLOT3);
        vm.expectRevert(WithdrawFailed.selector);
        settle.withdraw(address(falseToken), SLOT3);
        assertEq(settle.creditOf(SLOT3, address(falseToken)), amounts[3]);
        vm.prank(SLOT3);
        settle.withdraw(address(falseToken), STRANGER);
        assertEq(falseToken.balanceOf(STRANGER), amounts[3]);
        assertEq(falseToken.balanceOf(SETTLE), 0);
        assertEq(settle.creditOf(SLOT3, address(falseToken)), 0);
    }

    function test_payout_erc20_noReturnValue() public {
        _settleCC(address(noReturnToken));
        noReturnToken.setBlocked(SLOT1, true); // reverts for this payee
        (address[] memory payees, uint256[] memory amounts, uint256 owed) = _owed("r3", false, ESCROW, BOND);
        _payAll("r3");
        for (uint256 i; i < payees.length; ++i) {
            if (i == 1) continue;
            assertEq(noReturnToken.balanceOf(payees[i]), amounts[i]);
        }
        assertEq(settle.creditOf(SLOT1, address(noReturnToken)), amounts[1]);
        assertEq(noReturnToken.balanceOf(AGG), ESCROW - owed, "the refund works without a return value");
        assertEq(AGG.balance, START, "and the bond returns");
        _assertLedgers(JOB);
        _assertTokenLedger(noReturnToken);
        noReturnToken.setBlocked(SLOT1, false);
        vm.prank(SLOT1);
        settle.withdraw(address(noReturnToken), SLOT1);
        assertEq(noReturnToken.balanceOf(SLOT1), amounts[1]);
        assertEq(noReturnToken.balanceOf(SETTLE), 0);
    }

    function test_payout_erc20_claimsSuccessMovesNothing_credited() public {
        _settleCC(address(lyingToken));
        lyingToken.setBlocked(SLOT2, true); // returns true but moves nothing: caught by balance delta
        (, uint256[] memory amounts,) = _owed("r3", false, ESCROW, BOND);
        vm.expectEmit(SETTLE);
        emit Credited(SLOT2, address(lyingToken), JOB, LedgerKind.Escrow, amounts[2]);
        _payAll("r3");
        assertEq(lyingToken.balanceOf(SLOT2), 0);
        assertEq(settle.creditOf(SLOT2, address(lyingToken)), amounts[2]);
        assertEq(lyingToken.balanceOf(SETTLE), amounts[2]);
        _assertLedgers(JOB);
        _assertTokenLedger(lyingToken);
        // withdrawing to the still-lying destination fails (balance delta again); elsewhere it works
        vm.prank(SLOT2);
        vm.expectRevert(WithdrawFailed.selector);
        settle.withdraw(address(lyingToken), SLOT2);
        vm.prank(SLOT2);
        settle.withdraw(address(lyingToken), STRANGER);
        assertEq(lyingToken.balanceOf(STRANGER), amounts[2]);
    }

    function test_payout_erc20_takesMore_reverts() public {
        // A token that takes more than the amount would drain other jobs: the batch is refused.
        _settleCC(address(greedyToken));
        _payReverts(_batch("r3", 0), _payoutProof("r3", 0), abi.encodeWithSelector(TokenMisbehaved.selector));
        assertFalse(settle.isBatchPaid(JOB, 0));
        assertEq(settle.getJob(JOB).escrowOut, 0);
        assertEq(greedyToken.balanceOf(SETTLE), ESCROW);
    }

    function test_payout_erc20_returnBomb_succeeds() public {
        _settleCC(address(bombToken));
        (address[] memory payees, uint256[] memory amounts,) = _owed("r3", false, ESCROW, BOND);
        uint256 used = _measuredBatch(0, false);
        // each payee: a fresh token balance (22k) plus two balance reads; copying 50 kB would not fit
        assertLt(used, 400_000 + B * 60_000, "the 50 kB returndata is never copied");
        for (uint256 i; i < B; ++i) {
            assertEq(bombToken.balanceOf(payees[i]), amounts[i]);
        }
    }

    /// @dev Issue 7 item 6 with the bed's `TokenHookPayee`: its hook sends `amount + 1` back with
    ///      `HookToken.transfer`, which calls the hook of its own recipient (SettleFL, which has none),
    ///      so the send-back reverts and with it the payment. Either way the payee is credited, the job
    ///      completes and every other payee is paid.
    function test_payout_erc20_tokenHookPayee_creditedNotBricked_succeeds() public {
        _settleCC(address(hookToken));
        deployCodeTo("Tokens.sol:TokenHookPayee", SLOT2);
        hookToken.mint(SLOT2, 1 ether); // enough to send back amount + 1
        _assertHookPayeeCredited(1 ether);
    }

    /// @dev Issue 7 item 6, the path that makes SettleFL's balance rise: the payee's hook sends
    ///      `amount + 1` back with `transferFrom` (no hook on SettleFL's side), so the transfer "succeeds"
    ///      and SettleFL's balance is higher afterwards. That is a failed transfer: credited, not a revert
    ///      that bricks the job.
    function test_payout_erc20_hookSendsBackMore_creditedNotBricked_succeeds() public {
        _settleCC(address(hookToken));
        vm.etch(SLOT2, address(new SendBackHookPayee()).code);
        hookToken.mint(SLOT2, 1 ether);
        vm.prank(SLOT2);
        hookToken.approve(SLOT2, type(uint256).max); // its hook spends its own tokens by transferFrom
        (, uint256[] memory amounts,) = _owed("r3", false, ESCROW, BOND);
        // the hook really ran: SettleFL received amount + 1 from the payee inside the payment
        vm.expectEmit(address(hookToken));
        emit MockToken.Transfer(SLOT2, SETTLE, amounts[2] + 1);
        uint256 surplus = _assertHookPayeeCredited(1 ether);
        assertEq(surplus, 1, "SettleFL keeps the one extra token the hook sent (a donation)");
    }

    /// @dev Pays every batch of the hook-token job and checks the hook payee at SLOT2 (holding
    ///      `minted` tokens of its own) is credited its amount, everyone else is paid, the job completes,
    ///      and the payee withdraws elsewhere. Returns SettleFL's token surplus over its credits.
    function _assertHookPayeeCredited(uint256 minted) internal returns (uint256 surplus) {
        (address[] memory payees, uint256[] memory amounts, uint256 owed) = _owed("r3", false, ESCROW, BOND);
        vm.expectEmit(SETTLE);
        emit Credited(SLOT2, address(hookToken), JOB, LedgerKind.Escrow, amounts[2]);
        _payAll("r3");
        JobView memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Completed), "the job completes");
        assertEq(j.escrowOut, ESCROW);
        for (uint256 i; i < payees.length; ++i) {
            if (i == 2) continue;
            assertEq(hookToken.balanceOf(payees[i]), amounts[i], "every other payee is paid");
        }
        assertEq(hookToken.balanceOf(AGG), ESCROW - owed, "the remainder returns");
        assertEq(settle.creditOf(SLOT2, address(hookToken)), amounts[2], "the hook payee's credit is its amount");
        uint256 held = hookToken.balanceOf(SETTLE);
        assertGe(held, amounts[2], "SettleFL holds at least the credit");
        surplus = held - amounts[2];
        assertEq(hookToken.balanceOf(SLOT2), minted - surplus, "the payee paid the surplus");
        _assertLedgers(JOB);

        // withdrawing to itself would run the hook again (a failed transfer); elsewhere it works
        vm.prank(SLOT2);
        vm.expectRevert(WithdrawFailed.selector);
        settle.withdraw(address(hookToken), SLOT2);
        address to = address(uint160(0xD002));
        vm.expectEmit(SETTLE);
        emit Withdrawn(SLOT2, address(hookToken), to, amounts[2]);
        vm.prank(SLOT2);
        settle.withdraw(address(hookToken), to);
        assertEq(hookToken.balanceOf(to), amounts[2]);
        assertEq(settle.creditOf(SLOT2, address(hookToken)), 0);
        assertEq(hookToken.balanceOf(SETTLE), surplus);
    }

    // ------------------------------------------------------------------------- total = 0 edges

    function test_payout_totalZero_clean_firstBatchCompletes_succeeds() public {
        // No round committed: the settled state is genesis (total = 0). Nobody is owed anything, so the
        // first batch completes the job and everything returns to the aggregator.
        _createCC();
        _finalize();
        _open();
        assertEq(_tip(), 0);
        vm.expectEmit(SETTLE);
        emit BatchPaid(JOB, 0, SUBMITTER, 0, 0);
        vm.expectEmit(SETTLE);
        emit JobCompleted(JOB, ESCROW, BOND);
        _payBatch("r0", 0);
        JobView memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Completed));
        assertEq(j.paidBatches, 0, "one batch of two was needed, and completing needs no bitmap");
        assertEq(AGG.balance, START);
        assertEq(SETTLE.balance, 0);
        _assertLedgers(JOB);
        _payReverts(_batch("r0", 1), _payoutProof("r0", 1), abi.encodeWithSelector(PayoutsNotOpen.selector));
    }

    function test_payout_totalZero_fault_escrowReturnsBondToRecipient_succeeds() public {
        // Round 1 challenged and unanswered: the fault settles genesis (total = 0). Any batch (here the
        // second) completes the job: the escrow returns to the aggregator, the whole bond goes to the
        // reward recipient (rho at opening, the participants' share with nobody to share it at the end).
        _createCC();
        _commitRounds(3);
        _challenge(CHALLENGER, 1);
        skip(RESPONSE + 1);
        _resolve(1);
        assertEq(_tip(), 0);
        _open();
        assertEq(CHALLENGER.balance, START + RHO, "rho at opening, the challenger bond refunded");
        vm.expectEmit(SETTLE);
        emit JobCompleted(JOB, ESCROW, BOND - RHO);
        vm.expectEmit(SETTLE);
        emit Transferred(JOB, LedgerKind.Escrow, AGG, ESCROW, true);
        vm.expectEmit(SETTLE);
        emit Transferred(JOB, LedgerKind.Bond, CHALLENGER, BOND - RHO, false);
        _payBatch("r0", 1);
        JobView memory j = settle.getJob(JOB);
        assertEq(uint8(j.phase), uint8(Phase.Completed));
        assertEq(j.paidBatches, 0, "batch 1 alone completed it");
        assertEq(AGG.balance, START - BOND, "the escrow returns, the bond does not");
        assertEq(CHALLENGER.balance, START + BOND);
        assertEq(SETTLE.balance, 0);
        _assertLedgers(JOB);
    }

    // ------------------------------------------------------------------------------- two jobs

    function test_payout_twoJobs_separateLedgers_succeeds() public {
        // Job 2 (AGG2) stays untouched while the standard job pays out on a fault, and neither job's
        // configuration opens the other.
        uint256[] memory words = vm.parseJsonUintArray(fx, ".job2.genesis.words");
        uint256 c0 = vm.parseJsonUint(fx, ".job2.genesis.commitment");
        vm.recordLogs();
        vm.prank(AGG2);
        settle.createJob{value: ESCROW + BOND}(
            NONCE, _terms(Variant.CommitChallenge, address(0)), c0, words, _proof("genesisJob2")
        );
        JobConfig memory cfg2 = _createdConfig(JOB2);
        JobView memory before = settle.getJob(JOB2);

        _settleFault(address(0));
        History memory h = _tipHist();
        PayoutBatch memory b = _batch("r1", 0);
        Proof memory p = _payoutProof("r1", 0);
        vm.prank(SUBMITTER);
        vm.expectRevert(ConfigMismatch.selector);
        settle.payout(JOB, cfg2, h, b, p);
        vm.prank(SUBMITTER);
        vm.expectRevert(PayoutsNotOpen.selector); // job 2 is active (its cfg opens it, not JOB's)
        settle.payout(JOB2, cfg2, h, b, p);
        vm.prank(SUBMITTER);
        vm.expectRevert(ConfigMismatch.selector);
        settle.payout(JOB2, jobCfg, h, b, p);

        _payAll("r1");
        assertEq(uint8(_phase()), uint8(Phase.Completed));
        JobView memory afterwards = settle.getJob(JOB2);
        assertEq(keccak256(abi.encode(before)), keccak256(abi.encode(afterwards)), "job 2 untouched");
        (uint256 e, uint256 bond, uint256 d) = settle.heldOf(JOB2, cfg2);
        assertEq(e, ESCROW);
        assertEq(bond, BOND);
        assertEq(d, 0);
        (e, bond, d) = settle.heldOf(JOB, jobCfg);
        assertEq(e + bond + d, 0, "the standard job holds nothing");
        assertEq(_ethCredits(), 0);
        assertEq(SETTLE.balance, ESCROW + BOND, "exactly job 2's money remains");
    }

    // ------------------------------------------------------------------------------ withdrawals

    function test_withdraw_nothing_reverts() public {
        vm.prank(STRANGER);
        vm.expectRevert(NothingToWithdraw.selector);
        settle.withdraw(address(token), STRANGER);
        vm.prank(STRANGER);
        vm.expectRevert(NothingToWithdraw.selector);
        settle.withdraw(address(0), STRANGER);
    }

    function test_withdraw_creditIsPerToken_succeeds() public {
        // A token credit is withdrawn in that token only; an ETH withdrawal of the same account fails.
        _settleCC(address(falseToken));
        falseToken.setBlocked(SLOT3, true);
        (, uint256[] memory amounts,) = _owed("r3", false, ESCROW, BOND);
        _payAll("r3");
        vm.prank(SLOT3);
        vm.expectRevert(NothingToWithdraw.selector);
        settle.withdraw(address(0), SLOT3);
        vm.prank(SLOT3);
        vm.expectRevert(NothingToWithdraw.selector);
        settle.withdraw(address(token), SLOT3);
        vm.prank(SLOT3);
        settle.withdraw(address(falseToken), STRANGER);
        assertEq(falseToken.balanceOf(STRANGER), amounts[3]);
        vm.prank(SLOT3);
        vm.expectRevert(NothingToWithdraw.selector); // once only
        settle.withdraw(address(falseToken), STRANGER);
    }

    // ---------------------------------------------------------------------------------- helpers

    /// @dev Gas of one payout call of the standard job's round-3 batch, arguments prepared beforehand.
    function _measuredBatch(uint256 batch, bool expectReentry) internal returns (uint256 used) {
        PayoutBatch memory b = _batch("r3", batch);
        Proof memory p = _payoutProof("r3", batch);
        History memory h = _tipHist();
        JobConfig memory c = jobCfg;
        if (expectReentry) vm.expectCall(SETTLE, abi.encodeCall(ISettleFL.withdraw, (address(0), SLOT2)));
        vm.prank(SUBMITTER);
        uint256 before = gasleft();
        settle.payout(JOB, c, h, b, p);
        used = before - gasleft();
    }

    /// @dev Credits in `asset` of every account a standard-job test pays.
    function _tokenCredits(address asset) internal view returns (uint256 sum) {
        address[9] memory actors =
            [AGG, AGG2, SUBMITTER, PARTICIPANT, PROVER, CHALLENGER, CHALLENGER2, REQUESTER, STRANGER];
        for (uint256 i; i < actors.length; ++i) {
            sum += settle.creditOf(actors[i], asset);
        }
        for (uint256 i = 0x1000; i < 0x1020; ++i) {
            if (address(uint160(i)) != PARTICIPANT) sum += settle.creditOf(address(uint160(i)), asset);
        }
    }

    /// @dev SettleFL's balance of the standard job's token is what its escrow ledger holds plus every
    ///      credit in that token (the job is alone in the contract).
    function _assertTokenLedger(MockToken asset) internal view {
        (uint256 e,,) = settle.heldOf(JOB, jobCfg);
        assertEq(asset.balanceOf(SETTLE), e + _tokenCredits(address(asset)), "token held = escrow held + credits");
    }
}

/// @notice Rejects every ETH transfer (etched over the aggregator's address).
contract RejectAll {
    receive() external payable {
        revert();
    }
}
// forge-lint: disable-end(unsafe-typecast, block-timestamp)
