// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {Inbox} from "../../src/Inbox.sol";
import {BlobData} from "../../src/BlobData.sol";
import {Rollup} from "../../src/Rollup.sol";
import {Bridge} from "../../src/Bridge.sol";
import {Rust} from "./Rust.sol";
import {ExecuteForwarder} from "./ExecuteForwarder.sol";
import {ScenarioJson} from "./ScenarioJson.sol";

/// @notice The scenario the Rust side derives (`rollup-ffi scenario`): an L2 genesis, 18 deposits
/// queued (block 1 credits sixteen, block 2 two; the fourth is a message) and one batch of two
/// blocks. Block 1's candidates: a transfer, a nonce gap, a blob-type candidate, a transfer, junk
/// (included: 0 and 3); block 2's: a transfer, a withdrawal and the message's relay. Deploys a
/// rollup on it whose steps run the real EXECUTE through `vm.ffi`.
abstract contract Scenario is Test {
    uint64 internal constant L1_TIME = 1_000_000;
    uint64 internal constant CLOCK = 1 hours;
    uint64 internal constant WINDOW = 1 days;
    uint256 internal constant PROPOSAL_BOND = 1 ether;
    uint256 internal constant CHALLENGE_BOND = 0.5 ether;
    /// @notice More than the scenario's deposits add up to, given to the deployer to make them.
    uint256 internal constant DEPOSITED = 10 ether;

    /// @notice Derives the scenario and returns it as JSON (blocks, positions, every step's input).
    function runScenario() internal returns (string memory) {
        string[] memory args = new string[](5);
        string memory out = string.concat("cache/scenario-", vm.toString(address(this)), ".json");
        (args[0], args[1], args[2], args[3], args[4]) =
        ("scenario", "--l1-timestamp", vm.toString(L1_TIME), "--out", out);
        Rust.run(args);
        return vm.readFile(out);
    }

    /// @notice The bridge `deployScenario` deployed beside the rollup.
    Bridge internal bridge;

    /// @notice Deploys a based inbox, a rollup of bisection degree `degree` on the scenario's
    /// genesis and its bridge, puts the real EXECUTE at its address, queues the scenario's
    /// deposits, and submits and opens the scenario's batch.
    function deployScenario(string memory json, uint64 degree)
        internal
        returns (Inbox inbox, BlobData blobData, Rollup rollup)
    {
        vm.etch(address(0x0101), address(new ExecuteForwarder()).code);
        // The bridge is the fourth contract created from here: the inbox, the blob reader and
        // the rollup come first.
        address expected = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 3);
        inbox = new Inbox(address(0), 0, expected);
        blobData = new BlobData();
        rollup = new Rollup(
            inbox,
            blobData,
            Rollup.Config({
                challengeWindow: WINDOW,
                clock: CLOCK,
                proposalBond: PROPOSAL_BOND,
                challengeBond: CHALLENGE_BOND,
                degree: degree,
                gasLimit: uint64(vm.parseJsonUint(json, ".gasLimit")),
                feeRecipient: vm.parseJsonAddress(json, ".feeRecipient")
            }),
            vm.parseJsonBytes(json, ".chainConfig"),
            ScenarioJson.blockHash(json, 0)
        );

        bridge = new Bridge(inbox, rollup);

        (bytes32[] memory elements, BlobData.Opening memory opening) =
            abi.decode(vm.parseJsonBytes(json, ".open"), (bytes32[], BlobData.Opening));
        bytes32[] memory blobs = new bytes32[](1);
        blobs[0] = opening.versionedHash;
        vm.blobhashes(blobs);
        address[] memory to = vm.parseJsonAddressArray(json, ".depositTo");
        uint256[] memory amounts = vm.parseJsonUintArray(json, ".depositGwei");
        vm.deal(address(this), address(this).balance + DEPOSITED);
        uint256 message = vm.parseJsonUint(json, ".message.deposit");
        for (uint256 i = 0; i < to.length; ++i) {
            if (i != message) {
                inbox.deposit{value: amounts[i] * 1 gwei}(to[i]);
                continue;
            }
            address from = vm.parseJsonAddress(json, ".message.from");
            vm.deal(from, amounts[i] * 1 gwei);
            vm.prank(from);
            inbox.depositCall{value: amounts[i] * 1 gwei}(
                vm.parseJsonAddress(json, ".message.to"), vm.parseJsonBytes(json, ".message.data")
            );
        }
        vm.warp(L1_TIME);
        uint16[] memory counts = new uint16[](1);
        counts[0] = uint16(ScenarioJson.blockCount(json));
        inbox.submit(counts);
        blobData.open(elements, opening);
    }

    function blockKey(uint64 n) internal pure returns (string memory) {
        return ScenarioJson.blockKey(n);
    }

    function stepKey(uint64 n, uint64 k) internal pure returns (string memory) {
        return ScenarioJson.stepKey(n, k);
    }
}
