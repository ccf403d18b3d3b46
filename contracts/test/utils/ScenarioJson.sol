// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {Rollup} from "../../src/Rollup.sol";
import {BlobData} from "../../src/BlobData.sol";

/// @notice Reads the scenario's JSON (`rollup-ffi scenario`): the honest derivation, every block
/// hash, every position and every step's input, as the contract takes them.
library ScenarioJson {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function blockKey(uint64 n) internal pure returns (string memory) {
        return string.concat(".blocks[", vm.toString(n - 1), "]");
    }

    function stepKey(uint64 n, uint64 k) internal pure returns (string memory) {
        return string.concat(blockKey(n), ".steps[", vm.toString(k), "]");
    }

    /// @notice L2 blocks the scenario's batch holds.
    function blockCount(string memory json) internal pure returns (uint64) {
        return uint64(vm.parseJsonUint(json, ".blockCount"));
    }

    /// @notice The honest hash of L2 block `n` (the genesis hash for 0).
    function blockHash(string memory json, uint64 n) internal pure returns (bytes32) {
        if (n == 0) return vm.parseJsonBytes32(json, ".genesisHash");
        return vm.parseJsonBytes32(json, string.concat(blockKey(n), ".hash"));
    }

    /// @notice Candidates of block `n`.
    function candidates(string memory json, uint64 n) internal pure returns (uint64) {
        return uint64(vm.parseJsonUint(json, string.concat(blockKey(n), ".candidates")));
    }

    /// @notice The honest value at a position: a block hash (level 1), or a position of block `n`
    /// (its hash after the last).
    function honest(string memory json, uint8 level, uint64 n, uint64 pos)
        internal
        pure
        returns (bytes32)
    {
        if (level == 1) return blockHash(json, pos);
        if (pos == candidates(json, n) + 1) return blockHash(json, n);
        return
            vm.parseJsonBytes32(
                json, string.concat(blockKey(n), ".positions[", vm.toString(pos), "]")
            );
    }

    /// @notice Whether the rule includes candidate `k` of block `n`.
    function included(string memory json, uint64 n, uint64 k) internal pure returns (bool) {
        return vm.parseJsonBool(json, string.concat(stepKey(n, k), ".included"));
    }

    /// @notice Candidate `k` of block `n`'s step; for a candidate the rule skips, the honest
    /// starting position and empty trace parts.
    function candidateStep(string memory json, uint64 n, uint64 k)
        internal
        pure
        returns (Rollup.StepInput memory step, Rollup.CandidateProof memory proof)
    {
        string memory key = stepKey(n, k);
        proof.offsets = abi.decode(
            vm.parseJsonBytes(json, string.concat(key, ".offsets")), (BlobData.RangeProof)
        );
        proof.transaction = abi.decode(
            vm.parseJsonBytes(json, string.concat(key, ".transaction")), (BlobData.RangeProof)
        );
        if (included(json, n, k)) {
            step = abi.decode(
                vm.parseJsonBytes(json, string.concat(key, ".input")), (Rollup.StepInput)
            );
        } else {
            step.pre =
                abi.decode(vm.parseJsonBytes(json, string.concat(key, ".pre")), (Rollup.Position));
        }
    }

    /// @notice Block `n`'s end step.
    function endStep(string memory json, uint64 n) internal pure returns (Rollup.StepInput memory) {
        return
            abi.decode(
                vm.parseJsonBytes(json, string.concat(blockKey(n), ".end")), (Rollup.StepInput)
            );
    }

    /// @notice What opening block `n` takes: its parent's header and its batch table proof.
    function opening(string memory json, uint64 n)
        internal
        pure
        returns (bytes memory parentHeader, Rollup.TableProof memory table)
    {
        parentHeader = vm.parseJsonBytes(json, string.concat(blockKey(n), ".parentHeader"));
        table = abi.decode(
            vm.parseJsonBytes(json, string.concat(blockKey(n), ".table")), (Rollup.TableProof)
        );
    }
}
