// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Rollup} from "../../src/Rollup.sol";
import {ScenarioJson} from "./ScenarioJson.sol";

/// @notice The scenario's honest derivation (`ScenarioJson`), read once and kept, for players
/// that are contracts of their own and look it up on every call.
contract ScenarioData {
    uint64 public immutable blockCount;
    mapping(uint64 => bytes32) internal hashOf;
    /// @notice Candidates of each block.
    mapping(uint64 => uint64) public candidatesOf;
    mapping(uint64 => mapping(uint64 => bytes32)) internal positionOf;
    mapping(uint64 => mapping(uint64 => bool)) internal includedOf;
    /// ABI encodings of what `ScenarioJson` reads: steps, end steps, openings.
    mapping(uint64 => mapping(uint64 => bytes)) internal stepOf;
    mapping(uint64 => bytes) internal endOf;
    mapping(uint64 => bytes) internal openingOf;

    constructor(string memory json) {
        blockCount = ScenarioJson.blockCount(json);
        hashOf[0] = ScenarioJson.blockHash(json, 0);
        for (uint64 n = 1; n <= blockCount; ++n) {
            hashOf[n] = ScenarioJson.blockHash(json, n);
            uint64 count = ScenarioJson.candidates(json, n);
            candidatesOf[n] = count;
            for (uint64 p = 0; p <= count + 1; ++p) {
                positionOf[n][p] = ScenarioJson.honest(json, 2, n, p);
            }
            for (uint64 k = 0; k < count; ++k) {
                includedOf[n][k] = ScenarioJson.included(json, n, k);
                (Rollup.StepInput memory step, Rollup.CandidateProof memory proof) =
                    ScenarioJson.candidateStep(json, n, k);
                stepOf[n][k] = abi.encode(step, proof);
            }
            endOf[n] = abi.encode(ScenarioJson.endStep(json, n));
            (bytes memory parentHeader, Rollup.TableProof memory table) =
                ScenarioJson.opening(json, n);
            openingOf[n] = abi.encode(parentHeader, table);
        }
    }

    /// @notice The honest hash of L2 block `n` (the genesis hash for 0).
    function blockHash(uint64 n) public view returns (bytes32) {
        return hashOf[n];
    }

    /// @notice The honest value at position `pos` of level `level` (of block `n` at level 2).
    function honest(uint8 level, uint64 n, uint64 pos) public view returns (bytes32) {
        return level == 1 ? hashOf[pos] : positionOf[n][pos];
    }

    /// @notice Candidate `k` of block `n`'s step (`ScenarioJson.candidateStep`).
    function candidateStep(uint64 n, uint64 k)
        public
        view
        returns (Rollup.StepInput memory, Rollup.CandidateProof memory)
    {
        return abi.decode(stepOf[n][k], (Rollup.StepInput, Rollup.CandidateProof));
    }

    /// @notice Whether the rule includes candidate `k` of block `n`.
    function included(uint64 n, uint64 k) public view returns (bool) {
        return includedOf[n][k];
    }

    /// @notice Block `n`'s end step.
    function endStep(uint64 n) public view returns (Rollup.StepInput memory) {
        return abi.decode(endOf[n], (Rollup.StepInput));
    }

    /// @notice What opening block `n` takes: its parent's header and its batch table proof.
    function opening(uint64 n) public view returns (bytes memory, Rollup.TableProof memory) {
        return abi.decode(openingOf[n], (bytes, Rollup.TableProof));
    }

    /// @notice The block a level-2 game opened.
    function openedBlock(Rollup.Game memory g) public pure returns (uint64) {
        return g.ctx.parent.number + 1;
    }

    /// @notice Whether claim `c` says what the honest derivation says.
    function right(Rollup.Claim memory c) public view returns (bool) {
        return c.l2Block <= blockCount && c.blockHash == hashOf[c.l2Block];
    }
}
