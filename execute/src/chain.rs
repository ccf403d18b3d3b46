//! The rules a block runs by: its chain's own parameters (chain id, deposit contract), which a
//! trace carries, and the fork with its blob parameters, which the host's [`ForkSchedule`] gives
//! by the block's timestamp.

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

    /// The newest supported fork.
    pub const LATEST: Fork = Fork::ALL[Fork::ALL.len() - 1];

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

impl TryFrom<&BlobParams> for BlobSchedule {
    type Error = std::num::TryFromIntError;

    /// The target, maximum and update fraction of EIP-7840 parameters (the fraction must fit
    /// 64 bits).
    fn try_from(params: &BlobParams) -> Result<Self, Self::Error> {
        Ok(Self {
            target: params.target_blob_count,
            max: params.max_blob_count,
            update_fraction: u64::try_from(params.update_fraction)?,
        })
    }
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

/// What a trace says about its chain: the values only that chain knows. The fork and the blob
/// parameters are not among them: EXECUTE takes those from its host ([`Host`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct ChainParams {
    /// EIP-155 chain id of the block's transactions.
    pub chain_id: u64,
    /// EIP-6110 deposit contract whose logs become deposit requests (Prague on); zero for none.
    pub deposit_contract: Address,
}

/// The rules of one block: its chain's parameters, and the fork and blob parameters in force
/// at its timestamp.
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
    /// The rules of `params`'s chain under `activation`.
    pub const fn new(params: ChainParams, activation: &Activation) -> Self {
        Self {
            chain_id: params.chain_id,
            fork: activation.fork,
            blobs: activation.blobs,
            deposit_contract: params.deposit_contract,
        }
    }

    /// The chain's own parameters, as a trace carries them.
    pub const fn params(&self) -> ChainParams {
        ChainParams {
            chain_id: self.chain_id,
            deposit_contract: self.deposit_contract,
        }
    }

    /// The fork and blob parameters alone, as an activation from time zero.
    pub const fn activation(&self) -> Activation {
        Activation {
            timestamp: 0,
            fork: self.fork,
            blobs: self.blobs,
        }
    }

    /// A schedule of this fork and blob parameters for all time: the host of a chain that never
    /// forks.
    pub fn schedule(&self) -> ForkSchedule {
        ForkSchedule::fixed(self.fork, self.blobs)
    }

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

    /// The hardfork activations alloy-evm's block executor consults: every fork up to
    /// [`ChainConfig::fork`] active, later ones never.
    pub const fn hardforks(&self) -> Hardforks {
        Hardforks {
            fork: self.fork,
            deposit_contract: self.deposit_contract,
        }
    }
}

/// Hardfork activations for one block's fork; see [`ChainConfig::hardforks`].
#[derive(Debug, Clone, Copy)]
pub struct Hardforks {
    fork: Fork,
    deposit_contract: Address,
}

impl EthereumHardforks for Hardforks {
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

impl EthExecutorSpec for Hardforks {
    fn deposit_contract_address(&self) -> Option<Address> {
        (!self.deposit_contract.is_zero()).then_some(self.deposit_contract)
    }
}

/// A fork taking effect: from `timestamp` on, blocks follow `fork` with `blobs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct Activation {
    /// First block timestamp the rules apply to.
    pub timestamp: u64,
    /// The fork.
    pub fork: Fork,
    /// Its blob parameters (blob-parameter-only forks change only these).
    pub blobs: BlobSchedule,
}

/// Why a list of activations is not a fork schedule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// No activation at all.
    #[error("a fork schedule needs at least one fork")]
    Empty,
    /// Activations out of time order, or a fork older than the one before it.
    #[error("activation at {0} is not after the previous one, or goes back a fork")]
    OutOfOrder(u64),
    /// Blob parameters out of range.
    #[error("activation at {timestamp}: {reason}")]
    Blobs {
        /// The activation.
        timestamp: u64,
        /// What is wrong.
        reason: &'static str,
    },
}

/// A chain's forks by timestamp, as its nodes apply them (EIP-7910's `eth_config` serves the
/// current, next and last of them). EXECUTE applies its host's schedule to the traced block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForkSchedule {
    activations: Vec<Activation>,
}

impl ForkSchedule {
    /// A schedule of `activations`, oldest first: times strictly increasing, forks never going
    /// back, blob parameters in range. Blocks before the first activation have no rules.
    pub fn new(activations: Vec<Activation>) -> Result<Self, ScheduleError> {
        if activations.is_empty() {
            return Err(ScheduleError::Empty);
        }
        let mut previous: Option<&Activation> = None;
        for activation in &activations {
            if let Some(before) = previous {
                if activation.timestamp <= before.timestamp || activation.fork < before.fork {
                    return Err(ScheduleError::OutOfOrder(activation.timestamp));
                }
            }
            let probe = ChainConfig::new(
                ChainParams {
                    chain_id: 1,
                    deposit_contract: Address::ZERO,
                },
                activation,
            );
            if let Err(ExecuteError::InvalidChainConfig(reason)) = probe.validate() {
                return Err(ScheduleError::Blobs {
                    timestamp: activation.timestamp,
                    reason,
                });
            }
            previous = Some(activation);
        }
        Ok(Self { activations })
    }

    /// One fork with `blobs` for all time.
    pub fn fixed(fork: Fork, blobs: BlobSchedule) -> Self {
        Self {
            activations: vec![Activation {
                timestamp: 0,
                fork,
                blobs,
            }],
        }
    }

    /// Every activation, oldest first.
    pub fn activations(&self) -> &[Activation] {
        &self.activations
    }

    /// The activation in force at `timestamp`, if the schedule has begun by then.
    pub fn at(&self, timestamp: u64) -> Option<&Activation> {
        self.activations
            .iter()
            .rev()
            .find(|a| a.timestamp <= timestamp)
    }

    /// The first activation after `timestamp`, if one is scheduled.
    pub fn next_after(&self, timestamp: u64) -> Option<&Activation> {
        self.activations.iter().find(|a| a.timestamp > timestamp)
    }
}

/// The chain EXECUTE runs on, as one call sees it: its fork schedule and the timestamp of the
/// block the call is in.
#[derive(Debug, Clone, Copy)]
pub struct Host<'a> {
    /// The host's forks by timestamp.
    pub schedule: &'a ForkSchedule,
    /// Timestamp of the host block running EXECUTE.
    pub timestamp: u64,
}

impl<'a> Host<'a> {
    /// A host at `timestamp` under `schedule`.
    pub const fn new(schedule: &'a ForkSchedule, timestamp: u64) -> Self {
        Self {
            schedule,
            timestamp,
        }
    }

    /// A host that has reached every fork of `schedule`: for checking traces off-chain.
    pub const fn latest(schedule: &'a ForkSchedule) -> Self {
        Self::new(schedule, u64::MAX)
    }

    /// The rules of a block of `params`'s chain at `block_timestamp`: the schedule's fork then,
    /// which this host must have reached itself.
    pub fn rules(
        &self,
        params: ChainParams,
        block_timestamp: u64,
    ) -> Result<ChainConfig, ExecuteError> {
        let activation = self
            .schedule
            .at(block_timestamp)
            .ok_or(ExecuteError::BeforeSchedule(block_timestamp))?;
        if activation.timestamp > self.timestamp {
            return Err(ExecuteError::ForkNotReached {
                fork: activation.fork,
                activation: activation.timestamp,
                host: self.timestamp,
            });
        }
        Ok(ChainConfig::new(params, activation))
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
    fn rules_take_fork_and_blobs_from_the_host() {
        let cancun = ChainConfig::mainnet(Fork::Cancun).activation();
        let bpo = Activation {
            timestamp: 20,
            blobs: BlobSchedule {
                target: 1,
                max: 2,
                update_fraction: 1_000_000,
            },
            ..cancun
        };
        let schedule = ForkSchedule::new(vec![cancun, bpo]).unwrap();
        let params = ChainParams {
            chain_id: 7,
            deposit_contract: Address::ZERO,
        };
        let host = Host::latest(&schedule);
        assert_eq!(host.rules(params, 19).unwrap().blobs, cancun.blobs);
        let after = host.rules(params, 20).unwrap();
        assert_eq!((after.chain_id, after.blobs), (7, bpo.blobs));
        assert_eq!(schedule.next_after(19), Some(&bpo));
        assert_eq!(schedule.next_after(20), None);
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
