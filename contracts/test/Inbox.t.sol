// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {Inbox} from "../src/Inbox.sol";

contract InboxTest is Test {
    event BatchSubmitted(
        uint256 indexed index, bytes32 indexed blobHash, uint64 l1Block, uint256 blobIndex
    );

    address internal constant SEQUENCER = address(0x5e9);
    Inbox internal inbox = new Inbox(SEQUENCER);

    function hashes(uint256 n, uint8 seed) internal pure returns (bytes32[] memory out) {
        out = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            // Versioned hashes start with the KZG version byte.
            out[i] = bytes32(uint256(keccak256(abi.encode(seed, i))) >> 8 | (uint256(1) << 248));
        }
    }

    function test_RecordsEveryBlobInOrder() public {
        bytes32[] memory blobs = hashes(3, 1);
        vm.blobhashes(blobs);
        vm.roll(77);
        vm.warp(1_700_000_000);
        for (uint256 i = 0; i < 3; ++i) {
            vm.expectEmit(address(inbox));
            emit BatchSubmitted(i, blobs[i], 77, i);
        }
        vm.prank(SEQUENCER);
        assertEq(inbox.submit(), 0);
        assertEq(inbox.batchCount(), 3);
        for (uint256 i = 0; i < 3; ++i) {
            Inbox.Batch memory b = inbox.batch(i);
            assertEq(b.blobHash, blobs[i]);
            assertEq(b.l1Block, 77);
            assertEq(b.l1Timestamp, 1_700_000_000);
        }

        vm.blobhashes(hashes(1, 2));
        vm.prank(SEQUENCER);
        assertEq(inbox.submit(), 3, "indices continue");
        assertEq(inbox.batchCount(), 4);
    }

    function test_RevertWhen_NotSequencer() public {
        vm.blobhashes(hashes(1, 1));
        vm.expectRevert(Inbox.NotSequencer.selector);
        inbox.submit();
    }

    function test_RevertWhen_NoBlobs() public {
        vm.prank(SEQUENCER);
        vm.expectRevert(Inbox.NoBlobs.selector);
        inbox.submit();
    }

    function test_BasedInboxTakesAnyone(address anyone) public {
        Inbox based = new Inbox(address(0));
        vm.blobhashes(hashes(2, 3));
        vm.prank(anyone);
        assertEq(based.submit(), 0);
        assertEq(based.batchCount(), 2);
    }

    function test_RevertWhen_BatchOutOfRange() public {
        vm.expectRevert();
        inbox.batch(0);
    }
}
