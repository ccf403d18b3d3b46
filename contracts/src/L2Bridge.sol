// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

/// @title L2Bridge
/// @notice The L2's bridge predeploy (in every L2 genesis at `Inbox.L2_BRIDGE`).
///
/// Withdrawals: sending ETH to `withdraw` (or `withdrawCall`) locks it here and records the
/// withdrawal's hash in storage, where the L1 bridge reads it through an MPT proof against a
/// finalized claim's state root.
///
/// Messages from L1: `Inbox.depositCall` credits the message's value here and adds the message to
/// the L1's message tree, whose root each L2 block commits to as its `parentBeaconBlockRoot`. The
/// EIP-4788 contract keeps that root by block timestamp, so `relayMessage` checks a message's
/// Merkle proof against the root of any recent block, once, and makes its call with its value,
/// `l1Sender` naming who sent it. Every root covers every older message, so a message never
/// expires.
///
/// Storage layout (read by `Bridge` on L1): slot 0 is `withdrawals`, slot 1 `withdrawalCount`.
contract L2Bridge {
    /// @notice The EIP-4788 contract, in every L2 genesis like on L1.
    address public constant BEACON_ROOTS = 0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02;
    /// @notice Levels of the L1's message tree (`Inbox.MESSAGE_TREE_DEPTH`).
    uint256 public constant MESSAGE_TREE_DEPTH = 32;
    /// @notice What `l1Sender` reads outside a relayed call.
    address internal constant NO_SENDER = address(0);

    /// @notice A message from L1 as `Inbox.depositCall` queued it.
    struct Message {
        /// Its place in the message tree.
        uint256 index;
        /// Who sent it on L1.
        address from;
        /// What it calls on the L2.
        address to;
        /// Wei it sends (credited here by its deposit).
        uint256 value;
        /// The call's data.
        bytes data;
    }

    /// @notice Hash of withdrawal `nonce`: `keccak256(abi.encode(nonce, from, to, value,
    /// keccak256(data)))`.
    mapping(uint256 => bytes32) public withdrawals;
    /// @notice Withdrawals recorded so far (the next one's nonce).
    uint256 public withdrawalCount;
    /// @notice Messages from L1 relayed, by index.
    mapping(uint256 => bool) public relayed;
    /// @notice During a relayed call, the L1 address that sent the message.
    address public l1Sender;

    /// @notice `from` locked `value` wei here for a call of `to` with `data` on L1 (a plain
    /// transfer if `data` is empty), as withdrawal `nonce`.
    event WithdrawalInitiated(
        uint256 indexed nonce,
        address indexed from,
        address indexed to,
        uint256 value,
        bytes data,
        bytes32 hash
    );
    /// @notice Message `index` from `from` on L1 called `to` with `value` wei.
    event MessageRelayed(
        uint256 indexed index, address indexed from, address indexed to, uint256 value
    );

    /// @notice A plain withdrawal must move some ETH.
    error NothingToWithdraw();
    /// @notice The EIP-4788 contract has no root for `timestamp` (not an L2 block's, or too old:
    /// it keeps the last 8191 seconds').
    error UnknownRoot(uint256 timestamp);
    /// @notice The proof does not lead from the message's leaf to the block's message root.
    error BadMessageProof();
    /// @notice The message was relayed already.
    error AlreadyRelayed(uint256 index);
    /// @notice The message's call reverted (with `reason`); it may be relayed again.
    error CallFailed(bytes reason);

    /// @notice Withdraws `msg.value` to `to` on L1, once a claim covering this block finalizes.
    /// @return nonce The withdrawal's nonce, which the L1 proof names.
    function withdraw(address to) external payable returns (uint256 nonce) {
        if (msg.value == 0) revert NothingToWithdraw();
        nonce = _record(to, "");
    }

    /// @notice Withdraws `msg.value` (none allowed) to a call of `to` with `data` on L1, made by
    /// the L1 bridge once a claim covering this block finalizes, with `Bridge.l2Sender` naming
    /// the caller here.
    /// @return nonce The withdrawal's nonce, which the L1 proof names.
    function withdrawCall(address to, bytes calldata data)
        external
        payable
        returns (uint256 nonce)
    {
        nonce = _record(to, data);
    }

    /// @notice Makes message `m`'s call, proven by `proof` (its tree's siblings, leaf level
    /// first) against the message root of the L2 block at `timestamp`. Reverts, leaving the
    /// message relayable, if the call does.
    function relayMessage(Message calldata m, uint256 timestamp, bytes32[] calldata proof)
        external
    {
        if (relayed[m.index]) revert AlreadyRelayed(m.index);
        if (proof.length != MESSAGE_TREE_DEPTH || m.index >> MESSAGE_TREE_DEPTH != 0) {
            revert BadMessageProof();
        }
        bytes32 node = keccak256(abi.encode(m.index, m.from, m.to, m.value, keccak256(m.data)));
        for (uint256 h = 0; h < MESSAGE_TREE_DEPTH; ++h) {
            node = (m.index >> h) & 1 == 1
                ? keccak256(abi.encodePacked(proof[h], node))
                : keccak256(abi.encodePacked(node, proof[h]));
        }
        if (node != messageRoot(timestamp)) revert BadMessageProof();
        relayed[m.index] = true;
        emit MessageRelayed(m.index, m.from, m.to, m.value);
        address outer = l1Sender;
        l1Sender = m.from;
        (bool ok, bytes memory reason) = m.to.call{value: m.value}(m.data);
        l1Sender = outer;
        if (!ok) revert CallFailed(reason);
    }

    /// @notice The message root the L2 block at `timestamp` committed to, from EIP-4788.
    function messageRoot(uint256 timestamp) public view returns (bytes32 root) {
        (bool ok, bytes memory answer) = BEACON_ROOTS.staticcall(abi.encode(timestamp));
        if (!ok || answer.length != 32) revert UnknownRoot(timestamp);
        root = abi.decode(answer, (bytes32));
    }

    /// @notice Records withdrawal of `msg.value` from the caller to a call of `to` with `data`.
    function _record(address to, bytes memory data) internal returns (uint256 nonce) {
        nonce = withdrawalCount++;
        bytes32 hash = keccak256(abi.encode(nonce, msg.sender, to, msg.value, keccak256(data)));
        withdrawals[nonce] = hash;
        emit WithdrawalInitiated(nonce, msg.sender, to, msg.value, data, hash);
    }
}
