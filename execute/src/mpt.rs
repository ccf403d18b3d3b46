//! A sparse Merkle-Patricia trie: the parts of a state or storage trie that a witness reveals.
//!
//! Nodes the witness does not reveal stay as hashes. Reads, inserts and deletions resolve hashes
//! on the way down from a [`NodeSource`]; a path that reaches an unrevealed node fails with
//! [`TrieError::MissingNode`], so a short witness can never produce a wrong root, only an error.
//! Deleting a key may collapse a branch into its one remaining child, which must then be revealed
//! too: that sibling is why witnesses for deletions carry more than the deleted path.

use alloy_primitives::{keccak256, map::B256Map, Bytes, B256};
use alloy_rlp::{Decodable, EMPTY_STRING_CODE};
use alloy_trie::{
    nodes::{BranchNodeRef, ExtensionNodeRef, LeafNodeRef, RlpNode, TrieNode},
    Nibbles, TrieMask, EMPTY_ROOT_HASH,
};

/// Keys of the state and storage tries are keccak hashes: 64 nibbles.
const KEY_NIBBLES: usize = 64;

/// Why a trie operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrieError {
    /// A node the operation needs is not in the witness.
    #[error("trie node {0} is missing from the witness")]
    MissingNode(B256),
    /// A node's RLP does not decode as a trie node.
    #[error("trie node {hash} is malformed: {reason}")]
    BadNode {
        /// Hash of the offending node.
        hash: B256,
        /// What is wrong with it.
        reason: String,
    },
    /// The trie's shape is impossible for 32-byte keys (paths too long or too short).
    #[error("trie structure is invalid at depth {0}")]
    BadStructure(usize),
}

/// Where the preimages of hashed trie nodes come from.
pub trait NodeSource {
    /// The RLP of the node with this hash, if known.
    fn node(&self, hash: &B256) -> Option<Bytes>;
}

impl NodeSource for B256Map<Bytes> {
    fn node(&self, hash: &B256) -> Option<Bytes> {
        self.get(hash).cloned()
    }
}

#[derive(Debug, Clone)]
enum Node {
    Empty,
    /// A node not revealed yet.
    Hash(B256),
    Leaf {
        key: Nibbles,
        value: Vec<u8>,
        rlp: Option<RlpNode>,
    },
    Extension {
        key: Nibbles,
        child: Box<Node>,
        rlp: Option<RlpNode>,
    },
    Branch {
        children: Box<[Node; 16]>,
        rlp: Option<RlpNode>,
    },
}

impl Node {
    fn empty_children() -> Box<[Node; 16]> {
        Box::new(std::array::from_fn(|_| Node::Empty))
    }

    fn leaf(key: Nibbles, value: Vec<u8>) -> Self {
        Node::Leaf {
            key,
            value,
            rlp: None,
        }
    }

    fn extension(key: Nibbles, child: Node) -> Self {
        Node::Extension {
            key,
            child: Box::new(child),
            rlp: None,
        }
    }

    fn clear_cache(&mut self) {
        match self {
            Node::Leaf { rlp, .. } | Node::Extension { rlp, .. } | Node::Branch { rlp, .. } => {
                *rlp = None
            }
            Node::Empty | Node::Hash(_) => {}
        }
    }

    /// Decodes a revealed node; `hash` names it in errors.
    fn decode(rlp: &[u8], hash: B256) -> Result<Self, TrieError> {
        let bad = |reason: String| TrieError::BadNode { hash, reason };
        let mut buf = rlp;
        let node = TrieNode::decode(&mut buf).map_err(|e| bad(e.to_string()))?;
        if !buf.is_empty() {
            return Err(bad("trailing bytes".into()));
        }
        Ok(match node {
            TrieNode::EmptyRoot => Node::Empty,
            TrieNode::Leaf(leaf) => {
                if leaf.value.is_empty() {
                    return Err(bad("leaf with an empty value".into()));
                }
                Node::Leaf {
                    key: leaf.key,
                    value: leaf.value,
                    rlp: None,
                }
            }
            TrieNode::Extension(ext) => {
                if ext.key.is_empty() {
                    return Err(bad("extension with an empty path".into()));
                }
                Node::extension(ext.key, Self::from_child(&ext.child, hash)?)
            }
            TrieNode::Branch(branch) => {
                let mut children = Self::empty_children();
                let mut stack = branch.stack.iter();
                for nibble in 0..16u8 {
                    if branch.state_mask.is_bit_set(nibble) {
                        let child = stack.next().ok_or_else(|| bad("short branch".into()))?;
                        children[nibble as usize] = Self::from_child(child, hash)?;
                    }
                }
                Node::Branch {
                    children,
                    rlp: None,
                }
            }
        })
    }

    /// A child reference: a hash, or a node under 32 bytes embedded in its parent.
    fn from_child(child: &RlpNode, parent: B256) -> Result<Self, TrieError> {
        match child.as_hash() {
            Some(hash) => Ok(Node::Hash(hash)),
            None => Self::decode(child.as_slice(), parent),
        }
    }

    /// Replaces a hash with the node it stands for.
    fn reveal<S: NodeSource + ?Sized>(&mut self, source: &S) -> Result<(), TrieError> {
        if let Node::Hash(hash) = *self {
            let rlp = source.node(&hash).ok_or(TrieError::MissingNode(hash))?;
            *self = Self::decode(&rlp, hash)?;
        }
        Ok(())
    }

    /// RLP reference of this node (hash if 32 bytes or more), caching it on the node.
    fn rlp_node(&mut self, buf: &mut Vec<u8>) -> RlpNode {
        match self {
            Node::Empty => RlpNode::from_raw(&[EMPTY_STRING_CODE]).expect("one byte fits"),
            Node::Hash(hash) => RlpNode::word_rlp(hash),
            Node::Leaf { key, value, rlp } => {
                if let Some(cached) = rlp {
                    return cached.clone();
                }
                buf.clear();
                let node = LeafNodeRef::new(key, value).rlp(buf);
                *rlp = Some(node.clone());
                node
            }
            Node::Extension { key, child, rlp } => {
                if let Some(cached) = rlp {
                    return cached.clone();
                }
                let child_rlp = child.rlp_node(buf);
                buf.clear();
                let node = ExtensionNodeRef::new(key, &child_rlp).rlp(buf);
                *rlp = Some(node.clone());
                node
            }
            Node::Branch { children, rlp } => {
                if let Some(cached) = rlp {
                    return cached.clone();
                }
                let mut stack = Vec::with_capacity(16);
                let mut mask = TrieMask::default();
                for (nibble, child) in children.iter_mut().enumerate() {
                    if !matches!(child, Node::Empty) {
                        stack.push(child.rlp_node(buf));
                        mask.set_bit(nibble as u8);
                    }
                }
                buf.clear();
                let node = BranchNodeRef::new(&stack, mask).rlp(buf);
                *rlp = Some(node.clone());
                node
            }
        }
    }

    /// Full RLP encoding of a revealed node (children by reference).
    fn encode(&mut self, buf: &mut Vec<u8>) -> Vec<u8> {
        self.rlp_node(buf);
        let mut out = Vec::new();
        match self {
            Node::Leaf { key, value, .. } => {
                LeafNodeRef::new(key, value).rlp(&mut out);
            }
            Node::Extension { key, child, .. } => {
                let child_rlp = child.rlp_node(buf);
                ExtensionNodeRef::new(key, &child_rlp).rlp(&mut out);
            }
            Node::Branch { children, .. } => {
                let mut stack = Vec::new();
                let mut mask = TrieMask::default();
                for (nibble, child) in children.iter_mut().enumerate() {
                    if !matches!(child, Node::Empty) {
                        stack.push(child.rlp_node(buf));
                        mask.set_bit(nibble as u8);
                    }
                }
                BranchNodeRef::new(&stack, mask).rlp(&mut out);
            }
            Node::Empty => out.push(EMPTY_STRING_CODE),
            Node::Hash(_) => {}
        }
        out
    }
}

/// A sparse Merkle-Patricia trie over 32-byte keys.
#[derive(Debug, Clone)]
pub struct SparseTrie {
    root: Node,
}

impl Default for SparseTrie {
    fn default() -> Self {
        Self::empty()
    }
}

impl SparseTrie {
    /// The empty trie.
    pub const fn empty() -> Self {
        Self { root: Node::Empty }
    }

    /// A trie known only by its root hash; nodes are revealed on demand.
    pub fn from_root(root: B256) -> Self {
        if root == EMPTY_ROOT_HASH {
            Self::empty()
        } else {
            Self {
                root: Node::Hash(root),
            }
        }
    }

    /// The value stored under `key`, or `None` if the trie proves it absent.
    pub fn get<S: NodeSource + ?Sized>(
        &mut self,
        key: &B256,
        source: &S,
    ) -> Result<Option<Vec<u8>>, TrieError> {
        let path = Nibbles::unpack(key);
        let mut node = &mut self.root;
        let mut depth = 0;
        loop {
            node.reveal(source)?;
            match node {
                Node::Empty => return Ok(None),
                Node::Hash(_) => unreachable!("revealed above"),
                Node::Leaf { key, value, .. } => {
                    return Ok((path.slice(depth..) == *key).then(|| value.clone()));
                }
                Node::Extension { key, child, .. } => {
                    if depth + key.len() > KEY_NIBBLES
                        || path.slice(depth..depth + key.len()) != *key
                    {
                        return Ok(None);
                    }
                    depth += key.len();
                    node = child;
                }
                Node::Branch { children, .. } => {
                    if depth >= KEY_NIBBLES {
                        return Err(TrieError::BadStructure(depth));
                    }
                    let nibble = path.get_unchecked(depth) as usize;
                    depth += 1;
                    node = &mut children[nibble];
                }
            }
        }
    }

    /// Sets `key` to `value`; an empty value deletes the key.
    pub fn insert<S: NodeSource + ?Sized>(
        &mut self,
        key: &B256,
        value: Vec<u8>,
        source: &S,
    ) -> Result<(), TrieError> {
        let path = Nibbles::unpack(key);
        if value.is_empty() {
            return remove_at(&mut self.root, &path, 0, source).map(|_| ());
        }
        insert_at(&mut self.root, &path, 0, value, source)
    }

    /// Deletes `key`; returns whether it was present.
    pub fn remove<S: NodeSource + ?Sized>(
        &mut self,
        key: &B256,
        source: &S,
    ) -> Result<bool, TrieError> {
        remove_at(&mut self.root, &Nibbles::unpack(key), 0, source)
    }

    /// The root hash; hashes of unchanged subtrees are reused.
    pub fn root(&mut self) -> B256 {
        let mut buf = Vec::with_capacity(600);
        match &mut self.root {
            Node::Empty => EMPTY_ROOT_HASH,
            Node::Hash(hash) => *hash,
            node => {
                let rlp = node.rlp_node(&mut buf);
                rlp.as_hash().unwrap_or_else(|| keccak256(rlp.as_slice()))
            }
        }
    }

    /// Adds every revealed node (its hash and RLP) to `out`, so that a later trie built
    /// from this one's root can be revealed from it.
    pub fn collect_nodes(&mut self, out: &mut B256Map<Bytes>) {
        let mut buf = Vec::with_capacity(600);
        let is_root = true;
        collect(&mut self.root, &mut buf, out, is_root);
    }
}

/// Visits the trie with `root`: every hashed node `enter` accepts is fetched and its subtree
/// visited (a rejected hash is skipped, so a caller can stop at subtrees it has seen), and every
/// leaf value reached is passed to `leaf`. Nodes under 32 bytes are part of their parent.
pub fn walk<S: NodeSource + ?Sized>(
    root: B256,
    source: &S,
    enter: &mut impl FnMut(&B256) -> bool,
    leaf: &mut impl FnMut(&[u8]),
) -> Result<(), TrieError> {
    let mut pending = vec![Node::Hash(root)];
    if root == EMPTY_ROOT_HASH {
        pending.clear();
    }
    while let Some(node) = pending.pop() {
        match node {
            Node::Empty => {}
            Node::Hash(hash) => {
                if enter(&hash) {
                    let rlp = source.node(&hash).ok_or(TrieError::MissingNode(hash))?;
                    pending.push(Node::decode(&rlp, hash)?);
                }
            }
            Node::Leaf { value, .. } => leaf(&value),
            Node::Extension { child, .. } => pending.push(*child),
            Node::Branch { children, .. } => pending.extend(*children),
        }
    }
    Ok(())
}

/// The nodes on the path to `key` in the trie with `root`, root first: an EIP-1186 Merkle proof of
/// the key's value or of its absence. Nodes under 32 bytes travel inside their parents.
pub fn proof<S: NodeSource + ?Sized>(
    root: B256,
    key: &B256,
    source: &S,
) -> Result<Vec<Bytes>, TrieError> {
    let mut out = Vec::new();
    if root == EMPTY_ROOT_HASH {
        return Ok(out);
    }
    let path = Nibbles::unpack(key);
    let mut node = Node::Hash(root);
    let mut depth = 0;
    loop {
        if let Node::Hash(hash) = node {
            let rlp = source.node(&hash).ok_or(TrieError::MissingNode(hash))?;
            node = Node::decode(&rlp, hash)?;
            out.push(rlp);
        }
        match node {
            Node::Empty | Node::Leaf { .. } => return Ok(out),
            Node::Hash(_) => unreachable!("decoded above"),
            Node::Extension { key, child, .. } => {
                if depth + key.len() > KEY_NIBBLES || path.slice(depth..depth + key.len()) != key {
                    return Ok(out);
                }
                depth += key.len();
                node = *child;
            }
            Node::Branch { mut children, .. } => {
                if depth >= KEY_NIBBLES {
                    return Err(TrieError::BadStructure(depth));
                }
                let nibble = path.get_unchecked(depth) as usize;
                depth += 1;
                node = std::mem::replace(&mut children[nibble], Node::Empty);
            }
        }
    }
}

fn collect(node: &mut Node, buf: &mut Vec<u8>, out: &mut B256Map<Bytes>, is_root: bool) {
    match node {
        Node::Empty | Node::Hash(_) => return,
        Node::Extension { child, .. } => collect(child, buf, out, false),
        Node::Branch { children, .. } => {
            for child in children.iter_mut() {
                collect(child, buf, out, false);
            }
        }
        Node::Leaf { .. } => {}
    }
    let rlp = node.rlp_node(buf);
    if rlp.is_hash() || is_root {
        let encoded = node.encode(buf);
        out.insert(keccak256(&encoded), encoded.into());
    }
}

fn insert_at<S: NodeSource + ?Sized>(
    node: &mut Node,
    path: &Nibbles,
    depth: usize,
    value: Vec<u8>,
    source: &S,
) -> Result<(), TrieError> {
    node.reveal(source)?;
    node.clear_cache();
    let rest = path.slice(depth..);
    match node {
        Node::Empty => *node = Node::leaf(rest, value),
        Node::Hash(_) => unreachable!("revealed above"),
        Node::Leaf {
            key, value: old, ..
        } => {
            if *key == rest {
                *old = value;
                return Ok(());
            }
            let common = key.common_prefix_length(&rest);
            if common >= key.len() || common >= rest.len() {
                return Err(TrieError::BadStructure(depth));
            }
            let mut children = Node::empty_children();
            children[key.get_unchecked(common) as usize] =
                Node::leaf(key.slice(common + 1..), std::mem::take(old));
            children[rest.get_unchecked(common) as usize] =
                Node::leaf(rest.slice(common + 1..), value);
            *node = wrap(
                rest.slice(..common),
                Node::Branch {
                    children,
                    rlp: None,
                },
            );
        }
        Node::Extension { key, child, .. } => {
            let common = key.common_prefix_length(&rest);
            if common == key.len() {
                return insert_at(child, path, depth + common, value, source);
            }
            if common >= rest.len() {
                return Err(TrieError::BadStructure(depth));
            }
            let mut children = Node::empty_children();
            let old_child = std::mem::replace(child.as_mut(), Node::Empty);
            children[key.get_unchecked(common) as usize] = if common + 1 == key.len() {
                old_child
            } else {
                Node::extension(key.slice(common + 1..), old_child)
            };
            children[rest.get_unchecked(common) as usize] =
                Node::leaf(rest.slice(common + 1..), value);
            *node = wrap(
                rest.slice(..common),
                Node::Branch {
                    children,
                    rlp: None,
                },
            );
        }
        Node::Branch { children, .. } => {
            if rest.is_empty() {
                return Err(TrieError::BadStructure(depth));
            }
            let nibble = rest.get_unchecked(0) as usize;
            return insert_at(&mut children[nibble], path, depth + 1, value, source);
        }
    }
    Ok(())
}

/// Puts `node` under an extension of `prefix`, or returns it as is for an empty prefix.
fn wrap(prefix: Nibbles, node: Node) -> Node {
    if prefix.is_empty() {
        node
    } else {
        Node::extension(prefix, node)
    }
}

fn remove_at<S: NodeSource + ?Sized>(
    node: &mut Node,
    path: &Nibbles,
    depth: usize,
    source: &S,
) -> Result<bool, TrieError> {
    node.reveal(source)?;
    let rest = path.slice(depth..);
    let removed = match node {
        Node::Empty => false,
        Node::Hash(_) => unreachable!("revealed above"),
        Node::Leaf { key, .. } => {
            if *key == rest {
                *node = Node::Empty;
                return Ok(true);
            }
            false
        }
        Node::Extension { key, child, .. } => {
            if !rest.starts_with(key) {
                return Ok(false);
            }
            let len = key.len();
            if !remove_at(child, path, depth + len, source)? {
                return Ok(false);
            }
            let key = *key;
            let child = std::mem::replace(child.as_mut(), Node::Empty);
            *node = prepend(key, child, depth)?;
            true
        }
        Node::Branch { children, .. } => {
            if rest.is_empty() {
                return Err(TrieError::BadStructure(depth));
            }
            let nibble = rest.get_unchecked(0) as usize;
            if !remove_at(&mut children[nibble], path, depth + 1, source)? {
                return Ok(false);
            }
            let mut remaining = children
                .iter()
                .enumerate()
                .filter(|(_, c)| !matches!(c, Node::Empty));
            match (remaining.next(), remaining.next()) {
                (None, _) => *node = Node::Empty,
                (Some((only, _)), None) => {
                    // One child left: the branch collapses into it, so it must be revealed.
                    let mut child = std::mem::replace(&mut children[only], Node::Empty);
                    child.reveal(source)?;
                    *node = prepend(Nibbles::from_nibbles_unchecked([only as u8]), child, depth)?;
                }
                _ => {}
            }
            true
        }
    };
    node.clear_cache();
    Ok(removed)
}

/// `prefix` followed by `child`, merging paths so that no extension points at a leaf or extension.
fn prepend(prefix: Nibbles, child: Node, depth: usize) -> Result<Node, TrieError> {
    let join = |key: &Nibbles| {
        if prefix.len() + key.len() > KEY_NIBBLES {
            Err(TrieError::BadStructure(depth))
        } else {
            Ok(prefix.join(key))
        }
    };
    Ok(match child {
        Node::Empty => Node::Empty,
        Node::Leaf { key, value, .. } => Node::leaf(join(&key)?, value),
        Node::Extension { key, child, .. } => Node::Extension {
            key: join(&key)?,
            child,
            rlp: None,
        },
        branch @ (Node::Branch { .. } | Node::Hash(_)) => Node::extension(prefix, branch),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U256;
    use alloy_trie::HashBuilder;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn reference_root(entries: &BTreeMap<B256, Vec<u8>>) -> B256 {
        let mut hb = HashBuilder::default();
        for (k, v) in entries {
            hb.add_leaf(Nibbles::unpack(k), v);
        }
        hb.root()
    }

    fn key(i: u64) -> B256 {
        keccak256(U256::from(i).to_be_bytes::<32>())
    }

    proptest! {
        #[test]
        fn matches_hash_builder_after_inserts_and_deletes(
            ops in proptest::collection::vec((0u64..64, proptest::option::of(1u8..=255)), 1..200)
        ) {
            let none = B256Map::<Bytes>::default();
            let mut trie = SparseTrie::empty();
            let mut model = BTreeMap::new();
            for (k, v) in ops {
                match v {
                    Some(v) => {
                        let value = vec![v; (v % 40) as usize + 1];
                        trie.insert(&key(k), value.clone(), &none).unwrap();
                        model.insert(key(k), value);
                    }
                    None => {
                        let removed = trie.remove(&key(k), &none).unwrap();
                        prop_assert_eq!(removed, model.remove(&key(k)).is_some());
                    }
                }
            }
            prop_assert_eq!(trie.root(), reference_root(&model));
        }

        #[test]
        fn revealed_trie_reads_and_updates_like_the_full_one(
            keys in proptest::collection::btree_set(0u64..500, 1..120),
            removals in proptest::collection::vec(0u64..500, 0..30),
        ) {
            let none = B256Map::<Bytes>::default();
            let mut full = SparseTrie::empty();
            for k in &keys {
                full.insert(&key(*k), vec![(*k % 200) as u8 + 1; 3], &none).unwrap();
            }
            let root = full.root();
            let mut nodes = B256Map::default();
            full.collect_nodes(&mut nodes);

            let mut sparse = SparseTrie::from_root(root);
            let mut present = keys.clone();
            for k in &removals {
                let expected = present.remove(k).then(|| vec![(*k % 200) as u8 + 1; 3]);
                prop_assert_eq!(sparse.get(&key(*k), &nodes).unwrap(), expected);
                sparse.remove(&key(*k), &nodes).unwrap();
                full.remove(&key(*k), &nodes).unwrap();
            }
            prop_assert_eq!(sparse.root(), full.root());
        }
    }

    proptest! {
        #[test]
        fn walk_reaches_every_stored_node_and_leaf(
            keys in proptest::collection::btree_set(0u64..2000, 0..200),
        ) {
            let none = B256Map::<Bytes>::default();
            let mut trie = SparseTrie::empty();
            for k in &keys {
                trie.insert(&key(*k), vec![(*k % 200) as u8 + 1; 40], &none).unwrap();
            }
            let root = trie.root();
            let mut nodes = B256Map::default();
            trie.collect_nodes(&mut nodes);

            let mut entered = B256Map::default();
            let mut leaves = Vec::new();
            walk(
                root,
                &nodes,
                &mut |h| entered.insert(*h, ()).is_none(),
                &mut |v| leaves.push(v.to_vec()),
            )
            .unwrap();
            let mut stored: Vec<_> = nodes.keys().copied().collect();
            stored.sort_unstable();
            let mut visited: Vec<_> = entered.keys().copied().collect();
            visited.sort_unstable();
            prop_assert_eq!(visited, stored);
            let mut expected: Vec<_> = keys.iter().map(|k| vec![(*k % 200) as u8 + 1; 40]).collect();
            expected.sort();
            leaves.sort();
            prop_assert_eq!(leaves, expected);
        }
    }

    #[test]
    fn deletion_needs_the_sibling_a_read_does_not() {
        use crate::{
            state::RecordingPreimages,
            store::{MemoryStore, NodeStore},
        };
        let none = B256Map::<Bytes>::default();
        let mut full = SparseTrie::empty();
        // Long values, so both children of the root branch are hashed nodes of their own.
        let (a, b) = (key(1), key(2));
        full.insert(&a, vec![1; 40], &none).unwrap();
        full.insert(&b, vec![2; 40], &none).unwrap();
        let root = full.root();
        let mut nodes = B256Map::default();
        full.collect_nodes(&mut nodes);
        let mut store = MemoryStore::default();
        store.insert(nodes.clone(), B256Map::default());
        let witness_of = |op: &dyn Fn(&mut SparseTrie, &RecordingPreimages<'_, MemoryStore>)| {
            let recording = RecordingPreimages::new(&store);
            op(&mut SparseTrie::from_root(root), &recording);
            let state = recording.witness().state;
            state
                .into_iter()
                .map(|n| (keccak256(&n), n))
                .collect::<B256Map<Bytes>>()
        };

        let read = witness_of(&|t, p| assert!(t.get(&a, p).unwrap().is_some()));
        let delete = witness_of(&|t, p| assert!(t.remove(&a, p).unwrap()));
        assert_eq!(
            (read.len(), delete.len()),
            (2, 3),
            "root and leaf a; plus sibling b"
        );

        let err = SparseTrie::from_root(root).remove(&a, &read).unwrap_err();
        assert!(matches!(err, TrieError::MissingNode(_)), "{err}");
        let mut trie = SparseTrie::from_root(root);
        trie.remove(&a, &delete).unwrap();
        full.remove(&a, &none).unwrap();
        assert_eq!(trie.root(), full.root());
    }

    #[test]
    fn proofs_verify_with_alloy_trie() {
        let none = B256Map::<Bytes>::default();
        let mut trie = SparseTrie::empty();
        for i in 0..300u64 {
            trie.insert(
                &key(i),
                vec![(i % 200) as u8 + 1; (i % 50) as usize + 1],
                &none,
            )
            .unwrap();
        }
        let root = trie.root();
        let mut nodes = B256Map::default();
        trie.collect_nodes(&mut nodes);
        for i in [0u64, 7, 299, 300, 1000] {
            let nodes_on_path = proof(root, &key(i), &nodes).unwrap();
            let expected = (i < 300).then(|| vec![(i % 200) as u8 + 1; (i % 50) as usize + 1]);
            alloy_trie::proof::verify_proof(
                root,
                Nibbles::unpack(key(i)),
                expected,
                &nodes_on_path,
            )
            .unwrap_or_else(|e| panic!("key {i}: {e}"));
        }
    }

    #[test]
    fn malformed_nodes_are_errors_not_panics() {
        let root = keccak256([0xc2, 0x80, 0x80]);
        let mut nodes = B256Map::default();
        nodes.insert(root, Bytes::from_static(&[0xc2, 0x80, 0x80]));
        let mut trie = SparseTrie::from_root(root);
        assert!(trie.get(&key(1), &nodes).is_err());
        assert!(trie.insert(&key(1), vec![1], &nodes).is_err());
    }
}
