// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {Rollup} from "../src/Rollup.sol";
import {Scenario} from "./utils/Scenario.sol";
import {HonestPlayer} from "./utils/HonestPlayer.sol";
import {ScenarioData} from "./utils/ScenarioData.sol";
import {rollupSelectors} from "./utils/RollupCalls.sol";

/// @notice The adversary of the invariant test: three addresses that propose true and false
/// claims on any parent, challenge any claim (their own and the honest player's), open blocks,
/// split with honest, random and skip values, pick any part, send steps built from the honest
/// ones with any field changed, settle, withdraw, send arbitrary calldata to every function and
/// let any amount of time pass. After each of its calls the honest player acts.
contract Adversary is Test {
    Rollup internal immutable rollup;
    HonestPlayer internal immutable player;
    ScenarioData internal immutable data;
    address[] public actors;

    constructor(Rollup rollup_, HonestPlayer player_) {
        rollup = rollup_;
        player = player_;
        data = player_.data();
        for (uint256 i = 0; i < 3; ++i) {
            actors.push(makeAddr(string.concat("adversary", vm.toString(i))));
            vm.deal(actors[i], 1_000 ether);
        }
    }

    /// The honest player sees what the call split, then makes none, one or two of its moves:
    /// the adversary can move between any two of them, as a front-runner can. Time only passes
    /// once the honest player has made them all (`warp`).
    modifier thenHonestActs() {
        vm.recordLogs();
        _;
        honestMoves(uint256(keccak256(msg.data)) % 3);
    }

    function honestMoves(uint256 budget) internal {
        player.observe(vm.getRecordedLogs());
        player.act(budget);
        player.observe(vm.getRecordedLogs());
    }

    function actor(uint256 seed) internal view returns (address) {
        return actors[seed % actors.length];
    }

    function isActor(address a) internal view returns (bool) {
        for (uint256 i = 0; i < actors.length; ++i) {
            if (actors[i] == a) return true;
        }
        return false;
    }

    /// What an adversary's move needs of a game.
    enum Need {
        DefenderMove,
        ChallengerPick,
        Leaf
    }

    /// The first open game from a random one on in which the adversary has the move it wants,
    /// so that its moves land.
    function someGame(uint256 seed, Need need)
        internal
        view
        returns (bool, uint256, Rollup.Game memory g)
    {
        uint256 count = rollup.gameCount();
        for (uint256 i = 0; i < count; ++i) {
            uint256 id = (seed % count + i) % count;
            g = rollup.game(id);
            if (g.status != Rollup.GameStatus.Open) continue;
            bool leaf = g.level == 2 && g.hi - g.lo == 1;
            if (need == Need.DefenderMove) {
                if (isActor(rollup.claim(g.claim).proposer) && rollup.defenderToMove(id) && !leaf) {
                    return (true, id, g);
                }
            } else if (need == Need.ChallengerPick) {
                if (isActor(g.challenger) && g.split != bytes32(0)) return (true, id, g);
            } else if (leaf && (isActor(g.challenger) || isActor(rollup.claim(g.claim).proposer))) {
                return (true, id, g);
            }
        }
        return (false, 0, g);
    }

    function propose(uint256 who, uint256 parent, uint64 n, uint256 lie) external thenHonestActs {
        n = uint64(bound(n, 1, data.blockCount()));
        parent = bound(parent, 0, rollup.claimCount() - 1);
        bytes32 hash = lie % 3 == 0 ? data.blockHash(n) : keccak256(abi.encode("lie", lie));
        uint256 bond = rollup.config().proposalBond;
        vm.prank(actor(who));
        try rollup.propose{value: bond}(uint64(parent), n, hash) {} catch {}
    }

    function challenge(uint256 who, uint256 id) external thenHonestActs {
        id = bound(id, 1, rollup.claimCount() - 1);
        uint256 bond = rollup.config().challengeBond;
        vm.prank(actor(who));
        try rollup.challenge{value: bond}(id) {} catch {}
    }

    /// The next move of an adversary defender: open the block with its honest data, or split
    /// with each value honest, random, or its part's start (at level 2, a claim that the
    /// candidates between were skipped).
    function defend(uint256 gameSeed, uint256 seed) external thenHonestActs {
        (bool open, uint256 id, Rollup.Game memory g) = someGame(gameSeed, Need.DefenderMove);
        address defender = rollup.claim(g.claim).proposer;
        if (!open) return;
        if (g.level == 1 && g.hi - g.lo == 1) {
            if (g.hi > data.blockCount()) return;
            (bytes memory parentHeader, Rollup.TableProof memory table) = data.opening(g.hi);
            vm.prank(defender);
            try rollup.openBlock(id, parentHeader, 0, table) {} catch {}
            return;
        }
        if (g.hi - g.lo < 2) return;
        uint64 span = g.hi - g.lo;
        uint64 parts = span < rollup.config().degree ? span : rollup.config().degree;
        uint64 n = g.level == 2 ? data.openedBlock(g) : 0;
        bytes32[] memory values = new bytes32[](parts - 1);
        bytes32 previous = g.loValue;
        for (uint64 i = 1; i < parts; ++i) {
            uint256 kind = (seed >> (2 * i)) & 3;
            bytes32 value = data.honest(g.level, n, g.lo + span * i / parts);
            if (kind == 2) value = keccak256(abi.encode(seed, i));
            if (kind == 3) value = previous;
            values[i - 1] = value;
            previous = value;
        }
        vm.prank(defender);
        try rollup.split(id, values) {} catch {}
    }

    function pick(uint256 gameSeed, uint256 index) external thenHonestActs {
        (bool open, uint256 id, Rollup.Game memory g) = someGame(gameSeed, Need.ChallengerPick);
        if (!open) return;
        bytes32[] memory values = player.lastSplit(id);
        vm.prank(g.challenger);
        try rollup.pick(id, index % (values.length + 1), values) {} catch {}
    }

    /// A step at a leaf by an adversary on either side: the honest step's input (for a
    /// candidate the rule skips, an included candidate's trace parts) with one field changed,
    /// or none.
    function prove(uint256 gameSeed, uint256 mutation, bytes32 noise) external thenHonestActs {
        (bool open, uint256 id, Rollup.Game memory g) = someGame(gameSeed, Need.Leaf);
        if (!open) return;
        address proposer = rollup.claim(g.claim).proposer;
        address mover = isActor(proposer) && (mutation % 2 == 0 || !isActor(g.challenger))
            ? proposer
            : g.challenger;
        if (!isActor(mover)) return;
        uint64 n = data.openedBlock(g);
        bool end = g.lo == data.candidatesOf(n);
        Rollup.StepInput memory step;
        Rollup.CandidateProof memory proof;
        if (end) {
            step = data.endStep(n);
        } else {
            (step, proof) = data.candidateStep(n, g.lo);
            if (!data.included(n, g.lo)) {
                (Rollup.StepInput memory donor,) = data.candidateStep(1, 0);
                (step.postStateRoot, step.gasUsed, step.ancestors, step.witness) =
                (donor.postStateRoot, donor.gasUsed, donor.ancestors, donor.witness);
            }
        }
        // Half the time unchanged: the honest step, sent by whichever side it does not serve.
        uint256 field = (mutation >> 1) % 2 == 0 ? 0 : (mutation >> 2) % 6 + 1;
        if (field == 1) step.postStateRoot = noise;
        if (field == 2) step.gasUsed = uint64(uint256(noise) % (rollup.MAX_STEP_GAS() + 1));
        if (field == 3) step.witness = hex"c0";
        if (field == 4) step.ancestors = hex"c0";
        if (field == 5) step.witness = bytes.concat(step.witness, noise);
        if (field == 6) step.pre.txAcc = noise;
        vm.prank(mover);
        if (end) {
            try rollup.proveEnd(id, step) {} catch {}
        } else {
            try rollup.proveCandidate(id, step, proof) {} catch {}
        }
    }

    function settle(uint256 who, uint256 id, uint256 what) external thenHonestActs {
        vm.startPrank(actor(who));
        if (what % 5 == 0) try rollup.resolve(id % (rollup.gameCount() + 1)) {} catch {}
        if (what % 5 == 1) try rollup.cancel(id % (rollup.gameCount() + 1)) {} catch {}
        if (what % 5 == 2) try rollup.finalize(id % rollup.claimCount()) {} catch {}
        if (what % 5 == 3) try rollup.rejectOrphan(id % rollup.claimCount()) {} catch {}
        if (what % 5 == 4) try rollup.withdraw() {} catch {}
        vm.stopPrank();
    }

    /// A call to any function with arbitrary arguments (a small id in the first word half the
    /// time, so that the rest gets past the id checks), with a bond or none.
    function raw(uint256 who, uint256 which, uint256 id, bool bonded, bytes calldata rest)
        external
        thenHonestActs
    {
        bytes4[12] memory selectors = rollupSelectors();
        bytes4 selector = selectors[which % selectors.length];
        bytes memory data = id % 2 == 0
            ? bytes.concat(selector, bytes32(id % 8), rest)
            : bytes.concat(selector, rest);
        uint256 value = bonded ? rollup.config().challengeBond : 0;
        vm.prank(actor(who));
        (bool ok,) = address(rollup).call{value: value}(data);
        ok;
    }

    /// Time passes: up to half a clock, or one time in eight up to the window.
    function warp(uint256 seconds_) external thenHonestActs {
        honestMoves(type(uint256).max);
        uint256 most =
            seconds_ % 8 == 0 ? rollup.config().challengeWindow : rollup.config().clock / 2;
        vm.warp(block.timestamp + bound(seconds_, 1, most));
    }
}

/// @notice The honest side wins against an adversary that controls every byte of every call:
/// a claim that differs from the honest derivation never finalizes, a claim the honest player
/// proposed and defends is never rejected, a game the honest player challenged is never lost,
/// and once the adversary stops, every claim settles with the honest ones final. Every step
/// runs the real EXECUTE.
contract RollupHonestInvariantTest is Scenario {
    Rollup internal rollup;
    HonestPlayer internal player;
    Adversary internal adversary;

    function setUp() public {
        string memory json = runScenario();
        (,, rollup) = deployScenario(json, 3);
        player = new HonestPlayer(rollup, new ScenarioData(json));
        vm.deal(address(player), 1_000 ether);
        uint256 first = player.propose(0, 1);
        player.propose(0, 2);
        player.propose(uint64(first), 2);
        adversary = new Adversary(rollup, player);
        targetContract(address(adversary));
    }

    function check() internal view {
        assertEq(player.failures(), 0, string(player.firstFailure()));
        for (uint256 i = 1; i < rollup.claimCount(); ++i) {
            Rollup.Claim memory c = rollup.claim(i);
            if (c.status == Rollup.ClaimStatus.Finalized) {
                assertTrue(player.right(i), "a wrong claim finalized");
            }
            if (player.mine(i)) {
                assertTrue(c.status != Rollup.ClaimStatus.Rejected, "an honest claim was rejected");
            }
        }
        for (uint256 id = 0; id < rollup.gameCount(); ++id) {
            Rollup.Game memory g = rollup.game(id);
            if (player.mine(g.claim)) {
                assertTrue(g.status != Rollup.GameStatus.ChallengerWon, "the honest defender lost");
            }
            if (g.challenger == address(player)) {
                assertTrue(g.status != Rollup.GameStatus.DefenderWon, "the honest challenger lost");
            }
        }
    }

    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 50
    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_TheHonestSideWins() public view {
        check();
    }

    /// Once the adversary stops, the honest player plays every game out: every claim settles,
    /// the honest ones final, and every game it was in is won or cancelled.
    function afterInvariant() public {
        for (uint256 round = 0; round < 16; ++round) {
            player.act();
            vm.warp(block.timestamp + CLOCK + 1);
        }
        vm.warp(block.timestamp + WINDOW);
        player.act();
        check();
        for (uint256 i = 1; i < rollup.claimCount(); ++i) {
            Rollup.Claim memory c = rollup.claim(i);
            assertTrue(c.status != Rollup.ClaimStatus.Pending, "a claim never settled");
            if (player.mine(i)) assertTrue(c.status == Rollup.ClaimStatus.Finalized);
        }
    }
}
