//! Mixed-transaction workloads: [`Workload`] signs blocks of transfers, token (ERC-20
//! `transfer`) transfers, storage writes and clears, contract deploys, self-destructing deploys
//! and EIP-7702 delegations from a seeded generator, for the sequencer's load and for tests and
//! benchmarks that run the same blocks statefully (`reference`, the `test-utils` feature) and
//! statelessly (EXECUTE).

use alloy_consensus::{Header, SignableTransaction, TxEip1559, TxEip7702, TxEnvelope};
use alloy_eips::{eip2718::Encodable2718, eip7702::Authorization};
use alloy_primitives::{keccak256, Address, Bytes, Signature, TxKind, B256, U256};
use k256::ecdsa::SigningKey;

use crate::{
    chain::{ChainConfig, Fork},
    header,
    witness::system_contracts,
    witness::AccountState,
};

/// Runtime code of the storage contract: `SSTORE(calldata[0..32], calldata[32..64])`.
pub const STORE_RUNTIME: [u8; 8] = [0x60, 0x20, 0x35, 0x60, 0x00, 0x35, 0x55, 0x00];
/// Init code that deploys [`STORE_RUNTIME`].
const STORE_INIT: [u8; 17] = [
    0x67, 0x60, 0x20, 0x35, 0x60, 0x00, 0x35, 0x55, 0x00, // PUSH8 runtime
    0x60, 0x00, 0x52, // MSTORE at 0 (right-aligned: bytes 24..32)
    0x60, 0x08, 0x60, 0x18, 0xf3, // RETURN(24, 8)
];
/// Init code that self-destructs to the caller: created and deleted in one transaction.
const SELFDESTRUCT_INIT: [u8; 2] = [0x33, 0xff];
/// Address of the storage contract in the workload's genesis.
pub const STORE_ADDRESS: Address = Address::new([0x5e; 20]);
/// Address of the token in the workload's genesis.
pub const TOKEN_ADDRESS: Address = Address::new([0x70; 20]);
/// `keccak256("Transfer(address,address,uint256)")`.
const TRANSFER_TOPIC: [u8; 32] =
    alloy_primitives::hex!("ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");

/// Runtime code of a minimal token: ERC-20 `transfer(to, amount)` calldata (the selector is not
/// checked) moves `amount` from the caller's balance (slot = caller) to `to`'s, emits ERC-20's
/// `Transfer`, and reverts when the balance is short.
pub fn token_runtime() -> Bytes {
    let mut code = vec![
        0x33, 0x54, // SLOAD(CALLER)                      [bal]
        0x60, 0x24, 0x35, // CALLDATALOAD(0x24)           [amt, bal]
        0x80, 0x82, 0x10, // DUP1 DUP3 LT                 [bal<amt, amt, bal]
        0x60, 0x47, 0x57, // JUMPI short                  [amt, bal]
        0x80, 0x91, 0x03, // DUP1 SWAP2 SUB               [bal-amt, amt]
        0x33, 0x55, // SSTORE(CALLER, bal-amt)            [amt]
        0x60, 0x04, 0x35, // CALLDATALOAD(4)              [to, amt]
        0x80, 0x54, 0x82, 0x01, // DUP1 SLOAD DUP3 ADD    [balTo+amt, to, amt]
        0x90, 0x55, // SWAP1 SSTORE                       [amt]
        0x60, 0x00, 0x52, // MSTORE(0, amt)
        0x60, 0x04, 0x35, 0x33, // CALLDATALOAD(4) CALLER [from, to]
        0x7f, // PUSH32 topic
    ];
    code.extend_from_slice(&TRANSFER_TOPIC);
    code.extend_from_slice(&[
        0x60, 0x20, 0x60, 0x00, 0xa3, // LOG3(0, 32, topic, from, to)
        0x00, // STOP
        0x5b, 0x60, 0x00, 0x80, 0xfd, // short: REVERT(0, 0)
    ]);
    debug_assert_eq!(code[0x47], 0x5b, "the jump target is the JUMPDEST");
    code.into()
}

struct Sender {
    key: SigningKey,
    address: Address,
    nonce: u64,
}

/// A seeded generator of signed blocks over a fixed set of funded senders.
pub struct Workload {
    chain: ChainConfig,
    senders: Vec<Sender>,
    delegated: Vec<Address>,
    rng: u64,
    fresh: u64,
    genesis_timestamp: u64,
}

impl std::fmt::Debug for Workload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workload")
            .field("senders", &self.senders.len())
            .finish_non_exhaustive()
    }
}

impl Workload {
    /// `senders` funded accounts on `chain`; `seed` fixes every choice.
    pub fn new(chain: ChainConfig, senders: usize, seed: u64) -> Self {
        let senders = (0..senders)
            .map(|i| {
                let secret =
                    keccak256([b"workload sender".as_slice(), &(i as u64).to_be_bytes()].concat());
                let key = SigningKey::from_slice(secret.as_slice())
                    .expect("keccak output is a valid key");
                let address = Address::from_public_key(key.verifying_key());
                Sender {
                    key,
                    address,
                    nonce: 0,
                }
            })
            .collect();
        Self {
            chain,
            senders,
            delegated: Vec::new(),
            rng: seed | 1,
            fresh: 0,
            genesis_timestamp: 0,
        }
    }

    /// The same workload with its genesis at `timestamp` (zero by default): its blocks follow
    /// 12 seconds apart, so a host's fork schedule places them.
    pub const fn starting_at(mut self, timestamp: u64) -> Self {
        self.genesis_timestamp = timestamp;
        self
    }

    /// Sets each sender's next nonce to `nonce(address)`: after transactions were lost (an L1
    /// reorg that took their batch), so that new ones do not leave gaps.
    pub fn set_nonces(&mut self, mut nonce: impl FnMut(Address) -> u64) {
        for sender in &mut self.senders {
            sender.nonce = nonce(sender.address);
        }
    }

    /// The chain the workload signs for.
    pub const fn chain(&self) -> ChainConfig {
        self.chain
    }

    /// Genesis accounts: the senders, the storage contract and the fork's system contracts.
    pub fn genesis(&self) -> Vec<(Address, AccountState)> {
        let mut accounts: Vec<_> = self
            .senders
            .iter()
            .map(|s| {
                (
                    s.address,
                    AccountState {
                        balance: U256::from(10u128.pow(24)),
                        ..Default::default()
                    },
                )
            })
            .collect();
        accounts.push((
            STORE_ADDRESS,
            AccountState {
                nonce: 1,
                code: Bytes::from_static(&STORE_RUNTIME),
                ..Default::default()
            },
        ));
        accounts.push((
            TOKEN_ADDRESS,
            AccountState {
                nonce: 1,
                code: token_runtime(),
                storage: self
                    .senders
                    .iter()
                    .map(|s| {
                        (
                            U256::from_be_slice(s.address.as_slice()),
                            U256::from(10u128.pow(30)),
                        )
                    })
                    .collect(),
                ..Default::default()
            },
        ));
        accounts.extend(system_contracts(self.chain.fork));
        accounts
    }

    /// A genesis header for `state_root`.
    pub fn genesis_header(&self, state_root: B256) -> Header {
        header::genesis_header(&self.chain, state_root, 60_000_000, self.genesis_timestamp)
    }

    /// The header template of `parent`'s child: context fields set, result fields to be sealed.
    pub fn child_header(&self, parent: &Header) -> Header {
        header::child_header(
            parent,
            &self.chain,
            parent.timestamp + 12,
            Address::repeat_byte(0xfe),
        )
    }

    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic and dependency-free.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Signs transactions whose gas limits add up to at most `gas_budget`.
    pub fn block(&mut self, gas_budget: u64) -> Vec<Bytes> {
        let mut txs = Vec::new();
        let mut budget = gas_budget;
        loop {
            let from = self.pick(self.senders.len());
            let roll = self.pick(100);
            let slot = U256::from(self.next() % 4096);
            let value = if self.next().is_multiple_of(4) {
                U256::ZERO
            } else {
                U256::from(self.next())
            };
            let store_input: Bytes = [slot.to_be_bytes::<32>(), value.to_be_bytes::<32>()]
                .concat()
                .into();
            let (gas, to, input, auth) = match roll {
                0..=34 => {
                    self.fresh += 1;
                    let to = if self.fresh.is_multiple_of(2) {
                        let i = self.pick(self.senders.len());
                        self.senders[i].address
                    } else {
                        Address::from_word(keccak256(self.fresh.to_be_bytes()))
                    };
                    (21_000, TxKind::Call(to), Bytes::new(), None)
                }
                35..=54 => (50_000, TxKind::Call(STORE_ADDRESS), store_input, None),
                55..=64 => {
                    let i = self.pick(self.senders.len());
                    let to = self.senders[i].address;
                    let amount = U256::from(self.next() % 1_000_000);
                    let input = [
                        &[0xa9, 0x05, 0x9c, 0xbb][..],
                        B256::left_padding_from(to.as_slice()).as_slice(),
                        &amount.to_be_bytes::<32>(),
                    ]
                    .concat()
                    .into();
                    (70_000, TxKind::Call(TOKEN_ADDRESS), input, None)
                }
                65..=74 => (
                    100_000,
                    TxKind::Create,
                    Bytes::from_static(&STORE_INIT),
                    None,
                ),
                75..=79 => (
                    60_000,
                    TxKind::Create,
                    Bytes::from_static(&SELFDESTRUCT_INIT),
                    None,
                ),
                80..=89 if self.chain.fork >= Fork::Prague => {
                    let authority = self.pick(self.senders.len());
                    if authority == from {
                        continue;
                    }
                    (
                        120_000,
                        TxKind::Call(self.senders[authority].address),
                        store_input,
                        Some(authority),
                    )
                }
                _ if !self.delegated.is_empty() => {
                    let i = self.pick(self.delegated.len());
                    let target = self.delegated[i];
                    (50_000, TxKind::Call(target), store_input, None)
                }
                _ => (50_000, TxKind::Call(STORE_ADDRESS), store_input, None),
            };
            if gas > budget {
                return txs;
            }
            budget -= gas;
            txs.push(self.sign(from, gas, to, input, auth));
        }
    }

    fn sign(
        &mut self,
        from: usize,
        gas_limit: u64,
        to: TxKind,
        input: Bytes,
        authority: Option<usize>,
    ) -> Bytes {
        let chain_id = self.chain.chain_id;
        let nonce = self.senders[from].nonce;
        self.senders[from].nonce += 1;
        let (max_fee_per_gas, max_priority_fee_per_gas) = (100_000_000_000, 1_000_000_000);
        let envelope: TxEnvelope = match (authority, to) {
            (Some(authority), TxKind::Call(to)) => {
                let signer = &mut self.senders[authority];
                let auth = Authorization {
                    chain_id: U256::from(chain_id),
                    address: STORE_ADDRESS,
                    nonce: signer.nonce,
                };
                signer.nonce += 1;
                let signature = sign_hash(&signer.key, auth.signature_hash());
                let signed_auth = auth.into_signed(signature);
                self.delegated.push(signer.address);
                let tx = TxEip7702 {
                    chain_id,
                    nonce,
                    gas_limit,
                    max_fee_per_gas,
                    max_priority_fee_per_gas,
                    to,
                    authorization_list: vec![signed_auth],
                    input,
                    ..Default::default()
                };
                let signature = sign_hash(&self.senders[from].key, tx.signature_hash());
                tx.into_signed(signature).into()
            }
            _ => {
                let tx = TxEip1559 {
                    chain_id,
                    nonce,
                    gas_limit,
                    max_fee_per_gas,
                    max_priority_fee_per_gas,
                    to,
                    value: if input.is_empty() {
                        U256::from(1_000_000_007u64)
                    } else {
                        U256::ZERO
                    },
                    input,
                    ..Default::default()
                };
                let signature = sign_hash(&self.senders[from].key, tx.signature_hash());
                tx.into_signed(signature).into()
            }
        };
        envelope.encoded_2718().into()
    }
}

fn sign_hash(key: &SigningKey, hash: B256) -> Signature {
    let (signature, recovery) = key
        .sign_prehash_recoverable(hash.as_slice())
        .expect("signing a 32-byte prehash");
    Signature::from((signature, recovery))
}

#[cfg(test)]
mod tests {
    use alloy_consensus::TxReceipt;
    use alloy_eips::eip2718::Decodable2718;

    use crate::{
        trace::Segment,
        witness::{CompleteState, TraceRequest},
    };

    use super::*;

    #[test]
    fn token_transfers_move_balances_and_log_like_erc20() {
        let chain = ChainConfig::mainnet(Fork::Osaka);
        let mut workload = Workload::new(chain, 8, 3);
        let mut state = CompleteState::new(workload.genesis());
        let genesis = workload.genesis_header(state.root());
        let transactions = workload.block(3_000_000);
        let sealed = state
            .seal(TraceRequest {
                chain,
                ancestors: vec![genesis.clone()],
                header: workload.child_header(&genesis),
                segment: Segment::WHOLE_BLOCK,
                transactions: transactions.clone(),
                withdrawals: Vec::new(),
            })
            .unwrap();
        let token_calls: Vec<_> = transactions
            .iter()
            .zip(&sealed.receipts)
            .filter(|(raw, _)| {
                let tx = TxEnvelope::decode_2718_exact(raw.as_ref()).unwrap();
                alloy_consensus::Transaction::to(&tx) == Some(TOKEN_ADDRESS)
            })
            .collect();
        assert!(token_calls.len() > 3, "the mix has token transfers");
        for (_, receipt) in &token_calls {
            assert!(receipt.status());
            let log = &receipt.logs()[0];
            assert_eq!(log.address, TOKEN_ADDRESS);
            assert_eq!(log.topics()[0], B256::from(TRANSFER_TOPIC));
        }
        let total: U256 = workload
            .senders
            .iter()
            .map(|s| state.storage(TOKEN_ADDRESS, U256::from_be_slice(s.address.as_slice())))
            .sum();
        assert_eq!(
            total,
            U256::from(8 * 10u128.pow(30)),
            "transfers conserve supply"
        );
    }
}
