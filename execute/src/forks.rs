//! A chain's fork schedule from the two places its nodes publish one: a geth-style genesis file
//! (`cancunTime` ... `bpo5Time` with `blobSchedule`), and EIP-7910's `eth_config` answer. The
//! devnet runs by the first; the L2's nodes take either, and so apply the forks the L1 applies.

use std::collections::BTreeSet;

use alloy_eips::{
    eip7840::BlobParams,
    eip7910::{EthConfig, EthForkConfig},
};
use alloy_genesis::Genesis;
use alloy_hardforks::ForkHash;
use alloy_primitives::Address;
use revm::precompile::{PrecompileSpecId, Precompiles};

use crate::{
    chain::ScheduleError, Activation, BlobSchedule, ChainConfig, Fork, ForkSchedule,
    EXECUTE_ADDRESS,
};

/// Why published forks are not a schedule EXECUTE can apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForksError {
    /// The activations do not form a schedule.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    /// A fork whose precompiles are those of no fork from Cancun on that EXECUTE supports.
    #[error("the fork activating at {0} is not one EXECUTE supports (Cancun to Osaka and BPOs)")]
    UnknownFork(u64),
    /// `eth_config`'s fork hashes show forks between two it serves, which it does not describe.
    #[error(
        "the L1 schedules forks between {after} and {before} that eth_config does not describe"
    )]
    HiddenForks {
        /// Activation time of the fork before the gap.
        after: u64,
        /// Activation time of the fork after it.
        before: u64,
    },
    /// A blob base fee update fraction beyond 64 bits.
    #[error("the blob base fee update fraction of the fork at {0} is too large")]
    UpdateFraction(u64),
    /// The genesis schedules a fork after Osaka.
    #[error("forks after Osaka are not supported")]
    AfterOsaka,
    /// A blob-parameter-only fork without its parameters.
    #[error("{0}Time is set but blobSchedule has no \"{0}\" entry")]
    MissingBlobs(&'static str),
    /// A fork set to activate before the one it follows.
    #[error("{fork}Time {time} is before the previous fork's activation {previous}")]
    OutOfOrder {
        /// The fork's name in the file.
        fork: &'static str,
        /// Its time.
        time: u64,
        /// The previous fork's.
        previous: u64,
    },
    /// No Cancun, or Cancun after the genesis block.
    #[error("Cancun must be active at genesis (cancunTime at or before the genesis timestamp)")]
    NoCancunAtGenesis,
}

impl ForkSchedule {
    /// The schedule of a genesis file, as a node started from it applies it: from the latest fork
    /// active at genesis (which covers all earlier time: the chain has no history before it),
    /// then each later fork in order; forks set to the same time collapse to the last. Blob
    /// parameters come from `blobSchedule`, or mainnet's for Cancun, Prague and Osaka.
    pub fn from_genesis(genesis: &Genesis) -> Result<Self, ForksError> {
        let config = &genesis.config;
        if config.amsterdam_time.is_some() || config.bogota_time.is_some() {
            return Err(ForksError::AfterOsaka);
        }
        let named = [
            ("cancun", Fork::Cancun, config.cancun_time),
            ("prague", Fork::Prague, config.prague_time),
            ("osaka", Fork::Osaka, config.osaka_time),
            ("bpo1", Fork::Osaka, config.bpo1_time),
            ("bpo2", Fork::Osaka, config.bpo2_time),
            ("bpo3", Fork::Osaka, config.bpo3_time),
            ("bpo4", Fork::Osaka, config.bpo4_time),
            ("bpo5", Fork::Osaka, config.bpo5_time),
        ];
        let mut schedule: Vec<Activation> = Vec::new();
        for (name, fork, time) in named {
            let Some(time) = time else { continue };
            let blobs = match config.blob_schedule.get(name) {
                Some(params) => blob_schedule(params, time)?,
                None if name.starts_with("bpo") => return Err(ForksError::MissingBlobs(name)),
                None => ChainConfig::mainnet(fork).blobs,
            };
            if let Some(last) = schedule.last() {
                if time < last.timestamp {
                    return Err(ForksError::OutOfOrder {
                        fork: name,
                        time,
                        previous: last.timestamp,
                    });
                }
            }
            schedule.push(Activation {
                timestamp: time,
                fork,
                blobs,
            });
        }
        if schedule
            .first()
            .is_none_or(|a| a.timestamp > genesis.timestamp)
        {
            return Err(ForksError::NoCancunAtGenesis);
        }
        let at_genesis = schedule
            .iter()
            .rposition(|a| a.timestamp <= genesis.timestamp)
            .unwrap_or(0);
        let mut activations = schedule.split_off(at_genesis);
        activations.dedup_by(|later, earlier| {
            let same_time = later.timestamp == earlier.timestamp;
            if same_time {
                *earlier = *later;
            }
            same_time
        });
        activations[0].timestamp = 0;
        Ok(Self::new(activations)?)
    }

    /// The schedule an L1 node serves through EIP-7910's `eth_config`: its current fork, then
    /// the next and the last if scheduled. Each fork is recognized by its precompiles (EXECUTE's
    /// aside), which differ from Cancun to Osaka; a blob-parameter-only fork is Osaka with its
    /// own blob parameters. Blocks before the current fork are outside this schedule.
    ///
    /// Forks scheduled between `next` and `last` are not served; EIP-6122's fork hashes tell
    /// whether there are any (each fork's hash is its predecessor's updated with its activation
    /// time), and a schedule with a gap is refused rather than guessed.
    pub fn from_eth_config(config: &EthConfig) -> Result<Self, ForksError> {
        let served = std::iter::once(&config.current)
            .chain(&config.next)
            .chain(&config.last);
        let mut activations: Vec<Activation> = Vec::new();
        let mut before: Option<&EthForkConfig> = None;
        for fork in served {
            // `last` repeats `next` when only one fork is scheduled.
            if before.is_some_and(|b| b.activation_time == fork.activation_time) {
                continue;
            }
            if let Some(b) = before {
                let follows = fork_hash(b).map(|hash| hash + fork.activation_time);
                if follows.is_none() || follows != fork_hash(fork) {
                    return Err(ForksError::HiddenForks {
                        after: b.activation_time,
                        before: fork.activation_time,
                    });
                }
            }
            activations.push(activation_of(fork)?);
            before = Some(fork);
        }
        Ok(Self::new(activations)?)
    }
}

/// A `blobSchedule` entry of a fork activating at `timestamp`.
fn blob_schedule(params: &BlobParams, timestamp: u64) -> Result<BlobSchedule, ForksError> {
    BlobSchedule::try_from(params).map_err(|_| ForksError::UpdateFraction(timestamp))
}

/// The EIP-6122 fork hash `eth_config` gives a fork, if it is four bytes.
fn fork_hash(served: &EthForkConfig) -> Option<ForkHash> {
    let bytes: [u8; 4] = served.fork_id.as_ref().try_into().ok()?;
    Some(ForkHash(bytes))
}

/// The activation `eth_config` describes: its fork by the precompile set, its blob parameters.
fn activation_of(served: &EthForkConfig) -> Result<Activation, ForksError> {
    let timestamp = served.activation_time;
    let addresses: BTreeSet<Address> = served
        .precompiles
        .values()
        .copied()
        .filter(|a| *a != EXECUTE_ADDRESS)
        .collect();
    let fork = Fork::ALL
        .into_iter()
        .filter(|f| *f >= Fork::Cancun)
        .find(|f| {
            let own = Precompiles::new(PrecompileSpecId::from_spec_id(f.spec_id()));
            own.addresses().copied().collect::<BTreeSet<_>>() == addresses
        })
        .ok_or(ForksError::UnknownFork(timestamp))?;
    Ok(Activation {
        timestamp,
        fork,
        blobs: blob_schedule(&served.blob_schedule, timestamp)?,
    })
}
