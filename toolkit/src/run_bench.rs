//! `toolkit run-bench`: the watchtower daemon measured on an embedded devnet under load. A
//! sequencer posts blocks of generated transactions; every few blocks the proposer makes a
//! wrong claim; `challenger run`, a separate process, must challenge it. Printed per claim: the
//! time from the claim's receipt to the challenge appearing on chain, in milliseconds and in L1
//! blocks, and the daemon's resident memory; then the medians, the worst, and the memory's
//! growth over the run.

use std::{
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use alloy_primitives::U256;
use alloy_provider::Provider;
use anyhow::{bail, Context, Result};
use l1_contracts::{call::read, rollup::Rollup};
use rollup::lie::BlockLie;
use rollup::lie::Lie;
use testnet::{Network, NetworkConfig};

/// `toolkit run-bench`'s settings.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RunBench {
    /// The `challenger` binary to measure (default: the one beside this binary, where
    /// `cargo build -p challenger` leaves it).
    #[arg(long)]
    challenger: Option<std::path::PathBuf>,
    /// Wrong claims to catch.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
    claims: u64,
    /// L2 blocks between claims.
    #[arg(long, default_value_t = 10)]
    blocks: u64,
    /// Gas of generated load per L2 block.
    #[arg(long, default_value_t = 2_000_000)]
    gas: u64,
    /// The daemon's milliseconds between ticks.
    #[arg(long, default_value_t = 250)]
    interval_ms: u64,
}

/// The daemon's resident and peak memory, in KiB, from `/proc`.
fn memory(pid: u32) -> Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> Result<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .with_context(|| format!("no {name} in /proc/{pid}/status"))
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

fn median(values: &mut [u64]) -> u64 {
    values.sort_unstable();
    values[values.len() / 2]
}

/// Runs the benchmark and prints its figures.
pub(crate) async fn run(bench: RunBench) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let network = Network::start(NetworkConfig::dev(950)).await?;
    let mut sequencer = network.sequencer(&dir.path().join("sequencer"), 1, bench.gas, None)?;
    let log = dir.path().join("daemon.log");
    let metrics = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let exe = match &bench.challenger {
        Some(path) => path.clone(),
        None => testnet::challenger_beside(&std::env::current_exe()?)?,
    };
    let mut daemon = spawn_daemon(&network, &exe, dir.path(), &log, bench.interval_ms, metrics)?;
    wait_ready(metrics, Duration::from_millis(bench.interval_ms)).await?;
    let result = measure(&network, &mut sequencer, daemon.id(), bench).await;
    let _ = Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status();
    let status = daemon.wait()?;
    if let Err(err) = &result {
        eprintln!("{}", std::fs::read_to_string(&log).unwrap_or_default());
        bail!("{err:#}");
    }
    if !status.success() {
        bail!("the daemon exited with {status}");
    }
    result
}

fn spawn_daemon(
    network: &Network,
    exe: &Path,
    dir: &Path,
    log: &Path,
    interval_ms: u64,
    metrics: std::net::SocketAddr,
) -> Result<std::process::Child> {
    network
        .daemon_command(exe, 2, &dir.join("daemon"))
        .args(["--l1-rpc", &network.url()])
        .args(["--metrics-addr", &metrics.to_string()])
        .args(["--interval-ms", &interval_ms.to_string()])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log)?)
        .spawn()
        .context("starting challenger run")
}

async fn measure(
    network: &Network,
    sequencer: &mut sequencer::service::Sequencer<impl Provider + Clone>,
    pid: u32,
    bench: RunBench,
) -> Result<()> {
    let provider = network.provider(0);
    let rollup = network.deployment.rollup;
    let started = Instant::now();
    let (rss_start, _) = memory(pid)?;
    let (mut millis, mut blocks) = (Vec::new(), Vec::new());
    println!(
        "{:>5} {:>8} {:>12} {:>10} {:>10}",
        "claim", "L2 block", "latency ms", "L1 blocks", "RSS MiB"
    );
    for round in 0..bench.claims {
        for _ in 0..bench.blocks {
            sequencer.tick().await?;
        }
        let head = sequencer.shared().node.lock().await.head().number;
        let lie = BlockLie {
            block: head,
            lie: Lie::Drop(0),
        };
        let base = proposer_base(network).await?;
        let proposer = network.proposer(head - base, Some(lie));
        // Counted before the claim: the daemon may challenge before the claim's receipt is read.
        let games_before: u64 = read(&provider, rollup, Rollup::gameCountCall {})
            .await?
            .saturating_to();
        let proposal = {
            let node = sequencer.shared().node.lock().await;
            proposer.step(&node).await?
        }
        .with_context(|| format!("no claim of block {head} on block {base}"))?;
        let claimed_at = Instant::now();
        let claim_block = provider.get_block_number().await?;
        let challenge_block = loop {
            let games: u64 = read(&provider, rollup, Rollup::gameCountCall {})
                .await?
                .to();
            if games > games_before {
                let game = read(
                    &provider,
                    rollup,
                    Rollup::gameCall {
                        id: U256::from(games - 1),
                    },
                )
                .await?;
                if game.claim == proposal.id {
                    break provider.get_block_number().await?;
                }
            }
            if claimed_at.elapsed() > Duration::from_secs(120) {
                bail!("claim {} not challenged within 120 s", proposal.id);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        let ms = claimed_at.elapsed().as_millis() as u64;
        let (rss, _) = memory(pid)?;
        println!(
            "{:>5} {:>8} {:>12} {:>10} {:>10.1}",
            round + 1,
            proposal.block,
            ms,
            challenge_block - claim_block,
            rss as f64 / 1024.0
        );
        millis.push(ms);
        blocks.push(challenge_block - claim_block);
    }
    let (rss_end, peak) = memory(pid)?;
    let head = sequencer.shared().node.lock().await.head().number;
    println!(
        "{} wrong claims over {head} L2 blocks in {:.1} s (daemon tick every {} ms)",
        bench.claims,
        started.elapsed().as_secs_f64(),
        bench.interval_ms
    );
    println!(
        "claim to challenge: median {} ms, worst {} ms; median {} L1 blocks, worst {}",
        median(&mut millis),
        millis.iter().max().copied().unwrap_or_default(),
        median(&mut blocks),
        blocks.iter().max().copied().unwrap_or_default()
    );
    println!(
        "daemon memory: {:.1} MiB resident once started, {:.1} MiB at the end, \
         {:.1} MiB peak",
        rss_start as f64 / 1024.0,
        rss_end as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    Ok(())
}

/// Waits until the daemon serves its metrics and has had time for a first tick.
async fn wait_ready(metrics: std::net::SocketAddr, interval: Duration) -> Result<()> {
    let started = Instant::now();
    while reqwest::get(format!("http://{metrics}/metrics"))
        .await
        .is_err()
    {
        if started.elapsed() > Duration::from_secs(60) {
            bail!("the daemon did not start within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(interval * 2).await;
    Ok(())
}

/// The L2 block of the proposer's newest standing claim.
async fn proposer_base(network: &Network) -> Result<u64> {
    Ok(network.proposer(1, None).last_claim().await?.1)
}
