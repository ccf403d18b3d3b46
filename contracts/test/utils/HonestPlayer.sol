// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {Rollup} from "../../src/Rollup.sol";
import {BlobData} from "../../src/BlobData.sol";

/// @notice The honest side in Solidity, playing as the watchtower does: it knows the scenario's
/// honest derivation (every block hash, every position, every step's input), challenges every
/// claim that differs from it on a parent it finds right, defends its own claims, plays each of
/// its games as soon as it is its turn, proves steps as soon as it can, and settles whatever can
/// be settled. Any of its moves that reverts is recorded as a failure.
contract HonestPlayer {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @notice One candidate's step data from the scenario (ABI-encoded as the contract takes it).
    struct Step {
        bool included;
        bytes input;
        bytes pre;
        bytes offsets;
        bytes transaction;
    }

    Rollup public immutable rollup;
    uint64 public immutable blockCount;
    mapping(uint64 => bytes32) internal hashOf;
    mapping(uint64 => uint64) public candidatesOf;
    mapping(uint64 => mapping(uint64 => bytes32)) internal positionOf;
    mapping(uint64 => bytes) internal parentHeaderOf;
    mapping(uint64 => bytes) internal tableOf;
    mapping(uint64 => bytes) internal endOf;
    mapping(uint64 => mapping(uint64 => Step)) internal stepOf;

    /// @notice Claims this player proposed.
    mapping(uint256 => bool) public mine;
    /// @notice Claims this player challenged.
    mapping(uint256 => bool) public challenged;
    /// @notice The last values split in each game, by whoever split them (from the `Split` events).
    mapping(uint256 => bytes32[]) internal splits;
    /// @notice Honest moves that reverted, and the first one's reason.
    uint256 public failures;
    bytes public firstFailure;

    constructor(Rollup rollup_, string memory json) {
        rollup = rollup_;
        blockCount = uint64(vm.parseJsonUint(json, ".blockCount"));
        hashOf[0] = vm.parseJsonBytes32(json, ".genesisHash");
        for (uint64 n = 1; n <= blockCount; ++n) {
            string memory key = string.concat(".blocks[", vm.toString(n - 1), "]");
            hashOf[n] = vm.parseJsonBytes32(json, string.concat(key, ".hash"));
            uint64 count = uint64(vm.parseJsonUint(json, string.concat(key, ".candidates")));
            candidatesOf[n] = count;
            parentHeaderOf[n] = vm.parseJsonBytes(json, string.concat(key, ".parentHeader"));
            tableOf[n] = vm.parseJsonBytes(json, string.concat(key, ".table"));
            endOf[n] = vm.parseJsonBytes(json, string.concat(key, ".end"));
            for (uint64 p = 0; p <= count; ++p) {
                positionOf[n][p] = vm.parseJsonBytes32(
                    json, string.concat(key, ".positions[", vm.toString(p), "]")
                );
            }
            positionOf[n][count + 1] = hashOf[n];
            for (uint64 k = 0; k < count; ++k) {
                string memory s = string.concat(key, ".steps[", vm.toString(k), "]");
                stepOf[n][k] = Step({
                    included: vm.parseJsonBool(json, string.concat(s, ".included")),
                    input: vm.parseJsonBytes(json, string.concat(s, ".input")),
                    pre: vm.parseJsonBytes(json, string.concat(s, ".pre")),
                    offsets: vm.parseJsonBytes(json, string.concat(s, ".offsets")),
                    transaction: vm.parseJsonBytes(json, string.concat(s, ".transaction"))
                });
            }
        }
    }

    /// @notice Takes payouts.
    receive() external payable {}

    // ------------------------------------------------------------ the honest derivation

    /// @notice The honest hash of L2 block `n` (the genesis hash for 0).
    function blockHash(uint64 n) public view returns (bytes32) {
        return hashOf[n];
    }

    /// @notice The honest value at position `pos` of level `level` (of block `n` at level 2).
    function honest(uint8 level, uint64 n, uint64 pos) public view returns (bytes32) {
        return level == 1 ? hashOf[pos] : positionOf[n][pos];
    }

    /// @notice Candidate `k` of block `n`'s step as the contract takes it; for a candidate the
    /// rule skips, the honest starting position and empty trace parts.
    function candidateStep(uint64 n, uint64 k)
        public
        view
        returns (Rollup.StepInput memory step, Rollup.CandidateProof memory proof)
    {
        Step storage s = stepOf[n][k];
        proof.offsets = abi.decode(s.offsets, (BlobData.RangeProof));
        proof.transaction = abi.decode(s.transaction, (BlobData.RangeProof));
        if (s.included) step = abi.decode(s.input, (Rollup.StepInput));
        else step.pre = abi.decode(s.pre, (Rollup.Position));
    }

    /// @notice Whether the rule includes candidate `k` of block `n`.
    function included(uint64 n, uint64 k) public view returns (bool) {
        return stepOf[n][k].included;
    }

    /// @notice Block `n`'s end step.
    function endStep(uint64 n) public view returns (Rollup.StepInput memory) {
        return abi.decode(endOf[n], (Rollup.StepInput));
    }

    /// @notice What opening block `n` takes: its parent's header and its batch table proof.
    function opening(uint64 n) public view returns (bytes memory, Rollup.TableProof memory) {
        return (parentHeaderOf[n], abi.decode(tableOf[n], (Rollup.TableProof)));
    }

    /// @notice The block a level-2 game opened.
    function openedBlock(Rollup.Game memory g) public pure returns (uint64) {
        return g.ctx.parent.number + 1;
    }

    /// @notice The last values split in game `id`.
    function lastSplit(uint256 id) external view returns (bytes32[] memory) {
        return splits[id];
    }

    // ------------------------------------------------------------ playing

    /// @notice Proposes the honest hash of block `n` on claim `parent`.
    function propose(uint64 parent, uint64 n) external returns (uint256 id) {
        id = rollup.propose{value: rollup.config().proposalBond}(parent, n, hashOf[n]);
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
        Rollup.Claim memory c = rollup.claim(id);
        return c.l2Block <= blockCount && c.blockHash == hashOf[c.l2Block];
    }

    function watch(uint256 id) internal {
        Rollup.Claim memory c = rollup.claim(id);
        if (c.status != Rollup.ClaimStatus.Pending || challenged[id] || right(id)) return;
        if (block.timestamp >= c.createdAt + rollup.config().challengeWindow) return;
        // A game takes the parent's hash as agreed: a claim on a wrong parent is left to its
        // parent's rejection, which orphans it.
        if (!right(c.parent)) return;
        challenged[id] = true;
        try rollup.challenge{value: rollup.config().challengeBond}(id) {}
        catch (bytes memory reason) {
            fail(reason);
        }
    }

    function settle(uint256 id) internal {
        Rollup.Claim memory c = rollup.claim(id);
        if (c.status != Rollup.ClaimStatus.Pending || c.openGames != 0) return;
        Rollup.ClaimStatus parent = rollup.claim(c.parent).status;
        if (parent == Rollup.ClaimStatus.Rejected) {
            try rollup.rejectOrphan(id) {}
            catch (bytes memory reason) {
                fail(reason);
            }
        } else if (
            parent == Rollup.ClaimStatus.Finalized
                && block.timestamp >= c.createdAt + rollup.config().challengeWindow
        ) {
            try rollup.finalize(id) {}
            catch (bytes memory reason) {
                fail(reason);
            }
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
            try rollup.cancel(id) {}
            catch (bytes memory reason) {
                fail(reason);
            }
        } else if (used > rollup.config().clock) {
            try rollup.resolve(id) {}
            catch (bytes memory reason) {
                fail(reason);
            }
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
            (bytes memory parentHeader, Rollup.TableProof memory table) = opening(g.hi);
            try rollup.openBlock(id, parentHeader, 0, table) {}
            catch (bytes memory reason) {
                fail(reason);
            }
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
            uint64 n = openedBlock(g);
            if (g.lo == candidatesOf[n] || included(n, g.lo)) prove(id, g);
            else if (!defenderToMove) fail("a skip value disputed by the honest challenger");
        }
    }

    function splitHonestly(uint256 id, Rollup.Game memory g) internal {
        uint64 span = g.hi - g.lo;
        uint64 degree = rollup.config().degree;
        uint64 parts = span < degree ? span : degree;
        bytes32[] memory values = new bytes32[](parts - 1);
        uint64 n = g.level == 2 ? openedBlock(g) : 0;
        for (uint64 i = 1; i < parts; ++i) {
            values[i - 1] = honest(g.level, n, g.lo + span * i / parts);
        }
        try rollup.split(id, values) {}
        catch (bytes memory reason) {
            fail(reason);
        }
    }

    /// Picks the first part whose end is not the honest value (the last if only the end is).
    function pick(uint256 id, Rollup.Game memory g) internal {
        bytes32[] memory values = splits[id];
        uint64 parts = uint64(values.length + 1);
        uint64 n = g.level == 2 ? openedBlock(g) : 0;
        uint256 index = parts - 1;
        for (uint64 i = 1; i < parts; ++i) {
            if (values[i - 1] != honest(g.level, n, g.lo + (g.hi - g.lo) * i / parts)) {
                index = i - 1;
                break;
            }
        }
        try rollup.pick(id, index, values) {}
        catch (bytes memory reason) {
            fail(reason);
        }
    }

    function prove(uint256 id, Rollup.Game memory g) internal {
        uint64 n = openedBlock(g);
        if (g.lo == candidatesOf[n]) {
            try rollup.proveEnd(id, endStep(n)) {}
            catch (bytes memory reason) {
                fail(reason);
            }
        } else {
            (Rollup.StepInput memory step, Rollup.CandidateProof memory proof) =
                candidateStep(n, g.lo);
            try rollup.proveCandidate(id, step, proof) {}
            catch (bytes memory reason) {
                fail(reason);
            }
        }
    }

    function fail(bytes memory reason) internal {
        if (failures == 0) firstFailure = reason;
        failures += 1;
    }
}
