//! The L2's rules (`docs/protocol.md`, section 2): parameters, genesis, header fields, and the
//! position commitments of the dispute game.

use std::sync::Arc;

use alloy_consensus::{proofs::calculate_withdrawals_root, Header};
use alloy_eips::{eip4895::Withdrawal, eip7002, eip7251, eip7685::EMPTY_REQUESTS_HASH};
use alloy_primitives::{address, keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::SolValue;
use alloy_trie::EMPTY_ROOT_HASH;
use execute::{
    header::{child_header, genesis_header},
    witness::{system_contracts, AccountState},
    ChainConfig, ChainParams, ExecuteError, Fork, ForkSchedule, Host,
};
use l1_contracts::{
    bridge::L2Bridge,
    rollup::{Rollup, SolPosition},
};

/// Largest trace a step may hand to EXECUTE (`Rollup.MAX_STEP_BYTES`).
pub const MAX_STEP_BYTES: usize = 262_144;
/// Most gas a one-transaction step may use (`Rollup.MAX_STEP_GAS`).
pub const MAX_STEP_GAS: u64 = 4_000_000;
/// Where every L2 genesis puts the withdrawal predeploy `L2Bridge` (`Bridge.L2_BRIDGE`).
pub const L2_BRIDGE: Address = address!("0x0000000000000000000000000000000000B41D6E");
/// `L2Bridge`'s storage slot of `withdrawalCount` (slot 0 is the `withdrawals` mapping).
pub const WITHDRAWAL_COUNT_SLOT: u64 = 1;

/// `L2Bridge`'s storage slot of `withdrawals[nonce]`: `keccak256(abi.encode(nonce, 0))`, what a
/// withdrawal's storage proof (`Bridge.finalizeWithdrawal`) reaches.
pub fn withdrawal_slot(nonce: U256) -> B256 {
    keccak256((nonce, U256::ZERO).abi_encode())
}

/// The hash `L2Bridge` records for a withdrawal (`Bridge.withdrawalHash`):
/// `keccak256(abi.encode(nonce, from, to, value, keccak256(data)))`.
pub fn withdrawal_hash(nonce: U256, from: Address, to: Address, value: U256, data: &[u8]) -> B256 {
    keccak256((nonce, from, to, value, keccak256(data)).abi_encode())
}

/// Most deposits one L2 block credits (`Inbox.MAX_DEPOSITS_PER_BLOCK`).
pub const MAX_DEPOSITS_PER_BLOCK: usize = 16;
/// The one-byte `STOP` the L2 genesis puts at the EIP-7002 and EIP-7251 addresses, so that
/// end-of-block requests are always empty.
pub const STOP: u8 = 0x00;

/// Constants of an L2, and the L1's fork schedule its blocks follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L2Config {
    /// Chain id and deposit contract (none), as every trace carries them.
    pub params: ChainParams,
    /// The L1's forks by timestamp: a block follows the fork its L1 had at the block's
    /// timestamp, as EXECUTE applies it (`docs/protocol.md`, section 4).
    pub schedule: Arc<ForkSchedule>,
    /// Block gas limit.
    pub gas_limit: u64,
    /// Beneficiary of every block.
    pub fee_recipient: Address,
}

impl L2Config {
    /// An L2 with `chain_id` on the L1 forks of `schedule`, 30M gas blocks, fees to
    /// `fee_recipient`.
    pub fn new(chain_id: u64, schedule: ForkSchedule, fee_recipient: Address) -> Self {
        Self {
            params: ChainParams {
                chain_id,
                deposit_contract: Address::ZERO,
            },
            schedule: Arc::new(schedule),
            gas_limit: 30_000_000,
            fee_recipient,
        }
    }

    /// An L2 on one L1 fork, with mainnet's blob parameters, for all time.
    pub fn fixed(chain_id: u64, fork: Fork, fee_recipient: Address) -> Self {
        Self::new(
            chain_id,
            ChainConfig::mainnet(fork).schedule(),
            fee_recipient,
        )
    }

    /// The chain's id.
    pub const fn chain_id(&self) -> u64 {
        self.params.chain_id
    }

    /// The rules of a block at `timestamp`: the L1's fork then. An error if the schedule does
    /// not reach back that far (it was learned from an L1 node after that fork).
    pub fn chain_at(&self, timestamp: u64) -> Result<ChainConfig, ExecuteError> {
        Host::latest(&self.schedule).rules(self.params, timestamp)
    }

    /// The chain's parameters' RLP as traces carry them (`Rollup.chainConfig`): chain id and
    /// deposit contract, no fork (EXECUTE takes that from the L1).
    pub fn chain_rlp(&self) -> Bytes {
        alloy_rlp::encode(self.params).into()
    }

    /// `game`'s parameters for this L2's `Rollup`: the block gas limit and fee recipient are the
    /// L2's.
    pub fn rollup_config(&self, game: Rollup::Config) -> Rollup::Config {
        Rollup::Config {
            gasLimit: self.gas_limit,
            feeRecipient: self.fee_recipient,
            ..game
        }
    }

    /// Genesis accounts: `accounts` plus the system contracts of every fork EXECUTE supports,
    /// with `STOP` at the request contracts, and the withdrawal predeploy at [`L2_BRIDGE`]. A
    /// later fork's contracts are there from the start, as the L1 deploys them before the fork,
    /// so that no L2 transaction has to.
    pub fn genesis_alloc(
        &self,
        accounts: Vec<(Address, AccountState)>,
    ) -> Vec<(Address, AccountState)> {
        let mut alloc = accounts;
        for (address, mut contract) in system_contracts(Fork::LATEST) {
            if address == eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS
                || address == eip7251::CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS
            {
                contract.code = Bytes::from_static(&[STOP]);
            }
            alloc.push((address, contract));
        }
        alloc.push((
            L2_BRIDGE,
            AccountState {
                code: L2Bridge::DEPLOYED_BYTECODE.clone(),
                ..Default::default()
            },
        ));
        alloc
    }

    /// The genesis header over `state_root`, with the fields of the L1's fork at `timestamp`.
    pub fn genesis_header(&self, state_root: B256, timestamp: u64) -> Result<Header, ExecuteError> {
        let chain = self.chain_at(timestamp)?;
        Ok(genesis_header(
            &chain,
            state_root,
            self.gas_limit,
            timestamp,
        ))
    }

    /// The header of `parent`'s child under `chain` (the rules at its timestamp) with its context
    /// fields set and its result fields zero, as the contract builds it for candidate steps: from
    /// Cancun on, its `parentBeaconBlockRoot` is `message_root`.
    pub fn template(
        &self,
        parent: &Header,
        chain: &ChainConfig,
        timestamp: u64,
        message_root: B256,
    ) -> Header {
        let mut header = child_header(parent, chain, timestamp, self.fee_recipient);
        header.parent_beacon_block_root = header.parent_beacon_block_root.map(|_| message_root);
        header.state_root = B256::ZERO;
        header.transactions_root = B256::ZERO;
        header.receipts_root = EMPTY_ROOT_HASH;
        header.gas_used = 0;
        header
    }

    /// The template of the end step of a block crediting `deposits`: the template with the
    /// root of its withdrawals, which the segment ending a block checks.
    pub fn end_template(template: &Header, deposits: &[Withdrawal]) -> Header {
        Header {
            withdrawals_root: template
                .withdrawals_root
                .map(|_| calculate_withdrawals_root(deposits)),
            ..template.clone()
        }
    }

    /// The sealed header: the (end) template with the block's results.
    pub fn seal(&self, template: &Header, state_root: B256, tx_acc: B256, gas_used: u64) -> Header {
        Header {
            state_root,
            transactions_root: tx_acc,
            gas_used,
            receipts_root: EMPTY_ROOT_HASH,
            requests_hash: template.requests_hash.map(|_| EMPTY_REQUESTS_HASH),
            ..template.clone()
        }
    }
}

/// Fields of an L2 header the contract builds itself (`L2Block.header`): those through
/// `parentBeaconBlockRoot`, the Cancun layout that later forks extend.
pub const CONTRACT_FIELDS: usize = 20;

/// The RLP of `header`'s fields after the [`CONTRACT_FIELDS`], which a step supplies
/// (`StepInput.forkFields`): Prague's requests hash, and whatever a later fork appends.
pub fn fork_fields(header: &Header) -> Bytes {
    let encoded = alloy_rlp::encode(header);
    let mut buf = &encoded[..];
    let list = alloy_rlp::Header::decode(&mut buf).expect("a header encodes as a list");
    let mut rest = &buf[..list.payload_length];
    for _ in 0..CONTRACT_FIELDS {
        // A single byte below 0x80 is its own payload, and decoding does not consume it.
        let item = alloy_rlp::Header::decode(&mut rest).expect("header fields are RLP items");
        rest = &rest[item.payload_length..];
    }
    Bytes::copy_from_slice(rest)
}

/// What an L2 block takes from L1 besides its batch's bytes, both fixed by the inbox when the
/// batch lands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockInputs {
    /// The deposits it credits, as the withdrawals that credit them (`Inbox.depositsOf`).
    pub deposits: Vec<Withdrawal>,
    /// The message root it commits to (`Inbox.messageRootBefore` its first deposit).
    pub message_root: B256,
}

impl BlockInputs {
    /// A block crediting nothing, when no message was ever sent.
    pub fn none() -> Self {
        Self {
            deposits: Vec::new(),
            message_root: crate::messages::empty_message_root(),
        }
    }
}

/// The withdrawal that credits queued deposit `index` (`Inbox.Deposit`): `gwei` to `to`, as
/// EIP-4895 withdrawals credit, with validator index 0 (the L2 has no validators).
pub const fn deposit_credit(index: u64, to: Address, gwei: u64) -> Withdrawal {
    Withdrawal {
        index,
        validator_index: 0,
        address: to,
        amount: gwei,
    }
}

/// The deposits block `j` of a batch credits, from the batch's deposits in queue order: the
/// `j`-th run of [`MAX_DEPOSITS_PER_BLOCK`] (`Inbox.depositsOf`).
pub fn block_deposits(batch: &[Withdrawal], j: usize) -> Vec<Withdrawal> {
    batch
        .chunks(MAX_DEPOSITS_PER_BLOCK)
        .nth(j)
        .map(<[Withdrawal]>::to_vec)
        .unwrap_or_default()
}

/// What block `j` of a batch takes from L1, from the batch's deposits and its blocks' message
/// roots (`Inbox.messageRootsOf`: block `j` commits to `roots[min(j, len - 1)]`).
pub fn block_inputs(deposits: &[Withdrawal], message_roots: &[B256], j: usize) -> BlockInputs {
    BlockInputs {
        deposits: block_deposits(deposits, j),
        message_root: message_roots
            .get(j)
            .or(message_roots.last())
            .copied()
            .unwrap_or_else(crate::messages::empty_message_root),
    }
}

/// The message roots a batch's blocks commit to (`Inbox.messageRootsOf`), from `root_before`,
/// the message root before deposit `i` of the queue, for a batch crediting `start..end`.
pub fn batch_message_roots(start: u64, end: u64, root_before: impl Fn(u64) -> B256) -> Vec<B256> {
    let step = MAX_DEPOSITS_PER_BLOCK as u64;
    let runs = (end - start).div_ceil(step);
    (0..=runs)
        .map(|j| root_before((start + step * j).min(end)))
        .collect()
}

/// `max(parent + 1, min(declared, l1Timestamp))`.
pub fn block_timestamp(parent: u64, declared: u64, l1_timestamp: u64) -> u64 {
    declared.min(l1_timestamp).max(parent + 1)
}

/// A position inside a block: the state after some of its candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, alloy_rlp::RlpEncodable, alloy_rlp::RlpDecodable)]
pub struct Position {
    /// State root.
    pub state_root: B256,
    /// Gas the included transactions used.
    pub gas_used: u64,
    /// Transactions included.
    pub included: u64,
    /// The transactions accumulator (`transactionsRoot` at the block's end).
    pub tx_acc: B256,
}

impl From<Position> for SolPosition {
    fn from(p: Position) -> Self {
        Self {
            stateRoot: p.state_root,
            gasUsed: p.gas_used,
            included: p.included,
            txAcc: p.tx_acc,
        }
    }
}

impl Position {
    /// The start of a block over the parent's state.
    pub fn start(state_root: B256) -> Self {
        Self {
            state_root,
            gas_used: 0,
            included: 0,
            tx_acc: EMPTY_ROOT_HASH,
        }
    }

    /// The position after including `tx`, which used `gas` and left `state_root`.
    pub fn include(&self, tx: &[u8], state_root: B256, gas: u64) -> Self {
        Self {
            state_root,
            gas_used: self.gas_used + gas,
            included: self.included + 1,
            tx_acc: keccak256([self.tx_acc.as_slice(), keccak256(tx).as_slice()].concat()),
        }
    }

    /// The value the game commits to: `keccak256(abi.encode(stateRoot, gasUsed, included,
    /// txAcc))`.
    pub fn value(&self) -> B256 {
        keccak256(self.abi())
    }

    /// `abi.encode(stateRoot, gasUsed, included, txAcc)`.
    pub fn abi(&self) -> Vec<u8> {
        (self.state_root, self.gas_used, self.included, self.tx_acc).abi_encode_params()
    }
}
