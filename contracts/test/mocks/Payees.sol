// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {ISettleFL} from "../../src/interfaces/ISettleFL.sol";

/// @notice Burns every unit of gas it is given.
contract GasBombPayee {
    receive() external payable {
        assembly ("memory-safe") {
            for {} 1 {} {}
        }
    }
}

/// @notice Returns as much data as it can (a return bomb: copying it would cost the caller).
contract ReturnBombPayee {
    receive() external payable {
        assembly ("memory-safe") {
            revert(0, 100000)
        }
    }
}

/// @notice Rejects ETH (a contract without a payable receive, or a blacklisted account).
contract RejectingPayee {
    receive() external payable {
        revert("no");
    }
}

/// @notice Re-enters SettleFL from its receive hook (a withdrawal of its own credit) and bubbles the
///         error. SettleFL's lock refuses the re-entry, so the payment fails and becomes a credit.
contract ReentrantPayee {
    ISettleFL public immutable settle;

    constructor(ISettleFL settle_) {
        settle = settle_;
    }

    receive() external payable {
        settle.withdraw(address(0), address(this));
    }
}

/// @notice A payee whose ERC-777-style token hook (`HookToken` calls `onTokenReceived`) sends back more
///         than it received, with `transferFrom` on its own pre-approved balance, so the token calls no
///         hook on SettleFL's side and SettleFL's balance really rises during its payment (issue 7 item 6).
contract SendBackHookPayee {
    function onTokenReceived(address from, uint256 amount) external {
        // hostile on purpose: it does not care whether the send-back succeeded
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        IERC20Like(msg.sender).transferFrom(address(this), from, amount + 1);
    }
}

interface IERC20Like {
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}
