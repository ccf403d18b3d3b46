// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

// Where every L2 genesis puts the bridge predeploy (`L2Bridge`).
address constant L2_BRIDGE_PREDEPLOY = 0x0000000000000000000000000000000000B41D6E;

/// @title Inbox
/// @notice Where what the L2 takes from L1 enters: batches and deposits. A batch is one blob of a
/// transaction that calls `submit`; the inbox records the blob's versioned hash, the L2 blocks
/// the submitter declares it to hold and the L1 context it arrived in, so that derivation can find
/// it and a dispute can prove bytes of it (`BlobData`). L2 blocks are numbered consecutively
/// across batches from 1 (block 0 is the L2 genesis). With no sequencer configured, anyone may
/// submit (a based rollup). With one, anyone may submit once the sequencer has submitted nothing
/// for `sequencerTimeout` seconds, until it submits again: a sequencer that stops cannot stop
/// the L2, and the inbox's own order of calls decides which batch comes first.
///
/// A deposit (`deposit`) locks ETH here and queues a credit of it to an L2 address. Each batch
/// takes the queue's next deposits, at most `MAX_DEPOSITS_PER_BLOCK` for each block it declares,
/// and its blocks credit them in order as EIP-4895 withdrawals, which EXECUTE applies at the
/// block's end: no L2 transaction carries them, so a sequencer cannot leave one out, and every
/// batch it posts moves the queue on. A deposit may carry a call (`depositCall`): a message. Its
/// value is credited to the L2's bridge predeploy, and the message joins an append-only Merkle
/// tree whose root every L2 block commits to as its `parentBeaconBlockRoot` (the root over the
/// messages credited by the blocks before it, `messageRootBefore`), which the L2 stores by
/// EIP-4788 and the predeploy relays the call against.
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

    /// @notice A queued deposit: `amountGwei` to be credited to `to` on the L2 (the L2 bridge for
    /// a message). One storage slot.
    struct Deposit {
        address to;
        uint64 amountGwei;
        /// Messages queued through this deposit, itself included: the message tree's size once
        /// the deposits through this one are credited.
        uint32 messages;
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
    /// @notice Levels of the message tree: room for 2^32 messages, the most `Deposit.messages`
    /// counts.
    uint256 public constant MESSAGE_TREE_DEPTH = 32;
    /// @notice Where every L2 genesis puts the bridge predeploy (`L2Bridge`), which a message's
    /// value is credited to and which relays its call.
    address public constant L2_BRIDGE = L2_BRIDGE_PREDEPLOY;

    /// @notice The only address that may submit while it is live; zero means anyone, always.
    address public immutable sequencer;
    /// @notice Seconds without a batch from the sequencer after which anyone may submit.
    uint64 public immutable sequencerTimeout;
    /// @notice The only address that may release deposited ETH: the bridge paying withdrawals.
    address public immutable bridge;

    /// @notice Root of the empty message tree (every leaf zero).
    bytes32 public immutable emptyMessageRoot;

    Batch[] internal _batches;
    Deposit[] internal _deposits;
    /// The message tree's left nodes on the path of its next leaf, by level (the incremental
    /// Merkle tree of the beacon chain's deposit contract).
    bytes32[MESSAGE_TREE_DEPTH] internal _branch;
    /// The message tree's root after each message: `_messageRoots[k]` holds messages `0..=k`.
    bytes32[] internal _messageRoots;
    /// @notice The next L2 block number a batch will start at.
    uint64 public nextBlock = 1;
    /// @notice L1 time of the last `submit` call (the deployment's before the first): the next
    /// call may declare at most one block per second since.
    uint64 public lastSubmitted;
    /// @notice L1 time of the sequencer's last `submit` (the deployment's before the first):
    /// from `sequencerTimeout` seconds later, anyone may submit.
    uint64 public lastSequencerSubmit;

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
    /// @notice `from` queued message `message` (deposit `index`): a call of `to` with `data` and
    /// `value` wei on the L2; `leaf` is its leaf in the message tree, `root` the tree's root after
    /// it.
    event MessageQueued(
        uint256 indexed message,
        uint256 indexed index,
        address indexed from,
        address to,
        uint256 value,
        bytes data,
        bytes32 leaf,
        bytes32 root
    );

    /// @notice The caller is not the sequencer, which is live: anyone may submit from L1 time
    /// `openFrom` if it submits nothing before.
    error NotSequencer(uint256 openFrom);
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
    /// @notice Batch `index` has no message roots `from .. from + count`.
    error UnknownRoots(uint256 index, uint256 from, uint256 count);
    /// @notice The message tree is full (2^32 messages).
    error TooManyMessages();

    /// @param sequencer_ Address allowed to submit while live, or zero for anyone.
    /// @param sequencerTimeout_ Seconds of the sequencer's silence after which anyone may submit.
    /// @param bridge_ The bridge that pays withdrawals (deployed after the rollup, at an address
    /// known in advance), or zero for none.
    constructor(address sequencer_, uint64 sequencerTimeout_, address bridge_) {
        sequencer = sequencer_;
        sequencerTimeout = sequencerTimeout_;
        bridge = bridge_;
        lastSubmitted = uint64(block.timestamp);
        lastSequencerSubmit = uint64(block.timestamp);
        bytes32 zero;
        for (uint256 h = 0; h < MESSAGE_TREE_DEPTH; ++h) {
            zero = keccak256(abi.encodePacked(zero, zero));
        }
        emptyMessageRoot = zero;
    }

    /// @notice Records every blob of the calling transaction as a batch, in blob order, the
    /// `i`-th declaring `blockCounts[i]` L2 blocks.
    /// @return first Index of the first batch recorded.
    function submit(uint16[] calldata blockCounts) external returns (uint256 first) {
        if (msg.sender == sequencer) {
            lastSequencerSubmit = uint64(block.timestamp);
        } else if (sequencer != address(0) && block.timestamp < basedFrom()) {
            revert NotSequencer(basedFrom());
        }
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

    /// @notice L1 time from which anyone may submit, unless the sequencer submits before.
    function basedFrom() public view returns (uint256) {
        return sequencer == address(0) ? 0 : uint256(lastSequencerSubmit) + sequencerTimeout;
    }

    /// @notice Queues a deposit of `msg.value` for `to` on the L2; the value stays here. The L2
    /// credits it in the block its batch assigns (`depositsOf`), in queue order.
    /// @return index The deposit's place in the queue (the EIP-4895 withdrawal index it gets).
    function deposit(address to) external payable returns (uint256 index) {
        uint64 amount = _gwei(true);
        index = _queue(to, amount, false);
        emit Deposited(index, msg.sender, to, amount);
    }

    /// @notice Queues a message: a call of `to` with `data` and `msg.value` (whole gwei, none
    /// allowed) on the L2, from `msg.sender`. Its deposit credits the value to the L2 bridge, and
    /// from the block after that one anyone may have the bridge make the call
    /// (`L2Bridge.relayMessage`), with the message's leaf and its Merkle proof.
    /// @return index The deposit's place in the queue.
    /// @return message The message's place in the message tree.
    function depositCall(address to, bytes calldata data)
        external
        payable
        returns (uint256 index, uint256 message)
    {
        uint64 amount = _gwei(false);
        message = _messageRoots.length;
        if (message == type(uint32).max) revert TooManyMessages();
        index = _queue(L2_BRIDGE, amount, true);
        bytes32 leaf = messageLeaf(message, msg.sender, to, msg.value, data);
        bytes32 root = _append(message, leaf);
        emit Deposited(index, msg.sender, L2_BRIDGE, amount);
        emit MessageQueued(message, index, msg.sender, to, msg.value, data, leaf, root);
    }

    /// @notice The message tree's leaf of message `message`: `keccak256(abi.encode(message, from,
    /// to, value, keccak256(data)))`, as `L2Bridge.relayMessage` recomputes it.
    function messageLeaf(
        uint256 message,
        address from,
        address to,
        uint256 value,
        bytes calldata data
    ) public pure returns (bytes32) {
        return keccak256(abi.encode(message, from, to, value, keccak256(data)));
    }

    /// @notice `msg.value` in gwei, checked: whole, at most 2^64 - 1, and at least one unless
    /// `nonZero` is false; and only once the bridge that pays deposits back exists.
    function _gwei(bool nonZero) internal view returns (uint64) {
        if (bridge.code.length == 0) revert NoBridge();
        uint256 amount = msg.value / GWEI;
        if (msg.value % GWEI != 0 || (nonZero && amount == 0) || amount > type(uint64).max) {
            revert BadDepositAmount(msg.value);
        }
        return uint64(amount);
    }

    /// @notice Appends a deposit to the queue, counting it as a message if `isMessage`.
    function _queue(address to, uint64 amount, bool isMessage) internal returns (uint256 index) {
        index = _deposits.length;
        uint32 messages = index == 0 ? 0 : _deposits[index - 1].messages;
        if (isMessage) ++messages;
        _deposits.push(Deposit(to, amount, messages));
    }

    /// @notice Inserts `leaf` as leaf `message` of the message tree and records the new root.
    function _append(uint256 message, bytes32 leaf) internal returns (bytes32 root) {
        uint256 size = message + 1;
        bytes32 node = leaf;
        for (uint256 h = 0; h < MESSAGE_TREE_DEPTH; ++h) {
            if ((size >> h) & 1 == 1) {
                _branch[h] = node;
                break;
            }
            node = keccak256(abi.encodePacked(_branch[h], node));
        }
        bytes32 zero;
        root = bytes32(0);
        for (uint256 h = 0; h < MESSAGE_TREE_DEPTH; ++h) {
            root = (size >> h) & 1 == 1
                ? keccak256(abi.encodePacked(_branch[h], root))
                : keccak256(abi.encodePacked(root, zero));
            zero = keccak256(abi.encodePacked(zero, zero));
        }
        _messageRoots.push(root);
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

    /// @notice Number of messages queued.
    function messageCount() external view returns (uint256) {
        return _messageRoots.length;
    }

    /// @notice The message tree's root over the messages among deposits `0 .. depositIndex`:
    /// what an L2 block whose deposits start at `depositIndex` commits to.
    function messageRootBefore(uint256 depositIndex) public view returns (bytes32) {
        if (depositIndex > _deposits.length) revert UnknownDeposits(depositIndex, 0);
        uint256 messages = depositIndex == 0 ? 0 : _deposits[depositIndex - 1].messages;
        return messages == 0 ? emptyMessageRoot : _messageRoots[messages - 1];
    }

    /// @notice The message roots batch `index`'s blocks commit to, `count` of them from `from`:
    /// block `j` commits to root `min(j, runs)`, the root before the deposits it credits
    /// (`depositsOf`), where `runs` is the number of blocks that credit any (so there are
    /// `runs + 1` roots, read in pages).
    function messageRootsOf(uint256 index, uint256 from, uint256 count)
        external
        view
        returns (bytes32[] memory roots)
    {
        if (index >= _batches.length) revert UnknownBatch(index);
        uint256 start = index == 0 ? 0 : _batches[index - 1].depositsEnd;
        uint256 end = _batches[index].depositsEnd;
        uint256 runs = (end - start + MAX_DEPOSITS_PER_BLOCK - 1) / MAX_DEPOSITS_PER_BLOCK;
        if (from > runs || count > runs + 1 - from) revert UnknownRoots(index, from, count);
        roots = new bytes32[](count);
        for (uint256 j = 0; j < count; ++j) {
            uint256 first = start + MAX_DEPOSITS_PER_BLOCK * (from + j);
            roots[j] = messageRootBefore(first < end ? first : end);
        }
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
