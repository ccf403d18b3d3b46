// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {Inbox} from "../src/Inbox.sol";
import {BlobData} from "../src/BlobData.sol";
import {Rollup} from "../src/Rollup.sol";
import {RLP} from "../src/RLP.sol";
import {L2Block} from "../src/L2Block.sol";
import {Fixture} from "./utils/Fixture.sol";

/// @notice The rules of claims, bonds, turns and clocks, and each revert, without data proofs.
contract RollupTest is Fixture {
    uint64 internal constant CLOCK = 1 hours;
    uint64 internal constant WINDOW = 1 days;
    uint256 internal constant PROPOSAL_BOND = 1 ether;
    uint256 internal constant CHALLENGE_BOND = 0.5 ether;
    address internal proposer = makeAddr("proposer");
    address internal challenger = makeAddr("challenger");
    Inbox internal inbox;
    Rollup internal rollup;

    function setUp() public {
        (inbox, rollup) = deployRollup(4);
        submitBatch(inbox, 100);
        vm.deal(proposer, 100 ether);
        vm.deal(challenger, 100 ether);
    }

    function propose(uint64 parent, uint64 n) internal returns (uint256) {
        vm.prank(proposer);
        return rollup.propose{value: PROPOSAL_BOND}(parent, n, keccak256(abi.encode(n)));
    }

    function challenge(uint256 claimId) internal returns (uint256) {
        vm.prank(challenger);
        return rollup.challenge{value: CHALLENGE_BOND}(claimId);
    }

    function values(uint256 count, uint256 seed) internal pure returns (bytes32[] memory out) {
        out = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            out[i] = keccak256(abi.encode(seed, i));
        }
    }

    // ------------------------------------------------------------ claims

    function test_TheAnchorIsFinal() public view {
        Rollup.Claim memory anchor = rollup.claim(0);
        assertEq(anchor.blockHash, GENESIS);
        assertEq(uint8(anchor.status), uint8(Rollup.ClaimStatus.Finalized));
        assertEq(rollup.claimCount(), 1);
    }

    function test_ProposeChecksBondParentAndBatches() public {
        vm.startPrank(proposer);
        vm.expectRevert(Rollup.WrongBond.selector);
        rollup.propose{value: 1}(0, 5, bytes32(0));
        vm.expectRevert(Rollup.UnknownClaim.selector);
        rollup.propose{value: PROPOSAL_BOND}(9, 5, bytes32(0));
        vm.expectRevert(Rollup.BadParent.selector);
        rollup.propose{value: PROPOSAL_BOND}(0, 0, bytes32(0));
        vm.expectRevert(Rollup.BlockNotBatched.selector);
        rollup.propose{value: PROPOSAL_BOND}(0, 101, bytes32(0));
        uint256 id = rollup.propose{value: PROPOSAL_BOND}(0, 100, bytes32(uint256(7)));
        vm.stopPrank();
        Rollup.Claim memory c = rollup.claim(id);
        assertEq(c.proposer, proposer);
        assertEq(c.l2Block, 100);
        assertEq(c.blockHash, bytes32(uint256(7)));
        assertEq(uint8(c.status), uint8(Rollup.ClaimStatus.Pending));
        vm.prank(proposer);
        vm.expectRevert(Rollup.BadParent.selector);
        rollup.propose{value: PROPOSAL_BOND}(uint64(id), 100, bytes32(0));
    }

    function test_FinalizeNeedsTheWindowNoOpenGameAndAFinalParent() public {
        uint256 parent = propose(0, 10);
        uint256 child = propose(uint64(parent), 20);
        vm.expectRevert(Rollup.WindowOpen.selector);
        rollup.finalize(parent);
        uint256 game = challenge(parent);
        // The defender moves; then the challenger walks away.
        vm.prank(proposer);
        rollup.split(game, values(3, 1));
        vm.warp(block.timestamp + WINDOW);
        vm.expectRevert(Rollup.GamesOpen.selector);
        rollup.finalize(parent);
        vm.expectRevert(Rollup.ParentNotFinal.selector);
        rollup.finalize(child);
        vm.expectRevert(Rollup.WindowClosed.selector);
        challenge(child);
        rollup.resolve(game);
        rollup.finalize(parent);
        rollup.finalize(child);
        vm.expectRevert(Rollup.NotPending.selector);
        rollup.finalize(child);
        assertEq(rollup.credit(proposer), 2 * PROPOSAL_BOND + CHALLENGE_BOND);
        uint256 before = proposer.balance;
        vm.prank(proposer);
        rollup.withdraw();
        assertEq(proposer.balance - before, 2 * PROPOSAL_BOND + CHALLENGE_BOND);
        vm.prank(proposer);
        vm.expectRevert(Rollup.NothingToWithdraw.selector);
        rollup.withdraw();
    }

    function test_ALostGameRejectsTheClaimAndOrphansItsChildren() public {
        uint256 parent = propose(0, 10);
        uint256 child = propose(uint64(parent), 20);
        uint256 game = challenge(parent);
        vm.expectRevert(Rollup.ParentNotRejected.selector);
        rollup.rejectOrphan(child);
        vm.warp(block.timestamp + CLOCK + 1);
        rollup.resolve(game);
        assertEq(uint8(rollup.claim(parent).status), uint8(Rollup.ClaimStatus.Rejected));
        assertEq(rollup.credit(challenger), CHALLENGE_BOND + PROPOSAL_BOND);
        address sweeper = makeAddr("sweeper");
        vm.prank(sweeper);
        rollup.rejectOrphan(child);
        assertEq(uint8(rollup.claim(child).status), uint8(Rollup.ClaimStatus.Rejected));
        // The orphan was not shown wrong: its bond goes back to its proposer, not the sweeper.
        assertEq(rollup.credit(sweeper), 0);
        assertEq(rollup.credit(proposer), PROPOSAL_BOND);
        vm.expectRevert(Rollup.BadParent.selector);
        vm.prank(proposer);
        rollup.propose{value: PROPOSAL_BOND}(uint64(parent), 30, bytes32(0));
    }

    function test_ASecondWinnerAgainstARejectedClaimGetsOnlyItsBond() public {
        uint256 id = propose(0, 10);
        uint256 first = challenge(id);
        uint256 second = challenge(id);
        vm.warp(block.timestamp + CLOCK + 1);
        rollup.resolve(first);
        rollup.resolve(second);
        assertEq(rollup.credit(challenger), 2 * CHALLENGE_BOND + PROPOSAL_BOND);
        assertEq(address(rollup).balance, 2 * CHALLENGE_BOND + PROPOSAL_BOND);
    }

    // ------------------------------------------------------------ bisection

    function test_SplitAndPickNarrowTheInterval() public {
        uint256 game = challenge(propose(0, 17));
        Rollup.Game memory g = rollup.game(game);
        assertEq(g.lo, 0);
        assertEq(g.hi, 17);
        assertTrue(rollup.defenderToMove(game));

        vm.prank(challenger);
        vm.expectRevert(Rollup.NotYourTurn.selector);
        rollup.split(game, values(3, 1));
        vm.startPrank(proposer);
        vm.expectRevert(Rollup.WrongValues.selector);
        rollup.split(game, values(2, 1));
        bytes32[] memory round = values(3, 1);
        rollup.split(game, round);
        vm.expectRevert(Rollup.NotYourTurn.selector);
        rollup.split(game, round);
        vm.stopPrank();

        vm.startPrank(challenger);
        vm.expectRevert(Rollup.WrongValues.selector);
        rollup.pick(game, 0, values(3, 2));
        vm.expectRevert(Rollup.BadIndex.selector);
        rollup.pick(game, 4, round);
        // Parts of (0, 17] by 4: (0,4], (4,8], (8,12], (12,17].
        rollup.pick(game, 2, round);
        vm.stopPrank();
        g = rollup.game(game);
        (uint64 lo, uint64 hi) = (g.lo, g.hi);
        assertEq(lo, 8);
        assertEq(hi, 12);
        assertEq(g.loValue, round[1]);
        assertEq(g.hiValue, round[2]);

        // The last part keeps the claim's value at its end.
        vm.prank(proposer);
        rollup.split(game, round);
        vm.prank(challenger);
        rollup.pick(game, 3, round);
        g = rollup.game(game);
        assertEq(g.lo, 11);
        assertEq(g.hi, 12);
        assertEq(g.hiValue, round[2]);
        // One block left: the defender must open it, with a parent header of the agreed hash.
        assertTrue(rollup.defenderToMove(game));
        Rollup.TableProof memory none;
        vm.prank(proposer);
        vm.expectRevert();
        rollup.openBlock(game, hex"c0", 0, none);
    }

    function test_ProvingNeedsALeaf() public {
        uint256 game = challenge(propose(0, 5));
        Rollup.StepInput memory step;
        vm.prank(proposer);
        vm.expectRevert(Rollup.WrongPhase.selector);
        rollup.proveEnd(game, step);
    }

    function test_ClocksAreCharged() public {
        uint256 game = challenge(propose(0, 64));
        vm.warp(block.timestamp + 10 minutes);
        vm.prank(proposer);
        rollup.split(game, values(3, 1));
        vm.warp(block.timestamp + 20 minutes);
        vm.prank(challenger);
        rollup.pick(game, 0, values(3, 1));
        Rollup.Game memory g = rollup.game(game);
        assertEq(g.defenderUsed, 10 minutes);
        assertEq(g.challengerUsed, 20 minutes);
        vm.warp(block.timestamp + CLOCK - 10 minutes + 1);
        vm.prank(proposer);
        vm.expectRevert(Rollup.ClockExpired.selector);
        rollup.split(game, values(3, 1));
        rollup.resolve(game);
        vm.expectRevert(Rollup.GameOver.selector);
        rollup.resolve(game);
        vm.prank(challenger);
        vm.expectRevert(Rollup.GameOver.selector);
        rollup.pick(game, 0, values(3, 1));
    }

    // ------------------------------------------------------------ fuzz

    /// Any interval and any sequence of picks reaches one block in at most ⌈log_4 span⌉ rounds.
    function testFuzz_BisectionEndsWithinTheMoveBound(uint64 n, uint256 seed) public {
        n = uint64(bound(n, 1, 100));
        uint256 game = challenge(propose(0, n));
        uint256 rounds;
        while (true) {
            Rollup.Game memory g = rollup.game(game);
            if (g.hi - g.lo == 1) break;
            uint64 span = g.hi - g.lo;
            uint64 parts = span < 4 ? span : 4;
            bytes32[] memory round = values(parts - 1, uint256(keccak256(abi.encode(seed, rounds))));
            vm.prank(proposer);
            rollup.split(game, round);
            vm.prank(challenger);
            rollup.pick(game, uint256(keccak256(abi.encode(seed, rounds))) % parts, round);
            ++rounds;
        }
        uint256 bound_ = 0;
        for (uint256 s = 1; s < n; s *= 4) {
            ++bound_;
        }
        assertLe(rounds, bound_);
    }

    // ------------------------------------------------------------ RLP

    function test_RLPEncodesAndReadsBack() public pure {
        assertEq(RLP.encodeUint(0), hex"80");
        assertEq(RLP.encodeUint(0x7f), hex"7f");
        assertEq(RLP.encodeUint(0x80), hex"8180");
        assertEq(RLP.encodeUint(1024), hex"820400");
        assertEq(RLP.encodeBytes(hex"01"), hex"01");
        assertEq(RLP.encodeBytes(""), hex"80");
        bytes memory long = new bytes(60);
        assertEq(RLP.encodeBytes(long).length, 62);
        assertEq(RLP.encodeBytes(long)[0], bytes1(0xb8));
        bytes memory list = RLP.encodeList(bytes.concat(RLP.encodeUint(5), RLP.encodeBytes(long)));
        bytes[] memory items = RLP.readList(list);
        assertEq(items.length, 2);
        assertEq(RLP.toUint(items[0]), 5);
        assertEq(items[1].length, 60);
    }

    function test_RevertWhen_RLPIsMalformed() public {
        RLPHarness h = new RLPHarness();
        vm.expectRevert(RLP.MalformedRLP.selector);
        h.read(hex"c3");
        vm.expectRevert(RLP.MalformedRLP.selector);
        h.read(hex"c2c0");
        vm.expectRevert(RLP.MalformedRLP.selector);
        h.read(hex"80");
    }
}

contract RLPHarness {
    function read(bytes memory data) external pure returns (bytes[] memory) {
        return RLP.readList(data);
    }
}

/// @notice What the contract itself spends on the largest step the rules allow: building a
/// header and a trace around a `MAX_STEP_BYTES` witness (calldata and EXECUTE are on top).
contract StepBuilder {
    /// Prague's requests hash of a block with no requests (EIP-7685), the one fork field.
    bytes32 constant EMPTY_REQUESTS_HASH =
        0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855;

    function build(bytes calldata ancestors, bytes calldata witness)
        external
        pure
        returns (uint256)
    {
        L2Block.Parent memory parent = L2Block.Parent({
            hash: keccak256("parent"), stateRoot: keccak256("state"), number: 7, timestamp: 1_000
        });
        bytes memory requests = RLP.encodeBytes(abi.encodePacked(EMPTY_REQUESTS_HASH));
        L2Block.TraceParts memory parts = L2Block.TraceParts(
            hex"c0",
            L2Block.header(
                parent,
                L2Block.Body(
                    address(0xfe),
                    30_000_000,
                    1_012,
                    0,
                    0,
                    L2Block.EMPTY_ROOT,
                    keccak256("messages"),
                    0,
                    1 gwei,
                    requests
                )
            ),
            L2Block.segment(3, 63_000, false),
            new bytes(200),
            L2Block.EMPTY_LIST
        );
        (, uint256 traceLength) =
            L2Block.executeInput(bytes32(0), bytes32(0), 0, parts, ancestors, witness);
        return traceLength;
    }
}

contract RollupGasUnitTest is Fixture {
    function test_GasOfADegree16RoundAndOfTheLargestTrace() public {
        (Inbox inbox, Rollup rollup) = deployRollup(16);
        uint16[] memory counts = new uint16[](1);
        counts[0] = 3600;
        vm.warp(block.timestamp + 3600);
        vm.startSnapshotGas("RollupMoves", "submit (one blob)");
        inbox.submit(counts);
        vm.stopSnapshotGas();
        address proposer = makeAddr("proposer");
        address challenger = makeAddr("challenger");
        vm.deal(proposer, 10 ether);
        vm.deal(challenger, 10 ether);
        vm.prank(proposer);
        uint256 claimId = rollup.propose{value: 1 ether}(0, 3600, keccak256("claim"));
        vm.prank(challenger);
        uint256 id = rollup.challenge{value: 0.5 ether}(claimId);
        bytes32[] memory values = new bytes32[](15);
        for (uint256 i = 0; i < 15; ++i) {
            values[i] = keccak256(abi.encode(i));
        }
        vm.cool(address(rollup));
        vm.prank(proposer);
        uint256 mark = gasleft();
        rollup.split(id, values);
        vm.snapshotValue("RollupMoves", "split (degree 16)", mark - gasleft());
        vm.cool(address(rollup));
        vm.prank(challenger);
        mark = gasleft();
        rollup.pick(id, 7, values);
        vm.snapshotValue("RollupMoves", "pick (degree 16)", mark - gasleft());

        StepBuilder builder = new StepBuilder();
        // One RLP list (a four-byte prefix, then its payload), as the contract requires.
        uint256 payload = Rollup(rollup).MAX_STEP_BYTES() - 1_500;
        bytes memory witness = new bytes(4 + payload);
        (witness[0], witness[1], witness[2], witness[3]) =
        (0xfa, bytes1(uint8(payload >> 16)), bytes1(uint8(payload >> 8)), bytes1(uint8(payload)));
        for (uint256 i = 4; i < witness.length; i += 32) {
            witness[i] = 0x01;
        }
        mark = gasleft();
        uint256 length = builder.build(hex"c0", witness);
        vm.snapshotValue("RollupMoves", "largest trace assembly (contract side)", mark - gasleft());
        assertLe(length, rollup.MAX_STEP_BYTES());
        assertGt(length, rollup.MAX_STEP_BYTES() - 1_000);
    }
}
