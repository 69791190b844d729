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
