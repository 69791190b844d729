// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

/// @title Bounded, non-reverting transfers for payees that may be hostile
/// @notice ETH goes out with a fixed gas stipend and no returndata copy (gas bombs and return bombs
///         cannot hurt the caller); ERC-20 calls are gas-capped and read at most 32 bytes of
///         returndata (empty or `true` is success). Callers turn a failure into a withdrawable credit
///         and check ERC-20 movements by balance delta. Nothing here reverts on a payee's behaviour.
library Transfers {
    /// @notice Send `amount` wei to `to` with at most `gasLimit` gas; copies no returndata.
    function sendEth(address to, uint256 amount, uint256 gasLimit) internal returns (bool ok) {
        assembly ("memory-safe") {
            ok := call(gasLimit, to, amount, 0, 0, 0, 0)
        }
    }

    /// @notice `token.transfer(to, amount)` with at most `gasLimit` gas (all gas if `gasLimit` is 0).
    /// @return ok The call succeeded and returned nothing or a first word equal to 1.
    function transfer(address token, address to, uint256 amount, uint256 gasLimit) internal returns (bool ok) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, 0xa9059cbb00000000000000000000000000000000000000000000000000000000)
            mstore(add(ptr, 0x04), and(to, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x24), amount)
            mstore(0x00, 0)
            if iszero(gasLimit) { gasLimit := gas() }
            ok := call(gasLimit, token, 0, ptr, 0x44, 0x00, 0x20)
            ok := and(ok, or(iszero(returndatasize()), and(gt(returndatasize(), 0x1f), eq(mload(0x00), 1))))
        }
    }

    /// @notice `token.transferFrom(from, address(this), amount)` with all gas; same success rule.
    function pull(address token, address from, uint256 amount) internal returns (bool ok) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, 0x23b872dd00000000000000000000000000000000000000000000000000000000)
            mstore(add(ptr, 0x04), and(from, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x24), address())
            mstore(add(ptr, 0x44), amount)
            mstore(0x00, 0)
            ok := call(gas(), token, 0, ptr, 0x64, 0x00, 0x20)
            ok := and(ok, or(iszero(returndatasize()), and(gt(returndatasize(), 0x1f), eq(mload(0x00), 1))))
        }
    }

    /// @notice `token.balanceOf(account)` with at most `gasLimit` gas (all gas if 0), reading 32 bytes.
    function balanceOf(address token, address account, uint256 gasLimit) internal view returns (bool ok, uint256 bal) {
        assembly ("memory-safe") {
            mstore(0x00, 0x70a0823100000000000000000000000000000000000000000000000000000000)
            mstore(0x04, and(account, 0xffffffffffffffffffffffffffffffffffffffff))
            if iszero(gasLimit) { gasLimit := gas() }
            ok := staticcall(gasLimit, token, 0x00, 0x24, 0x00, 0x20)
            ok := and(ok, gt(returndatasize(), 0x1f))
            bal := mload(0x00)
        }
    }
}
