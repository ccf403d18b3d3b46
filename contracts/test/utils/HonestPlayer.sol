// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {Rollup} from "../../src/Rollup.sol";
import {ScenarioData} from "./ScenarioData.sol";

/// @notice The honest side in Solidity, playing as the watchtower does: it knows the scenario's
/// honest derivation (every block hash, every position, every step's input), challenges every
/// claim that differs from it on a parent it finds right, defends its own claims, plays each of
/// its games as soon as it is its turn, proves steps as soon as it can, and settles whatever can
/// be settled. Any of its moves that reverts is recorded as a failure.
contract HonestPlayer {
    Rollup public immutable rollup;
    /// @notice The honest derivation it plays by.
    ScenarioData public immutable data;

    /// @notice Claims this player proposed.
    mapping(uint256 => bool) public mine;
    /// @notice Claims this player challenged.
    mapping(uint256 => bool) public challenged;
    /// @notice The last values split in each game, by whoever split them (from the `Split` events).
    mapping(uint256 => bytes32[]) internal splits;
    /// @notice Honest moves that reverted, and the first one's reason.
    uint256 public failures;
    bytes public firstFailure;

    constructor(Rollup rollup_, ScenarioData data_) {
        rollup = rollup_;
        data = data_;
    }

    /// @notice Takes payouts.
    receive() external payable {}

    /// @notice The last values split in game `id`.
    function lastSplit(uint256 id) external view returns (bytes32[] memory) {
        return splits[id];
    }

    // ------------------------------------------------------------ playing

    /// @notice Proposes the honest hash of block `n` on claim `parent`.
    function propose(uint64 parent, uint64 n) external returns (uint256 id) {
        id = rollup.propose{value: rollup.config().proposalBond}(parent, n, data.blockHash(n));
        mine[id] = true;
    }

    /// @notice Reads the `Split` events of a call the adversary made, so as to answer them.
    function observe(Vm.Log[] memory logs) external {
        for (uint256 i = 0; i < logs.length; ++i) {
            Vm.Log memory l = logs[i];
            if (l.emitter != address(rollup) || l.topics[0] != Rollup.Split.selector) continue;
            (,,, bytes32[] memory values) = abi.decode(l.data, (uint8, uint64, uint64, bytes32[]));
            splits[uint256(l.topics[1])] = values;
        }
    }

    /// @notice What the honest side does at this moment: challenge every claim it must, make at
    /// most `budget` moves in its games (so that others can move in between), settle what can
    /// be settled.
    function act(uint256 budget) public {
        uint256 claims = rollup.claimCount();
        for (uint256 i = 1; i < claims; ++i) {
            watch(i);
        }
        uint256 games = rollup.gameCount();
        for (uint256 id = 0; id < games; ++id) {
            // A move can give the turn back at once (opening a block, then its first split).
            while (budget > 0 && play(id)) {
                --budget;
            }
        }
        for (uint256 i = 1; i < claims; ++i) {
            settle(i);
        }
        if (rollup.credit(address(this)) > 0) rollup.withdraw();
    }

    /// @notice Everything the honest side does at this moment, every move included.
    function act() external {
        act(type(uint256).max);
    }

    /// @notice Whether a claim says what the honest derivation says.
    function right(uint256 id) public view returns (bool) {
        return data.right(rollup.claim(id));
    }

    function watch(uint256 id) internal {
        Rollup.Claim memory c = rollup.claim(id);
        if (c.status != Rollup.ClaimStatus.Pending || challenged[id] || right(id)) return;
        if (block.timestamp >= c.createdAt + rollup.config().challengeWindow) return;
        // A game takes the parent's hash as agreed: a claim on a wrong parent is left to its
        // parent's rejection, which orphans it.
        if (!right(c.parent)) return;
        challenged[id] = true;
        attempt(abi.encodeCall(Rollup.challenge, (id)), rollup.config().challengeBond);
    }

    function settle(uint256 id) internal {
        Rollup.Claim memory c = rollup.claim(id);
        if (c.status != Rollup.ClaimStatus.Pending || c.openGames != 0) return;
        Rollup.ClaimStatus parent = rollup.claim(c.parent).status;
        if (parent == Rollup.ClaimStatus.Rejected) {
            attempt(abi.encodeCall(Rollup.rejectOrphan, (id)), 0);
        } else if (
            parent == Rollup.ClaimStatus.Finalized
                && block.timestamp >= c.createdAt + rollup.config().challengeWindow
        ) {
            attempt(abi.encodeCall(Rollup.finalize, (id)), 0);
        }
    }

    /// Makes the honest move in game `id`, if there is one; returns whether the game changed.
    function play(uint256 id) internal returns (bool) {
        Rollup.Game memory g = rollup.game(id);
        if (g.status != Rollup.GameStatus.Open) return false;
        Rollup.Claim memory c = rollup.claim(g.claim);
        bool defender = rollup.defenderToMove(id);
        uint64 used =
            (defender ? g.defenderUsed : g.challengerUsed) + uint64(block.timestamp - g.turnStart);
        if (c.status == Rollup.ClaimStatus.Rejected) {
            attempt(abi.encodeCall(Rollup.cancel, (id)), 0);
        } else if (used > rollup.config().clock) {
            attempt(abi.encodeCall(Rollup.resolve, (id)), 0);
        } else if (mine[g.claim] && defender) {
            defend(id, g);
        } else if (g.challenger == address(this)) {
            attack(id, g, defender);
        }
        return keccak256(abi.encode(rollup.game(id))) != keccak256(abi.encode(g));
    }

    function defend(uint256 id, Rollup.Game memory g) internal {
        if (g.hi - g.lo > 1) {
            splitHonestly(id, g);
        } else if (g.level == 1) {
            (bytes memory parentHeader, Rollup.TableProof memory table) = data.opening(g.hi);
            attempt(abi.encodeCall(Rollup.openBlock, (id, parentHeader, 0, table)), 0);
        } else {
            prove(id, g);
        }
    }

    function attack(uint256 id, Rollup.Game memory g, bool defenderToMove) internal {
        if (g.split != bytes32(0)) {
            pick(id, g);
        } else if (g.level == 2 && g.hi - g.lo == 1) {
            // At a leaf the challenger proves what it can at once: the end of the block, or a
            // candidate the rule includes. A candidate the rule skips has no step; the
            // defender's clock decides.
            uint64 n = data.openedBlock(g);
            if (g.lo == data.candidatesOf(n) || data.included(n, g.lo)) prove(id, g);
            else if (!defenderToMove) fail("a skip value disputed by the honest challenger");
        }
    }

    function splitHonestly(uint256 id, Rollup.Game memory g) internal {
        uint64 span = g.hi - g.lo;
        uint64 degree = rollup.config().degree;
        uint64 parts = span < degree ? span : degree;
        bytes32[] memory values = new bytes32[](parts - 1);
        uint64 n = g.level == 2 ? data.openedBlock(g) : 0;
        for (uint64 i = 1; i < parts; ++i) {
            values[i - 1] = data.honest(g.level, n, g.lo + span * i / parts);
        }
        attempt(abi.encodeCall(Rollup.split, (id, values)), 0);
    }

    /// Picks the first part whose end is not the honest value (the last if only the end is).
    function pick(uint256 id, Rollup.Game memory g) internal {
        bytes32[] memory values = splits[id];
        uint64 parts = uint64(values.length + 1);
        uint64 n = g.level == 2 ? data.openedBlock(g) : 0;
        uint256 index = parts - 1;
        for (uint64 i = 1; i < parts; ++i) {
            if (values[i - 1] != data.honest(g.level, n, g.lo + (g.hi - g.lo) * i / parts)) {
                index = i - 1;
                break;
            }
        }
        attempt(abi.encodeCall(Rollup.pick, (id, index, values)), 0);
    }

    function prove(uint256 id, Rollup.Game memory g) internal {
        uint64 n = data.openedBlock(g);
        if (g.lo == data.candidatesOf(n)) {
            attempt(abi.encodeCall(Rollup.proveEnd, (id, data.endStep(n))), 0);
        } else {
            (Rollup.StepInput memory step, Rollup.CandidateProof memory proof) =
                data.candidateStep(n, g.lo);
            attempt(abi.encodeCall(Rollup.proveCandidate, (id, step, proof)), 0);
        }
    }

    /// Sends an honest move; a revert is recorded as a failure.
    function attempt(bytes memory call, uint256 value) internal {
        (bool ok, bytes memory reason) = address(rollup).call{value: value}(call);
        if (!ok) fail(reason);
    }

    function fail(bytes memory reason) internal {
        if (failures == 0) firstFailure = reason;
        failures += 1;
    }
}
