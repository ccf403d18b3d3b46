// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {Inbox} from "../src/Inbox.sol";
import {Rollup} from "../src/Rollup.sol";
import {Bridge} from "../src/Bridge.sol";
import {Scenario} from "./utils/Scenario.sol";
import {ScenarioJson} from "./utils/ScenarioJson.sol";

/// @notice Random actors around the bridge: claims of the scenario's blocks (true or not, on any
/// parent), challenges, clock runs, resolutions, finalizations, deposits, and attempts to pay
/// either of the scenario's two withdrawals against any claim, with any header, the withdrawal's
/// fields or a proof node altered, or a node dropped. Every payout is checked as it happens.
contract BridgeHandler is Test {
    /// @notice Ways `pay` departs from the true payout.
    uint256 internal constant MUTATIONS = 6;
    uint256 internal constant NO_MUTATION = 0;
    uint256 internal constant OTHER_VALUE = 1;
    uint256 internal constant OTHER_RECIPIENT = 2;
    uint256 internal constant NODE_ALTERED = 3;
    uint256 internal constant NODE_DROPPED = 4;
    uint256 internal constant OTHER_NONCE = 5;
    /// @notice Blocks of the scenario's batch.
    uint64 internal constant BLOCKS = 2;

    Inbox internal immutable inbox;
    Rollup internal immutable rollup;
    Bridge internal immutable bridge;
    address[] internal actors;
    /// Headers and hashes of blocks 1 and 2 (index 0 unused).
    bytes[3] internal headers;
    bytes32[3] internal hashes;
    Bridge.Withdrawal[2] internal withdrawals;
    bytes[][2] internal accountProofs;
    bytes[][2] internal storageProofs;

    /// @notice Wei deposited into the inbox by the handler.
    uint256 public deposited;
    /// @notice Wei the bridge paid out.
    uint256 public paid;
    /// @notice Payouts made.
    uint256 public payouts;
    /// @notice Payouts against a claim that was not final, or of a withdrawal not recorded.
    uint256 public unsound;
    /// @notice Times each recorded withdrawal was paid.
    mapping(bytes32 => uint256) public timesPaid;

    constructor(Inbox inbox_, Rollup rollup_, Bridge bridge_, string memory json) {
        (inbox, rollup, bridge) = (inbox_, rollup_, bridge_);
        for (uint256 i = 0; i < 3; ++i) {
            actors.push(makeAddr(string.concat("actor", vm.toString(i))));
            vm.deal(actors[i], 1_000 ether);
        }
        for (uint64 n = 1; n <= BLOCKS; ++n) {
            headers[n] = vm.parseJsonBytes(json, string.concat(ScenarioJson.blockKey(n), ".header"));
            hashes[n] = ScenarioJson.blockHash(json, n);
        }
        string[2] memory keys = [".withdrawal", ".withdrawalCall"];
        for (uint256 i = 0; i < 2; ++i) {
            Bridge.Withdrawal storage w = withdrawals[i];
            w.nonce = i;
            w.from = vm.parseJsonAddress(json, string.concat(keys[i], ".from"));
            w.to = vm.parseJsonAddress(json, string.concat(keys[i], ".to"));
            w.value = vm.parseJsonUint(json, string.concat(keys[i], ".value"));
            if (i == 1) w.data = vm.parseJsonBytes(json, string.concat(keys[i], ".data"));
            bytes[] memory account =
                vm.parseJsonBytesArray(json, string.concat(keys[i], ".accountProof"));
            bytes[] memory slot =
                vm.parseJsonBytesArray(json, string.concat(keys[i], ".storageProof"));
            for (uint256 j = 0; j < account.length; ++j) {
                accountProofs[i].push(account[j]);
            }
            for (uint256 j = 0; j < slot.length; ++j) {
                storageProofs[i].push(slot[j]);
            }
        }
    }

    /// @notice The scenario's withdrawal `i`, as recorded.
    function recorded(uint256 i) external view returns (Bridge.Withdrawal memory) {
        return withdrawals[i];
    }

    function actor(uint256 seed) internal view returns (address) {
        return actors[seed % actors.length];
    }

    /// @notice A claim of block 1 or 2 on any claim, with the block's true hash or another.
    function propose(uint256 who, uint256 parent, uint64 n, bool honest, bytes32 other) external {
        parent = bound(parent, 0, rollup.claimCount() - 1);
        n = uint64(bound(n, 1, BLOCKS));
        uint256 bond = rollup.config().proposalBond;
        vm.prank(actor(who));
        try rollup.propose{value: bond}(uint64(parent), n, honest ? hashes[n] : other) {} catch {}
    }

    /// @notice A challenge of any claim; nobody moves in its game, so a clock decides it.
    function challenge(uint256 who, uint256 id) external {
        if (rollup.claimCount() < 2) return;
        id = bound(id, 1, rollup.claimCount() - 1);
        uint256 bond = rollup.config().challengeBond;
        vm.prank(actor(who));
        try rollup.challenge{value: bond}(id) {} catch {}
    }

    /// @notice Time passes (up to two challenge windows).
    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 2 days));
    }

    /// @notice Resolves any game whose clock ran out.
    function resolve(uint256 id) external {
        if (rollup.gameCount() == 0) return;
        id = bound(id, 0, rollup.gameCount() - 1);
        try rollup.resolve(id) {} catch {}
    }

    /// @notice Finalizes any claim, or rejects it as an orphan.
    function finalize(uint256 id) external {
        if (rollup.claimCount() < 2) return;
        id = bound(id, 1, rollup.claimCount() - 1);
        try rollup.finalize(id) {} catch {}
        try rollup.rejectOrphan(id) {} catch {}
    }

    /// @notice A deposit of up to an ether, in whole gwei, for anyone.
    function deposit(uint256 who, uint64 gwei_, address to) external {
        uint256 value = bound(gwei_, 1, 1e9) * 1 gwei;
        vm.prank(actor(who));
        try inbox.deposit{value: value}(to) {
            deposited += value;
        } catch {}
    }

    /// @notice Withdrawal `which` paid against claim `id` with the header of block `n`, as
    /// recorded or altered by `mutation` (at node `at` of the proof, xoring `xor`).
    function pay(
        uint256 who,
        uint256 id,
        uint256 which,
        uint64 n,
        uint256 mutation,
        uint256 at,
        uint8 xor
    ) external {
        id = bound(id, 0, rollup.claimCount() - 1);
        which = which % 2;
        n = uint64(bound(n, 1, BLOCKS));
        mutation = mutation % MUTATIONS;
        Bridge.Withdrawal memory w = withdrawals[which];
        bytes[] memory account = accountProofs[which];
        bytes[] memory slot = storageProofs[which];
        if (mutation == OTHER_VALUE) w.value += 1 + (at % 1 ether);
        if (mutation == OTHER_RECIPIENT) w.to = actor(at);
        if (mutation == OTHER_NONCE) w.nonce = 2 + (at % 4);
        bytes[] memory target = at % 2 == 0 ? account : slot;
        if (mutation == NODE_ALTERED) {
            bytes memory node = target[(at / 2) % target.length];
            node[(at / 64) % node.length] ^= bytes1(xor == 0 ? 1 : xor);
        }
        if (mutation == NODE_DROPPED) {
            uint256 drop = (at / 2) % target.length;
            bytes[] memory shorter = new bytes[](target.length - 1);
            for (uint256 j = 0; j < shorter.length; ++j) {
                shorter[j] = target[j < drop ? j : j + 1];
            }
            if (at % 2 == 0) account = shorter;
            else slot = shorter;
        }
        Rollup.Claim memory c = rollup.claim(id);
        bytes32 hash = bridge.withdrawalHash(w);
        uint256 before = address(inbox).balance;
        vm.prank(actor(who));
        try bridge.finalizeWithdrawal(id, headers[n], w, account, slot) {
            payouts += 1;
            paid += before - address(inbox).balance;
            timesPaid[hash] += 1;
            bool isRecorded = hash == bridge.withdrawalHash(withdrawals[0])
                || hash == bridge.withdrawalHash(withdrawals[1]);
            if (
                c.status != Rollup.ClaimStatus.Finalized || c.blockHash != keccak256(headers[n])
                    || !isRecorded || before - address(inbox).balance != w.value
            ) unsound += 1;
        } catch {}
    }
}

/// @notice The bridge's ETH leaves only against final claims, only for withdrawals the L2
/// recorded, each once, and the inbox always holds what was deposited less what was paid.
contract BridgeInvariantTest is Scenario {
    Inbox internal inbox;
    Rollup internal rollup;
    BridgeHandler internal handler;
    uint256 internal initial;

    function setUp() public {
        string memory json = runScenario();
        (inbox,, rollup) = deployScenario(json, 2);
        initial = address(inbox).balance;
        handler = new BridgeHandler(inbox, rollup, bridge, json);
        targetContract(address(handler));
    }

    /// The handler's moves reach a real payout (so the invariants below are not vacuous), and
    /// a second one of the same withdrawal is refused.
    function test_TheHandlerPaysAgainstAFinalClaim() public {
        handler.propose(0, 0, 2, true, bytes32(0));
        handler.pay(1, 1, 0, 2, 0, 0, 0);
        assertEq(handler.payouts(), 0, "a pending claim pays nothing");
        handler.warp(2 days);
        handler.finalize(1);
        handler.pay(1, 1, 0, 2, 0, 0, 0);
        handler.pay(2, 1, 0, 2, 0, 0, 0);
        assertEq(handler.payouts(), 1);
        assertEq(handler.unsound(), 0);
        invariant_TheInboxHoldsWhatWasNotPaid();
    }

    /// Nothing was paid against a pending or rejected claim, with a header that is not the
    /// claim's block, or for a withdrawal the L2 never recorded, or another amount.
    function invariant_PaidOnlyAgainstFinalClaims() public view {
        assertEq(handler.unsound(), 0);
    }

    /// No withdrawal was paid twice.
    function invariant_EachWithdrawalPaidAtMostOnce() public view {
        for (uint256 i = 0; i < 2; ++i) {
            bytes32 hash = bridge.withdrawalHash(handler.recorded(i));
            assertLe(handler.timesPaid(hash), 1);
            assertEq(bridge.finalized(hash), handler.timesPaid(hash) == 1);
        }
    }

    /// The inbox holds every deposit less every payout, and the bridge holds nothing.
    function invariant_TheInboxHoldsWhatWasNotPaid() public view {
        assertEq(address(inbox).balance, initial + handler.deposited() - handler.paid());
        assertEq(address(bridge).balance, 0);
    }
}
