// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {RLP} from "./RLP.sol";

/// @title MerkleTrie
/// @notice Inclusion proofs in Ethereum's Merkle-Patricia tries, as `eth_getProof` gives them: the
/// nodes from the root down to the key's leaf, each the preimage of the hash its parent holds.
/// Keys are 32 bytes (hashed account addresses and storage slots), and every node on such a path
/// is referenced by hash: a leaf holds a value of at least 32 bytes here (an account, or a
/// storage word of a withdrawal hash), so no node the bridge proves is short enough to be
/// embedded in its parent.
library MerkleTrie {
    /// @notice Nibbles in a 32-byte key.
    uint256 internal constant KEY_NIBBLES = 64;
    /// @notice Items of a branch node (16 children, then a value) and of a leaf or extension.
    uint256 internal constant BRANCH_ITEMS = 17;
    uint256 internal constant SHORT_ITEMS = 2;
    /// @notice Hex-prefix flags: a leaf (rather than an extension), an odd path length.
    uint8 internal constant HP_LEAF = 2;
    uint8 internal constant HP_ODD = 1;
    /// @notice Bytes of a node's hash.
    uint256 internal constant HASH_BYTES = 32;

    /// @notice The proof does not prove a value for the key under the root.
    error BadProof();

    /// @notice The value stored at `key` in the trie with root `root`, proven by `proof`. Nodes
    /// are read in place (item offsets, no copies), so a proof costs little more than its
    /// hashing.
    function get(bytes32 root, bytes32 key, bytes[] calldata proof)
        internal
        pure
        returns (bytes memory)
    {
        bytes32 expected = root;
        uint256 at = 0;
        for (uint256 i = 0; i < proof.length; ++i) {
            bytes memory node = proof[i];
            if (keccak256(node) != expected) revert BadProof();
            (uint256[] memory starts, uint256[] memory lengths) = items(node);
            if (starts.length == BRANCH_ITEMS) {
                if (at == KEY_NIBBLES) revert BadProof();
                uint256 child = nibble(key, at);
                at += 1;
                expected = hashAt(node, starts[child], lengths[child]);
            } else if (starts.length == SHORT_ITEMS) {
                (bool leaf, uint256 matched) = matchPath(node, starts[0], lengths[0], key, at);
                at += matched;
                if (leaf) {
                    if (at != KEY_NIBBLES || i + 1 != proof.length) revert BadProof();
                    return slice(node, starts[1], lengths[1]);
                }
                expected = hashAt(node, starts[1], lengths[1]);
            } else {
                revert BadProof();
            }
        }
        revert BadProof();
    }

    /// @notice Payload offsets and lengths of the items of the list `node` (which must be
    /// exactly one list); an embedded list item is marked by a length past the node's end.
    function items(bytes memory node)
        internal
        pure
        returns (uint256[] memory starts, uint256[] memory lengths)
    {
        (uint256 start, uint256 length, bool isList) = RLP.header(node, 0);
        if (!isList || start + length != node.length) revert BadProof();
        starts = new uint256[](BRANCH_ITEMS);
        lengths = new uint256[](BRANCH_ITEMS);
        uint256 count = 0;
        for (uint256 pos = start; pos < node.length; ++count) {
            if (count == BRANCH_ITEMS) revert BadProof();
            (uint256 s, uint256 l, bool list) = RLP.header(node, pos);
            pos = s + l;
            if (pos > node.length) revert BadProof();
            starts[count] = s;
            // The bridge's paths never go through an embedded node (see above).
            lengths[count] = list ? type(uint256).max : l;
        }
        assembly ("memory-safe") {
            mstore(starts, count)
            mstore(lengths, count)
        }
    }

    /// @notice The 32-byte hash reference at `start`, which must be one.
    function hashAt(bytes memory node, uint256 start, uint256 length)
        internal
        pure
        returns (bytes32 hash)
    {
        if (length != HASH_BYTES) revert BadProof();
        assembly ("memory-safe") {
            hash := mload(add(add(node, 0x20), start))
        }
    }

    /// @notice `length` bytes of `node` from `start`.
    function slice(bytes memory node, uint256 start, uint256 length)
        internal
        pure
        returns (bytes memory out)
    {
        if (length > node.length) revert BadProof();
        out = new bytes(length);
        assembly ("memory-safe") {
            mcopy(add(out, 0x20), add(add(node, 0x20), start), length)
        }
    }

    /// @notice Nibble `i` of `key`, most significant first.
    function nibble(bytes32 key, uint256 i) internal pure returns (uint256) {
        return (uint256(key) >> (4 * (KEY_NIBBLES - 1 - i))) & 0xf;
    }

    /// @notice Decodes the hex-prefixed path at `start` of `node` and checks it is the next part
    /// of `key` from nibble `at`; returns whether the node is a leaf and how many nibbles it
    /// covers.
    function matchPath(
        bytes memory node,
        uint256 start,
        uint256 bytesLength,
        bytes32 key,
        uint256 at
    ) internal pure returns (bool leaf, uint256 length) {
        if (bytesLength == 0 || bytesLength > node.length) revert BadProof();
        uint8 first = uint8(node[start]);
        uint8 flags = first >> 4;
        if (flags > (HP_LEAF | HP_ODD)) revert BadProof();
        leaf = flags & HP_LEAF != 0;
        bool odd = flags & HP_ODD != 0;
        if (!odd && first & 0xf != 0) revert BadProof();
        length = 2 * (bytesLength - 1) + (odd ? 1 : 0);
        if (at + length > KEY_NIBBLES) revert BadProof();
        for (uint256 j = 0; j < length; ++j) {
            // Odd paths keep their first nibble in the flag byte's low half.
            uint256 k = odd ? j + 1 : j + 2;
            uint256 n = uint8(node[start + k / 2]);
            n = k % 2 == 0 ? n >> 4 : n & 0xf;
            if (n != nibble(key, at + j)) revert BadProof();
        }
    }
}
