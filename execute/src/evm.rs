//! The L1's EVM as EXECUTE runs it: the fork's precompiles, EXECUTE where the chain has it, and
//! EIP-7610's rule that revm leaves out.
//!
//! EIP-7610: a contract creation (by transaction, `CREATE` or `CREATE2`) at an address that
//! already has non-empty storage fails as if its init code started with an invalid opcode. revm
//! checks only the target's nonce and code (EIP-684), so [`StorageCollision`] halts the init
//! code's frame before its first instruction when the target has storage. revm has by then done
//! everything else a collision does (the caller's nonce is bumped, the target is warm), and the
//! halt burns the frame's gas and reverts the value transfer, as a collision does.

use alloy_evm::{
    eth::{EthEvm, EthEvmBuilder},
    precompiles::PrecompilesMap,
    EvmEnv,
};
use alloy_primitives::Address;
use alloy_trie::EMPTY_ROOT_HASH;
use revm::{
    context::{ContextError, ContextTr},
    database::{AccountStatus, State},
    database_interface::bal::EvmDatabaseError,
    interpreter::{InstructionResult, Interpreter},
    precompile::{PrecompileSpecId, Precompiles},
    Database, Inspector,
};

use crate::{
    chain::ChainConfig,
    precompile::{install, ExecuteHost},
    state::{Preimages, WitnessDb},
};

/// The EVM a block of `chain` runs in, over `state`; with EXECUTE when the chain has it.
pub fn l1_evm<'s, 'a, P: Preimages>(
    state: &'s mut State<WitnessDb<'a, P>>,
    env: EvmEnv,
    chain: &ChainConfig,
    execute: Option<ExecuteHost>,
) -> EthEvm<&'s mut State<WitnessDb<'a, P>>, StorageCollision, PrecompilesMap> {
    let mut precompiles = PrecompilesMap::from_static(Precompiles::new(
        PrecompileSpecId::from_spec_id(chain.fork.spec_id()),
    ));
    if let Some(host) = execute {
        install(&mut precompiles, host);
    }
    EthEvmBuilder::new(state, env)
        .precompiles(precompiles)
        .activate_inspector(StorageCollision)
        .build()
}

/// A state that can tell whether an account holds storage.
pub trait StorageProbe: Database {
    /// Whether `address` holds non-empty storage, with the changes of the segment's earlier
    /// transactions applied.
    fn has_storage(&mut self, address: Address) -> Result<bool, Self::Error>;
}

impl<P: Preimages> StorageProbe for State<WitnessDb<'_, P>> {
    fn has_storage(&mut self, address: Address) -> Result<bool, Self::Error> {
        if let Some(cached) = self.cache.accounts.get(&address) {
            // Destroyed earlier in the segment, or absent from the pre-state: its whole storage
            // is in the cache. Not so for an account revm marks as changed in memory: a
            // transfer to an account without code or nonce leaves its storage in the trie.
            if cached.status.was_destroyed() || cached.status == AccountStatus::LoadedNotExisting {
                return Ok(cached
                    .account
                    .as_ref()
                    .is_some_and(|a| a.storage.values().any(|v| !v.is_zero())));
            }
        }
        let root = self
            .database
            .storage_root(address)
            .map_err(EvmDatabaseError::Database)?;
        Ok(root != EMPTY_ROOT_HASH)
    }
}

impl<T: StorageProbe> StorageProbe for &mut T {
    fn has_storage(&mut self, address: Address) -> Result<bool, Self::Error> {
        (**self).has_storage(address)
    }
}

/// The inspector that enforces EIP-7610 (see the module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub struct StorageCollision;

impl<CTX> Inspector<CTX> for StorageCollision
where
    CTX: ContextTr,
    CTX::Db: StorageProbe,
{
    fn initialize_interp(&mut self, interp: &mut Interpreter, context: &mut CTX) {
        // Only a creation's frame runs code that lives at no address yet.
        if interp.input.bytecode_address.is_some() {
            return;
        }
        match context.db_mut().has_storage(interp.input.target_address) {
            Ok(false) => {}
            Ok(true) => interp.halt(InstructionResult::CreateCollision),
            Err(error) => {
                *context.error() = Err(ContextError::Db(error));
                interp.halt(InstructionResult::FatalExternalError);
            }
        }
    }
}
