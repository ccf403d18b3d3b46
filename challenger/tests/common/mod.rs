//! A rollup on an in-process devnet for the watchtower's tests: the contracts deployed, a
//! sequencer with a load generator, daemons spawned from the `challenger` binary, and the game's
//! outcome watched while a test-mode player makes its moves.

#![allow(dead_code)] // Each test binary uses part of it.

use std::{
    ops::Deref,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use alloy_primitives::U256;
use alloy_provider::Provider;
use alloy_sol_types::SolCall;
use l1_contracts::{call::read, rollup::Rollup, status::GameStatus};
use rollup::lie::BlockLie;
use testnet::NetworkConfig;
use watchtower::Watchtower;

/// The devnet with the rollup deployed, and a directory for every node's store.
pub(crate) struct Network {
    inner: testnet::Network,
    dir: tempfile::TempDir,
    spawned: AtomicUsize,
}

impl Deref for Network {
    type Target = testnet::Network;

    fn deref(&self) -> &testnet::Network {
        &self.inner
    }
}

impl Network {
    /// A devnet with the rollup of L2 `chain_id` deployed (clock 600 s, degree 4).
    pub(crate) async fn start(chain_id: u64) -> Self {
        Self::start_with(NetworkConfig::dev(chain_id)).await
    }

    /// A devnet and rollup as `config` says.
    pub(crate) async fn start_with(config: NetworkConfig) -> Self {
        Self {
            inner: testnet::Network::start(config).await.unwrap(),
            dir: tempfile::tempdir().unwrap(),
            spawned: AtomicUsize::new(0),
        }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) async fn call<C: SolCall>(&self, c: C) -> C::Return {
        read(&self.provider(0), self.deployment.rollup, c)
            .await
            .unwrap()
    }

    /// Three L2 blocks posted by dev key 0, and a claim of block 2 by dev key 1, lying as `lie`
    /// says.
    pub(crate) async fn three_blocks_and_a_claim(&self, lie: Option<BlockLie>) {
        let mut sequencer = self
            .sequencer(&self.path("sequencer"), 1, 600_000, Some((2, lie)))
            .unwrap();
        for _ in 0..3 {
            sequencer.tick().await.unwrap();
        }
        let claim = self.call(Rollup::claimCall { id: U256::from(1) }).await;
        assert_eq!(claim.l2Block, 2);
    }

    /// A watchtower in-process, for dev key `i`, believing `lie`.
    pub(crate) async fn player(
        &self,
        i: usize,
        lie: Option<BlockLie>,
    ) -> Watchtower<impl Provider + Clone> {
        let node = self.node(&self.path(&format!("player{i}"))).unwrap();
        self.watchtower(i, node, lie).await.unwrap()
    }

    /// `challenger run` with dev key `i`, on the devnet, ticking every 250 ms.
    pub(crate) fn daemon(&self, i: usize) -> Daemon {
        let url = self.server.url();
        self.daemon_with(i, &["--l1-rpc", &url, "--interval-ms", "250"])
    }

    /// `challenger run` with dev key `i`, the rollup's and the L2's flags, and `args`.
    pub(crate) fn daemon_with(&self, i: usize, args: &[&str]) -> Daemon {
        let log = self.path(&format!(
            "daemon{i}-{}.log",
            self.spawned.fetch_add(1, Ordering::SeqCst)
        ));
        let child = self
            .daemon_command(
                env!("CARGO_BIN_EXE_challenger").as_ref(),
                i,
                &self.path(&format!("daemon{i}")),
            )
            .args(args)
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
    pub(crate) fn games_table(&self) -> String {
        let rollup = self.deployment.rollup.to_string();
        games_table(&["--l1-rpc", &self.server.url(), "--rollup", &rollup])
    }

    /// A file in the test's directory.
    pub(crate) fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// Lets `player` move until game 0 ends; returns its status.
    pub(crate) async fn play_out(
        &self,
        player: &mut Watchtower<impl Provider + Clone>,
    ) -> GameStatus {
        let started = Instant::now();
        loop {
            // A dishonest player's proofs fail: a lie cannot be proven.
            let _ = player.tick().await;
            let count: u64 = self.call(Rollup::gameCountCall {}).await.to();
            if count > 0 {
                let game = self.call(Rollup::gameCall { id: U256::ZERO }).await;
                if game.game_status() != GameStatus::Open {
                    return game.game_status();
                }
            }
            assert!(started.elapsed() < Duration::from_secs(120), "no result");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// `challenger games`' table, with `args` (the L1 endpoint and the rollup).
pub(crate) fn games_table(args: &[&str]) -> String {
    testnet::games_table(env!("CARGO_BIN_EXE_challenger").as_ref(), args).unwrap()
}

/// A `challenger run` process, killed if the test fails before it stops it; its log is shown
/// then.
pub(crate) struct Daemon {
    child: Option<Child>,
    log: PathBuf,
}

impl Daemon {
    /// SIGKILL, and wait for the end.
    pub(crate) fn kill(mut self) {
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
pub(crate) fn stop(mut daemon: Daemon) {
    let mut child = daemon.child.take().expect("a running daemon");
    let stopped = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    assert!(child.wait().unwrap().success());
}
