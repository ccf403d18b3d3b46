//! The worst case for a dispute step: a transaction that pulls as much witness per gas as the EVM
//! allows. Each cold `EXTCODESIZE` (2,600 gas) on a distinct contract of the largest size (EIP-170,
//! 24,576 bytes) forces its whole code into the witness, since a Merkle-Patricia account stores
//! only the code's hash. `docs/protocol.md` bounds steps with this figure.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{keccak256, Address, Bytes, Signature, TxKind, U256};
use execute::{
    header::{child_header, genesis_header},
    trace::Segment,
    witness::{system_contracts, AccountState, CompleteState, TraceRequest},
    ChainConfig, Fork,
};
use k256::ecdsa::SigningKey;

const CODE_SIZE: usize = 24_576;
const PROBER: Address = Address::new([0xcc; 20]);

fn target(i: usize) -> Address {
    Address::from_word(keccak256((i as u64).to_be_bytes()))
}

#[test]
fn cold_code_reads_need_about_ten_witness_bytes_per_gas() {
    let chain = ChainConfig::mainnet(Fork::Osaka);
    let targets = 200;
    let key = SigningKey::from_slice(keccak256(b"worst case sender").as_slice()).unwrap();
    let sender = Address::from_public_key(key.verifying_key());

    // PUSH20 target EXTCODESIZE POP, for every target.
    let mut prober = Vec::new();
    for i in 0..targets {
        prober.push(0x73);
        prober.extend_from_slice(target(i).as_slice());
        prober.extend_from_slice(&[0x3b, 0x50]);
    }
    prober.push(0x00);
    let mut alloc = vec![
        (
            sender,
            AccountState {
                balance: U256::from(10u128.pow(20)),
                ..Default::default()
            },
        ),
        (
            PROBER,
            AccountState {
                nonce: 1,
                code: prober.into(),
                ..Default::default()
            },
        ),
    ];
    for i in 0..targets {
        // Distinct, incompressible code: each contract's bytes are their own keccak stream.
        let code: Vec<u8> = (0..CODE_SIZE / 32)
            .flat_map(|j| keccak256([i.to_be_bytes(), j.to_be_bytes()].concat()).0)
            .collect();
        alloc.push((
            target(i),
            AccountState {
                nonce: 1,
                code: code.into(),
                ..Default::default()
            },
        ));
    }
    alloc.extend(system_contracts(chain.fork));
    let mut state = CompleteState::new(alloc);
    let genesis = genesis_header(&chain, state.root(), 60_000_000, 0);

    let tx = TxEip1559 {
        chain_id: chain.chain_id,
        gas_limit: 1_000_000,
        max_fee_per_gas: 10_000_000_000,
        to: TxKind::Call(PROBER),
        ..Default::default()
    };
    let (signature, recovery) = key
        .sign_prehash_recoverable(tx.signature_hash().as_slice())
        .unwrap();
    let raw: Bytes = TxEnvelope::from(tx.into_signed(Signature::from((signature, recovery))))
        .encoded_2718()
        .into();
    let step = state
        .trace(TraceRequest {
            chain,
            ancestors: vec![genesis.clone()],
            header: child_header(&genesis, &chain, 12, Address::ZERO),
            segment: Segment {
                first_tx: 0,
                gas_before: 0,
                blob_gas_before: 0,
                ends_block: false,
            },
            transactions: vec![raw],
            withdrawals: Vec::new(),
        })
        .unwrap();

    let bytes = step.trace.encode_to_vec().len();
    let gas = step.gas_used;
    let per_gas = bytes as f64 / gas as f64;
    println!(
        "{targets} cold 24 KiB contracts: {gas} gas, trace {bytes} bytes, {per_gas:.2} bytes/gas"
    );
    // 200 x 2,605 gas + 21,000; every target's full code is in the trace.
    assert_eq!(gas, 21_000 + targets as u64 * 2_605);
    assert!(bytes > targets * CODE_SIZE);
    assert!((9.0..11.0).contains(&per_gas), "{per_gas} bytes per gas");
}
