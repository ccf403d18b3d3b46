// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Inbox} from "../src/Inbox.sol";
import {BlobData} from "../src/BlobData.sol";
import {testConfig} from "./utils/RollupCalls.sol";
import {Rollup} from "../src/Rollup.sol";
import {RLP} from "../src/RLP.sol";
import {L2Block} from "../src/L2Block.sol";
import {Rust} from "./utils/Rust.sol";
import {Fixture} from "./utils/Fixture.sol";
import {ScenarioTest} from "./RollupGame.t.sol";

/// @notice Attacks by a party that controls every byte of its moves, each performed against the
/// contracts with the real EXECUTE, and shown to fail while the honest move still wins.
contract RollupAttackTest is ScenarioTest {
    /// Candidate `k`'s bytes at the game's leaf, read back from the opened blob.
    function candidateBytes(uint256 id, Rollup.CandidateProof memory proof)
        internal
        view
        returns (bytes memory)
    {
        Rollup.Game memory g = rollup.game(id);
        uint256 at = 3 + 10 * uint256(g.ctx.batchBlocks) + 4 * uint256(g.ctx.firstCandidate + g.lo);
        bytes memory offsets = blobData.read(g.ctx.blobHash, at, 8, proof.offsets);
        uint256 start = uint32(bytes4(offsets));
        uint256 end = uint32(bytes4(bytes.concat(offsets[4], offsets[5], offsets[6], offsets[7])));
        return blobData.read(g.ctx.blobHash, start, end - start, proof.transaction);
    }

    /// EXECUTE's input as the contract used to build it: the stepper's ancestors and witness
    /// pasted raw around the contract's own fields.
    function pastedInput(Rollup.StepInput memory step, bytes memory own, uint64 gasUsed)
        internal
        view
        returns (bytes memory)
    {
        bytes memory body = bytes.concat(rollup.chainConfig(), step.ancestors, own, step.witness);
        bytes memory trace =
            bytes.concat(bytes1(L2Block.TRACE_VERSION), RLP.prefix(0xc0, body.length), body);
        return abi.encode(step.pre.stateRoot, step.postStateRoot, trace, gasUsed);
    }

    /// Finding 1: ancestors that end with the attacker's own header, segment, transactions and
    /// withdrawals, then open the witness and swallow the contract's fields as one witness node,
    /// make EXECUTE accept a no-op at any leaf. The contract now takes only one RLP list there.
    function test_TraceInjectionThroughAncestorsIsRefused() public {
        uint256 id = challenge(propose(1, blockHash(1)));
        // Candidate 3 of block 1, a transfer the honest claim includes.
        bisectTo(id, 3);
        (Rollup.StepInput memory step, Rollup.CandidateProof memory proof) = candidateInput(1, 3);
        Rollup.Game memory g = rollup.game(id);
        Rollup.Config memory config = rollup.config();
        bytes memory header = L2Block.header(
            g.ctx.parent,
            L2Block.Body(
                config.feeRecipient,
                config.gasLimit,
                g.ctx.timestamp,
                0,
                0,
                L2Block.EMPTY_ROOT,
                g.ctx.messageRoot,
                0,
                step.baseFee,
                step.forkFields
            )
        );
        bytes memory segment = L2Block.segment(step.pre.included, step.pre.gasUsed, false);
        // What the contract places between the ancestors and the witness.
        bytes memory own = bytes.concat(
            header, segment, RLP.encodeList(RLP.encodeBytes(candidateBytes(id, proof))), hex"c0"
        );
        // The forged fields: no transactions, so the post-state is the pre-state with no gas.
        bytes memory swallow = RLP.prefix(0x80, own.length);
        bytes memory nodes = RLP.prefix(0xc0, swallow.length + own.length);
        bytes memory witnessOpen = RLP.prefix(0xc0, nodes.length + swallow.length + own.length + 1);
        Rollup.StepInput memory attack = Rollup.StepInput(
            step.pre,
            step.pre.stateRoot,
            0,
            bytes.concat(
                step.ancestors, header, segment, hex"c0", hex"c0", witnessOpen, nodes, swallow
            ),
            hex"c0",
            step.baseFee,
            step.forkFields
        );
        // The attack is real: pasted as the contract used to, EXECUTE accepts the no-op.
        (bool ok, bytes memory out) = address(0x0101).call(pastedInput(attack, own, 0));
        assertTrue(ok);
        assertEq(abi.decode(out, (uint256)), 1, "EXECUTE accepts the injected trace");

        vm.prank(challenger);
        vm.expectRevert(L2Block.NotOneRlpList.selector);
        rollup.proveCandidate(id, attack, proof);
        // A witness with bytes after its list is refused the same way.
        Rollup.StepInput memory trailing = Rollup.StepInput(
            step.pre,
            step.postStateRoot,
            step.gasUsed,
            step.ancestors,
            bytes.concat(step.witness, hex"c0"),
            step.baseFee,
            step.forkFields
        );
        vm.prank(challenger);
        vm.expectRevert(L2Block.NotOneRlpList.selector);
        rollup.proveCandidate(id, trailing, proof);
        vm.prank(proposer);
        rollup.proveCandidate(id, step, proof);
        assertEq(uint8(status(id)), uint8(Rollup.GameStatus.DefenderWon));
    }

    /// The same injection at the end step, where a defender would have claimed withdrawals of
    /// its choosing; and a string (not a list) in place of the ancestors.
    function test_EndStepTakesOnlyOneListOfAncestors() public {
        uint256 id = challenge(propose(1, blockHash(1)));
        bisectTo(id, candidates(1));
        Rollup.StepInput memory step = endInput(1);
        Rollup.StepInput memory bad = Rollup.StepInput(
            step.pre,
            step.postStateRoot,
            step.gasUsed,
            bytes.concat(step.ancestors, hex"c0"),
            step.witness,
            step.baseFee,
            step.forkFields
        );
        vm.startPrank(proposer);
        vm.expectRevert(L2Block.NotOneRlpList.selector);
        rollup.proveEnd(id, bad);
        bad.ancestors = RLP.encodeBytes(step.ancestors);
        vm.expectRevert(L2Block.NotOneRlpList.selector);
        rollup.proveEnd(id, bad);
        rollup.proveEnd(id, step);
        vm.stopPrank();
        assertEq(uint8(status(id)), uint8(Rollup.GameStatus.DefenderWon));
    }

    /// The header fields the L1's fork derives are the stepper's to supply, so a challenger
    /// could make the end header hash to anything else than the honest claim: the layout of an
    /// older fork (no requests hash), an extra field or a later fork's fields (Amsterdam's),
    /// another requests hash, another base fee.
    /// EXECUTE takes only the values the fork at the block's timestamp gives, and the honest
    /// end step still wins.
    function test_ForkFieldsOnlyTakeTheForksValues() public {
        uint256 id = challenge(propose(1, blockHash(1)));
        bisectTo(id, candidates(1));
        Rollup.StepInput memory step = endInput(1);
        bytes memory honest = step.forkFields;
        uint256 baseFee = step.baseFee;
        // Amsterdam's block access list hash and slot number, which the header decodes.
        bytes memory accessList = RLP.encodeBytes(abi.encodePacked(keccak256("access list")));
        bytes[6] memory forged = [
            bytes(""),
            bytes.concat(honest, RLP.encodeUint(0)),
            RLP.encodeBytes(abi.encodePacked(keccak256(honest))),
            RLP.encodeList(honest),
            bytes.concat(honest, accessList),
            bytes.concat(honest, accessList, RLP.encodeUint(0))
        ];
        vm.startPrank(challenger);
        for (uint256 i = 0; i < forged.length; ++i) {
            step.forkFields = forged[i];
            vm.expectRevert(Rollup.ExecuteRejected.selector);
            rollup.proveEnd(id, step);
        }
        step.forkFields = honest;
        step.baseFee = baseFee + 1;
        vm.expectRevert(Rollup.ExecuteRejected.selector);
        rollup.proveEnd(id, step);
        vm.stopPrank();
        step.baseFee = baseFee;
        vm.prank(proposer);
        rollup.proveEnd(id, step);
        assertEq(uint8(status(id)), uint8(Rollup.GameStatus.DefenderWon));
    }

    /// An attacker's candidate step with any outcome, base fee or fork fields, any bytes after the
    /// honest ancestors, witness or fork fields, or in their place: none rejects the honest
    /// claim, and the honest step still wins.
    /// forge-config: default.fuzz.runs = 32
    function testFuzz_NoChallengerStepRejectsAnHonestClaim(
        bytes32 post,
        uint64 gas,
        bytes calldata extra,
        uint8 mode
    ) public {
        uint256 id = challenge(propose(1, blockHash(1)));
        bisectTo(id, 3);
        (Rollup.StepInput memory step, Rollup.CandidateProof memory proof) = candidateInput(1, 3);
        Rollup.StepInput memory attack = Rollup.StepInput(
            step.pre,
            step.postStateRoot,
            step.gasUsed,
            step.ancestors,
            step.witness,
            step.baseFee,
            step.forkFields
        );
        mode %= 8;
        if (mode == 0) attack.ancestors = bytes.concat(step.ancestors, extra);
        if (mode == 1) attack.witness = bytes.concat(step.witness, extra);
        if (mode == 2) attack.ancestors = extra;
        if (mode == 3) attack.witness = extra;
        if (mode == 4) (attack.postStateRoot, attack.gasUsed) = (post, gas);
        if (mode == 5) attack.baseFee = uint256(post);
        if (mode == 6) attack.forkFields = extra;
        if (mode == 7) attack.forkFields = bytes.concat(step.forkFields, extra);
        vm.prank(challenger);
        try rollup.proveCandidate(id, attack, proof) {
            revert("a challenger's step rejected an honest claim");
        } catch {}
        assertEq(uint8(status(id)), uint8(Rollup.GameStatus.Open));
        vm.prank(proposer);
        rollup.proveCandidate(id, step, proof);
        assertEq(uint8(status(id)), uint8(Rollup.GameStatus.DefenderWon));
    }

    /// Finding 7: a proposer that throws its own true claim (a second address challenges, it does
    /// not defend) no longer collects the bonds of the claims others built on it.
    function test_AThrownClaimDoesNotPayOutItsOrphansBonds() public {
        address accomplice = makeAddr("accomplice");
        address builder = makeAddr("builder");
        vm.deal(accomplice, 10 ether);
        vm.deal(builder, 10 ether);
        uint256 thrown = propose(1, blockHash(1));
        vm.prank(builder);
        uint256 child = rollup.propose{value: PROPOSAL_BOND}(uint64(thrown), 2, blockHash(2));
        vm.prank(accomplice);
        uint256 game = rollup.challenge{value: CHALLENGE_BOND}(thrown);
        vm.warp(block.timestamp + CLOCK + 1);
        rollup.resolve(game);
        assertEq(uint8(rollup.claim(thrown).status), uint8(Rollup.ClaimStatus.Rejected));
        vm.prank(proposer);
        rollup.rejectOrphan(child);
        assertEq(rollup.credit(proposer), 0, "the thrower gains nothing");
        assertEq(rollup.credit(accomplice), CHALLENGE_BOND + PROPOSAL_BOND, "its own stakes");
        assertEq(rollup.credit(builder), PROPOSAL_BOND, "the builder's bond goes back");
    }

    /// An orphan with a game open is rejected only once the game has ended, so that a challenger
    /// who proves it wrong still takes its bond.
    function test_AnOrphanWithAGameOpenWaitsForIt() public {
        address builder = makeAddr("builder");
        vm.deal(builder, 10 ether);
        uint256 parent = propose(1, keccak256("not block 1"));
        vm.prank(builder);
        uint256 child = rollup.propose{value: PROPOSAL_BOND}(uint64(parent), 2, keccak256("x"));
        uint256 onParent = challenge(parent);
        uint256 onChild = challenge(child);
        vm.warp(block.timestamp + CLOCK + 1);
        rollup.resolve(onParent);
        vm.expectRevert(Rollup.GamesOpen.selector);
        rollup.rejectOrphan(child);
        rollup.resolve(onChild);
        assertEq(uint8(rollup.claim(child).status), uint8(Rollup.ClaimStatus.Rejected));
        assertEq(rollup.credit(challenger), 2 * (CHALLENGE_BOND + PROPOSAL_BOND));
        vm.expectRevert(Rollup.NotPending.selector);
        rollup.rejectOrphan(child);
    }

    /// Finding 8: once one game rejects a claim, the others end with their challengers' bonds
    /// back, without playing on; an orphan's bond goes back to its own proposer.
    function test_GamesAgainstARejectedClaimEndWithTheBondBack() public {
        address second = makeAddr("second challenger");
        address builder = makeAddr("builder");
        vm.deal(second, 10 ether);
        vm.deal(builder, 10 ether);
        uint256 claimId = propose(1, keccak256("not block 1"));
        vm.prank(builder);
        uint256 child = rollup.propose{value: PROPOSAL_BOND}(uint64(claimId), 2, blockHash(2));
        uint256 first = challenge(claimId);
        vm.prank(second);
        uint256 other = rollup.challenge{value: CHALLENGE_BOND}(claimId);
        vm.expectRevert(Rollup.ClaimNotRejected.selector);
        rollup.cancel(other);
        vm.warp(block.timestamp + CLOCK + 1);
        rollup.resolve(first);
        vm.cool(address(rollup));
        uint256 mark = gasleft();
        rollup.cancel(other);
        vm.snapshotValue("RollupGas", "cancel", mark - gasleft());
        assertEq(uint8(status(other)), uint8(Rollup.GameStatus.Cancelled));
        assertEq(rollup.credit(second), CHALLENGE_BOND);
        assertEq(rollup.credit(challenger), CHALLENGE_BOND + PROPOSAL_BOND);
        assertEq(rollup.claim(claimId).openGames, 0);
        vm.expectRevert(Rollup.GameOver.selector);
        rollup.cancel(other);
        vm.expectRevert(Rollup.GameOver.selector);
        rollup.resolve(other);
        // Whoever rejects the orphan gains nothing; its proposer gets its bond back.
        vm.prank(challenger);
        rollup.rejectOrphan(child);
        assertEq(rollup.credit(challenger), CHALLENGE_BOND + PROPOSAL_BOND);
        assertEq(rollup.credit(builder), PROPOSAL_BOND);
        assertEq(rollup.credit(proposer), 0);
    }
}

/// @notice Finding 3: opening a block costs the same whatever its index in its batch, up to the
/// most blocks a batch can declare.
contract BlockTableCostTest is Fixture {
    /// Most blocks whose table entries and one offset fit a blob's payload.
    uint16 internal constant MAX_BLOCKS = 12_696; // (4096 * 31 - 3 - 4) / 10

    Inbox internal inbox;
    BlobData internal blobData;
    Rollup internal rollup;
    bytes internal payload;
    bytes internal parentHeader;
    address internal proposer = makeAddr("proposer");
    address internal challenger = makeAddr("challenger");

    /// A header with the fields `L2Block.parent` reads.
    function fakeHeader() internal pure returns (bytes memory fields) {
        for (uint256 i = 0; i < 17; ++i) {
            fields = bytes.concat(
                fields,
                i == 3 ? RLP.encodeBytes(abi.encodePacked(keccak256("state"))) : RLP.encodeUint(i)
            );
        }
        return RLP.encodeList(fields);
    }

    function setUp() public {
        parentHeader = fakeHeader();
        inbox = new Inbox(address(0), 0, address(0));
        blobData = new BlobData();
        rollup = new Rollup(
            inbox,
            blobData,
            testConfig(16, 30_000_000, address(0xfe)),
            hex"c0",
            keccak256(parentHeader)
        );
        // Every block empty but the last, which holds no candidates either: a well-formed
        // table of MAX_BLOCKS entries and the one closing offset.
        bytes memory p = new bytes(3 + 10 * uint256(MAX_BLOCKS) + 4);
        p[0] = 0x01;
        (p[1], p[2]) = (bytes1(uint8(MAX_BLOCKS >> 8)), bytes1(uint8(MAX_BLOCKS)));
        for (uint256 i = 0; i < MAX_BLOCKS; ++i) {
            bytes8 time = bytes8(uint64(1_000 + i));
            for (uint256 j = 0; j < 8; ++j) {
                p[3 + 10 * i + j] = time[j];
            }
        }
        bytes4 end = bytes4(uint32(p.length));
        for (uint256 j = 0; j < 4; ++j) {
            p[p.length - 4 + j] = end[j];
        }
        payload = p;
        string[] memory args = new string[](4);
        (args[0], args[1], args[2], args[3]) = ("blob", "open", "--payload", Rust.scratch(payload));
        (bytes32[] memory elements, BlobData.Opening memory o) =
            abi.decode(Rust.run(args), (bytes32[], BlobData.Opening));
        bytes32[] memory blobs = new bytes32[](1);
        blobs[0] = o.versionedHash;
        vm.blobhashes(blobs);
        vm.warp(1_000_000);
        submitBatch(inbox, MAX_BLOCKS);
        blobData.open(elements, o);
        vm.deal(proposer, 10 ether);
        vm.deal(challenger, 10 ether);
    }

    function range(uint256 start, uint256 end) internal returns (BlobData.RangeProof memory) {
        string[] memory args = new string[](8);
        (args[0], args[1], args[2], args[3]) = ("blob", "range", "--payload", Rust.scratch(payload));
        (args[4], args[5], args[6], args[7]) =
        ("--start", vm.toString(start), "--end", vm.toString(end));
        return abi.decode(Rust.run(args), (BlobData.RangeProof));
    }

    /// Plays a game on a claim of block `n` down to it, every value the fake parent's hash, and
    /// returns the gas of opening it.
    function openGas(uint64 n) internal returns (uint256 used) {
        vm.prank(proposer);
        uint256 claimId = rollup.propose{value: 1 ether}(0, n, keccak256("claim"));
        vm.prank(challenger);
        uint256 id = rollup.challenge{value: 0.5 ether}(claimId);
        for (Rollup.Game memory g = rollup.game(id); g.hi - g.lo > 1; g = rollup.game(id)) {
            uint64 parts = g.hi - g.lo < 16 ? g.hi - g.lo : 16;
            bytes32[] memory values = new bytes32[](parts - 1);
            for (uint256 i = 0; i < values.length; ++i) {
                values[i] = keccak256(parentHeader);
            }
            vm.prank(proposer);
            rollup.split(id, values);
            // The last part whose start is before `n`: it holds the leaf (n - 1, n].
            uint256 index = parts - 1;
            while (g.lo + uint64(uint256(g.hi - g.lo) * index / parts) >= n) {
                --index;
            }
            vm.prank(challenger);
            rollup.pick(id, index, values);
        }
        uint256 at = 3 + 10 * uint256(n - 1);
        Rollup.TableProof memory table =
            Rollup.TableProof(range(0, 3), range(n == 1 ? at : at - 10, at + 10));
        vm.cool(address(rollup));
        vm.cool(address(inbox));
        vm.cool(address(blobData));
        vm.prank(proposer);
        uint256 mark = gasleft();
        rollup.openBlock(id, parentHeader, 0, table);
        used = mark - gasleft();
        assertEq(rollup.game(id).level, 2);
        assertEq(rollup.game(id).ctx.timestamp, 1_000 + n - 1);
    }

    function test_OpeningTheLastBlockOfTheLargestBatchCostsAsMuchAsTheFirst() public {
        uint256 first = openGas(1);
        uint256 second = openGas(2);
        uint256 last = openGas(MAX_BLOCKS);
        vm.snapshotValue("RollupMoves", "open block, first of the largest batch", first);
        vm.snapshotValue("RollupMoves", "open block, last of the largest batch", last);
        // The first block reads one entry, every other two (which may span two elements).
        assertApproxEqAbs(second, last, 2_000);
        assertLt(last, first + 10_000);
    }
}
