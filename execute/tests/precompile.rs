//! The precompile on hostile input: never a panic, always the same answer, always charged;
//! and EXECUTE called from a real revm transaction.

mod common;

use std::sync::{Arc, Mutex};

use alloy_evm::{eth::EthEvmBuilder, precompiles::PrecompilesMap, Evm, EvmEnv};
use alloy_primitives::{Address, Bytes, TxKind, U256};
use common::Chain;
use execute::{
    precompile::{abi_bool, call, install, ExecuteHost, ExecuteInput},
    Activation, ChainConfig, ExecuteError, ExecuteMarket, Fork, ForkSchedule, Host, PricingConfig,
    EXECUTE_ADDRESS,
};
use proptest::prelude::*;
use revm::{
    context::{BlockEnv, CfgEnv, TxEnv},
    context_interface::result::ExecutionResult,
    database::{CacheDB, EmptyDB},
    precompile::{PrecompileSpecId, Precompiles},
    state::AccountInfo,
};

fn valid_input() -> ExecuteInput {
    let mut chain = Chain::new(Fork::Osaka, 8, 5);
    let sealed = chain.next_block(400_000);
    ExecuteInput {
        pre_state_root: sealed.pre_state_root,
        post_state_root: sealed.post_state_root,
        trace: sealed.trace.encode_to_vec().into(),
        gas_used: sealed.gas_used,
    }
}

/// A host on Osaka since time zero, at a block after every trace's.
fn osaka() -> Host<'static> {
    static SCHEDULE: std::sync::LazyLock<ForkSchedule> =
        std::sync::LazyLock::new(|| ChainConfig::mainnet(Fork::Osaka).schedule());
    Host::latest(&SCHEDULE)
}

fn market() -> ExecuteMarket {
    ExecuteMarket::genesis(PricingConfig::default())
}

#[test]
fn valid_input_is_true_and_charged_in_full() {
    let input = valid_input();
    let data = input.abi_encode();
    let mut m = market();
    let outcome = call(&data, 30_000_000, &mut m, osaka()).unwrap();
    assert_eq!(outcome.result, Ok(()));
    assert_eq!(
        outcome.gas_used,
        m.call_cost(data.len(), input.gas_used).unwrap()
    );
    assert_eq!(m.cumulative_gas, input.gas_used);

    let mut wrong = input.clone();
    wrong.post_state_root = wrong.pre_state_root;
    let data = wrong.abi_encode();
    let outcome = call(&data, 30_000_000, &mut m, osaka()).unwrap();
    assert!(outcome.result.is_err());
    assert_eq!(
        outcome.gas_used,
        m.call_cost(data.len(), input.gas_used).unwrap(),
        "false is charged in full"
    );
    assert!(
        call(&data, 1000, &mut m, osaka()).is_err(),
        "too little gas halts"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mutated_traces_never_panic_and_answer_the_same(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let input = VALID.with(|v| v.clone());
        let mut trace = input.trace.to_vec();
        for (at, byte, kind) in edits {
            let i = at.index(trace.len().max(1));
            match kind {
                0 if i < trace.len() => trace[i] ^= byte | 1,
                1 => trace.insert(i.min(trace.len()), byte),
                _ => trace.truncate(i),
            }
        }
        let mutated = ExecuteInput { trace: trace.into(), ..input.clone() };
        let data = mutated.abi_encode();
        let (mut m1, mut m2) = (market(), market());
        let first = call(&data, 30_000_000, &mut m1, osaka()).unwrap();
        let second = call(&data, 30_000_000, &mut m2, osaka()).unwrap();
        prop_assert_eq!(&first, &second);
        prop_assert_eq!(first.gas_used, m1.call_cost(data.len(), input.gas_used).unwrap());
        prop_assert!(!matches!(first.result, Err(ExecuteError::Internal(_))), "caught panic: {:?}", first.result);
    }

    /// Decoded fields set to hostile values: the executor must reject them without panicking
    /// (a caught panic shows as `ExecuteError::Internal`).
    #[test]
    fn hostile_field_values_are_rejected_without_panics(
        first_tx in any::<u64>(),
        gas_before in any::<u64>(),
        blob_gas_before in any::<u64>(),
        ends_block in any::<bool>(),
        gas_used in any::<u64>(),
        number in any::<u64>(),
        timestamp in any::<u64>(),
        gas_limit in any::<u64>(),
        excess in any::<u64>(),
        base_fee in any::<u64>(),
        blobs in (any::<u64>(), any::<u64>(), any::<u64>()),
        which in 0u8..4,
    ) {
        let input = VALID.with(|v| v.clone());
        let mut trace = execute::Trace::decode_bytes(&input.trace).unwrap();
        match which {
            0 => trace.segment = execute::Segment { first_tx, gas_before, blob_gas_before, ends_block },
            1 => {
                trace.header.number = number;
                trace.header.timestamp = timestamp;
                trace.header.gas_limit = gas_limit;
            }
            2 => {
                let parent = trace.ancestors.last_mut().unwrap();
                parent.excess_blob_gas = Some(excess);
                parent.blob_gas_used = Some(gas_before);
                parent.base_fee_per_gas = Some(base_fee);
                parent.gas_used = gas_used;
                parent.gas_limit = gas_limit;
            }
            _ => trace.chain = execute::ChainParams { chain_id: blobs.0, deposit_contract: Address::with_last_byte(blobs.1 as u8) },
        }
        let hostile = ExecuteInput { trace: trace.encode_to_vec().into(), gas_used, ..input };
        let result = hostile.verify(osaka());
        prop_assert!(!matches!(result, Err(ExecuteError::Internal(_))), "caught panic: {:?}", result);
    }

    #[test]
    fn arbitrary_bytes_are_charged_and_false(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut m = market();
        let outcome = call(&data, 30_000_000, &mut m, osaka()).unwrap();
        prop_assert!(outcome.result.is_err());
        prop_assert!(outcome.gas_used >= PricingConfig::default().base_cost);
    }
}

thread_local! {
    static VALID: ExecuteInput = valid_input();
}

/// A transaction calling EXECUTE with `data` on an Osaka EVM that has it installed, in a block at
/// `timestamp` of a chain forking by `schedule`: the call's result and the gas EXECUTE admitted.
fn call_from_transaction(
    data: Vec<u8>,
    schedule: ForkSchedule,
    timestamp: u64,
) -> (ExecutionResult, u64) {
    let caller = Address::repeat_byte(0xca);
    let mut db = CacheDB::new(EmptyDB::default());
    db.insert_account_info(
        caller,
        AccountInfo {
            balance: U256::from(10u128.pow(20)),
            ..Default::default()
        },
    );
    let market = Arc::new(Mutex::new(market()));
    let mut precompiles = PrecompilesMap::from_static(Precompiles::new(
        PrecompileSpecId::from_spec_id(Fork::Osaka.spec_id()),
    ));
    install(
        &mut precompiles,
        ExecuteHost {
            market: market.clone(),
            schedule: Arc::new(schedule),
        },
    );
    let env = EvmEnv::new(
        CfgEnv::new_with_spec(Fork::Osaka.spec_id()),
        BlockEnv {
            gas_limit: 60_000_000,
            timestamp: U256::from(timestamp),
            ..Default::default()
        },
    );
    let mut evm = EthEvmBuilder::new(db, env).precompiles(precompiles).build();
    let tx = TxEnv {
        caller,
        kind: TxKind::Call(EXECUTE_ADDRESS),
        data: Bytes::from(data),
        gas_limit: 16_000_000,
        ..Default::default()
    };
    let result = evm.transact(tx).unwrap().result;
    let charged = market.lock().unwrap().cumulative_gas;
    (result, charged)
}

/// A transaction calls EXECUTE on an EVM that has it installed.
#[test]
fn execute_is_callable_from_a_transaction() {
    let input = valid_input();
    let osaka = || ChainConfig::mainnet(Fork::Osaka).schedule();
    let (ok, charged) = call_from_transaction(input.abi_encode(), osaka(), 0);
    assert!(ok.is_success());
    assert_eq!(ok.output().unwrap(), &abi_bool(true));
    assert_eq!(charged, input.gas_used);

    let mut bad = input.clone();
    bad.gas_used += 1;
    let (no, _) = call_from_transaction(bad.abi_encode(), osaka(), 0);
    assert_eq!(no.output().unwrap(), &abi_bool(false));
    assert!(
        no.tx_gas_used() > ok.tx_gas_used(),
        "false pays the full charge of its declared gas"
    );
}

/// The precompile takes the host's time from the block it runs in: a block under a fork the
/// host reaches later is false until the host's own block reaches it, then true.
#[test]
fn the_precompile_applies_the_fork_its_host_block_has_reached() {
    let input = valid_input();
    let block_time = execute::Trace::decode_bytes(&input.trace)
        .unwrap()
        .header
        .timestamp;
    let schedule = || {
        ForkSchedule::new(vec![
            ChainConfig::mainnet(Fork::Prague).activation(),
            Activation {
                timestamp: block_time,
                ..ChainConfig::mainnet(Fork::Osaka).activation()
            },
        ])
        .unwrap()
    };
    let (early, _) = call_from_transaction(input.abi_encode(), schedule(), block_time - 1);
    assert_eq!(early.output().unwrap(), &abi_bool(false));
    let (reached, _) = call_from_transaction(input.abi_encode(), schedule(), block_time);
    assert_eq!(reached.output().unwrap(), &abi_bool(true));
}
