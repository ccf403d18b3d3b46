// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

/// @title Inbox
/// @notice Where L2 batches enter L1. A batch is one blob of a transaction that calls `submit`;
/// the inbox records the blob's versioned hash with the L1 context it arrived in, so that
/// derivation can find it and a dispute can prove bytes of it through the point-evaluation
/// precompile. With no sequencer configured, anyone may submit (a based rollup).
contract Inbox {
    /// @notice A recorded batch.
    struct Batch {
        /// Versioned hash of the blob (what `BLOBHASH` returned).
        bytes32 blobHash;
        /// L1 block it was submitted in.
        uint64 l1Block;
        /// That block's timestamp.
        uint64 l1Timestamp;
    }

    /// @notice The only address that may submit; zero means anyone.
    address public immutable sequencer;

    Batch[] internal _batches;

    /// @notice Batch `index` was recorded from blob `blobIndex` of the submitting transaction.
    event BatchSubmitted(
        uint256 indexed index, bytes32 indexed blobHash, uint64 l1Block, uint256 blobIndex
    );

    /// @notice The caller is not the sequencer.
    error NotSequencer();
    /// @notice The transaction carries no blobs.
    error NoBlobs();

    /// @param sequencer_ Address allowed to submit, or zero for anyone.
    constructor(address sequencer_) {
        sequencer = sequencer_;
    }

    /// @notice Records every blob of the calling transaction as a batch, in blob order.
    /// @return first Index of the first batch recorded.
    function submit() external returns (uint256 first) {
        if (sequencer != address(0) && msg.sender != sequencer) revert NotSequencer();
        first = _batches.length;
        for (uint256 i = 0;; ++i) {
            bytes32 hash = blobhash(i);
            if (hash == bytes32(0)) break;
            _batches.push(Batch(hash, uint64(block.number), uint64(block.timestamp)));
            emit BatchSubmitted(first + i, hash, uint64(block.number), i);
        }
        if (_batches.length == first) revert NoBlobs();
    }

    /// @notice Number of batches recorded.
    function batchCount() external view returns (uint256) {
        return _batches.length;
    }

    /// @notice Batch `index`.
    function batch(uint256 index) external view returns (Batch memory) {
        return _batches[index];
    }
}
