// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

/// @notice A minimal ERC-20 with hooks for hostile behaviour. Balances are plain; `fee` bps are burnt
///         from every transfer's amount (fee-on-transfer); `blocked` recipients make `transfer` fail in
///         the style chosen by the subclass.
contract MockToken {
    string public name = "Mock";
    uint8 public constant decimals = 18;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    mapping(address => bool) public blocked;
    uint256 public feeBps;

    event Transfer(address indexed from, address indexed to, uint256 value);

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
        totalSupply += amount;
    }

    function setBlocked(address who, bool on) external {
        blocked[who] = on;
    }

    function setFee(uint256 bps) external {
        feeBps = bps;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }

    function transfer(address to, uint256 amount) external virtual returns (bool) {
        if (blocked[to]) return _blockedResult();
        _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external virtual returns (bool) {
        allowance[from][msg.sender] -= amount;
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) internal {
        balanceOf[from] -= amount;
        uint256 fee = amount * feeBps / 10_000;
        balanceOf[to] += amount - fee;
        totalSupply -= fee;
        emit Transfer(from, to, amount - fee);
    }

    function _blockedResult() internal virtual returns (bool) {
        revert("blocked");
    }
}

/// @notice Returns false (instead of reverting) for blocked recipients.
contract FalseToken is MockToken {
    function _blockedResult() internal pure override returns (bool) {
        return false;
    }
}

/// @notice Returns nothing from transfer/transferFrom (USDT style); reverts for blocked recipients.
contract NoReturnToken is MockToken {
    function transfer(address to, uint256 amount) external override returns (bool) {
        if (blocked[to]) revert("blocked");
        _move(msg.sender, to, amount);
        assembly ("memory-safe") {
            return(0, 0)
        }
    }

    function transferFrom(address from, address to, uint256 amount) external override returns (bool) {
        allowance[from][msg.sender] -= amount;
        _move(from, to, amount);
        assembly ("memory-safe") {
            return(0, 0)
        }
    }
}

/// @notice Claims success but moves nothing for blocked recipients (caught by balance delta).
contract LyingToken is MockToken {
    function transfer(address to, uint256 amount) external override returns (bool) {
        if (blocked[to]) return true;
        _move(msg.sender, to, amount);
        return true;
    }
}

/// @notice Takes more from the sender than the amount (would drain other jobs): must be refused.
contract GreedyToken is MockToken {
    function transfer(address to, uint256 amount) external override returns (bool) {
        _move(msg.sender, to, amount);
        balanceOf[msg.sender] -= 1;
        totalSupply -= 1;
        return true;
    }
}

/// @notice Returns a huge returndata blob from transfer (a return bomb through the token).
contract ReturnBombToken is MockToken {
    function transfer(address to, uint256 amount) external override returns (bool) {
        _move(msg.sender, to, amount);
        assembly ("memory-safe") {
            mstore(0, 1)
            return(0, 50000)
        }
    }
}

/// @notice Calls a contract recipient's `onTokenReceived` after each transfer (an ERC-777-style hook).
///         A hostile payee's hook sends tokens back to the sender, so the sender's balance rises.
contract HookToken is MockToken {
    function transfer(address to, uint256 amount) external override returns (bool) {
        _move(msg.sender, to, amount);
        // A recipient without the hook (SettleFL itself, when a payee sends tokens back) is not an error.
        if (to.code.length != 0) {
            try TokenHookPayee(to).onTokenReceived(msg.sender, amount) {} catch {}
        }
        return true;
    }
}

/// @notice A payee whose token hook sends back more than it received (it holds tokens of its own).
contract TokenHookPayee {
    function onTokenReceived(address from, uint256 amount) external {
        MockToken(msg.sender).transfer(from, amount + 1);
    }
}
