// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Inbox} from "../src/Inbox.sol";
import {BlobData} from "../src/BlobData.sol";
import {Rollup} from "../src/Rollup.sol";
import {Bridge} from "../src/Bridge.sol";
import {L2Block} from "../src/L2Block.sol";
import {MerkleTrie} from "../src/MerkleTrie.sol";
import {Scenario} from "./utils/Scenario.sol";
import {ScenarioJson} from "./utils/ScenarioJson.sol";

/// @notice An L1 contract a withdrawal calls: keeps who the bridge says asked on the L2, what
/// came and the argument.
contract Receiver {
    Bridge internal immutable bridge;
    address public sender;
    uint256 public received;
    uint256 public tag;

    constructor(Bridge bridge_) {
        bridge = bridge_;
    }

    /// @notice The call the scenario's withdrawal makes.
    function take(uint256 t) external payable {
        (sender, received, tag) = (bridge.l2Sender(), msg.value, t);
    }
}

/// @notice An L1 contract that refuses the withdrawal's call.
contract Refuser {
    /// @notice Always.
    error Refused();

    /// @notice Refuses.
    function take(uint256) external payable {
        revert Refused();
    }
}

/// @notice Withdrawals from the L2: the scenario's block 2 withdraws one ether through the L2
/// bridge predeploy; once a claim of block 2 is final, the proof from the Rust side's state
/// (what `eth_getProof` serves) pays the recipient from the deposits the inbox holds, once. A
/// pending claim, a replay, a withdrawal other than the one recorded, a header of another block
/// and any altered proof node revert.
contract BridgeTest is Scenario {
    string internal json;
    Inbox internal inbox;
    Rollup internal rollup;
    address internal proposer = makeAddr("proposer");

    function setUp() public {
        json = runScenario();
        (inbox,, rollup) = deployScenario(json, 2);
        vm.deal(proposer, 10 ether);
    }

    function withdrawal() internal view returns (Bridge.Withdrawal memory w) {
        w.nonce = 0;
        w.from = vm.parseJsonAddress(json, ".withdrawal.from");
        w.to = vm.parseJsonAddress(json, ".withdrawal.to");
        w.value = vm.parseJsonUint(json, ".withdrawal.value");
    }

    /// The scenario's second withdrawal: half an ether to a call of `take(7)`.
    function withdrawalCall() internal view returns (Bridge.Withdrawal memory w) {
        w.nonce = 1;
        w.from = vm.parseJsonAddress(json, ".withdrawalCall.from");
        w.to = vm.parseJsonAddress(json, ".withdrawalCall.to");
        w.value = vm.parseJsonUint(json, ".withdrawalCall.value");
        w.data = vm.parseJsonBytes(json, ".withdrawalCall.data");
    }

    function finalizeCall(uint256 id, Bridge.Withdrawal memory w) internal {
        bridge.finalizeWithdrawal(
            id,
            header(2),
            w,
            vm.parseJsonBytesArray(json, ".withdrawalCall.accountProof"),
            vm.parseJsonBytesArray(json, ".withdrawalCall.storageProof")
        );
    }

    /// A withdrawal carrying a call: a call that reverts leaves it unpaid and open; then the
    /// bridge makes the call with the value, naming the L2 sender, once.
    function test_AWithdrawalCarryingACallMakesItOnce() public {
        Bridge.Withdrawal memory w = withdrawalCall();
        assertEq(bridge.withdrawalHash(w), vm.parseJsonBytes32(json, ".withdrawalCall.hash"));
        uint256 id = claimBlock2();
        finalizeClaim(id);
        uint256 held = address(inbox).balance;
        vm.etch(w.to, address(new Refuser()).code);
        vm.expectRevert(
            abi.encodeWithSelector(
                Bridge.CallFailed.selector, abi.encodeWithSelector(Refuser.Refused.selector)
            )
        );
        finalizeCall(id, w);
        assertFalse(bridge.finalized(bridge.withdrawalHash(w)));
        assertEq(address(inbox).balance, held);
        vm.etch(w.to, address(new Receiver(bridge)).code);
        finalizeCall(id, w);
        Receiver r = Receiver(w.to);
        assertEq(r.sender(), w.from);
        assertEq(r.received(), w.value);
        assertEq(r.tag(), 7);
        assertEq(bridge.l2Sender(), address(0));
        assertEq(address(bridge).balance, 0);
        assertEq(address(inbox).balance, held - w.value);
        vm.expectRevert(
            abi.encodeWithSelector(Bridge.AlreadyFinalized.selector, bridge.withdrawalHash(w))
        );
        finalizeCall(id, w);
        // The data is part of the hash: another call is not the one recorded.
        w.data = abi.encodeCall(Receiver.take, (8));
        vm.expectRevert(
            abi.encodeWithSelector(Bridge.NotRecorded.selector, bridge.withdrawalHash(w))
        );
        finalizeCall(id, w);
    }

    function test_RevertWhen_ETHComesFromAnyoneButTheInbox() public {
        vm.deal(address(this), 1 ether);
        vm.expectRevert(Bridge.NotInbox.selector);
        (bool ok,) = address(bridge).call{value: 1}("");
        ok;
    }

    function accountProof() internal view returns (bytes[] memory) {
        return vm.parseJsonBytesArray(json, ".withdrawal.accountProof");
    }

    function storageProof() internal view returns (bytes[] memory) {
        return vm.parseJsonBytesArray(json, ".withdrawal.storageProof");
    }

    function header(uint64 n) internal view returns (bytes memory) {
        return vm.parseJsonBytes(json, string.concat(blockKey(n), ".header"));
    }

    /// Claim block 2 honestly; returns its id.
    function claimBlock2() internal returns (uint256 id) {
        vm.prank(proposer);
        id = rollup.propose{value: PROPOSAL_BOND}(0, 2, ScenarioJson.blockHash(json, 2));
    }

    function finalizeClaim(uint256 id) internal {
        vm.warp(vm.getBlockTimestamp() + WINDOW);
        rollup.finalize(id);
    }

    function test_AFinalClaimPaysTheWithdrawalOnce() public {
        Bridge.Withdrawal memory w = withdrawal();
        assertEq(bridge.withdrawalHash(w), vm.parseJsonBytes32(json, ".withdrawal.hash"));
        uint256 id = claimBlock2();
        vm.expectRevert(abi.encodeWithSelector(Bridge.ClaimNotFinal.selector, id));
        bridge.finalizeWithdrawal(id, header(2), w, accountProof(), storageProof());
        finalizeClaim(id);
        uint256 held = address(inbox).balance;
        (bytes memory h, bytes[] memory account, bytes[] memory slot) =
            (header(2), accountProof(), storageProof());
        vm.cool(address(bridge));
        vm.cool(address(inbox));
        vm.cool(address(rollup));
        vm.startSnapshotGas("RollupMoves", "finalize a withdrawal");
        bridge.finalizeWithdrawal(id, h, w, account, slot);
        vm.stopSnapshotGas();
        assertEq(w.to.balance, w.value);
        assertEq(address(inbox).balance, held - w.value);
        assertTrue(bridge.finalized(bridge.withdrawalHash(w)));
        vm.expectRevert(
            abi.encodeWithSelector(Bridge.AlreadyFinalized.selector, bridge.withdrawalHash(w))
        );
        bridge.finalizeWithdrawal(id, header(2), w, accountProof(), storageProof());
    }

    function test_RevertWhen_TheWithdrawalIsNotTheOneRecorded() public {
        uint256 id = claimBlock2();
        finalizeClaim(id);
        Bridge.Withdrawal memory w = withdrawal();
        w.value += 1;
        vm.expectRevert(
            abi.encodeWithSelector(Bridge.NotRecorded.selector, bridge.withdrawalHash(w))
        );
        bridge.finalizeWithdrawal(id, header(2), w, accountProof(), storageProof());
        w = withdrawal();
        w.to = address(0xbad);
        vm.expectRevert(
            abi.encodeWithSelector(Bridge.NotRecorded.selector, bridge.withdrawalHash(w))
        );
        bridge.finalizeWithdrawal(id, header(2), w, accountProof(), storageProof());
        // Nonce 1 was never recorded: its slot is not in the proof.
        w = withdrawal();
        w.nonce = 1;
        vm.expectRevert(MerkleTrie.BadProof.selector);
        bridge.finalizeWithdrawal(id, header(2), w, accountProof(), storageProof());
    }

    function test_RevertWhen_TheHeaderIsNotTheClaimedBlocks() public {
        uint256 id = claimBlock2();
        finalizeClaim(id);
        vm.expectRevert(L2Block.BadParentHeader.selector);
        bridge.finalizeWithdrawal(id, header(1), withdrawal(), accountProof(), storageProof());
    }

    /// Any byte of any proof node changed, or a node dropped, and the proof no longer hashes to
    /// the root: nothing is paid.
    function testFuzz_RevertWhen_AProofIsAltered(uint256 which, uint256 at, uint8 xor) public {
        uint256 id = claimBlock2();
        finalizeClaim(id);
        bytes[] memory account = accountProof();
        bytes[] memory storage_ = storageProof();
        bool inAccount = which % 2 == 0;
        bytes[] memory target = inAccount ? account : storage_;
        uint256 node = (which / 2) % target.length;
        if (xor == 0) {
            bytes[] memory shorter = new bytes[](target.length - 1);
            for (uint256 i = 0; i < shorter.length; ++i) {
                shorter[i] = target[i < node ? i : i + 1];
            }
            target = shorter;
        } else {
            bytes memory changed = bytes.concat(target[node]);
            changed[at % changed.length] ^= bytes1(xor);
            target[node] = changed;
        }
        (account, storage_) = inAccount ? (target, storage_) : (account, target);
        uint256 held = address(inbox).balance;
        vm.expectRevert();
        bridge.finalizeWithdrawal(id, header(2), withdrawal(), account, storage_);
        assertEq(address(inbox).balance, held);
    }

    function test_RevertWhen_ReleaseIsNotTheBridges() public {
        vm.expectRevert(Inbox.NotBridge.selector);
        inbox.release(address(this), 1);
    }

    function test_RevertWhen_TheBridgeIsNotTheInboxs() public {
        vm.expectRevert(Bridge.WrongInbox.selector);
        new Bridge(inbox, rollup);
    }
}
