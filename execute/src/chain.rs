//! Chain configuration of a trace: chain id, the fork whose rules apply, blob parameters.

use alloy_eips::{
    eip4844::DATA_GAS_PER_BLOB,
    eip6110::MAINNET_DEPOSIT_CONTRACT_ADDRESS,
    eip7594::MAX_BLOBS_PER_TX_FUSAKA,
    eip7840::{BlobParams, BLOB_BASE_COST},
};
use alloy_evm::eth::spec::EthExecutorSpec;
use alloy_hardforks::{EthereumHardfork, EthereumHardforks, ForkCondition};
use alloy_primitives::{Address, U256};
use alloy_rlp::{RlpDecodable, RlpEncodable};
use revm::primitives::hardfork::SpecId;

use crate::ExecuteError;

/// Largest blob count per block a trace may configure; bounds all blob-gas arithmetic.
pub const MAX_BLOBS_PER_BLOCK_LIMIT: u64 = 4096;

/// A fork of the L1 whose rules EXECUTE applies. Blob-parameter-only forks (BPO) are Osaka with
/// other [`BlobSchedule`] values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Fork {
    /// Berlin (EIP-2929/2930).
    Berlin = 1,
    /// London (EIP-1559).
    London = 2,
    /// Paris, the merge.
    Paris = 3,
    /// Shanghai (withdrawals, PUSH0).
    Shanghai = 4,
    /// Cancun (blobs, transient storage, beacon root).
    Cancun = 5,
    /// Prague (EIP-7702, requests, history contract).
    Prague = 6,
    /// Osaka (transaction gas cap, CLZ, block size cap).
    Osaka = 7,
}

impl Fork {
    /// Every supported fork, oldest first.
    pub const ALL: [Fork; 7] = [
        Fork::Berlin,
        Fork::London,
        Fork::Paris,
        Fork::Shanghai,
        Fork::Cancun,
        Fork::Prague,
        Fork::Osaka,
    ];

    /// The revm spec that implements this fork.
    pub const fn spec_id(self) -> SpecId {
        match self {
            Fork::Berlin => SpecId::BERLIN,
            Fork::London => SpecId::LONDON,
            Fork::Paris => SpecId::MERGE,
            Fork::Shanghai => SpecId::SHANGHAI,
            Fork::Cancun => SpecId::CANCUN,
            Fork::Prague => SpecId::PRAGUE,
            Fork::Osaka => SpecId::OSAKA,
        }
    }

    /// The fork a revm spec implements, if supported.
    pub fn from_spec_id(spec: SpecId) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.spec_id() == spec)
    }

    /// The fork with this name as execution-spec-tests write it (`Cancun`, `Prague`, ...).
    /// Blob-parameter-only forks (`BPO1`...) map to Osaka.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "Berlin" => Fork::Berlin,
            "London" => Fork::London,
            "Paris" | "Merge" => Fork::Paris,
            "Shanghai" => Fork::Shanghai,
            "Cancun" => Fork::Cancun,
            "Prague" => Fork::Prague,
            "Osaka" => Fork::Osaka,
            bpo if bpo.starts_with("BPO") && bpo[3..].parse::<u8>().is_ok() => Fork::Osaka,
            _ => return None,
        })
    }

    fn from_u8(value: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|f| *f as u8 == value)
    }

    /// The matching Ethereum hardfork.
    const fn hardfork(self) -> EthereumHardfork {
        match self {
            Fork::Berlin => EthereumHardfork::Berlin,
            Fork::London => EthereumHardfork::London,
            Fork::Paris => EthereumHardfork::Paris,
            Fork::Shanghai => EthereumHardfork::Shanghai,
            Fork::Cancun => EthereumHardfork::Cancun,
            Fork::Prague => EthereumHardfork::Prague,
            Fork::Osaka => EthereumHardfork::Osaka,
        }
    }
}

impl alloy_rlp::Encodable for Fork {
    fn encode(&self, out: &mut dyn alloy_rlp::BufMut) {
        (*self as u8).encode(out)
    }
    fn length(&self) -> usize {
        (*self as u8).length()
    }
}

impl alloy_rlp::Decodable for Fork {
    fn decode(buf: &mut &[u8]) -> alloy_rlp::Result<Self> {
        Self::from_u8(u8::decode(buf)?).ok_or(alloy_rlp::Error::Custom("unknown fork"))
    }
}

/// EIP-4844 blob parameters of the block's fork (EIP-7840 `blobSchedule` entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct BlobSchedule {
    /// Target blobs per block.
    pub target: u64,
    /// Maximum blobs per block.
    pub max: u64,
    /// Blob base fee update fraction.
    pub update_fraction: u64,
}

impl BlobSchedule {
    /// Cancun's schedule (3/6).
    pub const CANCUN: Self = Self {
        target: 3,
        max: 6,
        update_fraction: 3_338_477,
    };
    /// Prague's and Osaka's schedule (6/9).
    pub const PRAGUE: Self = Self {
        target: 6,
        max: 9,
        update_fraction: 5_007_716,
    };
}

/// The chain a trace belongs to and the rules of its block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct ChainConfig {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Fork whose rules apply to the block.
    pub fork: Fork,
    /// Blob parameters of the block (ignored before Cancun).
    pub blobs: BlobSchedule,
    /// EIP-6110 deposit contract whose logs become deposit requests (Prague on); zero for none.
    pub deposit_contract: Address,
}

impl ChainConfig {
    /// Mainnet-like configuration for a fork: chain id 1, mainnet deposit contract.
    pub fn mainnet(fork: Fork) -> Self {
        let blobs = if fork >= Fork::Prague {
            BlobSchedule::PRAGUE
        } else {
            BlobSchedule::CANCUN
        };
        Self {
            chain_id: 1,
            fork,
            blobs,
            deposit_contract: MAINNET_DEPOSIT_CONTRACT_ADDRESS,
        }
    }

    /// Checks the values every later computation relies on.
    pub fn validate(&self) -> Result<(), ExecuteError> {
        if self.fork >= Fork::Cancun {
            let b = &self.blobs;
            if b.target == 0
                || b.target > b.max
                || b.max > MAX_BLOBS_PER_BLOCK_LIMIT
                || b.update_fraction == 0
            {
                return Err(ExecuteError::InvalidChainConfig(
                    "blob schedule out of range",
                ));
            }
        }
        Ok(())
    }

    /// Blob parameters as alloy uses them, `None` before Cancun.
    pub fn blob_params(&self) -> Option<BlobParams> {
        if self.fork < Fork::Cancun {
            return None;
        }
        let base = if self.fork >= Fork::Osaka {
            BlobParams::osaka()
                .with_max_blobs_per_tx(MAX_BLOBS_PER_TX_FUSAKA.min(self.blobs.max))
                .with_blob_base_cost(BLOB_BASE_COST)
        } else {
            BlobParams::cancun().with_max_blobs_per_tx(self.blobs.max)
        };
        Some(BlobParams {
            target_blob_count: self.blobs.target,
            max_blob_count: self.blobs.max,
            update_fraction: self.blobs.update_fraction as u128,
            ..base
        })
    }

    /// Largest blob gas a block may use.
    pub fn max_blob_gas_per_block(&self) -> u64 {
        self.blobs.max * DATA_GAS_PER_BLOB
    }

    /// The hardfork schedule alloy-evm's block executor consults: every fork up to
    /// [`ChainConfig::fork`] active, later ones never.
    pub const fn hardforks(&self) -> ForkSchedule {
        ForkSchedule {
            fork: self.fork,
            deposit_contract: self.deposit_contract,
        }
    }
}

/// Hardfork activations for one block's fork; see [`ChainConfig::hardforks`].
#[derive(Debug, Clone, Copy)]
pub struct ForkSchedule {
    fork: Fork,
    deposit_contract: Address,
}

impl EthereumHardforks for ForkSchedule {
    fn ethereum_fork_activation(&self, fork: EthereumHardfork) -> ForkCondition {
        // The DAO drain happened once on mainnet; no trace replays it.
        if fork == EthereumHardfork::Dao || fork > self.fork.hardfork() {
            return ForkCondition::Never;
        }
        match fork {
            EthereumHardfork::Paris => ForkCondition::TTD {
                activation_block_number: 0,
                fork_block: None,
                total_difficulty: U256::ZERO,
            },
            f if f >= EthereumHardfork::Shanghai => ForkCondition::Timestamp(0),
            _ => ForkCondition::Block(0),
        }
    }
}

impl EthExecutorSpec for ForkSchedule {
    fn deposit_contract_address(&self) -> Option<Address> {
        (!self.deposit_contract.is_zero()).then_some(self.deposit_contract)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_evm::spec_by_timestamp_and_block_number;

    #[test]
    fn schedule_selects_the_forks_spec() {
        for fork in Fork::ALL {
            let spec =
                spec_by_timestamp_and_block_number(&ChainConfig::mainnet(fork).hardforks(), 1, 1);
            assert_eq!(spec, fork.spec_id(), "{fork:?}");
        }
    }

    #[test]
    fn blob_schedule_is_validated() {
        let mut config = ChainConfig::mainnet(Fork::Cancun);
        config.validate().unwrap();
        config.blobs.update_fraction = 0;
        assert!(config.validate().is_err());
        config.blobs = BlobSchedule {
            target: 7,
            max: 6,
            update_fraction: 1,
        };
        assert!(config.validate().is_err());
    }
}
