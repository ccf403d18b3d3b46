// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

/// @title RLP
/// @notice The little RLP the dispute step and the bridge need: encoding strings, integers and
/// lists, and reading the fields of a flat list (a block header, a trie node) or one string.
library RLP {
    /// @notice The input is not the RLP the reader expects.
    error MalformedRLP();

    /// @notice RLP of a byte string.
    function encodeBytes(bytes memory data) internal pure returns (bytes memory) {
        if (data.length == 1 && uint8(data[0]) < 0x80) return data;
        return bytes.concat(prefix(0x80, data.length), data);
    }

    /// @notice RLP of an unsigned integer (big-endian, no leading zeros; zero is the empty string).
    function encodeUint(uint256 value) internal pure returns (bytes memory) {
        if (value == 0) return hex"80";
        if (value < 0x80) return abi.encodePacked(uint8(value));
        uint256 length = 0;
        for (uint256 v = value; v != 0; v >>= 8) {
            ++length;
        }
        bytes memory out = new bytes(length);
        for (uint256 i = 0; i < length; ++i) {
            out[length - 1 - i] = bytes1(uint8(value >> (8 * i)));
        }
        return encodeBytes(out);
    }

    /// @notice RLP of a list whose items' encodings are concatenated in `payload`.
    function encodeList(bytes memory payload) internal pure returns (bytes memory) {
        return bytes.concat(prefix(0xc0, payload.length), payload);
    }

    /// @notice The length prefix for a string (`base` 0x80) or list (`base` 0xc0).
    function prefix(uint8 base, uint256 length) internal pure returns (bytes memory) {
        if (length < 56) return abi.encodePacked(uint8(base + length));
        uint256 lengthBytes = 0;
        for (uint256 v = length; v != 0; v >>= 8) {
            ++lengthBytes;
        }
        bytes memory out = new bytes(1 + lengthBytes);
        out[0] = bytes1(uint8(base + 55 + lengthBytes));
        for (uint256 i = 0; i < lengthBytes; ++i) {
            out[lengthBytes - i] = bytes1(uint8(length >> (8 * i)));
        }
        return out;
    }

    /// @notice The string items of the list `data` (which must be exactly one list of strings).
    function readList(bytes memory data) internal pure returns (bytes[] memory items) {
        (uint256 start, uint256 length, bool isList) = header(data, 0);
        if (!isList || start + length != data.length) revert MalformedRLP();
        uint256 count = 0;
        for (uint256 at = start; at < data.length; ++count) {
            (uint256 s, uint256 l, bool list) = header(data, at);
            if (list) revert MalformedRLP();
            at = s + l;
            if (at > data.length) revert MalformedRLP();
        }
        items = new bytes[](count);
        uint256 pos = start;
        for (uint256 i = 0; i < count; ++i) {
            (uint256 s, uint256 l,) = header(data, pos);
            items[i] = new bytes(l);
            for (uint256 j = 0; j < l; ++j) {
                items[i][j] = data[s + j];
            }
            pos = s + l;
        }
    }

    /// @notice The payload of `data`, which must be exactly one string item.
    function readString(bytes memory data) internal pure returns (bytes memory out) {
        (uint256 start, uint256 length, bool isList) = header(data, 0);
        if (isList || start + length != data.length) revert MalformedRLP();
        out = new bytes(length);
        for (uint256 i = 0; i < length; ++i) {
            out[i] = data[start + i];
        }
    }

    /// @notice An item's payload start, payload length and kind at offset `at`.
    function header(bytes memory data, uint256 at)
        internal
        pure
        returns (uint256 start, uint256 length, bool isList)
    {
        if (at >= data.length) revert MalformedRLP();
        uint8 b = uint8(data[at]);
        if (b < 0x80) return (at, 1, false);
        if (b < 0xb8) return (at + 1, b - 0x80, false);
        if (b < 0xc0) {
            (start, length) = longLength(data, at, b - 0xb7);
            return (start, length, false);
        }
        if (b < 0xf8) return (at + 1, b - 0xc0, true);
        (start, length) = longLength(data, at, b - 0xf7);
        return (start, length, true);
    }

    function longLength(bytes memory data, uint256 at, uint256 lengthBytes)
        private
        pure
        returns (uint256 start, uint256 length)
    {
        if (lengthBytes > 4 || at + 1 + lengthBytes > data.length) revert MalformedRLP();
        for (uint256 i = 0; i < lengthBytes; ++i) {
            length = (length << 8) | uint8(data[at + 1 + i]);
        }
        start = at + 1 + lengthBytes;
    }

    /// @notice A string item as an unsigned integer (at most 32 bytes).
    function toUint(bytes memory item) internal pure returns (uint256 value) {
        if (item.length > 32) revert MalformedRLP();
        for (uint256 i = 0; i < item.length; ++i) {
            value = (value << 8) | uint8(item[i]);
        }
    }

    /// @notice A 32-byte string item.
    function toBytes32(bytes memory item) internal pure returns (bytes32 value) {
        if (item.length != 32) revert MalformedRLP();
        assembly ("memory-safe") {
            value := mload(add(item, 32))
        }
    }
}
