//! The precompile on hostile input: never a panic, always the same answer, always charged;
//! and EXECUTE called from a real revm transaction.

mod common;

use std::sync::{Arc, Mutex};

use alloy_evm::{eth::EthEvmBuilder, precompiles::PrecompilesMap, Evm, EvmEnv};
use alloy_primitives::{Address, Bytes, TxKind, U256};
use common::Chain;
use execute::{
    precompile::{abi_bool, call, install, ExecuteInput},
    ExecuteError, ExecuteMarket, Fork, PricingConfig, EXECUTE_ADDRESS,
};
use proptest::prelude::*;
use revm::{
    context::{BlockEnv, CfgEnv, TxEnv},
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

fn market() -> ExecuteMarket {
    ExecuteMarket::genesis(PricingConfig::default())
}

#[test]
fn valid_input_is_true_and_charged_in_full() {
    let input = valid_input();
    let data = input.abi_encode();
    let mut m = market();
    let outcome = call(&data, 30_000_000, &mut m, Fork::Osaka).unwrap();
    assert_eq!(outcome.result, Ok(()));
    assert_eq!(
        outcome.gas_used,
        m.call_cost(data.len(), input.gas_used).unwrap()
    );
    assert_eq!(m.cumulative_gas, input.gas_used);

    let mut wrong = input.clone();
    wrong.post_state_root = wrong.pre_state_root;
    let data = wrong.abi_encode();
    let outcome = call(&data, 30_000_000, &mut m, Fork::Osaka).unwrap();
    assert!(outcome.result.is_err());
    assert_eq!(
        outcome.gas_used,
        m.call_cost(data.len(), input.gas_used).unwrap(),
        "false is charged in full"
    );
    assert!(
        call(&data, 1000, &mut m, Fork::Osaka).is_err(),
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
        let first = call(&data, 30_000_000, &mut m1, Fork::Osaka).unwrap();
        let second = call(&data, 30_000_000, &mut m2, Fork::Osaka).unwrap();
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
            _ => trace.chain.blobs = execute::BlobSchedule { target: blobs.0, max: blobs.1, update_fraction: blobs.2 },
        }
        let hostile = ExecuteInput { trace: trace.encode_to_vec().into(), gas_used, ..input };
        let result = hostile.verify(Some(Fork::Osaka));
        prop_assert!(!matches!(result, Err(ExecuteError::Internal(_))), "caught panic: {:?}", result);
    }

    #[test]
    fn arbitrary_bytes_are_charged_and_false(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut m = market();
        let outcome = call(&data, 30_000_000, &mut m, Fork::Osaka).unwrap();
        prop_assert!(outcome.result.is_err());
        prop_assert!(outcome.gas_used >= PricingConfig::default().base_cost);
    }
}

thread_local! {
    static VALID: ExecuteInput = valid_input();
}

/// A transaction calls EXECUTE on an EVM that has it installed.
#[test]
fn execute_is_callable_from_a_transaction() {
    let input = valid_input();
    let caller = Address::repeat_byte(0xca);
    let run = |data: Vec<u8>| {
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
        install(&mut precompiles, market.clone(), Fork::Osaka);
        let env = EvmEnv::new(
            CfgEnv::new_with_spec(Fork::Osaka.spec_id()),
            BlockEnv {
                gas_limit: 60_000_000,
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
    };
    let (ok, charged) = run(input.abi_encode());
    assert!(ok.is_success());
    assert_eq!(ok.output().unwrap(), &abi_bool(true));
    assert_eq!(charged, input.gas_used);

    let mut bad = input.clone();
    bad.gas_used += 1;
    let (no, _) = run(bad.abi_encode());
    assert_eq!(no.output().unwrap(), &abi_bool(false));
    assert!(
        no.tx_gas_used() > ok.tx_gas_used(),
        "false pays the full charge of its declared gas"
    );
}
