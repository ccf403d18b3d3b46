//! Random blocks run statefully (plain revm, in-memory) and statelessly (EXECUTE over the
//! witness) must agree on the post-state root and the gas used.

mod common;

use alloy_primitives::{Address, B256};
use common::Chain;
use execute::{
    trace::Segment,
    verify, verify_trace,
    witness::{CompleteState, TraceRequest},
    ChainConfig, ExecuteError, Fork, Host, InvalidBlock,
};

#[test]
fn stateful_and_stateless_runs_agree() {
    for (fork, seed) in [
        (Fork::Cancun, 1),
        (Fork::Prague, 2),
        (Fork::Osaka, 3),
        (Fork::Osaka, 4),
    ] {
        let mut chain = Chain::new(fork, 24, seed);
        assert_eq!(
            chain.state.root(),
            chain.reference.state_root(),
            "genesis roots differ"
        );
        for _ in 0..6 {
            let sealed = chain.next_block(3_000_000);
            let header = &sealed.trace.header;
            chain
                .reference
                .insert_block_hash(header.number - 1, header.parent_hash);
            let gas = chain
                .reference
                .execute_block(&chain.workload.chain(), header, &sealed.trace.transactions)
                .expect("stateful run");
            assert_eq!(gas, header.gas_used, "{fork:?}: gas differs");
            assert_eq!(
                chain.reference.state_root(),
                header.state_root,
                "{fork:?}: roots differ"
            );

            let encoded = sealed.trace.encode_to_vec();
            verify(
                sealed.pre_state_root,
                header.state_root,
                &encoded,
                header.gas_used,
                Host::latest(&chain.workload.chain().schedule()),
            )
            .expect("EXECUTE accepts the witness-only trace");
        }
    }
}

#[test]
fn wrong_claims_are_rejected() {
    let mut chain = Chain::new(Fork::Osaka, 16, 7);
    let sealed = chain.next_block(2_000_000);
    let (pre, post, gas) = (
        sealed.pre_state_root,
        sealed.post_state_root,
        sealed.gas_used,
    );
    let trace = &sealed.trace;
    let schedule = chain.workload.chain().schedule();
    let host = Host::latest(&schedule);
    assert!(matches!(
        verify_trace(pre, post, trace, gas + 1, host),
        Err(ExecuteError::GasUsedMismatch { .. })
    ));
    assert!(verify_trace(
        pre,
        alloy_primitives::B256::repeat_byte(1),
        trace,
        gas,
        host
    )
    .is_err());
    assert!(verify_trace(post, post, trace, gas, host).is_err());
    let mut short = trace.clone();
    short.witness.state.pop();
    let err = verify_trace(pre, post, &short, gas, host).unwrap_err();
    assert!(matches!(err, ExecuteError::State(_)), "{err:?}");
    let mut no_code = trace.clone();
    no_code.witness.codes.clear();
    assert!(verify_trace(pre, post, &no_code, gas, host).is_err());
    let mut dropped = trace.clone();
    dropped.transactions.remove(0);
    assert!(verify_trace(pre, post, &dropped, gas, host).is_err());
}

/// A block split into two segments at every position gives the whole block's root and gas.
#[test]
fn segments_compose_to_the_block() {
    let mut chain = Chain::new(Fork::Prague, 16, 11);
    let before = chain.state.clone();
    let sealed = chain.next_block(1_500_000);
    let block = &sealed.trace;
    let txs = &block.transactions;
    for split in [1, txs.len() / 2, txs.len() - 1] {
        let mut state: CompleteState = before.clone();
        let first = state
            .trace(TraceRequest {
                chain: chain.workload.chain(),
                ancestors: chain.headers[..chain.headers.len() - 1].to_vec(),
                header: block.header.clone(),
                segment: Segment {
                    first_tx: 0,
                    gas_before: 0,
                    blob_gas_before: 0,
                    ends_block: false,
                },
                transactions: txs[..split].to_vec(),
                withdrawals: Vec::new(),
            })
            .unwrap();
        let second = state
            .trace(TraceRequest {
                chain: chain.workload.chain(),
                ancestors: chain.headers[..chain.headers.len() - 1].to_vec(),
                header: block.header.clone(),
                segment: Segment {
                    first_tx: split as u64,
                    gas_before: first.gas_used,
                    blob_gas_before: 0,
                    ends_block: true,
                },
                transactions: txs[split..].to_vec(),
                withdrawals: Vec::new(),
            })
            .unwrap();
        assert_eq!(second.post_state_root, block.header.state_root);
        assert_eq!(first.gas_used + second.gas_used, block.header.gas_used);
        for part in [&first, &second] {
            verify_trace(
                part.pre_state_root,
                part.post_state_root,
                &part.trace,
                part.gas_used,
                Host::latest(&chain.workload.chain().schedule()),
            )
            .expect("each segment verifies on its own");
            assert!(part.trace.witness.size() < block.witness.size() + 1);
        }
    }
}

/// On a chain without a deposit contract (a rollup's), a segment that ends the block decides the
/// header's requests hash, which the rollup's contracts take from the stepper: another value is
/// refused, though the segment's own run is the same, and so are fields of a later fork.
#[test]
fn an_end_segment_pins_the_requests_hash() {
    let rollup_like = ChainConfig {
        deposit_contract: Address::ZERO,
        ..ChainConfig::mainnet(Fork::Osaka)
    };
    let mut chain = Chain::of(rollup_like, 8, 5);
    let before = chain.state.clone();
    let sealed = chain.next_block(600_000);
    let block = &sealed.trace;
    let split = block.transactions.len() / 2;
    let mut state: CompleteState = before;
    let request = |segment: Segment, transactions: Vec<_>| TraceRequest {
        chain: rollup_like,
        ancestors: chain.headers[..chain.headers.len() - 1].to_vec(),
        header: block.header.clone(),
        segment,
        transactions,
        withdrawals: Vec::new(),
    };
    let first = state
        .trace(request(
            Segment {
                ends_block: false,
                ..Segment::WHOLE_BLOCK
            },
            block.transactions[..split].to_vec(),
        ))
        .unwrap();
    let end = state
        .trace(request(
            Segment {
                first_tx: split as u64,
                gas_before: first.gas_used,
                blob_gas_before: 0,
                ends_block: true,
            },
            block.transactions[split..].to_vec(),
        ))
        .unwrap();
    let schedule = rollup_like.schedule();
    let host = Host::latest(&schedule);
    let run = |trace: &execute::Trace| {
        verify_trace(
            end.pre_state_root,
            end.post_state_root,
            trace,
            end.gas_used,
            host,
        )
    };
    run(&end.trace).expect("the honest end segment verifies");
    let mut forged = end.trace.clone();
    forged.header.requests_hash = Some(B256::repeat_byte(7));
    assert!(matches!(
        run(&forged),
        Err(ExecuteError::Invalid(InvalidBlock::RequestsHash))
    ));
    // Fields of a later fork (Amsterdam's) decode as optional trailing items; none is taken.
    let mut access_list = end.trace.clone();
    access_list.header.block_access_list_hash = Some(B256::repeat_byte(8));
    let mut slot = end.trace.clone();
    slot.header.block_access_list_hash = Some(B256::repeat_byte(8));
    slot.header.slot_number = Some(0);
    for later in [access_list, slot] {
        assert!(matches!(
            run(&later),
            Err(ExecuteError::Invalid(InvalidBlock::ForkFields))
        ));
    }
}

/// A `debug_executionWitness` response (reth/geth shape) imports into a trace EXECUTE accepts.
#[test]
fn execution_witness_import_verifies() {
    use alloy_rpc_types_debug::ExecutionWitness;
    let mut chain = Chain::new(Fork::Osaka, 12, 13);
    let sealed = chain.next_block(1_000_000);
    let trace = &sealed.trace;
    let mut headers: Vec<_> = trace
        .ancestors
        .iter()
        .map(|h| alloy_rlp::encode(h).into())
        .collect();
    headers.reverse(); // clients may list them newest first
    let response = ExecutionWitness {
        state: trace.witness.state.clone(),
        codes: trace.witness.codes.clone(),
        keys: Vec::new(),
        headers,
    };
    let json = serde_json::to_string(&response).unwrap();
    let response: ExecutionWitness = serde_json::from_str(&json).unwrap();
    let imported = execute::Trace::from_execution_witness(
        trace.chain,
        trace.header.clone(),
        trace.transactions.clone(),
        trace.withdrawals.clone(),
        response,
    )
    .unwrap();
    assert_eq!(&imported, trace);
    verify_trace(
        sealed.pre_state_root,
        sealed.post_state_root,
        &imported,
        sealed.gas_used,
        Host::latest(&chain.workload.chain().schedule()),
    )
    .unwrap();
}
