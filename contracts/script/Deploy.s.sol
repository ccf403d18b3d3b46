// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Script, console} from "forge-std/Script.sol";
import {Inbox} from "../src/Inbox.sol";

/// @notice Deploys the rollup's L1 contracts. The sequencer comes from `SEQUENCER` (zero, the
/// default, makes a based inbox), the seconds of its silence after which anyone may submit from
/// `SEQUENCER_TIMEOUT` (an hour by default).
contract Deploy is Script {
    /// @notice Seconds of the sequencer's silence before anyone may submit, by default.
    uint64 internal constant DEFAULT_SEQUENCER_TIMEOUT = 1 hours;

    /// @notice Deploys the inbox and logs its address.
    function run() external returns (Inbox inbox) {
        address sequencer = vm.envOr("SEQUENCER", address(0));
        uint64 timeout = uint64(vm.envOr("SEQUENCER_TIMEOUT", uint256(DEFAULT_SEQUENCER_TIMEOUT)));
        vm.startBroadcast();
        inbox = new Inbox(sequencer, timeout, address(0));
        vm.stopBroadcast();
        console.log("Inbox", address(inbox));
    }
}
