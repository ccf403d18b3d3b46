//! A rollup on an embedded L1 devnet: the devnet served over JSON-RPC and the beacon API, the
//! rollup's contracts deployed from the committed artifacts, and the sequencer (with its load
//! generator) and proposer that drive it. What the watchtower benchmark and the tests run on.

use std::{
    net::SocketAddr,
    path::Path,
    process::Command,
    sync::{Arc, Mutex},
    time::{SystemTime, UNIX_EPOCH},
};

use alloy_eips::eip7840::BlobParams;
use alloy_primitives::{hex, Address, U256, U64};
use alloy_provider::Provider;
use alloy_rpc_types_eth::BlockNumberOrTag;
use alloy_signer_local::PrivateKeySigner;
use devnet::{
    accounts::{dev_accounts, DeriveError, DEV_MNEMONIC},
    server::Server,
    Node, NodeConfig,
};
use execute::{chain::ScheduleError, Activation, BlobSchedule, ChainConfig, Fork, ForkSchedule};
use l1_contracts::{
    deploy::{deploy_rollup, DeployError, Deployment, Sequencing},
    provider::l1_provider,
    rollup::Rollup,
};
use l2_node::{
    l1::DEFAULT_LOG_RANGE,
    node::{Genesis, L2Node, NodeError},
};
use rollup::{derive::L2Chain, lie::BlockLie};
use sequencer::{
    genesis::{dev_genesis, load_generator},
    pool::Pool,
    proposer::Proposer,
    rpc::Shared,
    service::{Sequencer, SequencerConfig},
};

use watchtower::{WatchConfig, WatchError, Watchtower};

/// Why the network, or a part of it, could not be had.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// The dev keys could not be derived.
    #[error("deriving the dev keys: {0}")]
    Keys(#[from] DeriveError),
    /// The devnet could not listen.
    #[error("starting the devnet on {addr}: {source}")]
    Listen {
        /// Where it was to listen.
        addr: SocketAddr,
        /// Why it could not.
        #[source]
        source: std::io::Error,
    },
    /// Deploying the rollup failed.
    #[error("deploying the rollup: {0}")]
    Deploy(#[from] DeployError),
    /// An L2 node could not be opened.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The devnet's JSON-RPC failed.
    #[error("L1 RPC: {0}")]
    Rpc(#[from] alloy_transport::TransportError),
    /// The devnet has no head block.
    #[error("the devnet has no head block")]
    NoHead,
    /// The L2's genesis is outside the devnet's fork schedule.
    #[error("the L2 genesis: {0}")]
    Genesis(#[from] execute::ExecuteError),
    /// The operator's binary is not where cargo leaves it.
    #[error("no challenger binary at {0} (build it: cargo build -p challenger)")]
    NoChallenger(std::path::PathBuf),
    /// Running the operator's binary failed.
    #[error("running {0}: {1}")]
    Run(std::path::PathBuf, #[source] std::io::Error),
    /// The operator's binary exited with an error.
    #[error("challenger games: {0}")]
    Games(String),
}

/// What the harness's functions return.
pub type Result<T, E = NetworkError> = std::result::Result<T, E>;

/// Load generator senders funded at the L2's genesis.
pub const SENDERS: usize = 8;
/// The L1 devnet's chain id.
pub const L1_CHAIN_ID: u64 = 31337;
/// Dev keys the network hands out: 0 posts batches, 1 proposes, the others are free.
pub const KEYS: u32 = 6;
const ETHER: u128 = 10u128.pow(18);

/// The network's settings.
#[derive(Debug, Clone)]
pub struct NetworkConfig {
    /// The L2's genesis (its fork schedule is replaced by the devnet's).
    pub genesis: Genesis,
    /// The devnet's forks by timestamp, which the L2 follows (Osaka from the start by default).
    pub l1_schedule: ForkSchedule,
    /// The game's rules (the L2's gas limit and fee recipient are filled in).
    pub game: Rollup::Config,
    /// Where the devnet listens.
    pub addr: SocketAddr,
    /// EXECUTE's lowest price on the devnet, in L1 gas per declared EXECUTE gas (1 by default;
    /// higher to replay steps at the price the rules still guarantee).
    pub execute_price: u64,
    /// L1 blocks the devnet's beacon API keeps blobs for (`None`: mainnet's 4,096 epochs).
    pub blob_retention: Option<u64>,
    /// Most blocks one `eth_getLogs` may span on the devnet (`None`: its default); the
    /// network's own nodes and watchtowers keep to it.
    pub max_log_range: Option<u64>,
    /// Seconds without a batch from the sequencer (key 0) after which anyone may post.
    pub sequencer_timeout: u64,
}

impl NetworkConfig {
    /// L2 `chain_id` with [`SENDERS`] funded load senders on a devnet at a free local port: a
    /// one-hour challenge window, ten-minute clocks, degree 4, bonds of 1 and 0.5 ether, and
    /// anyone may post after an hour of the sequencer's silence.
    pub fn dev(chain_id: u64) -> Self {
        let l1_schedule = ChainConfig::mainnet(Fork::Osaka).schedule();
        Self {
            genesis: dev_genesis(
                chain_id,
                l1_schedule.clone(),
                SENDERS,
                &[],
                Address::repeat_byte(0xfe),
            )
            .expect("an Osaka schedule covers every time"),
            l1_schedule,
            game: Rollup::Config {
                challengeWindow: 3_600,
                clock: 600,
                proposalBond: U256::from(ETHER),
                challengeBond: U256::from(ETHER / 2),
                degree: 4,
                gasLimit: 0,
                feeRecipient: Address::ZERO,
            },
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            execute_price: 1,
            blob_retention: None,
            max_log_range: None,
            sequencer_timeout: 3_600,
        }
    }
}

/// Seconds since the Unix epoch, the devnet's clock.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// An L1 that forks under the rollup: Prague until `osaka`, Osaka until `bpo1`, then BPO1 with
/// mainnet's blob parameters (timestamps in seconds).
pub fn prague_osaka_bpo1(osaka: u64, bpo1: u64) -> Result<ForkSchedule, ScheduleError> {
    let params = BlobParams::bpo1();
    ForkSchedule::new(vec![
        ChainConfig::mainnet(Fork::Prague).activation(),
        Activation {
            timestamp: osaka,
            ..ChainConfig::mainnet(Fork::Osaka).activation()
        },
        Activation {
            timestamp: bpo1,
            fork: Fork::Osaka,
            blobs: BlobSchedule::try_from(&params).expect("mainnet's update fraction fits"),
        },
    ])
}

/// The running devnet with the rollup deployed.
#[derive(Debug)]
pub struct Network {
    /// The devnet's JSON-RPC and beacon API server.
    pub server: Server,
    /// The devnet itself.
    pub devnet: Arc<Mutex<Node>>,
    /// Funded dev keys (see [`KEYS`]).
    pub keys: Vec<PrivateKeySigner>,
    /// The rollup's contracts.
    pub deployment: Deployment,
    /// The L2's chain id.
    pub chain_id: u64,
    /// Most L1 blocks the network's nodes and watchtowers span per log query.
    pub log_range: u64,
    genesis: Genesis,
}

impl Network {
    /// Starts the devnet and deploys the rollup (inbox open to key 0's batches).
    pub async fn start(config: NetworkConfig) -> Result<Self> {
        let mut node = NodeConfig::dev(L1_CHAIN_ID, Fork::Osaka)?;
        node.schedule = config.l1_schedule.clone();
        node.pricing.min_price = config.execute_price;
        if let Some(blocks) = config.max_log_range {
            node.max_log_range = blocks.max(1);
        }
        let log_range = node.max_log_range.min(DEFAULT_LOG_RANGE);
        if let Some(blocks) = config.blob_retention {
            node.blob_retention = blocks;
        }
        let devnet = Arc::new(Mutex::new(Node::new(node)));
        let server = Server::start(devnet.clone(), config.addr)
            .await
            .map_err(|source| NetworkError::Listen {
                addr: config.addr,
                source,
            })?;
        let keys = dev_accounts(DEV_MNEMONIC, KEYS)?;
        let mut genesis = config.genesis;
        genesis.config.schedule = Arc::new(config.l1_schedule);
        let genesis_hash = L2Chain::new(
            genesis.config.clone(),
            genesis.accounts.clone(),
            genesis.timestamp,
        )?
        .head()
        .hash_slow();
        let poster = l1_provider(
            server.url().parse().expect("the devnet's own URL parses"),
            keys[0].clone(),
        );
        let deployment = deploy_rollup(
            &poster,
            keys[0].address(),
            Sequencing {
                sequencer: keys[0].address(),
                timeout: config.sequencer_timeout,
            },
            genesis.config.chain_rlp(),
            genesis_hash,
            genesis.config.rollup_config(config.game),
        )
        .await?;
        Ok(Self {
            server,
            devnet,
            keys,
            deployment,
            chain_id: genesis.config.chain_id(),
            log_range,
            genesis,
        })
    }

    /// The L2's genesis.
    pub fn genesis(&self) -> Genesis {
        self.genesis.clone()
    }

    /// The devnet's URL (JSON-RPC and beacon API).
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// `challenger run` (the binary `exe`) on this rollup with dev key `i` (in the environment,
    /// as a user would pass it) and its store in `state_dir`; the caller adds the L1 endpoint,
    /// other flags and where output goes.
    pub fn daemon_command(&self, exe: &Path, i: usize, state_dir: &Path) -> Command {
        let mut command = Command::new(exe);
        command
            .args(["run", "--rollup"])
            .arg(self.deployment.rollup.to_string())
            .args(["--start-block", &self.deployment.inbox_block.to_string()])
            .args(["--chain-id", &self.chain_id.to_string()])
            .args(["--senders", &SENDERS.to_string(), "--state-dir"])
            .arg(state_dir)
            .env(
                "CHALLENGER_KEY",
                hex::encode_prefixed(self.keys[i].to_bytes()),
            );
        command
    }

    /// An L2 node for this rollup with its store in `dir`.
    pub fn node(&self, dir: &Path) -> Result<L2Node, NodeError> {
        L2Node::open(dir, self.genesis(), self.deployment.inbox_block)
    }

    /// A watchtower in-process over `node`, for dev key `i`, believing `lie` (test mode).
    pub async fn watchtower(
        &self,
        i: usize,
        node: L2Node,
        lie: Option<BlockLie>,
    ) -> Result<Watchtower<impl Provider + Clone>, WatchError> {
        let config = WatchConfig {
            from_block: self.deployment.inbox_block,
            log_range: self.log_range,
            lie,
            ..WatchConfig::new(self.deployment.rollup, self.keys[i].address())
        };
        Watchtower::new(node, self.provider(i), &self.url(), config).await
    }

    /// A provider signing with dev key `i`.
    pub fn provider(&self, i: usize) -> impl Provider + Clone {
        let url = self.url().parse().expect("the server's own URL parses");
        l1_provider(url, self.keys[i].clone())
    }

    /// The proposer (key 1), claiming every `every` blocks, lying as `lie` says.
    pub fn proposer(&self, every: u64, lie: Option<BlockLie>) -> Proposer<impl Provider + Clone> {
        self.proposer_with(self.provider(1), every, lie)
    }

    fn proposer_with<P: Provider>(
        &self,
        provider: P,
        every: u64,
        lie: Option<BlockLie>,
    ) -> Proposer<P> {
        Proposer::new(
            provider,
            self.deployment.rollup,
            self.keys[1].address(),
            every,
        )
        .lying(lie)
    }

    /// The sequencer (key 0) with its store in `dir`, posting batches of `blocks_per_batch`
    /// blocks with `load_gas` of generated load each tick; with `claims` = `(every, lie)`, the
    /// proposer claims as [`Self::proposer`] does.
    pub fn sequencer(
        &self,
        dir: &Path,
        blocks_per_batch: usize,
        load_gas: u64,
        claims: Option<(u64, Option<BlockLie>)>,
    ) -> Result<Sequencer<impl Provider + Clone>> {
        self.poster(0, dir, blocks_per_batch, load_gas, claims)
    }

    /// A batch poster as [`Self::sequencer`], posting from key `key`: key 0 is the inbox's
    /// sequencer; another key posts only while the sequencer has been silent for its timeout
    /// (and follows L1 meanwhile).
    pub fn poster(
        &self,
        key: usize,
        dir: &Path,
        blocks_per_batch: usize,
        load_gas: u64,
        claims: Option<(u64, Option<BlockLie>)>,
    ) -> Result<Sequencer<impl Provider + Clone>> {
        let node = self.node(dir)?;
        let config = self.genesis().config;
        let shared = Shared::new(node, Pool::new(self.chain_id, config.gas_limit));
        Ok(Sequencer::new(
            shared,
            self.provider(key),
            &self.url(),
            SequencerConfig {
                inbox: self.deployment.inbox,
                submitter: self.keys[key].address(),
                blocks_per_batch,
                load_gas,
                window: 1_000,
                log_range: self.log_range,
            },
            (load_gas > 0)
                .then(|| load_generator(&config, SENDERS))
                .transpose()?,
            claims.map(|(every, lie)| self.proposer_with(self.provider(1), every, lie)),
        ))
    }
}

/// The operator's `challenger` binary beside `exe`: cargo leaves a workspace's binaries in one
/// directory.
pub fn challenger_beside(exe: &Path) -> Result<std::path::PathBuf> {
    let path = exe.with_file_name(format!("challenger{}", std::env::consts::EXE_SUFFIX));
    if !path.is_file() {
        return Err(NetworkError::NoChallenger(path));
    }
    Ok(path)
}

/// Foundry's `tool` (`cast`, `forge`): `$CAST`/`$FORGE` as `test.sh` sets them, or the binary of
/// the platform's npm package under the repository's `node_modules/@foundry-rs` (not
/// `node_modules/.bin`, whose wrappers exit 0 whatever the tool returns).
pub fn foundry_tool(tool: &str) -> std::path::PathBuf {
    if let Some(path) = std::env::var_os(tool.to_uppercase()) {
        return path.into();
    }
    let packages = Path::new(env!("CARGO_MANIFEST_DIR")).join("../node_modules/@foundry-rs");
    std::fs::read_dir(&packages)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("{tool}-"))
        })
        .map(|e| e.path().join("bin").join(tool))
        .find(|path| path.is_file())
        .unwrap_or_else(|| packages.join(format!("{tool}-linux-amd64/bin/{tool}")))
}

/// `challenger games`' table from the `challenger` binary, with `args` (the L1 endpoint and the
/// rollup).
pub fn games_table(challenger: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(challenger)
        .arg("games")
        .args(args)
        .output()
        .map_err(|e| NetworkError::Run(challenger.to_path_buf(), e))?;
    if !out.status.success() {
        return Err(NetworkError::Games(
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Moves a devnet's L1 time `seconds` past its head's and mines a block there
/// (`evm_increaseTime`, `evm_mine`).
pub async fn advance_time(provider: &impl Provider, seconds: u64) -> Result<()> {
    let head = provider
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await?
        .ok_or(NetworkError::NoHead)?;
    // Blocks mined in a burst run ahead of the wall clock (a second each at least).
    let ahead = head.header.timestamp.saturating_sub(unix_now());
    let offset = U64::from(seconds.saturating_add(ahead).saturating_add(1));
    provider
        .raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (offset,))
        .await?;
    provider
        .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
        .await?;
    Ok(())
}
