//! Where a complete state keeps its trie nodes and bytecodes: content-addressed by hash, so the
//! state at any root whose nodes are kept can be read, and writes never overwrite.

use alloy_primitives::{map::B256Map, Bytes, B256};

use crate::mpt::NodeSource;

/// Trie nodes and bytecodes by their keccak hash.
pub trait NodeStore: std::fmt::Debug {
    /// The RLP of the trie node with this hash, if stored.
    fn node(&self, hash: &B256) -> Option<Bytes>;
    /// The bytecode with this hash, if stored.
    fn code(&self, hash: &B256) -> Option<Bytes>;
    /// Adds the nodes and bytecodes a run wrote.
    fn insert(&mut self, nodes: B256Map<Bytes>, codes: B256Map<Bytes>);
}

/// A node store in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    nodes: B256Map<Bytes>,
    codes: B256Map<Bytes>,
}

impl MemoryStore {
    /// Number of trie nodes held.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
}

impl NodeStore for MemoryStore {
    fn node(&self, hash: &B256) -> Option<Bytes> {
        self.nodes.get(hash).cloned()
    }

    fn code(&self, hash: &B256) -> Option<Bytes> {
        self.codes.get(hash).cloned()
    }

    fn insert(&mut self, nodes: B256Map<Bytes>, codes: B256Map<Bytes>) {
        self.nodes.extend(nodes);
        self.codes.extend(codes);
    }
}

/// A node store read as a trie node source.
#[derive(Debug)]
pub struct Nodes<'a, S: ?Sized>(pub &'a S);

impl<S: NodeStore + ?Sized> NodeSource for Nodes<'_, S> {
    fn node(&self, hash: &B256) -> Option<Bytes> {
        self.0.node(hash)
    }
}
