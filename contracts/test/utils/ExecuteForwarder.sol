// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Rust} from "./Rust.sol";

/// @notice Etched at EXECUTE's address in tests: hands every call to the Rust precompile
/// (`rollup-ffi execute verify`) and returns its answer, so the contracts run the real EXECUTE.
contract ExecuteForwarder {
    fallback(bytes calldata input) external returns (bytes memory) {
        string[] memory args = new string[](6);
        (args[0], args[1], args[2], args[3]) = ("execute", "verify", "--input", Rust.scratch(input));
        (args[4], args[5]) = ("--fork", "osaka");
        return Rust.run(args);
    }
}
