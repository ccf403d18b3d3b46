// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

/// @title L2Bridge
/// @notice The L2's withdrawal predeploy (in every L2 genesis at `L2_BRIDGE` of `Bridge`): sending
/// ETH to `withdraw` locks it here and records the withdrawal's hash in storage, where the L1
/// bridge reads it through an MPT proof against a finalized claim's state root. Storage layout
/// (read by `Bridge` on L1): slot 0 is `withdrawals`, slot 1 `withdrawalCount`.
contract L2Bridge {
    /// @notice Hash of withdrawal `nonce`: `keccak256(abi.encode(nonce, from, to, value))`.
    mapping(uint256 => bytes32) public withdrawals;
    /// @notice Withdrawals recorded so far (the next one's nonce).
    uint256 public withdrawalCount;

    /// @notice `from` locked `value` wei here for `to` on L1, as withdrawal `nonce`.
    event WithdrawalInitiated(
        uint256 indexed nonce, address indexed from, address indexed to, uint256 value, bytes32 hash
    );

    /// @notice A withdrawal must move some ETH.
    error NothingToWithdraw();

    /// @notice Withdraws `msg.value` to `to` on L1, once a claim covering this block finalizes.
    /// @return nonce The withdrawal's nonce, which the L1 proof names.
    function withdraw(address to) external payable returns (uint256 nonce) {
        if (msg.value == 0) revert NothingToWithdraw();
        nonce = withdrawalCount++;
        bytes32 hash = keccak256(abi.encode(nonce, msg.sender, to, msg.value));
        withdrawals[nonce] = hash;
        emit WithdrawalInitiated(nonce, msg.sender, to, msg.value, hash);
    }
}
