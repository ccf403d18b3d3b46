// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Inbox, L2_BRIDGE_PREDEPLOY} from "./Inbox.sol";
import {Rollup} from "./Rollup.sol";
import {L2Block} from "./L2Block.sol";
import {MerkleTrie} from "./MerkleTrie.sol";
import {RLP} from "./RLP.sol";

/// @title Bridge
/// @notice Pays out withdrawals from the L2. A withdrawal is recorded by the L2's `L2Bridge`
/// predeploy; once a claim covering its block (or any later block) is final, anyone proves it
/// here: the claimed block's header (its hash is the claim), then an MPT proof of the predeploy's
/// account against the header's state root and one of the withdrawal's storage slot against the
/// account's storage root. The inbox, which holds every deposited wei, pays the recipient, once;
/// a withdrawal carrying a call has the bridge make it with the value, `l2Sender` naming the L2
/// account that asked.
contract Bridge {
    /// @notice Where every L2 genesis puts the `L2Bridge` predeploy.
    address public constant L2_BRIDGE = L2_BRIDGE_PREDEPLOY;
    /// @notice What `l2Sender` reads outside a withdrawal's call.
    address internal constant NO_SENDER = address(0);
    /// @notice `L2Bridge`'s storage slot of its `withdrawals` mapping.
    uint256 internal constant WITHDRAWALS_SLOT = 0;
    /// @notice Position of the storage root in an account's RLP `[nonce, balance, storageRoot,
    /// codeHash]`.
    uint256 internal constant STORAGE_ROOT_FIELD = 2;
    /// @notice Items of an account's RLP.
    uint256 internal constant ACCOUNT_FIELDS = 4;

    /// @notice A withdrawal as `L2Bridge.withdraw` recorded it.
    struct Withdrawal {
        uint256 nonce;
        address from;
        address to;
        uint256 value;
        /// The call to make on L1; empty for a plain transfer.
        bytes data;
    }

    /// @notice Where deposits are held and withdrawals paid from.
    Inbox public immutable inbox;
    /// @notice Whose final claims prove withdrawals.
    Rollup public immutable rollup;
    /// @notice Withdrawals paid, by hash.
    mapping(bytes32 => bool) public finalized;
    /// @notice During a withdrawal's call, the L2 account that made the withdrawal.
    address public l2Sender;

    /// @notice Withdrawal `nonce` (hash `hash`) paid `value` to `to`, proven against claim `claim`.
    event WithdrawalFinalized(
        bytes32 indexed hash,
        uint256 indexed nonce,
        address indexed to,
        uint256 value,
        uint256 claim
    );

    /// @notice The inbox does not pay out through this bridge.
    error WrongInbox();
    /// @notice The claim is not final (pending or rejected).
    error ClaimNotFinal(uint256 claim);
    /// @notice The withdrawal was paid already.
    error AlreadyFinalized(bytes32 hash);
    /// @notice The L2 bridge's account does not decode.
    error BadAccount();
    /// @notice The proven storage word is not the withdrawal's hash.
    error NotRecorded(bytes32 hash);
    /// @notice Only the inbox sends this bridge ETH (a withdrawal's value, for its call).
    error NotInbox();
    /// @notice The withdrawal's call reverted (with `reason`); it may be finalized again.
    error CallFailed(bytes reason);

    constructor(Inbox inbox_, Rollup rollup_) {
        if (inbox_.bridge() != address(this) || rollup_.inbox() != inbox_) revert WrongInbox();
        inbox = inbox_;
        rollup = rollup_;
    }

    /// @notice The hash `L2Bridge` records for `w`.
    function withdrawalHash(Withdrawal calldata w) public pure returns (bytes32) {
        return keccak256(abi.encode(w.nonce, w.from, w.to, w.value, keccak256(w.data)));
    }

    /// @notice Pays withdrawal `w` to its recipient, proven in the state of the block final claim
    /// `claimId` names: `header` is that block's header RLP, `accountProof` the L2 bridge's
    /// account against its state root, `storageProof` the withdrawal's slot against the
    /// account's storage root (as `eth_getProof` on the L2 gives them). A withdrawal carrying a
    /// call that reverts reverts here too, and stays unpaid.
    function finalizeWithdrawal(
        uint256 claimId,
        bytes calldata header,
        Withdrawal calldata w,
        bytes[] calldata accountProof,
        bytes[] calldata storageProof
    ) external {
        Rollup.Claim memory c = rollup.claim(claimId);
        if (c.status != Rollup.ClaimStatus.Finalized) revert ClaimNotFinal(claimId);
        bytes32 hash = withdrawalHash(w);
        if (finalized[hash]) revert AlreadyFinalized(hash);
        bytes32 stateRoot = L2Block.parent(header, c.blockHash).stateRoot;
        bytes[] memory account = RLP.readList(
            MerkleTrie.get(stateRoot, keccak256(abi.encodePacked(L2_BRIDGE)), accountProof)
        );
        if (account.length != ACCOUNT_FIELDS) revert BadAccount();
        bytes32 storageRoot = RLP.toBytes32(account[STORAGE_ROOT_FIELD]);
        bytes32 slot = keccak256(abi.encode(w.nonce, WITHDRAWALS_SLOT));
        bytes memory word = MerkleTrie.get(storageRoot, keccak256(abi.encode(slot)), storageProof);
        if (bytes32(RLP.toUint(RLP.readString(word))) != hash) revert NotRecorded(hash);
        finalized[hash] = true;
        emit WithdrawalFinalized(hash, w.nonce, w.to, w.value, claimId);
        if (w.data.length == 0) {
            inbox.release(w.to, w.value);
            return;
        }
        inbox.release(address(this), w.value);
        address outer = l2Sender;
        l2Sender = w.from;
        (bool ok, bytes memory reason) = w.to.call{value: w.value}(w.data);
        l2Sender = outer;
        if (!ok) revert CallFailed(reason);
    }

    /// @notice Takes a withdrawal's value from the inbox, for its call.
    receive() external payable {
        if (msg.sender != address(inbox)) revert NotInbox();
    }
}
