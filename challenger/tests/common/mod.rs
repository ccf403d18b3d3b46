//! A rollup on an in-process devnet for the watchtower's tests: the contracts deployed, a
//! sequencer with a load generator, daemons spawned from the `challenger` binary, and the game's
//! outcome watched while a test-mode player makes its moves.

#![allow(dead_code)] // Each test binary uses part of it.

use std::{
    net::SocketAddr,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use alloy_primitives::{hex, Address, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use bisect::{
    deploy::{deploy_rollup, Deployment},
    step::Rollup,
};
use challenger::watchtower::{WatchConfig, Watchtower};
use devnet::{
    accounts::{dev_accounts, DEV_MNEMONIC},
    server::Server,
    Node, NodeConfig,
};
use execute::Fork;
use rollup::{
    derive::L2Chain,
    node::{Genesis, L2Node},
};
use sequencer::{
    genesis::{dev_genesis, load_generator},
    l1::l1_provider,
    pool::Pool,
    proposer::{BlockLie, Proposer},
    rpc::Shared,
    service::{Sequencer, SequencerConfig},
};

const SENDERS: usize = 8;
const ETHER: u128 = 10u128.pow(18);

/// The devnet, the deployed rollup, and a directory for every node's store.
pub struct Network {
    pub server: Server,
    pub keys: Vec<PrivateKeySigner>,
    pub deployment: Deployment,
    pub chain_id: u64,
    dir: tempfile::TempDir,
    spawned: AtomicUsize,
}

impl Network {
    /// A devnet with the rollup of L2 `chain_id` deployed (clock 600 s, degree 4).
    pub async fn start(chain_id: u64) -> Self {
        let devnet = Arc::new(Mutex::new(Node::new(
            NodeConfig::dev(31337, Fork::Osaka).unwrap(),
        )));
        let server = Server::start(devnet, SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let keys = dev_accounts(DEV_MNEMONIC, 4).unwrap();
        let genesis = dev_genesis(
            chain_id,
            Fork::Osaka,
            SENDERS,
            &[],
            Address::repeat_byte(0xfe),
        );
        let config = genesis.config;
        let genesis_hash = L2Chain::new(config, genesis.accounts, 0).head().hash_slow();
        let poster = l1_provider(server.url().parse().unwrap(), keys[0].clone());
        let deployment = deploy_rollup(
            &poster,
            Address::ZERO,
            &config,
            genesis_hash,
            Rollup::Config {
                challengeWindow: 3_600,
                clock: 600,
                proposalBond: U256::from(ETHER),
                challengeBond: U256::from(ETHER / 2),
                degree: 4,
                gasLimit: 0,
                feeRecipient: Address::ZERO,
            },
        )
        .await
        .unwrap();
        Self {
            server,
            keys,
            deployment,
            chain_id,
            dir: tempfile::tempdir().unwrap(),
            spawned: AtomicUsize::new(0),
        }
    }

    pub fn genesis(&self) -> Genesis {
        dev_genesis(
            self.chain_id,
            Fork::Osaka,
            SENDERS,
            &[],
            Address::repeat_byte(0xfe),
        )
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A provider signing with dev key `i`.
    pub fn provider(&self, i: usize) -> impl Provider + Clone {
        l1_provider(self.server.url().parse().unwrap(), self.keys[i].clone())
    }

    pub async fn call<C: SolCall>(&self, c: C) -> C::Return {
        let request = TransactionRequest::default()
            .to(self.deployment.rollup)
            .input(c.abi_encode().into());
        let out = self.provider(0).call(request).await.unwrap();
        C::abi_decode_returns(&out).unwrap()
    }

    /// Three L2 blocks posted by dev key 0, and a claim of block 2 by dev key 1, lying as `lie`
    /// says.
    pub async fn three_blocks_and_a_claim(&self, lie: Option<BlockLie>) {
        let node = L2Node::open(
            self.path("sequencer"),
            self.genesis(),
            self.deployment.inbox_block,
        )
        .unwrap();
        let config = self.genesis().config;
        let shared = Shared::new(node, Pool::new(self.chain_id, config.gas_limit));
        let proposer = Proposer::new(
            self.provider(1),
            self.deployment.rollup,
            self.keys[1].address(),
            2,
            lie,
        );
        let mut sequencer = Sequencer::new(
            shared,
            self.provider(0),
            &self.server.url(),
            SequencerConfig {
                inbox: self.deployment.inbox,
                blocks_per_batch: 1,
                load_gas: 600_000,
                window: 1_000,
            },
            Some(load_generator(&config, SENDERS)),
            Some(proposer),
        );
        for _ in 0..3 {
            sequencer.tick().await.unwrap();
        }
        let claim = self.call(Rollup::claimCall { id: U256::from(1) }).await;
        assert_eq!(claim.l2Block, 2);
    }

    /// A watchtower in-process, for dev key `i`, believing `lie`.
    pub async fn player(
        &self,
        i: usize,
        lie: Option<BlockLie>,
    ) -> Watchtower<impl Provider + Clone> {
        let node = L2Node::open(
            self.path(&format!("player{i}")),
            self.genesis(),
            self.deployment.inbox_block,
        )
        .unwrap();
        let config = WatchConfig {
            from_block: self.deployment.inbox_block,
            lie,
            ..WatchConfig::new(self.deployment.rollup, self.keys[i].address())
        };
        Watchtower::new(node, self.provider(i), &self.server.url(), config)
            .await
            .unwrap()
    }

    /// `challenger run` with dev key `i`, on the devnet, ticking every 250 ms.
    pub fn daemon(&self, i: usize) -> Daemon {
        let url = self.server.url();
        self.daemon_with(i, &["--l1-rpc", &url, "--interval-ms", "250"])
    }

    /// `challenger run` with dev key `i`, the rollup's and the L2's flags, and `args`.
    pub fn daemon_with(&self, i: usize, args: &[&str]) -> Daemon {
        let log = self.path(&format!(
            "daemon{i}-{}.log",
            self.spawned.fetch_add(1, Ordering::SeqCst)
        ));
        let child = Command::new(env!("CARGO_BIN_EXE_challenger"))
            .args(["run", "--rollup"])
            .arg(self.deployment.rollup.to_string())
            .args(["--start-block", &self.deployment.inbox_block.to_string()])
            .args(["--chain-id", &self.chain_id.to_string()])
            .args(["--senders", &SENDERS.to_string(), "--state-dir"])
            .arg(self.path(&format!("daemon{i}")))
            .args(args)
            .env(
                "CHALLENGER_KEY",
                hex::encode_prefixed(self.keys[i].to_bytes()),
            )
            .env(
                "RUST_LOG",
                std::env::var("TEST_DAEMON_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Daemon {
            child: Some(child),
            log,
        }
    }

    /// `challenger games`' table for the rollup.
    pub fn games_table(&self) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_challenger"))
            .args(["games", "--l1-rpc", &self.server.url(), "--rollup"])
            .arg(self.deployment.rollup.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// A file in the test's directory.
    pub fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// Lets `player` move until game 0 ends; returns its status.
    pub async fn play_out(&self, player: &mut Watchtower<impl Provider + Clone>) -> u8 {
        let started = Instant::now();
        loop {
            // A dishonest player's proofs fail: a lie cannot be proven.
            let _ = player.tick().await;
            let count: u64 = self.call(Rollup::gameCountCall {}).await.to();
            if count > 0 {
                let game = self.call(Rollup::gameCall { id: U256::ZERO }).await;
                if game.status != 0 {
                    return game.status;
                }
            }
            assert!(started.elapsed() < Duration::from_secs(120), "no result");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// A `challenger run` process, killed if the test fails before it stops it; its log is shown
/// then.
pub struct Daemon {
    child: Option<Child>,
    log: PathBuf,
}

impl Daemon {
    /// SIGKILL, and wait for the end.
    pub fn kill(mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            eprintln!("--- {} (last lines)", self.log.display());
            tail.iter().rev().for_each(|line| eprintln!("{line}"));
        }
    }
}

/// SIGTERM, and a clean exit.
pub fn stop(mut daemon: Daemon) {
    let mut child = daemon.child.take().expect("a running daemon");
    let stopped = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    assert!(child.wait().unwrap().success());
}
