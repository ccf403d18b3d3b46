// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {Inbox} from "../src/Inbox.sol";

contract InboxTest is Test {
    event BatchSubmitted(
        uint256 indexed index,
        bytes32 indexed blobHash,
        uint64 firstBlock,
        uint16 blockCount,
        uint256 blobIndex,
        uint64 depositsStart,
        uint64 depositsEnd
    );
    event Deposited(
        uint256 indexed index, address indexed from, address indexed to, uint64 amountGwei
    );

    address internal constant SEQUENCER = address(0x5e9);
    /// A stand-in for the bridge: deposits need one with code.
    address internal constant BRIDGE = address(0xb41d);
    /// Seconds of the sequencer's silence before anyone may submit.
    uint64 internal constant TIMEOUT = 600;
    Inbox internal inbox = new Inbox(SEQUENCER, TIMEOUT, BRIDGE);

    function setUp() public {
        vm.etch(BRIDGE, hex"00");
    }

    function hashes(uint256 n, uint8 seed) internal pure returns (bytes32[] memory out) {
        out = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            // Versioned hashes start with the KZG version byte.
            out[i] = bytes32(uint256(keccak256(abi.encode(seed, i))) >> 8 | (uint256(1) << 248));
        }
    }

    function counts(uint16 a, uint16 b, uint16 c) internal pure returns (uint16[] memory out) {
        out = new uint16[](3);
        (out[0], out[1], out[2]) = (a, b, c);
    }

    function one(uint16 a) internal pure returns (uint16[] memory out) {
        out = new uint16[](1);
        out[0] = a;
    }

    function test_RecordsEveryBlobInOrderAndNumbersBlocks() public {
        bytes32[] memory blobs = hashes(3, 1);
        vm.blobhashes(blobs);
        vm.roll(77);
        vm.warp(1_700_000_000);
        uint64[3] memory firsts = [uint64(1), 6, 7];
        uint16[] memory declared = counts(5, 1, 9);
        for (uint256 i = 0; i < 3; ++i) {
            vm.expectEmit(address(inbox));
            emit BatchSubmitted(i, blobs[i], firsts[i], declared[i], i, 0, 0);
        }
        vm.prank(SEQUENCER);
        assertEq(inbox.submit(declared), 0);
        assertEq(inbox.batchCount(), 3);
        assertEq(inbox.nextBlock(), 16);
        for (uint256 i = 0; i < 3; ++i) {
            Inbox.Batch memory b = inbox.batch(i);
            assertEq(b.blobHash, blobs[i]);
            assertEq(b.firstBlock, firsts[i]);
            assertEq(b.blockCount, declared[i]);
            assertEq(b.l1Block, 77);
            assertEq(b.l1Timestamp, 1_700_000_000);
        }
        assertEq(inbox.batchOf(2, 15).firstBlock, 7);
        vm.expectRevert(abi.encodeWithSelector(Inbox.NotInBatch.selector, 1, 7));
        inbox.batchOf(1, 7);

        vm.blobhashes(hashes(1, 2));
        vm.warp(block.timestamp + 2);
        vm.prank(SEQUENCER);
        assertEq(inbox.submit(one(2)), 3, "indices continue");
        assertEq(inbox.batchCount(), 4);
        assertEq(inbox.batch(3).firstBlock, 16);
    }

    function test_RevertWhen_BlockCountsDoNotMatchTheBlobs() public {
        vm.blobhashes(hashes(2, 1));
        vm.startPrank(SEQUENCER);
        vm.expectRevert(Inbox.BadBlockCounts.selector);
        inbox.submit(one(1));
        vm.expectRevert(Inbox.BadBlockCounts.selector);
        inbox.submit(counts(1, 1, 1));
        uint16[] memory zero = new uint16[](2);
        zero[0] = 1;
        vm.expectRevert(Inbox.BadBlockCounts.selector);
        inbox.submit(zero);
        vm.stopPrank();
    }

    function test_RevertWhen_NotSequencer() public {
        vm.blobhashes(hashes(1, 1));
        vm.warp(block.timestamp + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                Inbox.NotSequencer.selector, inbox.lastSequencerSubmit() + TIMEOUT
            )
        );
        inbox.submit(one(1));
    }

    /// Once the sequencer has been silent for the timeout, anyone may submit, and keeps the L2
    /// moving, until the sequencer submits again; the inbox's order of calls is the batches'.
    function test_AnyoneSubmitsWhileTheSequencerIsSilent() public {
        address other = address(0xba5ed);
        vm.blobhashes(hashes(1, 1));
        // The inbox's own record (a local read of `block.timestamp` may be moved past a warp).
        uint256 deployed = inbox.lastSequencerSubmit();
        vm.warp(deployed + TIMEOUT - 1);
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(Inbox.NotSequencer.selector, deployed + TIMEOUT));
        inbox.submit(one(1));
        vm.warp(deployed + TIMEOUT);
        vm.prank(other);
        assertEq(inbox.submit(one(1)), 0);
        // A based batch does not reset the sequencer's clock: others may go on.
        vm.warp(deployed + TIMEOUT + 1);
        vm.prank(address(0xcafe));
        assertEq(inbox.submit(one(1)), 1);
        // The sequencer returns; the others wait for its next silence.
        vm.warp(deployed + TIMEOUT + 2);
        vm.prank(SEQUENCER);
        assertEq(inbox.submit(one(1)), 2);
        assertEq(inbox.basedFrom(), deployed + TIMEOUT + 2 + TIMEOUT);
        vm.warp(deployed + TIMEOUT + 3);
        vm.prank(other);
        vm.expectRevert(
            abi.encodeWithSelector(Inbox.NotSequencer.selector, deployed + 2 * TIMEOUT + 2)
        );
        inbox.submit(one(1));
        assertEq(inbox.nextBlock(), 4);
    }

    /// Whatever the silence, a stranger's submit succeeds exactly when it is at least the timeout.
    function testFuzz_BasedModeOpensAtTheTimeout(uint32 silence, address anyone) public {
        vm.assume(anyone != SEQUENCER);
        vm.blobhashes(hashes(1, 2));
        vm.warp(block.timestamp + 1);
        vm.prank(SEQUENCER);
        inbox.submit(one(1));
        uint256 last = inbox.lastSequencerSubmit();
        vm.warp(last + 1 + uint256(silence));
        vm.prank(anyone);
        if (1 + uint256(silence) < TIMEOUT) {
            vm.expectRevert(abi.encodeWithSelector(Inbox.NotSequencer.selector, last + TIMEOUT));
        }
        inbox.submit(one(1));
    }

    function test_RevertWhen_NoBlobs() public {
        vm.prank(SEQUENCER);
        vm.expectRevert(Inbox.NoBlobs.selector);
        inbox.submit(new uint16[](0));
    }

    function test_BasedInboxTakesAnyone(address anyone) public {
        Inbox based = new Inbox(address(0), 0, address(0));
        vm.blobhashes(hashes(2, 3));
        vm.warp(block.timestamp + 2);
        vm.prank(anyone);
        uint16[] memory two = new uint16[](2);
        (two[0], two[1]) = (1, 1);
        assertEq(based.submit(two), 0);
        assertEq(based.batchCount(), 2);
    }

    /// Finding 6 of the soundness review: one blob could declare 65,535 blocks, pushing L2 time
    /// that far past L1's. A call takes at most one block per second since the last.
    function test_RevertWhen_MoreBlocksThanSecondsSinceTheLastSubmit() public {
        vm.blobhashes(hashes(1, 4));
        vm.startPrank(SEQUENCER);
        vm.warp(block.timestamp + 5);
        vm.expectRevert(abi.encodeWithSelector(Inbox.TooManyBlocks.selector, 6, 5));
        inbox.submit(one(6));
        inbox.submit(one(5));
        vm.expectRevert(abi.encodeWithSelector(Inbox.TooManyBlocks.selector, 1, 0));
        inbox.submit(one(1));
        // `vm.getBlockTimestamp`: under via-IR, `block.timestamp` may be read once per function.
        vm.warp(vm.getBlockTimestamp() + 2 * 12_696 - 1);
        vm.blobhashes(hashes(2, 5));
        vm.expectRevert(
            abi.encodeWithSelector(Inbox.TooManyBlocks.selector, 2 * 12_696, 2 * 12_696 - 1)
        );
        inbox.submit(counts2(12_696, 12_696));
        // No blob declares more blocks than its table holds entries for.
        vm.expectRevert(Inbox.BadBlockCounts.selector);
        inbox.submit(counts2(12_697, 1));
        vm.warp(vm.getBlockTimestamp() + 1);
        inbox.submit(counts2(12_696, 12_696));
        vm.stopPrank();
    }

    /// Whatever the calls and their timing, the blocks declared never outrun L1 time since the
    /// deployment, so no L2 block needs a timestamp past its batch's L1 block.
    function testFuzz_BlocksNeverOutrunL1Time(uint16[8] memory gaps, uint16[8] memory asked)
        public
    {
        // `vm.getBlockTimestamp`: under via-IR, `block.timestamp` may be read once per function.
        uint256 deployed = vm.getBlockTimestamp();
        vm.blobhashes(hashes(1, 6));
        vm.startPrank(SEQUENCER);
        for (uint256 i = 0; i < gaps.length; ++i) {
            vm.warp(vm.getBlockTimestamp() + gaps[i]);
            uint16 count = uint16(bound(asked[i], 1, type(uint16).max));
            try inbox.submit(one(count)) {} catch {}
            assertLe(inbox.nextBlock() - 1, vm.getBlockTimestamp() - deployed);
        }
        vm.stopPrank();
    }

    function counts2(uint16 a, uint16 b) internal pure returns (uint16[] memory out) {
        out = new uint16[](2);
        (out[0], out[1]) = (a, b);
    }

    function test_RevertWhen_BatchOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(Inbox.UnknownBatch.selector, 0));
        inbox.batch(0);
        vm.expectRevert(abi.encodeWithSelector(Inbox.UnknownBatch.selector, 3));
        inbox.batchOf(3, 1);
    }

    function test_DepositQueuesWholeGweiAndKeepsTheValue() public {
        address user = makeAddr("user");
        vm.deal(user, 10 ether);
        vm.expectEmit(address(inbox));
        emit Deposited(0, user, address(0xbeef), 1e9);
        vm.prank(user);
        assertEq(inbox.deposit{value: 1 ether}(address(0xbeef)), 0);
        vm.cool(address(inbox));
        vm.prank(user);
        vm.startSnapshotGas("RollupMoves", "deposit");
        assertEq(inbox.deposit{value: 1 gwei}(user), 1);
        vm.stopSnapshotGas();
        assertEq(inbox.depositCount(), 2);
        assertEq(address(inbox).balance, 1 ether + 1 gwei);
        Inbox.Deposit[] memory queued = inbox.deposits(0, 2);
        assertEq(queued[0].to, address(0xbeef));
        assertEq(queued[0].amountGwei, 1e9);
        assertEq(queued[1].to, user);
        assertEq(queued[1].amountGwei, 1);
        vm.expectRevert(abi.encodeWithSelector(Inbox.UnknownDeposits.selector, 1, 2));
        inbox.deposits(1, 2);
        vm.expectRevert(abi.encodeWithSelector(Inbox.UnknownDeposits.selector, 3, 0));
        inbox.deposits(3, 0);
    }

    /// With no bridge where the inbox expects one, nothing could ever pay a deposit back.
    function test_RevertWhen_ThereIsNoBridge() public {
        Inbox orphan = new Inbox(SEQUENCER, TIMEOUT, address(0xdead));
        vm.expectRevert(Inbox.NoBridge.selector);
        orphan.deposit{value: 1 gwei}(address(1));
        Inbox none = new Inbox(SEQUENCER, TIMEOUT, address(0));
        vm.expectRevert(Inbox.NoBridge.selector);
        none.deposit{value: 1 gwei}(address(1));
    }

    function test_RevertWhen_DepositIsNotWholeGwei() public {
        uint256 tooLarge = (uint256(type(uint64).max) + 1) * 1 gwei;
        vm.deal(address(this), tooLarge);
        uint256[4] memory bad = [uint256(0), 1, 1.5 gwei, tooLarge];
        for (uint256 i = 0; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(Inbox.BadDepositAmount.selector, bad[i]));
            inbox.deposit{value: bad[i]}(address(1));
        }
        assertEq(inbox.depositCount(), 0);
    }

    /// Each batch takes the queue's next deposits, sixteen per block it declares, and leaves the
    /// rest to the next batch; its blocks credit them in runs of sixteen.
    function test_BatchesCreditDepositsInRunsPerBlock() public {
        for (uint256 i = 0; i < 40; ++i) {
            inbox.deposit{value: (i + 1) * 1 gwei}(address(uint160(0x1000 + i)));
        }
        vm.deal(address(this), 0);
        vm.warp(block.timestamp + 10);
        vm.blobhashes(hashes(2, 7));
        vm.expectEmit(address(inbox));
        emit BatchSubmitted(0, hashes(2, 7)[0], 1, 1, 0, 0, 16);
        vm.expectEmit(address(inbox));
        emit BatchSubmitted(1, hashes(2, 7)[1], 2, 3, 1, 16, 40);
        vm.prank(SEQUENCER);
        inbox.submit(counts2(1, 3));
        assertEq(inbox.batch(0).depositsEnd, 16);
        assertEq(inbox.batch(1).depositsEnd, 40);
        (uint256 first, uint256 n) = inbox.depositsOf(0, 1);
        assertEq(first, 0);
        assertEq(n, 16);
        (first, n) = inbox.depositsOf(1, 2);
        assertEq(first, 16);
        assertEq(n, 16);
        (first, n) = inbox.depositsOf(1, 3);
        assertEq(first, 32);
        assertEq(n, 8, "the last run is short");
        (, n) = inbox.depositsOf(1, 4);
        assertEq(n, 0, "blocks after the last run credit none");
        vm.expectRevert(abi.encodeWithSelector(Inbox.NotInBatch.selector, 0, 2));
        inbox.depositsOf(0, 2);
    }

    receive() external payable {}

    /// Whatever the deposits and batches, every deposit is credited by exactly one block, in
    /// queue order, no block credits more than sixteen, and a batch leaves none queued that its
    /// blocks had room for.
    function testFuzz_EveryDepositCreditedOnceInOrder(uint8[6] memory made, uint8[6] memory blocks)
        public
    {
        vm.deal(address(this), 1 ether);
        vm.blobhashes(hashes(1, 8));
        uint256 next;
        uint64 l2Block = 1;
        for (uint256 b = 0; b < made.length; ++b) {
            for (uint256 i = 0; i < made[b]; ++i) {
                inbox.deposit{value: 1 gwei}(address(1));
            }
            uint16 count = uint16(bound(blocks[b], 1, 8));
            vm.warp(vm.getBlockTimestamp() + count);
            vm.prank(SEQUENCER);
            inbox.submit(one(count));
            for (uint256 j = 0; j < count; ++j) {
                (uint256 first, uint256 n) = inbox.depositsOf(b, l2Block + uint64(j));
                assertLe(n, inbox.MAX_DEPOSITS_PER_BLOCK());
                // The end step reads them, whatever the block: it must never revert.
                assertEq(inbox.deposits(first, n).length, n);
                if (n > 0) assertEq(first, next, "in order, none skipped");
                next += n;
            }
            l2Block += count;
            assertEq(next, inbox.batch(b).depositsEnd);
            uint256 room = inbox.MAX_DEPOSITS_PER_BLOCK() * count;
            assertTrue(
                next == inbox.depositCount()
                    || next == (b == 0 ? 0 : inbox.batch(b - 1).depositsEnd) + room
            );
        }
    }

    /// The message tree's root over `leaves`, computed in full (every level, zero-padded), as a
    /// check of the inbox's incremental one.
    function fullRoot(bytes32[] memory leaves) internal pure returns (bytes32) {
        bytes32[] memory level = leaves;
        bytes32 zero;
        for (uint256 h = 0; h < 32; ++h) {
            bytes32[] memory up = new bytes32[]((level.length + 1) / 2);
            for (uint256 i = 0; i < up.length; ++i) {
                bytes32 right = 2 * i + 1 < level.length ? level[2 * i + 1] : zero;
                up[i] = keccak256(abi.encodePacked(level[2 * i], right));
            }
            level = up;
            zero = keccak256(abi.encodePacked(zero, zero));
        }
        return level.length == 0 ? zero : level[0];
    }

    /// Messages and plain deposits interleaved: each message's leaf binds its fields, the roots
    /// before each deposit count only the messages before it, and match a full computation.
    function testFuzz_MessageRootsMatchTheFullTree(uint8[12] memory kinds) public {
        bytes32[] memory leaves = new bytes32[](12);
        uint256 messages;
        uint256[] memory before = new uint256[](13);
        for (uint256 i = 0; i < 12; ++i) {
            before[i] = messages;
            if (kinds[i] % 2 == 0) {
                inbox.deposit{value: 1 gwei}(address(uint160(0x100 + i)));
                continue;
            }
            bytes memory data = abi.encodePacked(uint8(i), kinds[i]);
            address to = address(uint160(0x200 + i));
            uint256 value = uint256(kinds[i]) * 1 gwei;
            (uint256 index, uint256 message) = inbox.depositCall{value: value}(to, data);
            assertEq(index, i);
            assertEq(message, messages);
            leaves[messages] = inbox.messageLeaf(message, address(this), to, value, data);
            assertEq(
                leaves[messages],
                keccak256(abi.encode(message, address(this), to, value, keccak256(data)))
            );
            ++messages;
        }
        before[12] = messages;
        assertEq(inbox.messageCount(), messages);
        for (uint256 i = 0; i <= 12; ++i) {
            bytes32[] memory prefix = new bytes32[](before[i]);
            for (uint256 k = 0; k < before[i]; ++k) {
                prefix[k] = leaves[k];
            }
            assertEq(inbox.messageRootBefore(i), fullRoot(prefix));
        }
        assertEq(inbox.messageRootBefore(0), inbox.emptyMessageRoot());
        vm.expectRevert(abi.encodeWithSelector(Inbox.UnknownDeposits.selector, 13, 0));
        inbox.messageRootBefore(13);
    }

    /// A message's value goes to the L2 bridge's account, in whole gwei, and may be none.
    function test_AMessageCreditsTheL2Bridge() public {
        inbox.depositCall(address(0x77), hex"12");
        vm.cool(address(inbox));
        vm.startSnapshotGas("RollupMoves", "deposit with a call (no data)");
        inbox.depositCall{value: 3 gwei}(address(0x77), "");
        vm.stopSnapshotGas();
        Inbox.Deposit[] memory queued = inbox.deposits(0, 2);
        assertEq(queued[0].to, inbox.L2_BRIDGE());
        assertEq(queued[0].amountGwei, 0);
        assertEq(queued[1].amountGwei, 3);
        assertEq(queued[1].messages, 2);
        vm.expectRevert(abi.encodeWithSelector(Inbox.BadDepositAmount.selector, 1));
        inbox.depositCall{value: 1}(address(0x77), "");
    }

    /// A batch's blocks commit to the root before each one's run of deposits: block 0 to the
    /// root before the batch's, block `j` to the root after `16 j` of them.
    function test_BatchesCommitToTheRootBeforeEachBlocksDeposits() public {
        for (uint256 i = 0; i < 20; ++i) {
            if (i == 3 || i == 17) inbox.depositCall(address(0x77), abi.encode(i));
            else inbox.deposit{value: 1 gwei}(address(0x77));
        }
        vm.blobhashes(hashes(1, 9));
        vm.warp(block.timestamp + 10);
        vm.prank(SEQUENCER);
        inbox.submit(one(3));
        bytes32[] memory roots = inbox.messageRootsOf(0, 0, 3);
        assertEq(roots[0], inbox.emptyMessageRoot());
        assertEq(roots[1], inbox.messageRootBefore(16));
        assertEq(roots[2], inbox.messageRootBefore(20));
        assertTrue(roots[1] != roots[0] && roots[2] != roots[1]);
        vm.expectRevert(abi.encodeWithSelector(Inbox.UnknownRoots.selector, 0, 1, 3));
        inbox.messageRootsOf(0, 1, 3);
    }
}
