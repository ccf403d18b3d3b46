//! Messages from L1 (`Inbox.depositCall`): their leaves, and the append-only Merkle tree of them
//! whose root each L2 block commits to as its `parentBeaconBlockRoot` and the L2 bridge relays
//! calls against (`docs/protocol.md`, section 2). The tree is the beacon chain deposit
//! contract's: [`MESSAGE_TREE_DEPTH`] levels, unused leaves zero, a node the keccak of its two
//! children.

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::SolValue;
use l1_contracts::bridge::L2Bridge;

/// Levels of the message tree (`Inbox.MESSAGE_TREE_DEPTH`).
pub const MESSAGE_TREE_DEPTH: usize = 32;

/// A message from L1 as the inbox queued it (`Inbox.MessageQueued`, `L2Bridge.Message`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its place in the message tree.
    pub index: u64,
    /// Who sent it on L1.
    pub from: Address,
    /// What it calls on the L2.
    pub to: Address,
    /// Wei it sends.
    pub value: U256,
    /// The call's data.
    pub data: Bytes,
}

impl Message {
    /// Its leaf: `keccak256(abi.encode(index, from, to, value, keccak256(data)))`
    /// (`Inbox.messageLeaf`).
    pub fn leaf(&self) -> B256 {
        keccak256(
            (
                U256::from(self.index),
                self.from,
                self.to,
                self.value,
                keccak256(&self.data),
            )
                .abi_encode(),
        )
    }

    /// The call `L2Bridge.relayMessage` of this message, with the `proof` of its leaf against the
    /// root committed by the L2 block at `timestamp`.
    pub fn relay_call(self, timestamp: u64, proof: Vec<B256>) -> L2Bridge::relayMessageCall {
        L2Bridge::relayMessageCall {
            m: L2Bridge::Message {
                index: U256::from(self.index),
                from: self.from,
                to: self.to,
                value: self.value,
                data: self.data,
            },
            timestamp: U256::from(timestamp),
            proof,
        }
    }
}

fn node(left: B256, right: B256) -> B256 {
    keccak256([left.as_slice(), right.as_slice()].concat())
}

/// The roots of the empty subtrees, by height: `zeros()[h]` has `2^h` zero leaves.
fn zeros() -> [B256; MESSAGE_TREE_DEPTH + 1] {
    let mut zeros = [B256::ZERO; MESSAGE_TREE_DEPTH + 1];
    for h in 0..MESSAGE_TREE_DEPTH {
        zeros[h + 1] = node(zeros[h], zeros[h]);
    }
    zeros
}

/// The root of the empty message tree (`Inbox.emptyMessageRoot`).
pub fn empty_message_root() -> B256 {
    zeros()[MESSAGE_TREE_DEPTH]
}

/// The message tree over some leaves, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageTree {
    leaves: Vec<B256>,
}

impl MessageTree {
    /// The tree of `leaves`.
    pub const fn new(leaves: Vec<B256>) -> Self {
        Self { leaves }
    }

    /// Appends a leaf.
    pub fn push(&mut self, leaf: B256) {
        self.leaves.push(leaf);
    }

    /// Leaves so far.
    pub fn len(&self) -> usize {
        self.leaves.len()
    }

    /// Whether it has no leaves.
    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }

    /// The root over the first `size` leaves (all of them if `size` is larger): what the inbox
    /// recorded after its `size`-th message.
    pub fn root_at(&self, size: usize) -> B256 {
        let zeros = zeros();
        let mut level: Vec<B256> = self.leaves[..size.min(self.leaves.len())].to_vec();
        for zero in zeros.iter().take(MESSAGE_TREE_DEPTH) {
            level = level
                .chunks(2)
                .map(|pair| node(pair[0], pair.get(1).copied().unwrap_or(*zero)))
                .collect();
        }
        level.first().copied().unwrap_or(zeros[MESSAGE_TREE_DEPTH])
    }

    /// The root over every leaf.
    pub fn root(&self) -> B256 {
        self.root_at(self.leaves.len())
    }

    /// The siblings of leaf `index` from the leaf's level up, in the tree of the first `size`
    /// leaves: what `L2Bridge.relayMessage` checks against that tree's root. `None` if the leaf
    /// is not among them.
    pub fn proof(&self, index: usize, size: usize) -> Option<Vec<B256>> {
        let size = size.min(self.leaves.len());
        if index >= size {
            return None;
        }
        let zeros = zeros();
        let mut level: Vec<B256> = self.leaves[..size].to_vec();
        let mut at = index;
        let mut proof = Vec::with_capacity(MESSAGE_TREE_DEPTH);
        for zero in zeros.iter().take(MESSAGE_TREE_DEPTH) {
            proof.push(level.get(at ^ 1).copied().unwrap_or(*zero));
            level = level
                .chunks(2)
                .map(|pair| node(pair[0], pair.get(1).copied().unwrap_or(*zero)))
                .collect();
            at /= 2;
        }
        Some(proof)
    }
}

/// Whether `proof` leads from `leaf` at `index` to `root`, as `L2Bridge.relayMessage` checks.
pub fn verify(leaf: B256, index: u64, proof: &[B256], root: B256) -> bool {
    if proof.len() != MESSAGE_TREE_DEPTH || index >> MESSAGE_TREE_DEPTH != 0 {
        return false;
    }
    let top = proof.iter().enumerate().fold(leaf, |acc, (h, sibling)| {
        if (index >> h) & 1 == 1 {
            node(*sibling, acc)
        } else {
            node(acc, *sibling)
        }
    });
    top == root
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(i: u8) -> B256 {
        keccak256([i])
    }

    #[test]
    fn every_leaf_proves_against_every_later_root() {
        let tree = MessageTree::new((0..11).map(leaf).collect());
        for size in 1..=11 {
            let root = tree.root_at(size);
            for index in 0..size {
                let proof = tree.proof(index, size).expect("a leaf of the tree");
                assert!(verify(leaf(index as u8), index as u64, &proof, root));
                assert!(!verify(leaf(99), index as u64, &proof, root));
                assert!(!verify(leaf(index as u8), index as u64 ^ 1, &proof, root));
            }
            assert!(tree.proof(size, size).is_none());
        }
    }

    #[test]
    fn the_empty_tree_and_a_zero_leaf() {
        assert_eq!(MessageTree::default().root(), empty_message_root());
        // A tree whose leaves are all zero is the empty tree; real leaves are keccak outputs.
        assert_eq!(
            MessageTree::new(vec![B256::ZERO; 3]).root(),
            empty_message_root()
        );
        assert_ne!(MessageTree::new(vec![leaf(0)]).root(), empty_message_root());
    }
}
