//! EIP-7610: creating a contract at an address that already has storage fails, in every fork and
//! for every kind of creation, both when a block is sealed from a complete state and when
//! EXECUTE re-runs it from the witness alone. Plain revm, which checks only nonce and code, lets
//! these creations proceed; the tests show EXECUTE does not side with it.

use alloy_consensus::{Header, SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{keccak256, Address, Bytes, Signature, TxKind, B256, U256};
use execute::{
    header::{child_header, genesis_header},
    reference::ReferenceState,
    trace::Segment,
    verify_trace,
    witness::{system_contracts, AccountState, CompleteState, TraceRequest, TracedSegment},
    ChainConfig, ExecuteError, Fork, Host,
};
use k256::ecdsa::SigningKey;

/// Init code of one `STOP`: a creation that succeeds with empty code unless it collides.
const INIT_CODE: [u8; 1] = [0x00];

/// Runtime of a factory that runs `CREATE` of [`INIT_CODE`] and stores the result (the new
/// address, or zero on failure) in slot 0.
const CREATE_FACTORY: [u8; 11] = [
    0x60, 0x01, 0x60, 0x00, 0x60, 0x00, 0xf0, // CREATE(value 0, offset 0, size 1)
    0x60, 0x00, 0x55, // SSTORE(0, result)
    0x00,
];
/// The same with `CREATE2` (salt 0).
const CREATE2_FACTORY: [u8; 13] = [
    0x60, 0x00, 0x60, 0x01, 0x60, 0x00, 0x60, 0x00, 0xf5, // CREATE2(0, 0, 1, salt 0)
    0x60, 0x00, 0x55, // SSTORE(0, result)
    0x00,
];
/// What a factory's slot 0 holds before its call, so that a failed creation's zero shows.
const UNSET: u64 = 0xdead;

/// Factories whose targets hold storage (`CREATE`, `CREATE2`), and identical ones whose
/// targets do not.
const BLOCKED: [Address; 2] = [Address::repeat_byte(0xf0), Address::repeat_byte(0xf2)];
const FREE: [Address; 2] = [Address::repeat_byte(0xf1), Address::repeat_byte(0xf3)];

/// Gas limit of the creating transaction.
const CREATE_TX_GAS: u64 = 100_000;
/// Gas limit of each factory call: a collision burns 63/64 of it, the rest pays the store.
const CALL_GAS: u64 = 1_000_000;

struct Scenario {
    chain: ChainConfig,
    key: SigningKey,
    sender: Address,
    accounts: Vec<(Address, AccountState)>,
    /// The three addresses the block tries to create at that already hold storage.
    occupied: [Address; 3],
}

/// Where the factories `[create, create2]` create at.
fn targets([create, create2]: [Address; 2]) -> [Address; 2] {
    [
        create.create(1),
        create2.create2(B256::ZERO, keccak256(INIT_CODE)),
    ]
}

impl Scenario {
    fn new(fork: Fork) -> Self {
        let key = SigningKey::from_slice(&[0x11; 32]).unwrap();
        let sender = Address::from_public_key(key.verifying_key());
        let [by_create, by_create2] = targets(BLOCKED);
        let occupied = [sender.create(0), by_create, by_create2];
        // Storage without code or nonce: the state EIP-7610 is about.
        let squatter = AccountState {
            storage: vec![(U256::from(1), U256::from(0xbeef))],
            ..Default::default()
        };
        let factory = |code: &'static [u8]| AccountState {
            nonce: 1,
            code: Bytes::from_static(code),
            storage: vec![(U256::ZERO, U256::from(UNSET))],
            ..Default::default()
        };
        let mut accounts = vec![(
            sender,
            AccountState {
                balance: U256::from(10u128.pow(20)),
                ..Default::default()
            },
        )];
        for [create, create2] in [BLOCKED, FREE] {
            accounts.push((create, factory(&CREATE_FACTORY)));
            accounts.push((create2, factory(&CREATE2_FACTORY)));
        }
        accounts.extend(occupied.map(|address| (address, squatter.clone())));
        accounts.extend(system_contracts(fork));
        Self {
            chain: ChainConfig::mainnet(fork),
            key,
            sender,
            accounts,
            occupied,
        }
    }

    fn sign(&self, nonce: u64, gas_limit: u64, to: TxKind, input: &[u8]) -> Bytes {
        let tx = TxEip1559 {
            chain_id: self.chain.chain_id,
            nonce,
            gas_limit,
            max_fee_per_gas: 10_000_000_000,
            max_priority_fee_per_gas: 1,
            to,
            input: Bytes::copy_from_slice(input),
            ..Default::default()
        };
        let (signature, recovery) = self
            .key
            .sign_prehash_recoverable(tx.signature_hash().as_slice())
            .unwrap();
        let signed: TxEnvelope = tx
            .into_signed(Signature::from((signature, recovery)))
            .into();
        signed.encoded_2718().into()
    }

    /// A transaction creating at `occupied[0]`, then a call to each factory, blocked ones first.
    fn transactions(&self) -> Vec<Bytes> {
        let mut out = vec![self.sign(0, CREATE_TX_GAS, TxKind::Create, &INIT_CODE)];
        for (nonce, factory) in (1..).zip(BLOCKED.into_iter().chain(FREE)) {
            out.push(self.sign(nonce, CALL_GAS, TxKind::Call(factory), &[]));
        }
        out
    }

    /// The complete state at genesis, and the genesis header.
    fn genesis(&self) -> (CompleteState, Header) {
        let state = CompleteState::new(self.accounts.clone());
        let genesis = genesis_header(&self.chain, state.root(), 30_000_000, 0);
        (state, genesis)
    }

    /// The whole block 1 of `transactions`, to seal.
    fn block(&self, genesis: &Header, transactions: Vec<Bytes>) -> TraceRequest {
        TraceRequest {
            chain: self.chain,
            ancestors: vec![genesis.clone()],
            header: child_header(genesis, &self.chain, 12, Address::repeat_byte(0xfe)),
            segment: Segment::WHOLE_BLOCK,
            transactions,
            withdrawals: Vec::new(),
        }
    }

    /// Seals the block from the complete state, as a node mining it does.
    fn seal(&self) -> (CompleteState, Header, TracedSegment) {
        let (mut state, genesis) = self.genesis();
        let request = self.block(&genesis, self.transactions());
        let sealed = state.seal(request).expect("the block is valid");
        (state, genesis, sealed)
    }
}

/// EXECUTE on a sealed segment, with its own roots and gas.
fn verify_sealed(sealed: &TracedSegment, fork: Fork) -> Result<(), ExecuteError> {
    verify_trace(
        sealed.pre_state_root,
        sealed.post_state_root,
        &sealed.trace,
        sealed.gas_used,
        Host::latest(&ChainConfig::mainnet(fork).schedule()),
    )
}

#[test]
fn creation_at_an_address_with_storage_fails_in_every_fork() {
    for fork in [Fork::Cancun, Fork::Prague, Fork::Osaka] {
        let scenario = Scenario::new(fork);
        let (state, _, sealed) = scenario.seal();
        let receipts = &sealed.receipts;

        // The creating transaction fails and pays its whole gas limit, as a collision does.
        assert!(!receipts[0].status(), "{fork:?}: transaction creation");
        assert_eq!(
            receipts[0].cumulative_gas_used(),
            CREATE_TX_GAS,
            "{fork:?}: a collision burns all the gas"
        );
        // The factories' calls succeed; the blocked ones' creations return zero.
        assert!(receipts[1..].iter().all(|r| r.status()), "{fork:?}");
        for factory in BLOCKED {
            assert_eq!(
                state.storage(factory, U256::ZERO),
                U256::ZERO,
                "{fork:?}: {factory} created at an address with storage"
            );
        }
        for (factory, target) in FREE.into_iter().zip(targets(FREE)) {
            assert_eq!(
                state.storage(factory, U256::ZERO),
                U256::from_be_slice(target.as_slice()),
                "{fork:?}: the control factory {factory} must create"
            );
        }
        // The occupied accounts are untouched; each creator's nonce still moved.
        for address in scenario.occupied {
            let account = state.account(address).expect("still exists");
            assert_eq!(account.nonce, 0, "{fork:?}");
            assert_eq!(
                state.storage(address, U256::from(1)),
                U256::from(0xbeef),
                "{fork:?}"
            );
            assert!(state.code(address).is_empty(), "{fork:?}");
        }
        assert_eq!(state.account(scenario.sender).unwrap().nonce, 5);
        for factory in BLOCKED.into_iter().chain(FREE) {
            assert_eq!(state.account(factory).unwrap().nonce, 2, "{fork:?}");
        }
        // A collision burns the gas given to the creation: 63/64 of the call's.
        let gas: Vec<u64> = receipts
            .iter()
            .scan(0, |before, r| {
                let used = r.cumulative_gas_used() - *before;
                *before = r.cumulative_gas_used();
                Some(used)
            })
            .collect();
        for (blocked, free) in gas[1..3].iter().zip(&gas[3..]) {
            assert!(*blocked > CALL_GAS * 63 / 64, "{fork:?}: {gas:?}");
            assert!(*free < 100_000, "{fork:?}: {gas:?}");
        }
    }
}

#[test]
fn execute_enforces_the_collision_rule_from_the_witness() {
    for fork in [Fork::Cancun, Fork::Prague, Fork::Osaka] {
        let scenario = Scenario::new(fork);
        let (_, genesis, sealed) = scenario.seal();
        let header = &sealed.trace.header;
        verify_sealed(&sealed, fork)
            .unwrap_or_else(|e| panic!("{fork:?}: EXECUTE rejects the sealed block: {e}"));

        // Plain revm lets the creations proceed: another root and other gas. EXECUTE refuses
        // that outcome even in a header that claims it.
        let mut plain = ReferenceState::new(&scenario.accounts);
        plain.insert_block_hash(0, genesis.hash_slow());
        let plain_gas = plain
            .execute_block(&scenario.chain, header, &sealed.trace.transactions)
            .expect("plain revm runs the block");
        let plain_root = plain.state_root();
        assert_ne!(plain_root, header.state_root, "{fork:?}");
        assert_ne!(plain_gas, header.gas_used, "{fork:?}");
        let err = verify_trace(
            sealed.pre_state_root,
            plain_root,
            &sealed.trace,
            header.gas_used,
            Host::latest(&ChainConfig::mainnet(fork).schedule()),
        )
        .unwrap_err();
        assert!(
            matches!(err, ExecuteError::PostStateMismatch { .. }),
            "{fork:?}: {err}"
        );
        let mut lying = sealed.trace.clone();
        lying.header.gas_used = plain_gas;
        lying.header.state_root = plain_root;
        assert!(
            verify_trace(
                sealed.pre_state_root,
                plain_root,
                &lying,
                plain_gas,
                Host::latest(&ChainConfig::mainnet(fork).schedule())
            )
            .is_err(),
            "{fork:?}: a header claiming plain revm's outcome is accepted"
        );
    }
}

#[test]
fn a_segment_starting_after_the_creation_sees_the_same_rule() {
    let scenario = Scenario::new(Fork::Osaka);
    let (_, _, whole) = scenario.seal();
    let (mut state, genesis) = scenario.genesis();
    let transactions = scenario.transactions();
    let first = whole.receipts[0].cumulative_gas_used();
    let request = TraceRequest {
        header: whole.trace.header.clone(),
        segment: Segment {
            first_tx: 0,
            gas_before: 0,
            blob_gas_before: 0,
            ends_block: false,
        },
        ..scenario.block(&genesis, transactions[..1].to_vec())
    };
    let head = state.trace(request.clone()).expect("first transaction");
    assert_eq!(head.gas_used, first);
    let tail = state
        .trace(TraceRequest {
            segment: Segment {
                first_tx: 1,
                gas_before: first,
                blob_gas_before: 0,
                ends_block: true,
            },
            transactions: transactions[1..].to_vec(),
            ..request
        })
        .expect("the rest of the block");
    assert_eq!(tail.post_state_root, whole.post_state_root);
    let blocked_create = tail.receipts[0].cumulative_gas_used() - first;
    assert!(
        blocked_create > CALL_GAS * 63 / 64,
        "the segment's first creation collides: {blocked_create}"
    );
    verify_sealed(&tail, Fork::Osaka).expect("EXECUTE accepts the mid-block segment");
    assert_eq!(
        tail.gas_used,
        whole.trace.header.gas_used - first,
        "the segment burns the same gas as the block"
    );
}

#[test]
fn storage_destroyed_earlier_in_the_block_does_not_block_a_creation() {
    // Before Cancun, SELFDESTRUCT deletes the account with its storage at the end of the
    // transaction: a later CREATE2 in the same block may land there again.
    let fork = Fork::Shanghai;
    let mut scenario = Scenario::new(fork);
    let factory = BLOCKED[1];
    let target = targets(BLOCKED)[1];
    let doomed = AccountState {
        nonce: 1,
        code: Bytes::from_static(&[0x33, 0xff]), // SELFDESTRUCT(CALLER)
        storage: vec![(U256::from(1), U256::from(0xbeef))],
        ..Default::default()
    };
    scenario.accounts.retain(|(address, _)| *address != target);
    scenario.accounts.push((target, doomed));
    let (mut state, genesis) = scenario.genesis();
    let request = scenario.block(
        &genesis,
        vec![
            scenario.sign(0, CALL_GAS, TxKind::Call(target), &[]),
            scenario.sign(1, CALL_GAS, TxKind::Call(factory), &[]),
        ],
    );
    let sealed = state.seal(request).expect("the block is valid");
    assert!(sealed.receipts.iter().all(|r| r.status()));
    assert_eq!(
        state.storage(factory, U256::ZERO),
        U256::from_be_slice(target.as_slice()),
        "the creation at the destroyed account's address succeeds"
    );
    assert_eq!(state.storage(target, U256::from(1)), U256::ZERO);
    verify_sealed(&sealed, fork).expect("EXECUTE agrees from the witness");
}

#[test]
fn a_transfer_to_the_occupied_address_does_not_hide_its_storage() {
    // After a transfer, revm keeps an account without code or nonce as changed in memory, as if
    // it had no storage; its storage is still in the trie, and still blocks a creation.
    let fork = Fork::Osaka;
    let scenario = Scenario::new(fork);
    let factory = BLOCKED[1];
    let target = targets(BLOCKED)[1];
    let (mut state, genesis) = scenario.genesis();
    let mut transfer = TxEip1559 {
        chain_id: scenario.chain.chain_id,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(target),
        value: U256::from(1),
        ..Default::default()
    };
    let (signature, recovery) = scenario
        .key
        .sign_prehash_recoverable(transfer.signature_hash().as_slice())
        .unwrap();
    let signed: TxEnvelope = std::mem::take(&mut transfer)
        .into_signed(Signature::from((signature, recovery)))
        .into();
    let request = scenario.block(
        &genesis,
        vec![
            signed.encoded_2718().into(),
            scenario.sign(1, CALL_GAS, TxKind::Call(factory), &[]),
        ],
    );
    let sealed = state.seal(request).expect("the block is valid");
    assert!(sealed.receipts.iter().all(|r| r.status()));
    assert_eq!(
        state.storage(factory, U256::ZERO),
        U256::ZERO,
        "the creation collides"
    );
    assert_eq!(state.storage(target, U256::from(1)), U256::from(0xbeef));
    assert!(state.code(target).is_empty());
    verify_sealed(&sealed, fork).expect("EXECUTE agrees from the witness");
}
