// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {Inbox} from "../src/Inbox.sol";
import {BlobData} from "../src/BlobData.sol";
import {Rollup} from "../src/Rollup.sol";
import {Fixture} from "./utils/Fixture.sol";
import {rollupSelectors} from "./utils/RollupCalls.sol";

/// @notice Random proposals, challenges, moves, clock runs, resolutions, cancellations,
/// finalizations and withdrawals by a few actors, and calls with arbitrary calldata to every
/// function of the rollup.
contract Handler is Test {
    Rollup internal immutable rollup;
    address[] public actors;
    uint256 public deposited;
    uint256 public withdrawn;
    /// Status of every game when it was first seen resolved.
    mapping(uint256 => Rollup.GameStatus) public resolvedAs;
    uint256[] public resolved;

    constructor(Rollup rollup_) {
        rollup = rollup_;
        for (uint256 i = 0; i < 3; ++i) {
            actors.push(makeAddr(string.concat("actor", vm.toString(i))));
            vm.deal(actors[i], 1_000 ether);
        }
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function resolvedCount() external view returns (uint256) {
        return resolved.length;
    }

    function actor(uint256 seed) internal view returns (address) {
        return actors[seed % actors.length];
    }

    function propose(uint256 who, uint256 parent, uint64 n, bytes32 hash) external {
        parent = bound(parent, 0, rollup.claimCount() - 1);
        n = uint64(bound(n, 1, 50));
        uint256 bond = rollup.config().proposalBond;
        vm.prank(actor(who));
        try rollup.propose{value: bond}(uint64(parent), n, hash) {
            deposited += bond;
        } catch {}
    }

    function challenge(uint256 who, uint256 id) external {
        if (rollup.claimCount() < 2) return;
        id = bound(id, 1, rollup.claimCount() - 1);
        uint256 bond = rollup.config().challengeBond;
        vm.prank(actor(who));
        try rollup.challenge{value: bond}(id) {
            deposited += bond;
        } catch {}
    }

    function move(uint256 id, uint256 seed) external {
        if (rollup.gameCount() == 0) return;
        id = bound(id, 0, rollup.gameCount() - 1);
        Rollup.Game memory g = rollup.game(id);
        if (g.status != Rollup.GameStatus.Open || g.hi - g.lo < 2) return;
        uint64 span = g.hi - g.lo;
        uint64 parts = span < rollup.config().degree ? span : rollup.config().degree;
        bytes32[] memory values = new bytes32[](parts - 1);
        for (uint256 i = 0; i < values.length; ++i) {
            values[i] = keccak256(abi.encode(seed, i));
        }
        if (rollup.defenderToMove(id)) {
            vm.prank(rollup.claim(g.claim).proposer);
            try rollup.split(id, values) {
                lastSplit[id] = values;
            } catch {}
        } else {
            vm.prank(g.challenger);
            try rollup.pick(id, seed % parts, lastSplit[id]) {} catch {}
        }
    }

    mapping(uint256 => bytes32[]) internal lastSplit;

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 2 days));
    }

    function resolve(uint256 id) external {
        if (rollup.gameCount() == 0) return;
        id = bound(id, 0, rollup.gameCount() - 1);
        try rollup.resolve(id) {
            resolvedAs[id] = rollup.game(id).status;
            resolved.push(id);
        } catch {}
    }

    function finalize(uint256 id) external {
        if (rollup.claimCount() < 2) return;
        id = bound(id, 1, rollup.claimCount() - 1);
        try rollup.finalize(id) {} catch {}
        try rollup.rejectOrphan(id) {} catch {}
    }

    function cancel(uint256 id) external {
        if (rollup.gameCount() == 0) return;
        id = bound(id, 0, rollup.gameCount() - 1);
        try rollup.cancel(id) {
            resolvedAs[id] = rollup.game(id).status;
            resolved.push(id);
        } catch {}
    }

    /// A call with a chosen selector and arbitrary arguments (a game or claim id in the first
    /// word half the time, so that the rest reaches past the id checks), from any actor, with a
    /// bond or none.
    function raw(uint256 who, uint256 which, uint256 id, bool bonded, bytes calldata rest)
        external
    {
        bytes4 selector = rollupSelectors()[which % 12];
        bytes memory data = id % 2 == 0
            ? bytes.concat(selector, bytes32(id % 8), rest)
            : bytes.concat(selector, rest);
        uint256 value = bonded ? rollup.config().challengeBond : 0;
        uint256 before = address(rollup).balance;
        vm.prank(actor(who));
        (bool ok,) = address(rollup).call{value: value}(data);
        if (ok && address(rollup).balance > before) deposited += address(rollup).balance - before;
        if (ok && address(rollup).balance < before) withdrawn += before - address(rollup).balance;
    }

    function withdraw(uint256 who) external {
        address a = actor(who);
        uint256 amount = rollup.credit(a);
        vm.prank(a);
        try rollup.withdraw() {
            withdrawn += amount;
        } catch {}
    }
}

contract RollupInvariantTest is Fixture {
    Rollup internal rollup;
    Handler internal handler;

    function setUp() public {
        Inbox inbox;
        (inbox, rollup) = deployRollup(4);
        submitBatch(inbox, 60);
        handler = new Handler(rollup);
        targetContract(address(handler));
    }

    /// Every wei in is either paid out, owed to someone, or staked in a pending claim or an open
    /// game.
    function invariant_BondsAreConserved() public view {
        // Orphans' bonds go back to their proposers, never to the handler that rejects them.
        assertEq(rollup.credit(address(handler)), 0);
        uint256 owed;
        for (uint256 i = 0; i < handler.actorCount(); ++i) {
            owed += rollup.credit(handler.actors(i));
        }
        uint256 staked;
        for (uint256 i = 1; i < rollup.claimCount(); ++i) {
            if (!rollup.claim(i).bondSettled) staked += rollup.config().proposalBond;
        }
        for (uint256 i = 0; i < rollup.gameCount(); ++i) {
            if (rollup.game(i).status == Rollup.GameStatus.Open) {
                staked += rollup.config().challengeBond;
            }
        }
        assertEq(address(rollup).balance, owed + staked);
        assertEq(handler.deposited() - handler.withdrawn(), address(rollup).balance);
    }

    /// A resolved game keeps its outcome.
    function invariant_AResolvedGameNeverChanges() public view {
        for (uint256 i = 0; i < handler.resolvedCount(); ++i) {
            uint256 id = handler.resolved(i);
            assertEq(uint8(rollup.game(id).status), uint8(handler.resolvedAs(id)));
        }
    }

    /// A claim is never both final and the loser of a game.
    function invariant_FinalClaimsWonTheirGames() public view {
        for (uint256 i = 0; i < rollup.gameCount(); ++i) {
            Rollup.Game memory g = rollup.game(i);
            if (g.status == Rollup.GameStatus.ChallengerWon) {
                assertTrue(rollup.claim(g.claim).status != Rollup.ClaimStatus.Finalized);
            }
        }
    }
}
