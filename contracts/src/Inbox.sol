// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

/// @title Inbox
/// @notice Where L2 batches enter L1. A batch is one blob of a transaction that calls `submit`;
/// the inbox records the blob's versioned hash, the L2 blocks the submitter declares it to hold
/// and the L1 context it arrived in, so that derivation can find it and a dispute can prove bytes
/// of it (`BlobData`). L2 blocks are numbered consecutively across batches from 1 (block 0 is the
/// L2 genesis). With no sequencer configured, anyone may submit (a based rollup).
///
/// A `submit` call declares at most one L2 block per second of L1 time since the previous call
/// (or the inbox's deployment): L2 blocks are at least a second apart and never later than the L1
/// block that carried their batch, so more would push L2 time past L1 time, and a cheap flood of
/// empty blocks could keep watchtowers from catching up within the challenge window.
contract Inbox {
    /// @notice A recorded batch.
    struct Batch {
        /// Versioned hash of the blob (what `BLOBHASH` returned).
        bytes32 blobHash;
        /// First L2 block the batch holds.
        uint64 firstBlock;
        /// Number of L2 blocks it declares.
        uint16 blockCount;
        /// L1 block it was submitted in.
        uint64 l1Block;
        /// That block's timestamp: no L2 block of the batch is later.
        uint64 l1Timestamp;
    }

    /// @notice Most blocks one blob may declare: the block table's entries and one offset fill
    /// its payload (`(4096 * 31 - 3 - 4) / 10`), so every declared block's entry can be read.
    uint16 public constant MAX_BATCH_BLOCKS = 12_696;

    /// @notice The only address that may submit; zero means anyone.
    address public immutable sequencer;

    Batch[] internal _batches;
    /// @notice The next L2 block number a batch will start at.
    uint64 public nextBlock = 1;
    /// @notice L1 time of the last `submit` call (the deployment's before the first): the next
    /// call may declare at most one block per second since.
    uint64 public lastSubmitted;

    /// @notice Batch `index` was recorded from blob `blobIndex` of the submitting transaction.
    event BatchSubmitted(
        uint256 indexed index,
        bytes32 indexed blobHash,
        uint64 firstBlock,
        uint16 blockCount,
        uint256 blobIndex
    );

    /// @notice The caller is not the sequencer.
    error NotSequencer();
    /// @notice The transaction carries no blobs.
    error NoBlobs();
    /// @notice One block count per blob is needed, each at least one and at most
    /// `MAX_BATCH_BLOCKS`.
    error BadBlockCounts();
    /// @notice There is no batch `index`.
    error UnknownBatch(uint256 index);
    /// @notice `blockNumber` is not in batch `index`.
    error NotInBatch(uint256 index, uint64 blockNumber);
    /// @notice The call declares more blocks than seconds have passed since the last one.
    error TooManyBlocks(uint256 declared, uint256 allowed);

    /// @param sequencer_ Address allowed to submit, or zero for anyone.
    constructor(address sequencer_) {
        sequencer = sequencer_;
        lastSubmitted = uint64(block.timestamp);
    }

    /// @notice Records every blob of the calling transaction as a batch, in blob order, the
    /// `i`-th declaring `blockCounts[i]` L2 blocks.
    /// @return first Index of the first batch recorded.
    function submit(uint16[] calldata blockCounts) external returns (uint256 first) {
        if (sequencer != address(0) && msg.sender != sequencer) revert NotSequencer();
        if (blobhash(0) == bytes32(0)) revert NoBlobs();
        first = _batches.length;
        uint64 next = nextBlock;
        for (uint256 i = 0;; ++i) {
            bytes32 hash = blobhash(i);
            if (hash == bytes32(0)) {
                if (i != blockCounts.length) revert BadBlockCounts();
                break;
            }
            if (i >= blockCounts.length) revert BadBlockCounts();
            uint16 count = blockCounts[i];
            if (count == 0 || count > MAX_BATCH_BLOCKS) revert BadBlockCounts();
            _batches.push(
                Batch(hash, next, blockCounts[i], uint64(block.number), uint64(block.timestamp))
            );
            emit BatchSubmitted(first + i, hash, next, blockCounts[i], i);
            next += blockCounts[i];
        }
        uint256 allowed = block.timestamp - lastSubmitted;
        if (next - nextBlock > allowed) revert TooManyBlocks(next - nextBlock, allowed);
        nextBlock = next;
        lastSubmitted = uint64(block.timestamp);
    }

    /// @notice Number of batches recorded.
    function batchCount() external view returns (uint256) {
        return _batches.length;
    }

    /// @notice Batch `index`.
    function batch(uint256 index) external view returns (Batch memory) {
        if (index >= _batches.length) revert UnknownBatch(index);
        return _batches[index];
    }

    /// @notice Batch `index`, checked to hold L2 block `blockNumber`.
    function batchOf(uint256 index, uint64 blockNumber) external view returns (Batch memory b) {
        if (index >= _batches.length) revert UnknownBatch(index);
        b = _batches[index];
        if (blockNumber < b.firstBlock || blockNumber >= b.firstBlock + b.blockCount) {
            revert NotInBatch(index, blockNumber);
        }
    }
}
