// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

/// @notice A stand-in for all four snarkjs verifiers: answers `result` for any proof (fuzz and
///         invariant tests explore money paths that real proofs cannot enumerate). Never deployed.
/// @dev Opening, Transition and Payout take three public inputs, Receipt four.
contract MockVerifier {
    bool public result = true;

    function setResult(bool r) external {
        result = r;
    }

    function verifyProof(uint256[2] calldata, uint256[2][2] calldata, uint256[2] calldata, uint256[3] calldata)
        external
        view
        returns (bool)
    {
        return result;
    }

    function verifyProof(uint256[2] calldata, uint256[2][2] calldata, uint256[2] calldata, uint256[4] calldata)
        external
        view
        returns (bool)
    {
        return result;
    }
}

/// @notice Burns all gas it gets and would return false (a verifier starved of gas returns false).
contract OutOfGasVerifier {
    function verifyProof(uint256[2] calldata, uint256[2][2] calldata, uint256[2] calldata, uint256[3] calldata)
        external
        pure
        returns (bool)
    {
        return false;
    }
}
