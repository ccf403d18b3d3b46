// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Inbox} from "./Inbox.sol";
import {BlobData} from "./BlobData.sol";
import {L2Block} from "./L2Block.sol";
import {BatchLayout} from "./BatchLayout.sol";

/// @title Rollup
/// @notice Claims about the L2 chain and the games that settle disputes about them, as
/// `docs/protocol.md` specifies: bonded claims "L2 block n has hash H" building back to the
/// anchor; two-party games, any number per claim, bisecting first over blocks and then over one
/// block's candidate transactions, under chess clocks; and a final step that builds an EXECUTE
/// trace from agreed data and settles with one EXECUTE call.
contract Rollup {
    /// @notice The EXECUTE precompile.
    address public constant EXECUTE = address(0x0101);
    /// @notice Largest trace a step may hand to EXECUTE.
    uint256 public constant MAX_STEP_BYTES = 262_144;
    /// @notice Most gas a step may claim.
    uint64 public constant MAX_STEP_GAS = 4_000_000;

    /// @notice EIP-2718 type of a blob transaction, which an L2 block cannot carry.
    uint8 internal constant BLOB_TX_TYPE = 3;

    /// @notice Rules and stakes of the rollup.
    struct Config {
        /// Seconds a claim stays open to challenges.
        uint64 challengeWindow;
        /// Each side's chess clock, in seconds.
        uint64 clock;
        /// Stake of a claim.
        uint256 proposalBond;
        /// Stake of a challenge.
        uint256 challengeBond;
        /// Bisection degree (at least 2).
        uint64 degree;
        /// L2 block gas limit.
        uint64 gasLimit;
        /// L2 blocks' beneficiary.
        address feeRecipient;
    }

    enum ClaimStatus {
        Pending,
        Finalized,
        Rejected
    }

    /// @notice "L2 block `l2Block` has hash `blockHash`", building on claim `parent`.
    struct Claim {
        address proposer;
        uint64 parent;
        uint64 l2Block;
        uint64 createdAt;
        uint32 openGames;
        ClaimStatus status;
        bool bondSettled;
        bytes32 blockHash;
    }

    enum GameStatus {
        Open,
        DefenderWon,
        ChallengerWon,
        /// Ended without a winner because another game had already rejected its claim; the
        /// challenger's bond went back.
        Cancelled
    }

    /// @notice A position inside a block: the state after some of its candidates.
    struct Position {
        bytes32 stateRoot;
        uint64 gasUsed;
        uint64 included;
        bytes32 txAcc;
    }

    /// @notice The block a game narrowed to (level 2).
    struct BlockContext {
        L2Block.Parent parent;
        uint64 timestamp;
        uint64 candidates;
        bytes32 blobHash;
        uint64 firstCandidate;
        uint16 batchBlocks;
        /// The deposits the block credits: queue indices `firstDeposit ..` (`deposits` of them).
        uint64 firstDeposit;
        uint8 deposits;
        /// The message root the block commits to (`Inbox.messageRootBefore(firstDeposit)`).
        bytes32 messageRoot;
    }

    /// @notice One challenger against one claim's proposer (the defender).
    struct Game {
        uint64 claim;
        address challenger;
        GameStatus status;
        /// 1: positions are blocks; 2: positions are a block's candidates.
        uint8 level;
        uint64 lo;
        uint64 hi;
        bytes32 loValue;
        bytes32 hiValue;
        /// Hash of the defender's values for the current round; zero before it moves.
        bytes32 split;
        uint64 defenderUsed;
        uint64 challengerUsed;
        uint64 turnStart;
        BlockContext ctx;
    }

    /// @notice Data proofs of a block's entry in its batch: the batch header (version and block
    /// count, payload bytes 0..3) and the block's table entry with the one before it (the entries
    /// hold cumulative candidate counts, so these two give the block's candidates).
    struct TableProof {
        BlobData.RangeProof header;
        BlobData.RangeProof entries;
    }

    /// @notice Data proofs of a candidate's bytes: its two offsets, then its bytes.
    struct CandidateProof {
        BlobData.RangeProof offsets;
        BlobData.RangeProof transaction;
    }

    /// @notice What a step runs besides the agreed data: the ancestor headers and the witness
    /// (each exactly one RLP list), the claimed outcome, and the header fields the L1's fork at
    /// the block's timestamp derives (its base fee, and the RLP fields after the beacon root:
    /// Prague's requests hash), which EXECUTE accepts only at the values that fork gives.
    struct StepInput {
        Position pre;
        bytes32 postStateRoot;
        uint64 gasUsed;
        bytes ancestors;
        bytes witness;
        uint256 baseFee;
        bytes forkFields;
    }

    Inbox public immutable inbox;
    BlobData public immutable blobData;
    Config internal _config;
    /// @notice RLP of the L2's chain parameters in traces (`[chainId, depositContract]`). No fork:
    /// EXECUTE applies the L1's schedule to each block's timestamp, so nothing here changes at an L1
    /// fork (the L2 side following that schedule is not built yet: docs/protocol.md, section 10).
    bytes public chainConfig;

    Claim[] internal _claims;
    Game[] internal _games;
    /// @notice Payouts waiting to be withdrawn.
    mapping(address => uint256) public credit;

    /// @notice Claim `claim` says L2 block `l2Block` has hash `blockHash`, building on `parent`.
    event Proposed(uint256 indexed claim, uint64 indexed parent, uint64 l2Block, bytes32 blockHash);
    /// @notice Claim `claim` is final.
    event Finalized(uint256 indexed claim);
    /// @notice Claim `claim` is rejected, by a game or as an orphan.
    event Rejected(uint256 indexed claim);
    /// @notice `challenger` opened game `game` against claim `claim`.
    event Challenged(uint256 indexed game, uint256 indexed claim, address challenger);
    /// @notice The defender split the range `(lo, hi]` of game `game` at `level` with `values`.
    event Split(uint256 indexed game, uint8 level, uint64 lo, uint64 hi, bytes32[] values);
    /// @notice The challenger picked the range `(lo, hi]` of game `game` at `level`.
    event Picked(uint256 indexed game, uint8 level, uint64 lo, uint64 hi);
    /// @notice Game `game` moved to level 2 over L2 block `l2Block`: its candidate count, timestamp
    /// and the position it starts from.
    event BlockOpened(
        uint256 indexed game, uint64 l2Block, uint64 candidates, uint64 timestamp, bytes32 start
    );
    /// @notice `by` proved `value` at game `game`'s leaf with EXECUTE.
    event Proven(uint256 indexed game, address indexed by, bytes32 value);
    /// @notice Game `game` ended with `status`.
    event Resolved(uint256 indexed game, GameStatus status);

    /// @notice The value sent is not the bond the call takes.
    error WrongBond();
    /// @notice No claim has this id.
    error UnknownClaim();
    /// @notice The parent is rejected, or not before the block claimed.
    error BadParent();
    /// @notice No batch has declared the block claimed yet.
    error BlockNotBatched();
    /// @notice The claim is final or rejected already.
    error NotPending();
    /// @notice The claim's challenge window is over.
    error WindowClosed();
    /// @notice The claim's challenge window is still open.
    error WindowOpen();
    /// @notice A game about the claim is still open.
    error GamesOpen();
    /// @notice The claim's parent is not final yet.
    error ParentNotFinal();
    /// @notice The claim's parent is not rejected: it is no orphan.
    error ParentNotRejected();
    /// @notice The game has ended.
    error GameOver();
    /// @notice It is the other side's move, or the caller is not the side to move.
    error NotYourTurn();
    /// @notice The move does not fit where the game stands (a split already made or not yet, a range that is not a leaf, or a step of the wrong kind).
    error WrongPhase();
    /// @notice The mover's clock has run out.
    error ClockExpired();
    /// @notice The mover's clock has not run out.
    error ClockRunning();
    /// @notice The split's values are not as many as the parts need, or not the ones split with.
    error WrongValues();
    /// @notice The part picked does not exist.
    error BadIndex();
    /// @notice The step does not start from the position the game agreed on.
    error WrongPosition();
    /// @notice The candidate's offsets give no bytes inside the payload.
    error EmptyCandidate();
    /// @notice The candidate is a blob transaction, which an L2 block cannot carry.
    error BlobTransaction();
    /// @notice The step claims more gas than `MAX_STEP_GAS`, or its trace exceeds `MAX_STEP_BYTES`.
    error StepTooLarge();
    /// @notice EXECUTE did not answer true.
    error ExecuteRejected();
    /// @notice The value proven does not settle the game for the side that proved it.
    error WrongOutcome();
    /// @notice The caller has no payout waiting.
    error NothingToWithdraw();
    /// @notice The game's claim is not rejected, so the game cannot be cancelled.
    error ClaimNotRejected();
    /// @notice The bisection degree is below 2.
    error DegreeTooSmall();
    /// @notice Sending the payout to the caller failed.
    error TransferFailed();

    /// @param genesisHash Hash of the L2 genesis block, the anchor (claim 0, final).
    constructor(
        Inbox inbox_,
        BlobData blobData_,
        Config memory config_,
        bytes memory chainConfig_,
        bytes32 genesisHash
    ) {
        inbox = inbox_;
        blobData = blobData_;
        if (config_.degree < 2) revert DegreeTooSmall();
        _config = config_;
        chainConfig = chainConfig_;
        _claims.push(
            Claim({
                proposer: address(0),
                parent: 0,
                l2Block: 0,
                createdAt: uint64(block.timestamp),
                openGames: 0,
                status: ClaimStatus.Finalized,
                bondSettled: true,
                blockHash: genesisHash
            })
        );
    }

    // ---------------------------------------------------------------- claims

    /// @notice The rollup's rules and stakes.
    function config() external view returns (Config memory) {
        return _config;
    }

    /// @notice Claim `id`.
    function claim(uint256 id) external view returns (Claim memory) {
        return _claims[id];
    }

    /// @notice Number of claims, the anchor included.
    function claimCount() external view returns (uint256) {
        return _claims.length;
    }

    /// @notice Claims that L2 block `l2Block` has hash `blockHash`, on top of claim `parent`.
    function propose(uint64 parent, uint64 l2Block, bytes32 blockHash)
        external
        payable
        returns (uint256 id)
    {
        if (msg.value != _config.proposalBond) revert WrongBond();
        if (parent >= _claims.length) revert UnknownClaim();
        Claim storage p = _claims[parent];
        if (p.status == ClaimStatus.Rejected || l2Block <= p.l2Block) revert BadParent();
        if (l2Block >= inbox.nextBlock()) revert BlockNotBatched();
        id = _claims.length;
        _claims.push(
            Claim({
                proposer: msg.sender,
                parent: parent,
                l2Block: l2Block,
                createdAt: uint64(block.timestamp),
                openGames: 0,
                status: ClaimStatus.Pending,
                bondSettled: false,
                blockHash: blockHash
            })
        );
        emit Proposed(id, parent, l2Block, blockHash);
    }

    /// @notice Finalizes a claim whose window has passed with no open game, on a final parent;
    /// its bond goes back to its proposer.
    function finalize(uint256 id) external {
        Claim storage c = _pending(id);
        if (block.timestamp < c.createdAt + _config.challengeWindow) revert WindowOpen();
        if (c.openGames != 0) revert GamesOpen();
        if (_claims[c.parent].status != ClaimStatus.Finalized) revert ParentNotFinal();
        c.status = ClaimStatus.Finalized;
        c.bondSettled = true;
        credit[c.proposer] += _config.proposalBond;
        emit Finalized(id);
    }

    /// @notice Rejects a claim built on a rejected one, once no game about it is open. Its bond
    /// goes back to its proposer: the claim was not shown wrong, only its parent was, and that
    /// parent's proposer can lose its own claim on purpose (with a second address as challenger),
    /// so an orphan's bond must not be a prize for whoever rejects it.
    function rejectOrphan(uint256 id) external {
        Claim storage c = _pending(id);
        if (_claims[c.parent].status != ClaimStatus.Rejected) revert ParentNotRejected();
        if (c.openGames != 0) revert GamesOpen();
        c.status = ClaimStatus.Rejected;
        if (!c.bondSettled) {
            c.bondSettled = true;
            credit[c.proposer] += _config.proposalBond;
        }
        emit Rejected(id);
    }

    /// @notice Sends the caller its payouts.
    function withdraw() external {
        uint256 amount = credit[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        credit[msg.sender] = 0;
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    function _pending(uint256 id) internal view returns (Claim storage c) {
        if (id >= _claims.length) revert UnknownClaim();
        c = _claims[id];
        if (c.status != ClaimStatus.Pending) revert NotPending();
    }

    // ---------------------------------------------------------------- games

    /// @notice Game `id`.
    function game(uint256 id) external view returns (Game memory) {
        return _games[id];
    }

    /// @notice Number of games.
    function gameCount() external view returns (uint256) {
        return _games.length;
    }

    /// @notice Opens a game against claim `id`, the caller as challenger.
    function challenge(uint256 id) external payable returns (uint256 gameId) {
        if (msg.value != _config.challengeBond) revert WrongBond();
        Claim storage c = _pending(id);
        if (block.timestamp >= c.createdAt + _config.challengeWindow) revert WindowClosed();
        c.openGames += 1;
        Claim storage p = _claims[c.parent];
        gameId = _games.length;
        Game storage g = _games.push();
        g.claim = uint64(id);
        g.challenger = msg.sender;
        g.level = 1;
        g.lo = p.l2Block;
        g.hi = c.l2Block;
        g.loValue = p.blockHash;
        g.hiValue = c.blockHash;
        g.turnStart = uint64(block.timestamp);
        emit Challenged(gameId, id, msg.sender);
    }

    /// @notice Whose turn it is: true for the defender (the claim's proposer).
    function defenderToMove(uint256 id) public view returns (bool) {
        Game storage g = _games[id];
        if (g.hi - g.lo > 1) return g.split == bytes32(0);
        if (g.level == 1) return true;
        // A leaf: a skip value stands unless the challenger proves an execution.
        return !(g.lo < g.ctx.candidates && g.hiValue == g.loValue);
    }

    /// @notice The defender's move in a round: values at the `parts - 1` inner division points of
    /// `(lo, hi]`, `parts = min(degree, hi - lo)`.
    function split(uint256 id, bytes32[] calldata values) external {
        Game storage g = _move(id, true);
        if (g.hi - g.lo < 2 || g.split != bytes32(0)) revert WrongPhase();
        if (values.length != _parts(g) - 1) revert WrongValues();
        g.split = keccak256(abi.encode(values));
        emit Split(id, g.level, g.lo, g.hi, values);
    }

    /// @notice The challenger's move in a round: the first part whose end it disputes, with the
    /// defender's values of the round.
    function pick(uint256 id, uint256 index, bytes32[] calldata values) external {
        Game storage g = _move(id, false);
        if (g.split == bytes32(0)) revert WrongPhase();
        if (keccak256(abi.encode(values)) != g.split) revert WrongValues();
        uint64 parts = _parts(g);
        if (index >= parts) revert BadIndex();
        uint64 span = g.hi - g.lo;
        uint64 lo = g.lo + uint64(span * index / parts);
        uint64 hi = g.lo + uint64(span * (index + 1) / parts);
        if (index > 0) g.loValue = values[index - 1];
        if (index + 1 < parts) g.hiValue = values[index];
        (g.lo, g.hi) = (lo, hi);
        g.split = bytes32(0);
        emit Picked(id, g.level, lo, hi);
    }

    /// @notice The defender opens the one block level 1 narrowed to: the parent header's preimage
    /// gives the starting position, the batch gives the candidates and the timestamp.
    function openBlock(
        uint256 id,
        bytes calldata parentHeader,
        uint256 batchIndex,
        TableProof calldata table
    ) external {
        Game storage g = _move(id, true);
        if (g.level != 1 || g.hi - g.lo != 1) revert WrongPhase();
        uint64 l2Block = g.hi;
        BlockContext memory ctx;
        ctx.parent = L2Block.parent(parentHeader, g.loValue);
        Inbox.Batch memory b = inbox.batchOf(batchIndex, l2Block);
        ctx.blobHash = b.blobHash;
        ctx.batchBlocks = b.blockCount;
        (uint64 declared, uint64 candidates, uint64 first) =
            _readTable(b, l2Block - b.firstBlock, table);
        ctx.candidates = candidates;
        ctx.firstCandidate = first;
        ctx.timestamp = L2Block.timestamp(ctx.parent.timestamp, declared, b.l1Timestamp);
        (uint256 firstDeposit, uint256 deposits) = inbox.depositsOf(batchIndex, l2Block);
        ctx.firstDeposit = uint64(firstDeposit);
        ctx.deposits = uint8(deposits);
        ctx.messageRoot = inbox.messageRootBefore(firstDeposit);
        g.ctx = ctx;
        g.level = 2;
        g.lo = 0;
        g.hi = candidates + 1;
        g.loValue = keccak256(abi.encode(Position(ctx.parent.stateRoot, 0, 0, L2Block.EMPTY_ROOT)));
        emit BlockOpened(id, l2Block, candidates, ctx.timestamp, g.loValue);
    }

    /// @notice Proves the candidate at a leaf executes: EXECUTE on the trace built from the agreed
    /// position, the block's context and the candidate's bytes from the batch. The defender wins
    /// if the outcome is its value; the challenger if it is not.
    function proveCandidate(uint256 id, StepInput calldata step, CandidateProof calldata proof)
        external
    {
        Game storage g = _leaf(id);
        if (g.lo >= g.ctx.candidates) revert WrongPhase();
        if (keccak256(abi.encode(step.pre)) != g.loValue) revert WrongPosition();
        if (step.gasUsed > MAX_STEP_GAS) revert StepTooLarge();
        bytes memory transaction = _candidate(g, proof);
        if (uint8(transaction[0]) == BLOB_TX_TYPE) revert BlobTransaction();
        L2Block.TraceParts memory parts = L2Block.TraceParts(
            chainConfig,
            L2Block.header(
                g.ctx.parent,
                L2Block.Body(
                    _config.feeRecipient,
                    _config.gasLimit,
                    g.ctx.timestamp,
                    0,
                    0,
                    L2Block.EMPTY_ROOT,
                    g.ctx.messageRoot,
                    0,
                    step.baseFee,
                    step.forkFields
                )
            ),
            L2Block.segment(step.pre.included, step.pre.gasUsed, false),
            transaction,
            L2Block.EMPTY_LIST
        );
        (bytes memory input, uint256 traceLength) = L2Block.executeInput(
            step.pre.stateRoot,
            step.postStateRoot,
            step.gasUsed,
            parts,
            step.ancestors,
            step.witness
        );
        _execute(input, traceLength);
        Position memory post = Position(
            step.postStateRoot,
            step.pre.gasUsed + step.gasUsed,
            step.pre.included + 1,
            keccak256(abi.encodePacked(step.pre.txAcc, keccak256(transaction)))
        );
        _settle(id, g, keccak256(abi.encode(post)));
    }

    /// @notice Proves the end of the block: EXECUTE runs the end-of-block changes (the whole
    /// block if nothing was included), crediting the block's deposits as withdrawals, and the
    /// header assembled from the rules, position `m` and those withdrawals must hash to the
    /// defender's value (or, for the challenger, to another value).
    function proveEnd(uint256 id, StepInput calldata step) external {
        Game storage g = _leaf(id);
        if (g.lo != g.ctx.candidates) revert WrongPhase();
        if (keccak256(abi.encode(step.pre)) != g.loValue) revert WrongPosition();
        (bytes memory withdrawals, bytes32 withdrawalsRoot) = L2Block.withdrawals(
            g.ctx.firstDeposit,
            g.ctx.deposits == 0
                ? new Inbox.Deposit[](0)
                : inbox.deposits(g.ctx.firstDeposit, g.ctx.deposits)
        );
        bytes memory header = L2Block.header(
            g.ctx.parent,
            L2Block.Body(
                _config.feeRecipient,
                _config.gasLimit,
                g.ctx.timestamp,
                step.postStateRoot,
                step.pre.txAcc,
                withdrawalsRoot,
                g.ctx.messageRoot,
                step.pre.gasUsed,
                step.baseFee,
                step.forkFields
            )
        );
        (bytes memory input, uint256 traceLength) = L2Block.executeInput(
            step.pre.stateRoot,
            step.postStateRoot,
            0,
            L2Block.TraceParts(
                chainConfig,
                header,
                L2Block.segment(step.pre.included, step.pre.gasUsed, true),
                "",
                withdrawals
            ),
            step.ancestors,
            step.witness
        );
        _execute(input, traceLength);
        _settle(id, g, keccak256(header));
    }

    /// @notice Ends a game whose claim another game has already rejected: nothing is left to
    /// decide, so the challenger's bond goes back and neither side has to play on.
    function cancel(uint256 id) external {
        Game storage g = _games[id];
        if (g.status != GameStatus.Open) revert GameOver();
        Claim storage c = _claims[g.claim];
        if (c.status != ClaimStatus.Rejected) revert ClaimNotRejected();
        g.status = GameStatus.Cancelled;
        c.openGames -= 1;
        credit[g.challenger] += _config.challengeBond;
        emit Resolved(id, GameStatus.Cancelled);
    }

    /// @notice Ends a game whose side to move has run out of clock: the other side wins.
    function resolve(uint256 id) external {
        Game storage g = _games[id];
        if (g.status != GameStatus.Open) revert GameOver();
        bool defender = defenderToMove(id);
        uint64 used =
            (defender ? g.defenderUsed : g.challengerUsed) + uint64(block.timestamp - g.turnStart);
        if (used <= _config.clock) revert ClockRunning();
        _finish(id, g, defender ? GameStatus.ChallengerWon : GameStatus.DefenderWon);
    }

    // ---------------------------------------------------------------- internals

    function _parts(Game storage g) internal view returns (uint64) {
        uint64 span = g.hi - g.lo;
        return span < _config.degree ? span : _config.degree;
    }

    /// @notice Checks it is `defender`'s turn and the caller is that side, charges its clock, and
    /// restarts the turn.
    function _move(uint256 id, bool defender) internal returns (Game storage g) {
        g = _games[id];
        if (g.status != GameStatus.Open) revert GameOver();
        if (defenderToMove(id) != defender) revert NotYourTurn();
        address mover = defender ? _claims[g.claim].proposer : g.challenger;
        if (msg.sender != mover) revert NotYourTurn();
        uint64 elapsed = uint64(block.timestamp - g.turnStart);
        if (defender) {
            g.defenderUsed += elapsed;
            if (g.defenderUsed > _config.clock) revert ClockExpired();
        } else {
            g.challengerUsed += elapsed;
            if (g.challengerUsed > _config.clock) revert ClockExpired();
        }
        g.turnStart = uint64(block.timestamp);
    }

    /// @notice A leaf of level 2 whose side to move still has clock, and a caller who plays.
    function _leaf(uint256 id) internal view returns (Game storage g) {
        g = _games[id];
        if (g.status != GameStatus.Open) revert GameOver();
        if (g.level != 2 || g.hi - g.lo != 1) revert WrongPhase();
        bool defender = defenderToMove(id);
        uint64 used =
            (defender ? g.defenderUsed : g.challengerUsed) + uint64(block.timestamp - g.turnStart);
        if (used > _config.clock) revert ClockExpired();
        if (msg.sender != g.challenger && msg.sender != _claims[g.claim].proposer) {
            revert NotYourTurn();
        }
    }

    function _settle(uint256 id, Game storage g, bytes32 value) internal {
        bool defender = msg.sender == _claims[g.claim].proposer;
        if (defender ? value != g.hiValue : value == g.hiValue) revert WrongOutcome();
        emit Proven(id, msg.sender, value);
        _finish(id, g, defender ? GameStatus.DefenderWon : GameStatus.ChallengerWon);
    }

    function _finish(uint256 id, Game storage g, GameStatus status) internal {
        g.status = status;
        Claim storage c = _claims[g.claim];
        c.openGames -= 1;
        if (status == GameStatus.DefenderWon) {
            credit[c.proposer] += _config.challengeBond;
        } else {
            uint256 payout = _config.challengeBond;
            if (!c.bondSettled) {
                c.bondSettled = true;
                payout += _config.proposalBond;
            }
            credit[g.challenger] += payout;
            if (c.status == ClaimStatus.Pending) {
                c.status = ClaimStatus.Rejected;
                emit Rejected(g.claim);
            }
        }
        emit Resolved(id, status);
    }

    function _execute(bytes memory input, uint256 traceLength) internal {
        if (traceLength > MAX_STEP_BYTES) revert StepTooLarge();
        (bool ok, bytes memory out) = EXECUTE.call(input);
        if (!ok || out.length != 32 || abi.decode(out, (uint256)) != 1) revert ExecuteRejected();
    }

    /// @notice Reads block `index`'s entry in batch `b`: its declared timestamp, its candidate
    /// count and its first candidate's index in the batch, from the batch header and the
    /// block's table entry with the one before it, at a cost that does not depend on `index`.
    /// Entries hold cumulative candidate counts; one below its predecessor gives no candidates.
    /// A malformed header makes every block empty, stamped with the batch's L1 time.
    function _readTable(Inbox.Batch memory b, uint64 index, TableProof calldata table)
        internal
        view
        returns (uint64 declared, uint64 candidates, uint64 first)
    {
        uint256 end = BatchLayout.HEADER_BYTES + BatchLayout.ENTRY_BYTES * (uint256(index) + 1);
        if (end + BatchLayout.OFFSET_BYTES > BatchLayout.PAYLOAD_BYTES) {
            return (b.l1Timestamp, 0, 0);
        }
        bytes memory head = blobData.read(b.blobHash, 0, BatchLayout.HEADER_BYTES, table.header);
        if (
            uint8(head[0]) != BatchLayout.VERSION
                || _be(head, BatchLayout.VERSION_BYTES, BatchLayout.COUNT_BYTES) != b.blockCount
        ) {
            return (b.l1Timestamp, 0, 0);
        }
        uint256 start =
            index == 0 ? end - BatchLayout.ENTRY_BYTES : end - 2 * BatchLayout.ENTRY_BYTES;
        bytes memory entries = blobData.read(b.blobHash, start, end - start, table.entries);
        uint256 at = entries.length - BatchLayout.ENTRY_BYTES;
        uint64 last =
            uint64(_be(entries, at + BatchLayout.TIMESTAMP_BYTES, BatchLayout.COUNT_BYTES));
        first = index == 0
            ? 0
            : uint64(_be(entries, BatchLayout.TIMESTAMP_BYTES, BatchLayout.COUNT_BYTES));
        declared = uint64(_be(entries, at, BatchLayout.TIMESTAMP_BYTES));
        candidates = last > first ? last - first : 0;
    }

    /// @notice The bytes of the leaf's candidate: offsets `first + lo` and the next, then the
    /// bytes between them. Out-of-order or out-of-range offsets make an empty candidate, which no
    /// step can prove.
    function _candidate(Game storage g, CandidateProof calldata proof)
        internal
        view
        returns (bytes memory)
    {
        uint256 at = BatchLayout.HEADER_BYTES + BatchLayout.ENTRY_BYTES * uint256(g.ctx.batchBlocks)
            + BatchLayout.OFFSET_BYTES * uint256(g.ctx.firstCandidate + g.lo);
        if (at + 2 * BatchLayout.OFFSET_BYTES > BatchLayout.PAYLOAD_BYTES) revert EmptyCandidate();
        bytes memory offsets =
            blobData.read(g.ctx.blobHash, at, 2 * BatchLayout.OFFSET_BYTES, proof.offsets);
        uint256 start = _be(offsets, 0, BatchLayout.OFFSET_BYTES);
        uint256 end = _be(offsets, BatchLayout.OFFSET_BYTES, BatchLayout.OFFSET_BYTES);
        if (end <= start || end > BatchLayout.PAYLOAD_BYTES) revert EmptyCandidate();
        return blobData.read(g.ctx.blobHash, start, end - start, proof.transaction);
    }

    /// @notice Big-endian integer of `length` bytes of `data` at `at`.
    function _be(bytes memory data, uint256 at, uint256 length) internal pure returns (uint256 v) {
        for (uint256 i = 0; i < length; ++i) {
            v = (v << 8) | uint8(data[at + i]);
        }
    }
}
