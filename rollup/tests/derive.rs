//! Derivation by the inclusion rule: valid candidates are included, invalid ones skipped, the
//! headers follow the L2 rules, and every step EXECUTE is handed verifies.

use alloy_consensus::TxEip1559;
use alloy_primitives::{keccak256, Address, Bytes, TxKind, U256};
use alloy_trie::EMPTY_ROOT_HASH;
use execute::{witness::AccountState, Fork};
use rollup::{
    batch::{decode, encode, BatchBlock},
    derive::L2Chain,
    rules::{
        deposit_credit, BlockInputs, L2Config, Position, MAX_DEPOSITS_PER_BLOCK, MAX_STEP_BYTES,
    },
    wallet::L2Wallet,
};

const CHAIN_ID: u64 = 424_242;

fn wallet() -> L2Wallet {
    L2Wallet::from_seed(b"l2 user", CHAIN_ID)
}

fn transfer(nonce: u64, value: u64) -> Bytes {
    wallet().transfer(nonce, Address::repeat_byte(0xb0), U256::from(value))
}

#[test]
fn candidates_are_included_by_the_rule_and_every_step_verifies() {
    let config = L2Config::fixed(CHAIN_ID, Fork::Osaka, Address::repeat_byte(0xfe));
    let user = wallet().address();
    let mut chain = L2Chain::new(
        config,
        vec![(
            user,
            AccountState {
                balance: U256::from(10u128.pow(20)),
                ..Default::default()
            },
        )],
        1_000,
    )
    .unwrap();
    let blocks = vec![
        BatchBlock {
            timestamp: 1_010,
            transactions: vec![
                transfer(0, 1),
                transfer(5, 2),                 // nonce gap
                Bytes::from_static(&[3, 0xc0]), // a blob-type candidate
                transfer(1, 3),
                Bytes::from_static(b"junk"),
            ],
        },
        BatchBlock {
            timestamp: 5_000, // after the L1 block: clamped
            transactions: Vec::new(),
        },
    ];
    let payload = encode(&blocks).unwrap();
    let decoded = decode(&payload, 2, 2_000);
    assert_eq!(decoded, blocks);

    let first = chain
        .derive_block(
            decoded[0].timestamp,
            2_000,
            decoded[0].transactions.clone(),
            BlockInputs::none(),
        )
        .unwrap();
    let included: Vec<bool> = first.steps.iter().map(Result::is_ok).collect();
    assert_eq!(included, [true, false, false, true, false]);
    assert_eq!(first.positions.len(), 6);
    assert_eq!(
        first.positions[1], first.positions[2],
        "a skip leaves the position"
    );
    let last = first.positions[5];
    assert_eq!(last.included, 2);
    assert_eq!(first.header.gas_used, 42_000);
    assert_eq!(first.header.transactions_root, last.tx_acc);
    assert_eq!(first.header.receipts_root, EMPTY_ROOT_HASH);
    assert_eq!(first.header.timestamp, 1_010);
    assert_eq!(first.header.beneficiary, Address::repeat_byte(0xfe));
    for (k, step) in first.steps.iter().enumerate() {
        let Ok(step) = step else { continue };
        let pre = first.positions[k];
        execute::verify_trace(
            pre.state_root,
            step.post_state_root,
            &step.trace,
            step.gas_used,
            execute::Host::latest(&execute::ChainConfig::mainnet(Fork::Osaka).schedule()),
        )
        .unwrap();
        assert_eq!(
            first.positions[k + 1],
            pre.include(&first.candidates[k], step.post_state_root, step.gas_used)
        );
    }
    execute::verify_trace(
        last.state_root,
        first.header.state_root,
        &first.end.trace,
        0,
        execute::Host::latest(&execute::ChainConfig::mainnet(Fork::Osaka).schedule()),
    )
    .unwrap();
    assert_eq!(first.end.trace.header.hash_slow(), first.hash);

    let second = chain
        .derive_block(decoded[1].timestamp, 2_000, Vec::new(), BlockInputs::none())
        .unwrap();
    assert_eq!(second.header.timestamp, 2_000, "bounded by the L1 time");
    assert_eq!(second.header.parent_hash, first.hash);
    assert_eq!(
        second.positions,
        vec![Position::start(first.header.state_root)]
    );
    assert!(second.end.trace.segment.is_whole_block());
    execute::verify_trace(
        first.header.state_root,
        second.header.state_root,
        &second.end.trace,
        0,
        execute::Host::latest(&execute::ChainConfig::mainnet(Fork::Osaka).schedule()),
    )
    .unwrap();
}

/// A transaction whose step would not fit one L1 transaction (a cold `EXTCODESIZE` on each of
/// 200 distinct 24 KiB contracts: a ~5 MB trace) is skipped by the inclusion rule, and the
/// state is as if it had never been sent; a small one after it is included.
#[test]
fn a_transaction_too_large_to_prove_is_skipped() {
    let config = L2Config::fixed(CHAIN_ID, Fork::Osaka, Address::repeat_byte(0xfe));
    let user = wallet().address();
    let prober = Address::repeat_byte(0xcc);
    let target = |i: u64| Address::from_word(keccak256(i.to_be_bytes()));
    let mut code = Vec::new();
    for i in 0..200 {
        code.push(0x73);
        code.extend_from_slice(target(i).as_slice());
        code.extend_from_slice(&[0x3b, 0x50]);
    }
    code.push(0x00);
    let mut accounts = vec![
        (
            user,
            AccountState {
                balance: U256::from(10u128.pow(20)),
                ..Default::default()
            },
        ),
        (
            prober,
            AccountState {
                nonce: 1,
                code: code.into(),
                ..Default::default()
            },
        ),
    ];
    for i in 0..200u64 {
        let big: Vec<u8> = (0..768u64)
            .flat_map(|j| keccak256([i.to_be_bytes(), j.to_be_bytes()].concat()).0)
            .collect();
        accounts.push((
            target(i),
            AccountState {
                nonce: 1,
                code: big.into(),
                ..Default::default()
            },
        ));
    }
    let mut chain = L2Chain::new(config, accounts, 1_000).unwrap();
    let heavy = wallet().sign(TxEip1559 {
        gas_limit: 1_000_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(prober),
        ..Default::default()
    });
    let root = chain.state().root();
    let block = chain
        .derive_block(
            1_001,
            2_000,
            vec![heavy, transfer(0, 5)],
            BlockInputs::none(),
        )
        .unwrap();
    assert!(block.steps[0].is_err(), "the oversized step is skipped");
    assert_eq!(block.positions[1], block.positions[0]);
    assert_eq!(block.positions[0].state_root, root);
    assert!(block.steps[1].is_ok(), "the transfer (nonce 0) still runs");
    assert_eq!(block.header.gas_used, 21_000);
}

/// The end step of a block crediting the most deposits a block may (16), each to a fresh account,
/// over a state of 100,000 accounts: its trace is what the contract's end step hands EXECUTE,
/// and it stays far inside `MAX_STEP_BYTES`. (The adversarial bound, with recipients ground to
/// sit under full branches deeper down, is arithmetic on the same node sizes:
/// `docs/protocol.md`, section 6.)
#[test]
fn the_end_step_of_a_block_crediting_sixteen_fresh_accounts_fits_a_step() {
    let config = L2Config::fixed(CHAIN_ID, Fork::Osaka, Address::repeat_byte(0xfe));
    let accounts = (1..=100_000u64)
        .map(|i| {
            let address = Address::from_word(keccak256(i.to_be_bytes()));
            let state = AccountState {
                balance: U256::from(i),
                ..Default::default()
            };
            (address, state)
        })
        .collect();
    let mut chain = L2Chain::new(config, accounts, 1_000).unwrap();
    let deposits: Vec<_> = (0..MAX_DEPOSITS_PER_BLOCK as u64)
        .map(|i| deposit_credit(i, Address::repeat_byte(0x60 + i as u8), 10u64.pow(9) + i))
        .collect();
    let block = chain
        .derive_block(
            1_010,
            2_000,
            Vec::new(),
            BlockInputs {
                deposits: deposits.clone(),
                ..BlockInputs::none()
            },
        )
        .unwrap();
    assert_eq!(
        block.header.withdrawals_root,
        Some(alloy_consensus::proofs::calculate_withdrawals_root(
            &deposits
        ))
    );
    for d in &deposits {
        let account = chain.state().account(d.address).unwrap();
        assert_eq!(
            account.balance,
            U256::from(d.amount) * U256::from(10u64.pow(9))
        );
    }
    let bytes = block.end.trace.encode_to_vec().len();
    println!("end step crediting 16 fresh accounts over 100,000: {bytes} trace bytes");
    assert!(bytes < MAX_STEP_BYTES / 4, "{bytes} bytes");
    execute::verify_trace(
        block.positions[0].state_root,
        block.header.state_root,
        &block.end.trace,
        0,
        execute::Host::latest(&execute::ChainConfig::mainnet(Fork::Osaka).schedule()),
    )
    .unwrap();
}
