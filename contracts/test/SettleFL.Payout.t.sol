// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

// Tests cast small constants to addresses and compare warped timestamps on purpose.
// forge-lint: disable-start(unsafe-typecast, block-timestamp)

import {SettleFLTest} from "./utils/SettleFLTest.sol";
import {ISettleFL} from "../src/interfaces/ISettleFL.sol";
import {GasBombPayee, ReturnBombPayee, ReentrantPayee, RejectingPayee} from "./mocks/Payees.sol";

/// @notice Payout batches: calldata checks, hostile payees (gas bomb, return bomb, re-entry, rejection),
///         hostile or quirky tokens, the gas guard, credits and withdrawals.
contract SettleFLPayoutTest is SettleFLTest {
    function _settleCC(address asset) internal {
        _create(_terms(Variant.CommitChallenge, asset));
        _commitRounds(3);
        _finalize();
        _open();
    }

    // ----------------------------------------------------------------------------- calldata

    function test_payout_aliasedWord_reverts() public {
        // THREATS "Aliased payout words": w + p equals w mod p but decodes to another payee.
        _settleCC(address(0));
        uint256[] memory words = _payoutWords("r3", 0);
        words[7] += P;
        vm.prank(SUBMITTER);
        vm.expectRevert(abi.encodeWithSelector(WordOutOfRange.selector, 7));
        settle.payout(JOB, 0, _n("r3"), _total("r3"), words, _payoutProof("r3", 0));
    }

    function test_payout_wrongLength_reverts() public {
        _settleCC(address(0));
        uint256[] memory words = _payoutWords("r3", 1);
        uint256[] memory shorter = new uint256[](B - 1);
        for (uint256 i; i < B - 1; ++i) {
            shorter[i] = words[i];
        }
        vm.prank(SUBMITTER);
        vm.expectRevert(abi.encodeWithSelector(WrongBatchLength.selector, B, B - 1));
        settle.payout(JOB, 1, _n("r3"), _total("r3"), shorter, _payoutProof("r3", 1));
    }

    function test_payout_emptyBatch_reverts() public {
        // THREATS "Empty batches": batch 2 would start at slot 32, past n = 22.
        _settleCC(address(0));
        vm.prank(SUBMITTER);
        vm.expectRevert(abi.encodeWithSelector(EmptyBatch.selector, 2));
        settle.payout(JOB, 2, _n("r3"), _total("r3"), new uint256[](B), _payoutProof("r3", 1));
        vm.prank(SUBMITTER);
        vm.expectRevert(abi.encodeWithSelector(EmptyBatch.selector, type(uint256).max));
        settle.payout(JOB, type(uint256).max, _n("r3"), _total("r3"), new uint256[](B), _payoutProof("r3", 1));
    }

    function test_payout_absoluteUnits_notDiluted() public {
        // THREATS "Dilution by shares": round 3 gave slot 4 a huge row (2^20 units); everyone else is
        // still paid S_i * u exactly, because units are absolute and backed by maxUnits * u <= escrow.
        _settleCC(address(0));
        uint256[] memory words = _payoutWords("r3", 0);
        assertGt(words[4] >> 160, 1 << 20, "slot 4 holds the big row");
        uint256 before = SLOT0.balance;
        _payBatch("r3", 0);
        assertEq(SLOT0.balance - before, (words[0] >> 160) * UNIT_PRICE);
    }

    function test_payout_wordWithoutPayee_skippedNotBricked() public {
        // An invalid round nobody challenged ("bad4": a used slot holding units but the zero address)
        // must not brick its batch: the word is skipped, its share stays in the escrow and returns with
        // the remainder, and everyone else is paid S_i * u.
        _create(_terms(Variant.CommitChallenge, address(0)));
        _commitRounds(3);
        skip(1 hours);
        vm.prank(AGG);
        settle.commit(JOB, _C("bad4"));
        times[4] = uint32(block.timestamp);
        _finalize();
        (uint256 notBefore,,) = settle.payoutsOpenAfter(JOB);
        vm.warp(notBefore + 1);
        vm.prank(STRANGER);
        settle.openPayouts(JOB, RoundRef(_C("bad4"), times[4]));

        uint256 aggBefore = AGG.balance;
        uint256 zeroBefore = address(0).balance;
        uint256[] memory words = _payoutWords("bad4", 1);
        uint256 slot22 = words[22 - B];
        assertEq(uint160(slot22), 0, "slot 22 has no payee");
        assertEq(slot22 >> 160, 500, "but holds 500 units");
        uint256 slot21Before = address(uint160(words[21 - B])).balance;
        _payAll("bad4");

        assertEq(uint8(settle.getJob(JOB).phase), uint8(Phase.Completed));
        assertEq(address(0).balance, zeroBefore, "nothing is sent to the zero address");
        assertEq(address(uint160(words[21 - B])).balance - slot21Before, (words[21 - B] >> 160) * UNIT_PRICE);
        assertEq(AGG.balance - aggBefore, ESCROW - _total("r3") * UNIT_PRICE + BOND, "the skipped share returns");
        _assertLedgers(JOB);
    }

    function test_payout_twice_reverts() public {
        _settleCC(address(0));
        _payBatch("r3", 1);
        assertTrue(settle.isBatchPaid(JOB, 1));
        assertFalse(settle.isBatchPaid(JOB, 0));
        vm.prank(SUBMITTER);
        vm.expectRevert(abi.encodeWithSelector(BatchAlreadyPaid.selector, 1));
        settle.payout(JOB, 1, _n("r3"), _total("r3"), _payoutWords("r3", 1), _payoutProof("r3", 1));
    }

    function test_payout_beforeOpen_reverts() public {
        _create(_terms(Variant.CommitChallenge, address(0)));
        _commitRounds(3);
        _finalize();
        vm.prank(SUBMITTER);
        vm.expectRevert(PayoutsNotOpen.selector);
        settle.payout(JOB, 0, _n("r3"), _total("r3"), _payoutWords("r3", 0), _payoutProof("r3", 0));
    }

    function test_payout_frontRun_reverts() public {
        _settleCC(address(0));
        vm.prank(STRANGER); // x binds msg.sender
        vm.expectRevert(InvalidProof.selector);
        settle.payout(JOB, 0, _n("r3"), _total("r3"), _payoutWords("r3", 0), _payoutProof("r3", 0));
    }

    function test_payout_tamperedWords_reverts() public {
        _settleCC(address(0));
        uint256[] memory words = _payoutWords("r3", 0);
        (words[2], words[3]) = (words[3], words[2]); // two payees swap places
        vm.prank(SUBMITTER);
        vm.expectRevert(InvalidProof.selector);
        settle.payout(JOB, 0, _n("r3"), _total("r3"), words, _payoutProof("r3", 0));
        words = _payoutWords("r3", 0);
        words[2] += 1 << 160; // one more unit
        words[3] -= 1 << 160; // taken from a neighbour
        vm.prank(SUBMITTER);
        vm.expectRevert(InvalidProof.selector);
        settle.payout(JOB, 0, _n("r3"), _total("r3"), words, _payoutProof("r3", 0));
    }

    function test_payout_otherState_reverts() public {
        // A proof of an earlier state (round 2) cannot pay a job settled at round 3.
        _settleCC(address(0));
        vm.prank(SUBMITTER);
        vm.expectRevert(InvalidProof.selector);
        settle.payout(JOB, 0, _n("r2"), _total("r2"), _payoutWords("r2", 0), _payoutProof("r2", 0));
    }

    function test_payout_settlement_reverts() public {
        _settleCC(address(0));
        vm.prank(SUBMITTER);
        vm.expectRevert(BadSettlement.selector);
        settle.payout(JOB, 0, 0, _total("r3"), _payoutWords("r3", 0), _payoutProof("r3", 0));
        vm.prank(SUBMITTER);
        vm.expectRevert(BadSettlement.selector);
        settle.payout(JOB, 0, _n("r3"), MAX_UNITS + 1, _payoutWords("r3", 0), _payoutProof("r3", 0));
        vm.prank(SUBMITTER);
        vm.expectRevert(InvalidProof.selector);
        settle.payout(JOB, 0, _n("r3") - 1, _total("r3"), _payoutWords("r3", 0), _payoutProof("r3", 0));
        _payBatch("r3", 0);
        Job memory j = settle.getJob(JOB);
        assertEq(j.n, _n("r3"));
        assertEq(j.total, _total("r3"));
        assertEq(j.batches, 2);
        vm.prank(SUBMITTER);
        vm.expectRevert(SettlementMismatch.selector);
        settle.payout(JOB, 1, _n("r3") + 1, _total("r3"), _payoutWords("r3", 1), _payoutProof("r3", 1));
    }

    // ------------------------------------------------------------------------------- gas rules

    function test_payout_starvedVerifier_revertsInvalidProof() public {
        // A snarkjs verifier returns false when the pairing runs out of gas: the check is require'd.
        _settleCC(address(0));
        uint256[] memory words = _payoutWords("r3", 0);
        Proof memory p = _payoutProof("r3", 0);
        uint256 n = _n("r3");
        uint256 total = _total("r3");
        vm.prank(SUBMITTER);
        vm.expectRevert(InvalidProof.selector);
        settle.payout{gas: 180_000}(JOB, 0, n, total, words, p);
        assertFalse(settle.isBatchPaid(JOB, 0));
    }

    function test_payout_gasGuard_revertsBatch() public {
        // A submitter cannot starve the payees' calls into credits: the batch reverts instead.
        _settleCC(address(0));
        uint256[] memory words = _payoutWords("r3", 0);
        Proof memory p = _payoutProof("r3", 0);
        uint256 n = _n("r3");
        uint256 total = _total("r3");
        vm.prank(SUBMITTER);
        vm.expectRevert(InsufficientGas.selector);
        settle.payout{gas: 500_000}(JOB, 0, n, total, words, p);
        assertFalse(settle.isBatchPaid(JOB, 0));
        assertEq(settle.creditOf(SLOT0, address(0)), 0);
        _payBatch("r3", 0); // with enough gas it goes through
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
        uint256[] memory words = _payoutWords(state, batch);
        Proof memory p = _payoutProof(state, batch);
        uint256 n = _n(state);
        uint256 total = _total(state);
        vm.prank(SUBMITTER);
        uint256 before = gasleft();
        settle.payout(JOB, batch, n, total, words, p);
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
        for (uint256 i; i < 22; ++i) {
            assertGt(settle.creditOf(address(uint160(0x1000 + i)), address(0)), 0, "every payee credited");
        }
        _assertLedgers(JOB);
    }

    function test_payout_everyPayeeFailing_tokenFaultBatchFitsTxCap() public {
        // The heaviest case: an ERC-20 escrow on a fault pays each payee a token leg (escrow pro
        // rata) and an ETH leg (its share of the bond). Hostile payees can only make the ETH leg fail
        // (an allowlisted token's cost does not depend on the payee); B = 128 must still fit.
        _create(_terms(Variant.CommitChallenge, address(token)));
        _commitRounds(3);
        _challenge(CHALLENGER, 2);
        skip(RESPONSE + 1);
        settle.resolve(JOB, 2); // settles round 1: n = 20
        _open();
        _everyPayeeHostile();
        uint256 small = _measured("r1", 1); // 4 payees
        uint256 large = _measured("r1", 0); // 16 payees, and completion
        uint256 perPayee = (large - small) / 12;
        uint256 fixedPart = small - 4 * perPayee;
        emit log_named_uint("ERC-20 fault: per payee", perPayee);
        emit log_named_uint("ERC-20 fault: fixed part", fixedPart);
        assertLe(perPayee, settle.TOKEN_PAYEE_GAS() + settle.PAYEE_OVERHEAD_GAS(), "per payee, both legs");
        assertLe(fixedPart + 128 * perPayee, 1 << 24, "a 128-payee ERC-20 fault batch fits the cap");
        _assertLedgers(JOB);
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
        assertEq(settle.getJob(JOB).escrow.credited, credited);
        _payBatch("r3", 1);
        assertEq(AGG.balance, 100 ether - owed, "completion refunds the aggregator despite the credits");
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
        _payAll("r3");
        (,, uint256 owed) = _owed("r3", false, ESCROW, BOND);
        assertEq(settle.creditOf(AGG, address(0)), ESCROW - owed + BOND);
        Job memory j = settle.getJob(JOB);
        assertEq(j.escrow.credited, ESCROW - owed);
        assertEq(j.bond.credited, BOND);
        _assertLedgers(JOB);
    }

    // ---------------------------------------------------------------------------------- tokens

    function test_payout_erc20_feeOnTransfer() public {
        JobTerms memory t = _terms(Variant.CommitChallenge, address(fotToken));
        t.escrow = ESCROW * 100 / 99 + 100;
        uint256 arrived = t.escrow - t.escrow / 100;
        t.bond = arrived / 10 + 1;
        fotToken.mint(AGG, t.escrow);
        vm.prank(AGG);
        fotToken.approve(SETTLE, t.escrow);
        vm.prank(AGG);
        settle.createJob{value: t.bond}(0, t, _C("r0"), _words("r0"), _proof("genesis"));
        _commitRounds(3);
        _finalize();
        _open();
        (address[] memory payees, uint256[] memory amounts, uint256 owed) = _owed("r3", false, arrived, t.bond);
        _payAll("r3");
        for (uint256 i; i < payees.length; ++i) {
            assertEq(fotToken.balanceOf(payees[i]), amounts[i] - amounts[i] / 100, "the token's fee is the payee's");
        }
        Job memory j = settle.getJob(JOB);
        assertEq(j.escrow.paid, owed, "booked by balance delta out of the contract");
        assertEq(j.escrow.refunded, arrived - owed);
        assertEq(fotToken.balanceOf(SETTLE), 0);
        _assertLedgers(JOB);
    }

    function test_payout_erc20_returnsFalse_credited() public {
        _create(_terms(Variant.CommitChallenge, address(falseToken)));
        _commitRounds(3);
        _finalize();
        _open();
        falseToken.setBlocked(SLOT3, true); // a blacklisted payee: transfer returns false
        (, uint256[] memory amounts,) = _owed("r3", false, ESCROW, BOND);
        _payAll("r3");
        assertEq(falseToken.balanceOf(SLOT3), 0);
        assertEq(settle.creditOf(SLOT3, address(falseToken)), amounts[3]);
        assertEq(falseToken.balanceOf(SETTLE), amounts[3]);
        assertEq(falseToken.balanceOf(SLOT4()), amounts[4]);
        _assertLedgers(JOB);
        // still blocked: the withdrawal fails and the credit stays; to another address it works
        vm.prank(SLOT3);
        vm.expectRevert(WithdrawFailed.selector);
        settle.withdraw(address(falseToken), SLOT3);
        vm.prank(SLOT3);
        settle.withdraw(address(falseToken), STRANGER);
        assertEq(falseToken.balanceOf(STRANGER), amounts[3]);
        assertEq(falseToken.balanceOf(SETTLE), 0);
    }

    function test_payout_erc20_noReturnValue() public {
        _create(_terms(Variant.CommitChallenge, address(noReturnToken)));
        _commitRounds(3);
        _finalize();
        _open();
        noReturnToken.setBlocked(SLOT1, true); // reverts for this payee
        (address[] memory payees, uint256[] memory amounts, uint256 owed) = _owed("r3", false, ESCROW, BOND);
        _payAll("r3");
        for (uint256 i; i < payees.length; ++i) {
            if (i == 1) continue;
            assertEq(noReturnToken.balanceOf(payees[i]), amounts[i]);
        }
        assertEq(settle.creditOf(SLOT1, address(noReturnToken)), amounts[1]);
        assertEq(noReturnToken.balanceOf(AGG), ESCROW - owed);
        _assertLedgers(JOB);
    }

    function test_payout_erc20_claimsSuccessMovesNothing_credited() public {
        _create(_terms(Variant.CommitChallenge, address(lyingToken)));
        _commitRounds(3);
        _finalize();
        _open();
        lyingToken.setBlocked(SLOT2, true); // returns true but moves nothing: caught by balance delta
        (, uint256[] memory amounts,) = _owed("r3", false, ESCROW, BOND);
        _payAll("r3");
        assertEq(lyingToken.balanceOf(SLOT2), 0);
        assertEq(settle.creditOf(SLOT2, address(lyingToken)), amounts[2]);
        assertEq(lyingToken.balanceOf(SETTLE), amounts[2]);
        _assertLedgers(JOB);
    }

    function test_payout_erc20_takesMore_reverts() public {
        // A token that takes more than the amount would drain other jobs: the batch is refused.
        _create(_terms(Variant.CommitChallenge, address(greedyToken)));
        _commitRounds(3);
        _finalize();
        _open();
        vm.prank(SUBMITTER);
        vm.expectRevert(TokenMisbehaved.selector);
        settle.payout(JOB, 0, _n("r3"), _total("r3"), _payoutWords("r3", 0), _payoutProof("r3", 0));
        assertFalse(settle.isBatchPaid(JOB, 0));
    }

    function test_payout_erc20_returnBomb_succeeds() public {
        _create(_terms(Variant.CommitChallenge, address(bombToken)));
        _commitRounds(3);
        _finalize();
        _open();
        (address[] memory payees, uint256[] memory amounts,) = _owed("r3", false, ESCROW, BOND);
        uint256 used = _measuredBatch(0, false);
        // each payee: a fresh token balance (22k) plus two balance reads; copying 50 kB would not fit
        assertLt(used, 400_000 + B * 60_000, "the 50 kB returndata is never copied");
        for (uint256 i; i < B; ++i) {
            assertEq(bombToken.balanceOf(payees[i]), amounts[i]);
        }
    }

    function test_withdraw_nothing_reverts() public {
        vm.prank(STRANGER);
        vm.expectRevert(NothingToWithdraw.selector);
        settle.withdraw(address(token), STRANGER);
    }

    /// @dev Gas of one payout call of the standard job's round-3 batch, arguments prepared beforehand.
    function _measuredBatch(uint256 batch, bool expectReentry) internal returns (uint256 used) {
        uint256[] memory words = _payoutWords("r3", batch);
        Proof memory p = _payoutProof("r3", batch);
        uint256 n = _n("r3");
        uint256 total = _total("r3");
        if (expectReentry) vm.expectCall(SETTLE, abi.encodeCall(ISettleFL.withdraw, (address(0), SLOT2)));
        vm.prank(SUBMITTER);
        uint256 before = gasleft();
        settle.payout(JOB, batch, n, total, words, p);
        used = before - gasleft();
    }

    function SLOT4() internal pure returns (address) {
        return address(uint160(0x1004));
    }
}

/// @notice Rejects every ETH transfer (etched over the aggregator's address).
contract RejectAll {
    receive() external payable {
        revert();
    }
}
// forge-lint: disable-end(unsafe-typecast, block-timestamp)
