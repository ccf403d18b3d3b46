// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {Inbox} from "../../src/Inbox.sol";
import {BlobData} from "../../src/BlobData.sol";
import {testConfig} from "./RollupCalls.sol";
import {Rollup} from "../../src/Rollup.sol";

/// @notice A rollup for tests without data proofs: a based inbox holding one batch of
/// `blocks` L2 blocks (a placeholder blob hash), 1-hour clocks, a 1-day window, 1 and 0.5 ether
/// bonds.
abstract contract Fixture is Test {
    bytes32 internal constant GENESIS = keccak256("genesis");

    function deployRollup(uint64 degree) internal returns (Inbox inbox, Rollup rollup) {
        inbox = new Inbox(address(0), 0, address(0));
        rollup = new Rollup(
            inbox, new BlobData(), testConfig(degree, 30_000_000, address(0xfe)), hex"c0", GENESIS
        );
        bytes32[] memory blobs = new bytes32[](1);
        blobs[0] = bytes32(uint256(1) << 248);
        vm.blobhashes(blobs);
    }

    /// @notice Submits one batch of `blocks` blocks, `blocks` seconds after the last (the most
    /// the inbox takes).
    function submitBatch(Inbox inbox, uint16 blocks) internal {
        vm.warp(block.timestamp + blocks);
        uint16[] memory counts = new uint16[](1);
        counts[0] = blocks;
        inbox.submit(counts);
    }
}
