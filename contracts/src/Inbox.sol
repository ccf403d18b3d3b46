// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

/// @title Inbox
/// @notice Where what the L2 takes from L1 enters: batches and deposits. A batch is one blob of a
/// transaction that calls `submit`; the inbox records the blob's versioned hash, the L2 blocks
/// the submitter declares it to hold and the L1 context it arrived in, so that derivation can find
/// it and a dispute can prove bytes of it (`BlobData`). L2 blocks are numbered consecutively
/// across batches from 1 (block 0 is the L2 genesis). With no sequencer configured, anyone may
/// submit (a based rollup).
///
/// A deposit (`deposit`) locks ETH here and queues a credit of it to an L2 address. Each batch
/// takes the queue's next deposits, at most `MAX_DEPOSITS_PER_BLOCK` for each block it declares,
/// and its blocks credit them in order as EIP-4895 withdrawals, which EXECUTE applies at the
/// block's end: no L2 transaction carries them, so a sequencer cannot leave one out, and every
/// batch it posts moves the queue on.
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
        /// Deposits queued before it and by it, credited by it or an earlier batch: the batch
        /// credits deposits from the previous batch's `depositsEnd` (0 for the first) to this.
        uint48 depositsEnd;
    }

    /// @notice A queued deposit: `amountGwei` to be credited to `to` on the L2. One storage slot.
    struct Deposit {
        address to;
        uint64 amountGwei;
    }

    /// @notice Most blocks one blob may declare: the block table's entries and one offset fill
    /// its payload (`(4096 * 31 - 3 - 4) / 10`), so every declared block's entry can be read.
    uint16 public constant MAX_BATCH_BLOCKS = 12_696;
    /// @notice Most deposits one L2 block credits: the end step of a block crediting this many,
    /// each to a fresh account, must fit one L1 transaction (`docs/protocol.md`, section 6), and
    /// the withdrawals trie of sixteen keys has the fixed shape `L2Block.withdrawalsRoot` builds.
    uint256 public constant MAX_DEPOSITS_PER_BLOCK = 16;
    /// @notice Wei in a gwei: EIP-4895 withdrawals credit whole gwei.
    uint256 internal constant GWEI = 1 gwei;

    /// @notice The only address that may submit; zero means anyone.
    address public immutable sequencer;
    /// @notice The only address that may release deposited ETH: the bridge paying withdrawals.
    address public immutable bridge;

    Batch[] internal _batches;
    Deposit[] internal _deposits;
    /// @notice The next L2 block number a batch will start at.
    uint64 public nextBlock = 1;
    /// @notice L1 time of the last `submit` call (the deployment's before the first): the next
    /// call may declare at most one block per second since.
    uint64 public lastSubmitted;

    /// @notice Batch `index` was recorded from blob `blobIndex` of the submitting transaction; its
    /// blocks credit deposits `depositsStart .. depositsEnd`.
    event BatchSubmitted(
        uint256 indexed index,
        bytes32 indexed blobHash,
        uint64 firstBlock,
        uint16 blockCount,
        uint256 blobIndex,
        uint64 depositsStart,
        uint64 depositsEnd
    );
    /// @notice `from` queued deposit `index`: `amountGwei` for `to` on the L2.
    event Deposited(
        uint256 indexed index, address indexed from, address indexed to, uint64 amountGwei
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
    /// @notice A deposit must be a whole number of gwei, at least one and at most 2^64 - 1.
    error BadDepositAmount(uint256 value);
    /// @notice Only the bridge releases deposited ETH.
    error NotBridge();
    /// @notice The inbox has no bridge (none was given, or it was never deployed where the inbox
    /// expects it): deposits are refused, since nothing could pay them back.
    error NoBridge();
    /// @notice Sending released ETH to its recipient failed.
    error TransferFailed();
    /// @notice Deposits `start .. start + count` are not all queued.
    error UnknownDeposits(uint256 start, uint256 count);

    /// @param sequencer_ Address allowed to submit, or zero for anyone.
    /// @param bridge_ The bridge that pays withdrawals (deployed after the rollup, at an address
    /// known in advance), or zero for none.
    constructor(address sequencer_, address bridge_) {
        sequencer = sequencer_;
        bridge = bridge_;
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
        uint256 queued = _deposits.length;
        uint256 credited = first == 0 ? 0 : _batches[first - 1].depositsEnd;
        for (uint256 i = 0;; ++i) {
            bytes32 hash = blobhash(i);
            if (hash == bytes32(0)) {
                if (i != blockCounts.length) revert BadBlockCounts();
                break;
            }
            if (i >= blockCounts.length) revert BadBlockCounts();
            uint16 count = blockCounts[i];
            if (count == 0 || count > MAX_BATCH_BLOCKS) revert BadBlockCounts();
            uint256 end = credited + MAX_DEPOSITS_PER_BLOCK * count;
            if (end > queued) end = queued;
            _batches.push(
                Batch(hash, next, count, uint64(block.number), uint64(block.timestamp), uint48(end))
            );
            emit BatchSubmitted(first + i, hash, next, count, i, uint64(credited), uint64(end));
            credited = end;
            next += count;
        }
        uint256 allowed = block.timestamp - lastSubmitted;
        if (next - nextBlock > allowed) revert TooManyBlocks(next - nextBlock, allowed);
        nextBlock = next;
        lastSubmitted = uint64(block.timestamp);
    }

    /// @notice Queues a deposit of `msg.value` for `to` on the L2; the value stays here. The L2
    /// credits it in the block its batch assigns (`depositsOf`), in queue order.
    /// @return index The deposit's place in the queue (the EIP-4895 withdrawal index it gets).
    function deposit(address to) external payable returns (uint256 index) {
        if (bridge.code.length == 0) revert NoBridge();
        uint256 amount = msg.value / GWEI;
        if (msg.value % GWEI != 0 || amount == 0 || amount > type(uint64).max) {
            revert BadDepositAmount(msg.value);
        }
        index = _deposits.length;
        _deposits.push(Deposit(to, uint64(amount)));
        emit Deposited(index, msg.sender, to, uint64(amount));
    }

    /// @notice Pays `value` of the deposited ETH to `to`: the bridge does, for a withdrawal it
    /// proved against a final claim.
    function release(address to, uint256 value) external {
        if (msg.sender != bridge) revert NotBridge();
        (bool ok,) = to.call{value: value}("");
        if (!ok) revert TransferFailed();
    }

    /// @notice Number of deposits queued.
    function depositCount() external view returns (uint256) {
        return _deposits.length;
    }

    /// @notice Deposits `start .. start + count`, in queue order.
    function deposits(uint256 start, uint256 count) external view returns (Deposit[] memory out) {
        if (start > _deposits.length || count > _deposits.length - start) {
            revert UnknownDeposits(start, count);
        }
        out = new Deposit[](count);
        for (uint256 i = 0; i < count; ++i) {
            out[i] = _deposits[start + i];
        }
    }

    /// @notice The deposits L2 block `blockNumber` of batch `index` credits: block `j` of a batch
    /// credits the `j`-th run of `MAX_DEPOSITS_PER_BLOCK` of the batch's deposits (fewer in the
    /// last run, none after it).
    /// @return first Queue index of the first.
    /// @return count How many (at most `MAX_DEPOSITS_PER_BLOCK`).
    function depositsOf(uint256 index, uint64 blockNumber)
        external
        view
        returns (uint256 first, uint256 count)
    {
        Batch memory b = batchOf(index, blockNumber);
        uint256 start = index == 0 ? 0 : _batches[index - 1].depositsEnd;
        first = start + MAX_DEPOSITS_PER_BLOCK * (blockNumber - b.firstBlock);
        // None: name a place inside the queue, so that reading them (`deposits`) never reverts.
        if (first >= b.depositsEnd) return (b.depositsEnd, 0);
        count = b.depositsEnd - first;
        if (count > MAX_DEPOSITS_PER_BLOCK) count = MAX_DEPOSITS_PER_BLOCK;
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
    function batchOf(uint256 index, uint64 blockNumber) public view returns (Batch memory b) {
        if (index >= _batches.length) revert UnknownBatch(index);
        b = _batches[index];
        if (blockNumber < b.firstBlock || blockNumber >= b.firstBlock + b.blockCount) {
            revert NotInBatch(index, blockNumber);
        }
    }
}
