// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";

/// @notice The Rust side of the toolkit, reached through `vm.ffi`: the small `rollup-ffi` binary
/// that `cargo build -p rollup-ffi` leaves in the workspace's `target/debug` (override with
/// `ROLLUP_FFI_BIN`).
library Rust {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function bin() internal view returns (string memory) {
        return vm.envOr("ROLLUP_FFI_BIN", string("../target/debug/rollup-ffi"));
    }

    /// @notice Runs `rollup-ffi` with `args` and returns what it printed (hex, decoded).
    function run(string[] memory args) internal returns (bytes memory) {
        string[] memory cmd = new string[](args.length + 1);
        cmd[0] = bin();
        for (uint256 i = 0; i < args.length; ++i) {
            cmd[i + 1] = args[i];
        }
        return vm.ffi(cmd);
    }

    /// @notice Writes `data` as hex to a scratch file named after its hash; returns the path.
    function scratch(bytes memory data) internal returns (string memory path) {
        path = string.concat("cache/ffi-", vm.toString(keccak256(data)), ".hex");
        vm.writeFile(path, vm.toString(data));
    }
}
