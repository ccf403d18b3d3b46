// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Script, console} from "forge-std/Script.sol";
import {Inbox} from "../src/Inbox.sol";

/// @notice Deploys the rollup's L1 contracts. The sequencer comes from `SEQUENCER` (zero, the
/// default, makes a based inbox).
contract Deploy is Script {
    function run() external returns (Inbox inbox) {
        address sequencer = vm.envOr("SEQUENCER", address(0));
        vm.startBroadcast();
        inbox = new Inbox(sequencer, address(0));
        vm.stopBroadcast();
        console.log("Inbox", address(inbox));
    }
}
