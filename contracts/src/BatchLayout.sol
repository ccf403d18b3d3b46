// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

/// @title BatchLayout
/// @notice Where things are in a batch's payload (`docs/protocol.md`, section 2): a header (the
/// version byte and the block count), a table with one entry per block (its declared timestamp
/// and the cumulative candidate count), the candidates' offsets, then the candidates' bytes.
library BatchLayout {
    /// @notice Payload bytes of a blob: bytes 1..31 of each of its 4096 elements.
    uint256 internal constant PAYLOAD_BYTES = 4096 * 31;
    /// @notice The batch format's version byte.
    uint8 internal constant VERSION = 1;
    /// @notice Bytes of the version.
    uint256 internal constant VERSION_BYTES = 1;
    /// @notice Bytes of the header: the version and the block count.
    uint256 internal constant HEADER_BYTES = VERSION_BYTES + COUNT_BYTES;
    /// @notice Bytes of a block's table entry: its timestamp and the cumulative candidate count.
    uint256 internal constant ENTRY_BYTES = 10;
    /// @notice Bytes of an entry's timestamp.
    uint256 internal constant TIMESTAMP_BYTES = 8;
    /// @notice Bytes of a count: the header's block count, and an entry's cumulative candidate
    /// count.
    uint256 internal constant COUNT_BYTES = 2;
    /// @notice Bytes of a candidate's offset in the payload.
    uint256 internal constant OFFSET_BYTES = 4;
}
