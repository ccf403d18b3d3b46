// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Inbox} from "../src/Inbox.sol";
import {BlobData} from "../src/BlobData.sol";
import {Rollup} from "../src/Rollup.sol";
import {Scenario} from "./utils/Scenario.sol";
import {ScenarioJson} from "./utils/ScenarioJson.sol";

/// @notice Full games on the scenario (`Scenario`), with bisection degree 2.
abstract contract ScenarioTest is Scenario {
    address internal proposer = makeAddr("proposer");
    address internal challenger = makeAddr("challenger");

    Inbox internal inbox;
    BlobData internal blobData;
    Rollup internal rollup;
    string internal json;

    /// Values the defender posts instead of the honest ones, by level and position.
    mapping(uint8 => mapping(uint64 => bytes32)) internal lies;

    function setUp() public {
        json = runScenario();
        (inbox, blobData, rollup) = deployScenario(json, 2);
        vm.deal(proposer, 10 ether);
        vm.deal(challenger, 10 ether);
    }

    // ------------------------------------------------------------ scenario data

    function blockHash(uint64 n) internal view returns (bytes32) {
        return ScenarioJson.blockHash(json, n);
    }

    function candidates(uint64 n) internal view returns (uint64) {
        return ScenarioJson.candidates(json, n);
    }

    /// The honest value at a position: a block hash (level 1), or a position of block `n`.
    function honest(uint8 level, uint64 n, uint64 pos) internal view returns (bytes32) {
        return ScenarioJson.honest(json, level, n, pos);
    }

    function candidateInput(uint64 n, uint64 k)
        internal
        view
        returns (Rollup.StepInput memory, Rollup.CandidateProof memory)
    {
        return ScenarioJson.candidateStep(json, n, k);
    }

    function endInput(uint64 n) internal view returns (Rollup.StepInput memory) {
        return ScenarioJson.endStep(json, n);
    }

    // ------------------------------------------------------------ playing

    function propose(uint64 n, bytes32 hash) internal returns (uint256) {
        vm.prank(proposer);
        return rollup.propose{value: PROPOSAL_BOND}(0, n, hash);
    }

    function challenge(uint256 claimId) internal returns (uint256) {
        vm.prank(challenger);
        return rollup.challenge{value: CHALLENGE_BOND}(claimId);
    }

    function defenderValue(uint8 level, uint64 n, uint64 pos) internal view returns (bytes32) {
        bytes32 lie = lies[level][pos];
        return lie != bytes32(0) ? lie : honest(level, n, pos);
    }

    /// Plays the bisection to a leaf of level 2: the defender posts its values (honest unless
    /// `lies` says otherwise); the challenger picks the first part whose end is not honest, or,
    /// if `challengerPicks` is set, that part whatever the values.
    function bisect(uint256 id, int256 challengerPicks) internal {
        bytes32[] memory values;
        for (uint256 moves = 0; moves < 64; ++moves) {
            Rollup.Game memory g = rollup.game(id);
            uint64 n = openedBlock;
            if (g.hi - g.lo == 1 && g.level == 2) return;
            vm.warp(block.timestamp + 60);
            if (rollup.defenderToMove(id)) {
                vm.startPrank(proposer);
                if (g.hi - g.lo == 1) {
                    openBlock(id, g.hi);
                } else {
                    uint64 parts = g.hi - g.lo < 2 ? g.hi - g.lo : 2;
                    values = new bytes32[](parts - 1);
                    for (uint64 i = 1; i < parts; ++i) {
                        uint64 pos = g.lo + (g.hi - g.lo) * i / parts;
                        values[i - 1] = defenderValue(g.level, n, pos);
                    }
                    rollup.split(id, values);
                }
                vm.stopPrank();
            } else {
                uint256 index = challengerPicks >= 0
                    ? uint256(challengerPicks) % (values.length + 1)
                    : firstWrong(g, n, values);
                vm.prank(challenger);
                rollup.pick(id, index, values);
            }
        }
        revert("the game did not reach a leaf");
    }

    uint64 internal openedBlock;

    /// The defender lies from position `from` of block `n` on: fake values, `first` at `from`.
    function lieFrom(uint64 n, uint64 from, bytes32 first) internal {
        lies[2][from] = first;
        for (uint64 p = from + 1; p <= candidates(n); ++p) {
            lies[2][p] = keccak256(abi.encode("lie", p));
        }
    }

    function firstWrong(Rollup.Game memory g, uint64 n, bytes32[] memory values)
        internal
        view
        returns (uint256)
    {
        uint64 parts = uint64(values.length + 1);
        for (uint64 i = 1; i < parts; ++i) {
            uint64 pos = g.lo + (g.hi - g.lo) * i / parts;
            if (values[i - 1] != honest(g.level, n, pos)) return i - 1;
        }
        return parts - 1;
    }

    function openBlock(uint256 id, uint64 n) internal {
        openedBlock = n;
        (bytes memory parentHeader, Rollup.TableProof memory table) = ScenarioJson.opening(json, n);
        rollup.openBlock(id, parentHeader, 0, table);
    }

    function leaf(uint256 id) internal view returns (uint64) {
        return rollup.game(id).lo;
    }

    function status(uint256 id) internal view returns (Rollup.GameStatus) {
        return rollup.game(id).status;
    }

    // ------------------------------------------------------------ helpers

    /// Bisects block 1 down to the leaf `(k, k+1]` with honest values on both sides.
    function bisectTo(uint256 id, uint64 k) internal {
        if (rollup.game(id).level == 1) {
            vm.prank(proposer);
            openBlock(id, 1);
        }
        for (uint256 moves = 0; moves < 32; ++moves) {
            Rollup.Game memory g = rollup.game(id);
            if (g.hi - g.lo == 1) return;
            uint64 mid = g.lo + (g.hi - g.lo) / 2;
            bytes32[] memory values = new bytes32[](1);
            values[0] = honest(2, 1, mid);
            vm.prank(proposer);
            rollup.split(id, values);
            vm.prank(challenger);
            rollup.pick(id, k < mid ? 0 : 1, values);
        }
    }

    /// A copy of `step` (memory structs alias) with a witness that cannot be the right one.
    function withForgedWitness(Rollup.StepInput memory step)
        internal
        pure
        returns (Rollup.StepInput memory)
    {
        return Rollup.StepInput(
            step.pre,
            step.postStateRoot,
            step.gasUsed,
            step.ancestors,
            hex"c2c0c0",
            step.baseFee,
            step.forkFields
        );
    }
}

/// @notice The games: the honest side wins against each kind of dishonest move.
contract RollupGameTest is ScenarioTest {
    function test_WrongFinalRootLosesToTheChallengersEndStep() public {
        uint256 claimId = propose(2, keccak256("not block 2"));
        uint256 id = challenge(claimId);
        bisect(id, -1);
        assertEq(openedBlock, 2);
        assertEq(leaf(id), candidates(2), "the end of block 2");
        vm.prank(proposer);
        vm.expectRevert(Rollup.ExecuteRejected.selector);
        // The defender's own end step cannot match its wrong hash; with honest data EXECUTE
        // passes but the value differs, with forged data EXECUTE fails.
        rollup.proveEnd(id, withForgedWitness(endInput(2)));
        vm.prank(challenger);
        rollup.proveEnd(id, endInput(2));
        assertEq(uint8(status(id)), uint8(Rollup.GameStatus.ChallengerWon));
        assertEq(uint8(rollup.claim(claimId).status), uint8(Rollup.ClaimStatus.Rejected));
        assertEq(rollup.credit(challenger), CHALLENGE_BOND + PROPOSAL_BOND);
    }

    function test_DroppedTransactionLosesToTheChallengersCandidateStep() public {
        // The defender claims candidate 0 of block 1 was skipped: position 1 = position 0.
        lieFrom(1, 1, honest(2, 1, 0));
        uint256 claimId = propose(1, keccak256("block 1 without its first transfer"));
        uint256 id = challenge(claimId);
        bisect(id, -1);
        assertEq(leaf(id), 0);
        assertFalse(rollup.defenderToMove(id), "a skip claim waits for the challenger's proof");
        (Rollup.StepInput memory step, Rollup.CandidateProof memory proof) = candidateInput(1, 0);
        vm.prank(challenger);
        rollup.proveCandidate(id, step, proof);
        assertEq(uint8(status(id)), uint8(Rollup.GameStatus.ChallengerWon));
    }

    function test_InvalidTransactionIncludedLosesOnTheDefendersClock() public {
        // The defender claims the nonce-gap candidate 1 of block 1 was included.
        Rollup.Position memory fake = abi.decode(
            vm.parseJsonBytes(json, string.concat(stepKey(1, 1), ".pre")), (Rollup.Position)
        );
        fake.included += 1;
        fake.gasUsed += 21_000;
        lieFrom(1, 2, keccak256(abi.encode(fake)));
        uint256 claimId = propose(1, keccak256("block 1 with an invalid transaction"));
        uint256 id = challenge(claimId);
        bisect(id, -1);
        assertEq(leaf(id), 1);
        assertTrue(rollup.defenderToMove(id));
        // No trace makes EXECUTE accept the candidate: here, the step of candidate 0 replayed.
        (Rollup.StepInput memory step, Rollup.CandidateProof memory proof) = candidateInput(1, 1);
        (Rollup.StepInput memory other,) = candidateInput(1, 0);
        (step.postStateRoot, step.gasUsed, step.ancestors, step.witness) =
        (other.postStateRoot, 21_000, other.ancestors, other.witness);
        vm.prank(proposer);
        vm.expectRevert(Rollup.ExecuteRejected.selector);
        rollup.proveCandidate(id, step, proof);
        vm.expectRevert(Rollup.ClockRunning.selector);
        rollup.resolve(id);
        vm.warp(block.timestamp + CLOCK);
        rollup.resolve(id);
        assertEq(uint8(status(id)), uint8(Rollup.GameStatus.ChallengerWon));
    }

    function test_WrongGasFigureLosesToTheChallengersCandidateStep() public {
        Rollup.Position memory wrong = abi.decode(
            vm.parseJsonBytes(json, string.concat(stepKey(1, 1), ".pre")), (Rollup.Position)
        );
        wrong.gasUsed += 1;
        lieFrom(1, 1, keccak256(abi.encode(wrong)));
        uint256 id = challenge(propose(1, keccak256("block 1 with a wrong gas figure")));
        bisect(id, -1);
        assertEq(leaf(id), 0);
        assertTrue(rollup.defenderToMove(id), "an execution claim must be proven");
        (Rollup.StepInput memory step, Rollup.CandidateProof memory proof) = candidateInput(1, 0);
        vm.prank(proposer);
        vm.expectRevert(Rollup.WrongOutcome.selector);
        rollup.proveCandidate(id, step, proof);
        vm.prank(challenger);
        rollup.proveCandidate(id, step, proof);
        assertEq(uint8(status(id)), uint8(Rollup.GameStatus.ChallengerWon));
    }

    function test_HonestClaimWinsEveryLeafADishonestChallengerPicks() public {
        uint64 m = candidates(1);
        // Leaves of block 1 by the challenger's fixed choice of part: first, and last.
        for (uint256 choice = 0; choice < 2; ++choice) {
            uint256 claimId = propose(1, blockHash(1));
            uint256 id = challenge(claimId);
            bisect(id, int256(choice));
            uint64 k = leaf(id);
            if (k == m) {
                vm.prank(proposer);
                rollup.proveEnd(id, endInput(1));
            } else {
                (Rollup.StepInput memory step, Rollup.CandidateProof memory proof) =
                    candidateInput(1, k);
                vm.prank(proposer);
                rollup.proveCandidate(id, step, proof);
            }
            assertEq(uint8(status(id)), uint8(Rollup.GameStatus.DefenderWon), "choice");
        }
        assertEq(rollup.credit(proposer), 2 * CHALLENGE_BOND);
    }

    function test_HonestSkipStandsWhenTheChallengerCannotProve() public {
        uint256 claimId = propose(1, blockHash(1));
        uint256 id = challenge(claimId);
        // Steer the challenger to the nonce-gap leaf (1, 2].
        bisectTo(id, 1);
        assertEq(leaf(id), 1);
        assertFalse(rollup.defenderToMove(id));
        (Rollup.StepInput memory step, Rollup.CandidateProof memory proof) = candidateInput(1, 1);
        (Rollup.StepInput memory other,) = candidateInput(1, 0);
        (step.postStateRoot, step.gasUsed, step.ancestors, step.witness) =
        (other.postStateRoot, 21_000, other.ancestors, other.witness);
        vm.prank(challenger);
        vm.expectRevert(Rollup.ExecuteRejected.selector);
        rollup.proveCandidate(id, step, proof);
        vm.warp(block.timestamp + CLOCK + 1);
        rollup.resolve(id);
        assertEq(uint8(status(id)), uint8(Rollup.GameStatus.DefenderWon));
        // The window passes; the claim finalizes and its bond returns.
        vm.warp(rollup.claim(claimId).createdAt + WINDOW);
        rollup.finalize(claimId);
        assertEq(rollup.credit(proposer), CHALLENGE_BOND + PROPOSAL_BOND);
    }

    function test_BlobTypeCandidateCannotBeProven() public {
        uint256 id = challenge(propose(1, blockHash(1)));
        bisectTo(id, 2);
        (Rollup.StepInput memory step, Rollup.CandidateProof memory proof) = candidateInput(1, 2);
        vm.prank(challenger);
        vm.expectRevert(Rollup.BlobTransaction.selector);
        rollup.proveCandidate(id, step, proof);
    }

    function test_BadStepDataIsRejectedAndTheHonestStepStillWins() public {
        uint256 id = challenge(propose(1, blockHash(1)));
        bisectTo(id, 0);
        (Rollup.StepInput memory step, Rollup.CandidateProof memory proof) = candidateInput(1, 0);
        Rollup.StepInput memory bad = withForgedWitness(step);
        vm.startPrank(proposer);
        vm.expectRevert(Rollup.ExecuteRejected.selector);
        rollup.proveCandidate(id, bad, proof);
        BlobData.RangeProof memory offsets = proof.offsets;
        proof.offsets = proof.transaction;
        vm.expectRevert(BlobData.BadRangeProof.selector);
        rollup.proveCandidate(id, step, proof);
        proof.offsets = offsets;
        rollup.proveCandidate(id, step, proof);
        vm.stopPrank();
        assertEq(uint8(status(id)), uint8(Rollup.GameStatus.DefenderWon));
    }

    function test_RevertWhen_StepDataIsOutOfBounds() public {
        uint256 id = challenge(propose(1, blockHash(1)));
        bisectTo(id, 0);
        (Rollup.StepInput memory step, Rollup.CandidateProof memory proof) = candidateInput(1, 0);
        vm.startPrank(proposer);
        // Not the agreed position.
        Rollup.Position memory pre = step.pre;
        step.pre = Rollup.Position(pre.stateRoot, pre.gasUsed + 1, pre.included, pre.txAcc);
        vm.expectRevert(Rollup.WrongPosition.selector);
        rollup.proveCandidate(id, step, proof);
        step.pre = pre;
        // More gas than a step may claim.
        uint64 gas = step.gasUsed;
        step.gasUsed = rollup.MAX_STEP_GAS() + 1;
        vm.expectRevert(Rollup.StepTooLarge.selector);
        rollup.proveCandidate(id, step, proof);
        step.gasUsed = gas;
        // A trace over the byte limit never reaches EXECUTE.
        bytes memory witness = step.witness;
        uint256 payload = rollup.MAX_STEP_BYTES();
        step.witness = bytes.concat(hex"fa", bytes3(uint24(payload)), new bytes(payload));
        vm.expectRevert(Rollup.StepTooLarge.selector);
        rollup.proveCandidate(id, step, proof);
        step.witness = witness;
        rollup.proveCandidate(id, step, proof);
        vm.stopPrank();
    }

    function test_RevertWhen_OpeningWithAnotherParentHeader() public {
        uint256 id = challenge(propose(2, blockHash(2)));
        bytes32[] memory values = new bytes32[](1);
        values[0] = blockHash(1);
        vm.prank(proposer);
        rollup.split(id, values);
        vm.prank(challenger);
        rollup.pick(id, 1, values);
        Rollup.TableProof memory table = abi.decode(
            vm.parseJsonBytes(json, string.concat(blockKey(2), ".table")), (Rollup.TableProof)
        );
        // Block 1's parent (genesis) is not block 2's.
        bytes memory wrong = vm.parseJsonBytes(json, string.concat(blockKey(1), ".parentHeader"));
        vm.prank(proposer);
        vm.expectRevert();
        rollup.openBlock(id, wrong, 0, table);
        vm.prank(proposer);
        vm.expectRevert(abi.encodeWithSelector(Inbox.UnknownBatch.selector, 1));
        rollup.openBlock(
            id, vm.parseJsonBytes(json, string.concat(blockKey(2), ".parentHeader")), 1, table
        );
    }

    function test_TimeoutsDecideForTheSideThatMoved() public {
        uint256 silentDefender = challenge(propose(2, blockHash(2)));
        vm.warp(block.timestamp + CLOCK + 1);
        rollup.resolve(silentDefender);
        assertEq(uint8(status(silentDefender)), uint8(Rollup.GameStatus.ChallengerWon));

        uint256 silentChallenger = challenge(propose(2, blockHash(2)));
        bytes32[] memory values = new bytes32[](1);
        values[0] = blockHash(1);
        vm.prank(proposer);
        rollup.split(silentChallenger, values);
        vm.warp(block.timestamp + CLOCK);
        vm.expectRevert(Rollup.ClockRunning.selector);
        rollup.resolve(silentChallenger);
        vm.warp(block.timestamp + 1);
        vm.prank(challenger);
        vm.expectRevert(Rollup.ClockExpired.selector);
        rollup.pick(silentChallenger, 0, values);
        rollup.resolve(silentChallenger);
        assertEq(uint8(status(silentChallenger)), uint8(Rollup.GameStatus.DefenderWon));
    }
}

/// @notice Gas of each action of a game on the scenario, recorded with Foundry's gas snapshots
/// (`snapshots/RollupGas.json`, checked by `FORGE_SNAPSHOT_CHECK=true forge test`), with the
/// calldata each sends. EXECUTE itself is the forwarder here; its own cost is
/// `100,000 + 6 per word + gasUsed x price` (`docs/trace-format.md`).
contract RollupGasTest is ScenarioTest {
    function calldataSize(string memory name, bytes memory data) internal {
        uint256 nonzero;
        for (uint256 i = 0; i < data.length; ++i) {
            if (data[i] != 0) ++nonzero;
        }
        emit log_named_string(
            name,
            string.concat(
                "calldata ", vm.toString(data.length), " bytes, ", vm.toString(nonzero), " non-zero"
            )
        );
    }

    uint256 internal mark;

    /// Cools the contracts' accounts and storage, as at the start of an L1 transaction.
    function begin() internal {
        vm.cool(address(rollup));
        vm.cool(address(inbox));
        vm.cool(address(blobData));
        mark = gasleft();
    }

    /// Records the gas since `begin`: the call's execution, without the 21,000 base and the
    /// calldata of its transaction.
    function end(string memory name) internal {
        uint256 used = mark - gasleft();
        vm.snapshotValue("RollupGas", name, used);
    }

    function test_GasOfAGameOnTheScenario() public {
        bytes32 hash1 = blockHash(1);
        vm.startPrank(proposer);
        begin();
        uint256 claimId = rollup.propose{value: PROPOSAL_BOND}(0, 1, hash1);
        end("propose");
        vm.stopPrank();

        vm.startPrank(challenger);
        begin();
        uint256 id = rollup.challenge{value: CHALLENGE_BOND}(claimId);
        end("challenge");
        vm.stopPrank();

        bytes memory parentHeader =
            vm.parseJsonBytes(json, string.concat(blockKey(1), ".parentHeader"));
        Rollup.TableProof memory table = abi.decode(
            vm.parseJsonBytes(json, string.concat(blockKey(1), ".table")), (Rollup.TableProof)
        );
        vm.startPrank(proposer);
        begin();
        rollup.openBlock(id, parentHeader, 0, table);
        end("open block");
        vm.stopPrank();
        calldataSize("open block", abi.encodeCall(Rollup.openBlock, (id, parentHeader, 0, table)));

        bytes32[] memory values = new bytes32[](1);
        values[0] = honest(2, 1, 3);
        vm.startPrank(proposer);
        begin();
        rollup.split(id, values);
        end("split (degree 2)");
        vm.stopPrank();
        vm.startPrank(challenger);
        begin();
        rollup.pick(id, 0, values);
        end("pick (degree 2)");
        vm.stopPrank();
        values[0] = honest(2, 1, 1);
        vm.prank(proposer);
        rollup.split(id, values);
        vm.prank(challenger);
        rollup.pick(id, 0, values);

        (Rollup.StepInput memory step, Rollup.CandidateProof memory proof) = candidateInput(1, 0);
        vm.startPrank(proposer);
        begin();
        rollup.proveCandidate(id, step, proof);
        end("candidate step, one transfer (without EXECUTE)");
        vm.stopPrank();
        calldataSize("candidate step", abi.encodeCall(Rollup.proveCandidate, (id, step, proof)));

        uint256 other = challenge(propose(1, hash1));
        bisectTo(other, candidates(1));
        Rollup.StepInput memory last = endInput(1);
        vm.startPrank(proposer);
        begin();
        rollup.proveEnd(other, last);
        end("end step, crediting 16 deposits (without EXECUTE)");
        vm.stopPrank();
        calldataSize("end step", abi.encodeCall(Rollup.proveEnd, (other, last)));

        uint256 idle = challenge(propose(1, hash1));
        vm.warp(block.timestamp + CLOCK + 1);
        begin();
        rollup.resolve(idle);
        end("resolve");
        vm.warp(uint256(rollup.claim(claimId).createdAt) + WINDOW);
        begin();
        rollup.finalize(claimId);
        end("finalize");
        vm.startPrank(proposer);
        begin();
        rollup.withdraw();
        end("withdraw");
        vm.stopPrank();
    }
}
