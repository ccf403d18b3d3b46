// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {RLP} from "./RLP.sol";
import {Inbox} from "./Inbox.sol";

/// @title L2Block
/// @notice The L2's block rules (`docs/protocol.md`, section 2) and the EXECUTE traces the dispute
/// step builds from them (`docs/trace-format.md`).
library L2Block {
    bytes32 internal constant EMPTY_OMMERS =
        0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347;
    bytes32 internal constant EMPTY_ROOT =
        0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421;
    uint8 internal constant TRACE_VERSION = 2;
    /// @notice RLP of an empty list: a trace's `withdrawals` when the step credits none.
    bytes internal constant EMPTY_LIST = hex"c0";
    /// @notice RLP of an empty string: an empty child or value of a branch node.
    bytes internal constant EMPTY_STRING = hex"80";
    /// @notice Children of a Merkle-Patricia branch node (its 17th item is its value).
    uint256 internal constant BRANCH_CHILDREN = 16;
    /// @notice A trie node shorter than a hash is embedded in its parent instead of hashed.
    uint256 internal constant HASH_BYTES = 32;
    /// @notice Hex-prefix encodings of the withdrawals trie's leaf paths: keys are `rlp(i)`, so
    /// entry 0 is key 0x80 (nibbles 8, 0) and entries 1..15 are keys 0x01..0x0f (nibbles 0, i).
    bytes internal constant PATH_80 = hex"2080";
    bytes internal constant PATH_0 = hex"30";
    bytes internal constant PATH_1 = hex"31";
    bytes internal constant PATH_NONE = hex"20";
    uint256 internal constant NIBBLE_0 = 0;
    uint256 internal constant NIBBLE_8 = 8;

    /// @notice Header fields a child needs from its parent: through the timestamp.
    uint256 internal constant PARENT_FIELDS = 12;
    /// @notice Header field positions the contract reads (Yellow Paper order).
    uint256 internal constant STATE_ROOT_FIELD = 3;
    uint256 internal constant NUMBER_FIELD = 8;
    uint256 internal constant TIMESTAMP_FIELD = 11;

    /// @notice What a parent header gives its child.
    struct Parent {
        bytes32 hash;
        bytes32 stateRoot;
        uint64 number;
        uint64 timestamp;
    }

    /// @notice The L2 block's fields that do not follow from the parent by the L2's rules.
    /// `baseFee` and `forkFields` are those the L1's rules derive, so a fork may change them:
    /// the prover supplies them and EXECUTE, applying the fork at the block's timestamp, accepts
    /// only the values that fork derives.
    struct Body {
        address feeRecipient;
        uint64 gasLimit;
        uint64 timestamp;
        bytes32 stateRoot;
        bytes32 transactionsRoot;
        bytes32 withdrawalsRoot;
        /// The message tree's root before the block's deposits (`Inbox.messageRootBefore`), as
        /// its `parentBeaconBlockRoot`, which EIP-4788 stores for the L2 bridge to relay against.
        bytes32 messageRoot;
        uint64 gasUsed;
        uint256 baseFee;
        bytes forkFields;
    }

    /// @notice The header is not one of this chain's.
    error BadParentHeader();
    /// @notice A block credits at most sixteen deposits (`Inbox.MAX_DEPOSITS_PER_BLOCK`).
    error TooManyWithdrawals();

    /// @notice Reads the fields a child needs from a header's RLP, checking its hash.
    function parent(bytes memory headerRlp, bytes32 expectedHash)
        internal
        pure
        returns (Parent memory p)
    {
        if (keccak256(headerRlp) != expectedHash) revert BadParentHeader();
        bytes[] memory f = RLP.readList(headerRlp);
        if (f.length < PARENT_FIELDS) revert BadParentHeader();
        p.hash = expectedHash;
        p.stateRoot = RLP.toBytes32(f[STATE_ROOT_FIELD]);
        p.number = uint64(RLP.toUint(f[NUMBER_FIELD]));
        p.timestamp = uint64(RLP.toUint(f[TIMESTAMP_FIELD]));
    }

    /// @notice `max(parent + 1, min(declared, l1Timestamp))`.
    function timestamp(uint64 parentTimestamp, uint64 declared, uint64 l1Timestamp)
        internal
        pure
        returns (uint64)
    {
        uint64 bounded = declared < l1Timestamp ? declared : l1Timestamp;
        return bounded > parentTimestamp ? bounded : parentTimestamp + 1;
    }

    /// @notice RLP of the L2 header of `p`'s child: the fields through the beacon root (the
    /// Cancun layout, which every later fork keeps), then `b.forkFields` as given (Prague's
    /// requests hash, and whatever a later fork appends).
    function header(Parent memory p, Body memory b) internal pure returns (bytes memory) {
        uint64 parentNumber = p.number;
        bytes memory fields = bytes.concat(
            RLP.encodeBytes(abi.encodePacked(p.hash)),
            RLP.encodeBytes(abi.encodePacked(EMPTY_OMMERS)),
            RLP.encodeBytes(abi.encodePacked(b.feeRecipient)),
            RLP.encodeBytes(abi.encodePacked(b.stateRoot)),
            RLP.encodeBytes(abi.encodePacked(b.transactionsRoot)),
            RLP.encodeBytes(abi.encodePacked(EMPTY_ROOT)),
            RLP.encodeBytes(new bytes(256)),
            RLP.encodeUint(0)
        );
        fields = bytes.concat(
            fields,
            RLP.encodeUint(parentNumber + 1),
            RLP.encodeUint(b.gasLimit),
            RLP.encodeUint(b.gasUsed),
            RLP.encodeUint(b.timestamp),
            RLP.encodeBytes(""),
            RLP.encodeBytes(abi.encodePacked(keccak256(abi.encodePacked(parentNumber)))),
            RLP.encodeBytes(new bytes(8)),
            RLP.encodeUint(b.baseFee)
        );
        fields = bytes.concat(
            fields,
            RLP.encodeBytes(abi.encodePacked(b.withdrawalsRoot)),
            RLP.encodeUint(0),
            RLP.encodeUint(0),
            RLP.encodeBytes(abi.encodePacked(b.messageRoot)),
            b.forkFields
        );
        return RLP.encodeList(fields);
    }

    /// @notice The EIP-4895 withdrawals that credit `deposits` (queue indices from `first`), as
    /// the trace carries them (`[index, validatorIndex = 0, address, amount in gwei]` each), and
    /// the root of their trie as the header commits to it.
    function withdrawals(uint256 first, Inbox.Deposit[] memory deposits)
        internal
        pure
        returns (bytes memory list, bytes32 root)
    {
        uint256 n = deposits.length;
        if (n > BRANCH_CHILDREN) revert TooManyWithdrawals();
        bytes[] memory items = new bytes[](n);
        bytes memory payload;
        for (uint256 i = 0; i < n; ++i) {
            items[i] = RLP.encodeList(
                bytes.concat(
                    RLP.encodeUint(first + i),
                    RLP.encodeUint(0),
                    RLP.encodeBytes(abi.encodePacked(deposits[i].to)),
                    RLP.encodeUint(deposits[i].amountGwei)
                )
            );
            payload = bytes.concat(payload, items[i]);
        }
        return (RLP.encodeList(payload), withdrawalsRoot(items));
    }

    /// @notice The root of the trie of at most sixteen entries keyed `rlp(i)`. Its shape is
    /// fixed: one entry is a leaf at key 0x80; more are a branch holding entry 0 under nibble 8
    /// and, under nibble 0, entry 1 as a leaf or entries 1.. as leaves of a second branch.
    function withdrawalsRoot(bytes[] memory items) internal pure returns (bytes32) {
        uint256 n = items.length;
        if (n == 0) return EMPTY_ROOT;
        if (n == 1) return keccak256(leaf(PATH_80, items[0]));
        bytes[] memory low = new bytes[](BRANCH_CHILDREN);
        bytes memory under0;
        if (n == 2) {
            under0 = leaf(PATH_1, items[1]);
        } else {
            for (uint256 i = 1; i < n; ++i) {
                low[i] = nodeRef(leaf(PATH_NONE, items[i]));
            }
            under0 = branch(low);
        }
        bytes[] memory top = new bytes[](BRANCH_CHILDREN);
        top[NIBBLE_0] = nodeRef(under0);
        top[NIBBLE_8] = nodeRef(leaf(PATH_0, items[0]));
        return keccak256(branch(top));
    }

    /// @notice A trie leaf: its hex-prefixed remaining path and its value.
    function leaf(bytes memory path, bytes memory value) internal pure returns (bytes memory) {
        return RLP.encodeList(bytes.concat(RLP.encodeBytes(path), RLP.encodeBytes(value)));
    }

    /// @notice A branch node over `children` (each a reference, or empty), with no value.
    function branch(bytes[] memory children) internal pure returns (bytes memory) {
        bytes memory payload;
        for (uint256 i = 0; i < BRANCH_CHILDREN; ++i) {
            payload = bytes.concat(payload, children[i].length == 0 ? EMPTY_STRING : children[i]);
        }
        return RLP.encodeList(bytes.concat(payload, EMPTY_STRING));
    }

    /// @notice How a parent refers to `node`: embedded if shorter than a hash, else by hash.
    function nodeRef(bytes memory node) internal pure returns (bytes memory) {
        return node.length < HASH_BYTES ? node : RLP.encodeBytes(abi.encodePacked(keccak256(node)));
    }

    /// @notice `bytes` is not exactly one canonical RLP list: with anything before or after it,
    /// it could close the contract's own list early and stand in for the fields that follow.
    error NotOneRlpList();

    /// @notice Checks that `data` is one canonical RLP list and nothing else.
    function requireOneList(bytes calldata data) internal pure {
        if (data.length == 0) revert NotOneRlpList();
        uint256 b = uint8(data[0]);
        if (b < 0xc0) revert NotOneRlpList();
        if (b < 0xf8) {
            if (data.length != 1 + (b - 0xc0)) revert NotOneRlpList();
            return;
        }
        uint256 lengthBytes = b - 0xf7;
        // Traces are capped far below 2^32 bytes; a longer length field cannot be ours.
        if (lengthBytes > 4 || data.length < 1 + lengthBytes || data[1] == 0) {
            revert NotOneRlpList();
        }
        uint256 length;
        for (uint256 i = 0; i < lengthBytes; ++i) {
            length = (length << 8) | uint8(data[1 + i]);
        }
        if (length < 56 || data.length != 1 + lengthBytes + length) revert NotOneRlpList();
    }

    /// @notice RLP of a trace's `segment` field: `[firstTx, gasBefore, 0, endsBlock]`.
    function segment(uint64 firstTx, uint64 gasBefore, bool endsBlock)
        internal
        pure
        returns (bytes memory)
    {
        return RLP.encodeList(
            bytes.concat(
                RLP.encodeUint(firstTx),
                RLP.encodeUint(gasBefore),
                RLP.encodeUint(0),
                RLP.encodeUint(endsBlock ? 1 : 0)
            )
        );
    }

    /// @notice The trace's parts the contract builds: the chain configuration, the header and the
    /// segment (RLP already), the segment's one transaction (its EIP-2718 bytes; empty for
    /// none) and its withdrawals (RLP, `EMPTY_LIST` for none).
    struct TraceParts {
        bytes chain;
        bytes header;
        bytes segment;
        bytes transaction;
        bytes withdrawals;
    }

    /// @notice EXECUTE's input `abi.encode(pre, post, trace, gasUsed)` with
    /// `trace = 0x02 ‖ rlp([chain, ancestors, header, segment, transactions, withdrawals,
    /// witness])`, built in one buffer so that each large part (ancestors and witness from
    /// calldata, the transaction from the blob) is copied once. `transactions` holds the
    /// transaction when there is one. `ancestors` and `witness` must each
    /// be exactly one RLP list, so that every field of the trace is the one its position names.
    function executeInput(
        bytes32 pre,
        bytes32 post,
        uint64 gasUsed,
        TraceParts memory parts,
        bytes calldata ancestors,
        bytes calldata witness
    ) internal pure returns (bytes memory input, uint256 traceLength) {
        requireOneList(ancestors);
        requireOneList(witness);
        // The `transactions` list's prefixes: the list's and the one string's.
        uint256 txLength = parts.transaction.length;
        bytes memory txPrefix = hex"c0";
        if (txLength != 0) {
            txPrefix = txLength == 1 && uint8(parts.transaction[0]) < 0x80
                ? bytes("")
                : RLP.prefix(0x80, txLength);
            txPrefix = bytes.concat(RLP.prefix(0xc0, txPrefix.length + txLength), txPrefix);
        }
        uint256 bodyLength = parts.chain.length + ancestors.length + parts.header.length
            + parts.segment.length + txPrefix.length + txLength + parts.withdrawals.length
            + witness.length;
        bytes memory listPrefix = RLP.prefix(0xc0, bodyLength);
        traceLength = 1 + listPrefix.length + bodyLength;
        input = new bytes(0xa0 + ((traceLength + 31) / 32) * 32);
        assembly ("memory-safe") {
            // Appends the bytes at memory pointer `b`; returns where the next part goes.
            function put(to, b) -> next {
                mcopy(to, add(b, 0x20), mload(b))
                next := add(to, mload(b))
            }
            let head := add(input, 0x20)
            mstore(head, pre)
            mstore(add(head, 0x20), post)
            mstore(add(head, 0x40), 0x80)
            mstore(add(head, 0x60), gasUsed)
            mstore(add(head, 0x80), traceLength)
            let at := add(head, 0xa0)
            mstore8(at, TRACE_VERSION)
            at := put(add(at, 1), listPrefix)
            // `parts` is a struct of pointers: chain, header, segment, transaction, withdrawals.
            at := put(at, mload(parts))
            calldatacopy(at, ancestors.offset, ancestors.length)
            at := add(at, ancestors.length)
            at := put(at, mload(add(parts, 0x20)))
            at := put(at, mload(add(parts, 0x40)))
            at := put(at, txPrefix)
            at := put(at, mload(add(parts, 0x60)))
            at := put(at, mload(add(parts, 0x80)))
            calldatacopy(at, witness.offset, witness.length)
        }
    }
}
