//! `toolkit demo`: the toolkit's main job on an embedded devnet. The rollup is deployed, a
//! sequencer under generated load posts blob batches, a proposer claims blocks and lies once
//! (it drops a transaction), and the watchtower, having derived the chain from L1 alone,
//! challenges the lie, bisects it down to one transaction against the lying proposer's
//! defence, wins with one EXECUTE call and withdraws the bonds; the proposer then claims the
//! block again, honestly. Beside the dispute, a user moves ETH over the bridge and back
//! ([`round_trip`]). What is narrated is read from L1's logs as it lands. With `--forks-after`,
//! the L1 forks from Prague to Osaka and then to BPO1 while this happens.

mod round_trip;

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use alloy_network::ReceiptResponse;
use alloy_primitives::{Address, B256, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::{Filter, Log};
use alloy_sol_types::SolEvent;
use anyhow::{bail, Context, Result};
use bisect::game::split_points;
use l1_contracts::{blob_data::BlobData, inbox::Inbox};
use l1_contracts::{rollup::Rollup, status::GameStatus};
use rollup::lie::BlockLie;
use rollup::lie::Lie;
use testnet::{prague_osaka_bpo1, unix_now, Network, NetworkConfig};

/// L2 blocks between claims.
const EVERY: u64 = 4;
/// The block the proposer lies about.
const LIE_BLOCK: u64 = 8;
/// Gas of generated load per sequencer tick.
const LOAD_GAS: u64 = 1_500_000;
/// L2 blocks per batch.
const BLOCKS_PER_BATCH: usize = 2;
/// The demo gives up after this long.
const TIMEOUT: Duration = Duration::from_secs(600);
const ETHER: f64 = 1e18;

/// `toolkit demo`'s settings.
#[derive(Debug, clap::Args)]
pub(crate) struct DemoArgs {
    /// Run across L1 forks: Prague from the start, Osaka this many seconds later, BPO1 twice as
    /// many (without it, Osaka throughout).
    #[arg(long, value_name = "SECONDS")]
    forks_after: Option<u64>,
}

fn short(hash: B256) -> String {
    let hex = hash.to_string();
    format!("{}…{}", &hex[..8], &hex[hex.len() - 4..])
}

fn ether(wei: U256) -> String {
    format!("{} ETH", f64::from(wei) / ETHER)
}

/// Prints a line of the narration, stamped with the time since `started` (and the L1 block it
/// is about, if any).
fn say_at(started: Instant, l1_block: Option<u64>, text: impl AsRef<str>) {
    let at = started.elapsed().as_secs_f64();
    match l1_block {
        Some(n) => println!("[{at:6.1}s] L1 #{n:<4} {}", text.as_ref()),
        None => println!("[{at:6.1}s]          {}", text.as_ref()),
    }
}

/// Prints what the rollup's contracts log, as it lands on L1.
struct Narrator {
    started: Instant,
    next_block: u64,
    addresses: Vec<Address>,
    /// Who is who, for the narration.
    names: HashMap<Address, &'static str>,
    /// Batches posted.
    batches: u64,
    moves: u64,
    execute_gas: u64,
    challenged_at: Option<Instant>,
    /// The block level 2 is about and its candidate count.
    opened: Option<(u64, u64)>,
}

impl Narrator {
    fn name(&self, address: &Address) -> &'static str {
        self.names.get(address).copied().unwrap_or("someone")
    }

    fn say(&self, l1_block: Option<u64>, text: impl AsRef<str>) {
        say_at(self.started, l1_block, text);
    }

    /// Narrates every log of the rollup's contracts since the last call.
    async fn poll(&mut self, provider: &impl Provider, rollup: Address) -> Result<Vec<Log>> {
        let head = provider.get_block_number().await?;
        if head < self.next_block {
            return Ok(Vec::new());
        }
        let filter = Filter::new()
            .address(self.addresses.clone())
            .from_block(self.next_block)
            .to_block(head);
        let logs = provider.get_logs(&filter).await?;
        self.next_block = head + 1;
        for log in &logs {
            self.narrate(provider, rollup, log).await?;
        }
        Ok(logs)
    }

    async fn gas(provider: &impl Provider, log: &Log) -> Result<(u64, usize)> {
        let hash = log
            .transaction_hash
            .context("a mined log has its transaction")?;
        let receipt = provider
            .get_transaction_receipt(hash)
            .await?
            .context("a mined transaction has its receipt")?;
        let tx = provider
            .get_transaction_by_hash(hash)
            .await?
            .context("a mined transaction is found")?;
        use alloy_consensus::Transaction as _;
        Ok((receipt.gas_used(), tx.input().len()))
    }

    async fn narrate(
        &mut self,
        provider: &impl Provider,
        rollup: Address,
        log: &Log,
    ) -> Result<()> {
        let n = log.block_number;
        if let Ok(e) = Inbox::BatchSubmitted::decode_log(&log.inner) {
            self.batches += 1;
            let last = e.firstBlock + u64::from(e.blockCount) - 1;
            let blocks = if e.blockCount == 1 {
                format!("L2 block {}", e.firstBlock)
            } else {
                format!("L2 blocks {}-{last}", e.firstBlock)
            };
            self.say(
                n,
                format!(
                    "blob batch {} posted: {blocks}, blob {}",
                    e.index,
                    short(e.blobHash)
                ),
            );
        } else if let Ok(e) = Rollup::Proposed::decode_log(&log.inner) {
            self.say(
                n,
                format!(
                    "claim {}: the proposer says L2 block {} has hash {} (bond posted)",
                    e.claim,
                    e.l2Block,
                    short(e.blockHash)
                ),
            );
        } else if let Ok(e) = Rollup::Challenged::decode_log(&log.inner) {
            self.challenged_at.get_or_insert_with(Instant::now);
            self.moves += 1;
            self.say(
                n,
                format!(
                    "claim {} challenged by the {} (game {}): its replay of the blobs disagrees",
                    e.claim,
                    self.name(&e.challenger),
                    e.game
                ),
            );
        } else if let Ok(e) = Rollup::Split::decode_log(&log.inner) {
            self.moves += 1;
            let what = if e.level == 1 { "blocks" } else { "positions" };
            let points: Vec<String> = split_points(e.lo, e.hi, e.values.len() as u64 + 1)
                .iter()
                .map(u64::to_string)
                .collect();
            self.say(
                n,
                format!(
                    "  level {}: the defender splits {what} ({}, {}] at {}",
                    e.level,
                    e.lo,
                    e.hi,
                    points.join(", ")
                ),
            );
        } else if let Ok(e) = Rollup::Picked::decode_log(&log.inner) {
            self.moves += 1;
            let what = if e.level == 1 { "blocks" } else { "positions" };
            let leaf = match (e.level, e.hi - e.lo, self.opened) {
                (2, 1, Some((block, m))) if e.lo < m => {
                    format!(": the segment is transaction {} of block {block}", e.lo)
                }
                (2, 1, Some((block, _))) => format!(": the segment is the end of block {block}"),
                _ => String::new(),
            };
            self.say(
                n,
                format!(
                    "  level {}: the challenger disputes {what} ({}, {}]{leaf}",
                    e.level, e.lo, e.hi
                ),
            );
        } else if let Ok(e) = Rollup::BlockOpened::decode_log(&log.inner) {
            self.moves += 1;
            self.opened = Some((e.l2Block, e.candidates));
            self.say(
                n,
                format!(
                    "  block {} opened: {} candidate transactions; level 2 bisects positions 0..={}",
                    e.l2Block,
                    e.candidates,
                    e.candidates + 1
                ),
            );
        } else if let Ok(e) = BlobData::Opened::decode_log(&log.inner) {
            self.moves += 1;
            let (gas, _) = Self::gas(provider, log).await?;
            self.say(
                n,
                format!(
                    "  blob {} opened on L1: 4096 field elements checked by one KZG point evaluation ({gas} gas)",
                    short(e.versionedHash)
                ),
            );
        } else if let Ok(e) = Rollup::Proven::decode_log(&log.inner) {
            self.moves += 1;
            let (gas, calldata) = Self::gas(provider, log).await?;
            self.execute_gas = gas;
            self.say(
                n,
                format!(
                    "  EXECUTE step by the {}: EXECUTE runs the segment statelessly and it ends \
                     where the {} says ({gas} gas, {calldata} bytes of calldata)",
                    self.name(&e.by),
                    self.name(&e.by)
                ),
            );
        } else if let Ok(e) = Rollup::Resolved::decode_log(&log.inner) {
            let game =
                l1_contracts::call::read(provider, rollup, Rollup::gameCall { id: e.game }).await?;
            let defender_won = GameStatus::from(e.status) == GameStatus::DefenderWon;
            let winner = if defender_won {
                "defender"
            } else {
                "challenger"
            };
            self.say(
                n,
                format!(
                    "game {} over: the {winner} won and is credited {} (claim {})",
                    e.game,
                    if defender_won {
                        "the challenger's bond"
                    } else {
                        "its bond back and the claim's"
                    },
                    game.claim
                ),
            );
        } else if let Ok(e) = Rollup::Rejected::decode_log(&log.inner) {
            self.say(n, format!("claim {} rejected", e.claim));
        } else if let Ok(e) = Rollup::Finalized::decode_log(&log.inner) {
            self.say(n, format!("claim {} finalized", e.claim));
        }
        Ok(())
    }
}

/// Runs the demo; fails if the lie is not caught and paid for in time.
pub(crate) async fn run(args: DemoArgs) -> Result<()> {
    let started = Instant::now();
    println!("Optimistic native rollup demo: an L1 devnet with EXECUTE, a rollup, a lying proposer and a watchtower");
    let mut config = NetworkConfig::dev(4_242);
    if let Some(after) = args.forks_after {
        let now = unix_now();
        config.l1_schedule = prague_osaka_bpo1(now + after, now + 2 * after)?;
    }
    let schedule = config.l1_schedule.clone();
    let window = config.game.challengeWindow;
    let mut fork = schedule.at(unix_now()).copied();
    let network = Network::start(config).await?;
    let d = &network.deployment;
    println!(
        "L1 devnet at {} (chain {}); rollup {}, inbox {}, blob reader {}",
        network.url(),
        testnet::L1_CHAIN_ID,
        d.rollup,
        d.inbox,
        d.blob_data
    );
    if args.forks_after.is_some() {
        let forks: Vec<String> = schedule
            .activations()
            .iter()
            .map(|a| format!("{:?} from L1 time {}", a.fork, a.timestamp))
            .collect();
        println!("L1 forks: {}", forks.join(", "));
    }
    let dir = tempfile::tempdir()?;
    let mut sequencer = network.sequencer(
        &dir.path().join("sequencer"),
        BLOCKS_PER_BATCH,
        LOAD_GAS,
        None,
    )?;
    let l2 = sequencer::rpc::serve(
        sequencer.shared().clone(),
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .context("serving the L2's JSON-RPC")?;
    let (settle, settled) = tokio::sync::watch::channel(false);
    let mut trip = tokio::spawn(round_trip::run(
        round_trip::Chains {
            l1: network.provider(3),
            payer: network.keys[3].address(),
            l2_url: l2.url().parse()?,
            spend_to: network.keys[4].address(),
            deployment: *d,
            window,
        },
        started,
        started + TIMEOUT,
        settled,
    ));
    let mut challenger = network
        .watchtower(2, network.node(&dir.path().join("challenger"))?, None)
        .await?;
    let names = HashMap::from([
        (network.keys[1].address(), "proposer"),
        (network.keys[2].address(), "challenger"),
    ]);
    let mut narrator = Narrator {
        started,
        next_block: d.inbox_block + 1,
        addresses: vec![d.rollup, d.inbox, d.blob_data],
        names,
        batches: 0,
        moves: 0,
        execute_gas: 0,
        challenged_at: None,
        opened: None,
    };
    let reader = network.provider(3);
    let honest = network.proposer(EVERY, None);
    let mut liar = None;
    let mut lie: Option<BlockLie> = None;
    let mut defender = None;
    let mut lie_claim: Option<(u64, Instant)> = None;
    let (mut withdrawn, mut transactions, mut reclaimed) = (U256::ZERO, 0usize, false);
    let mut rejected = false;
    while started.elapsed() < TIMEOUT {
        let tick = sequencer.tick().await?;
        transactions += tick.posted.map_or(0, |(_, txs)| txs);
        let node = sequencer.shared().node.lock().await;
        // The lie: once block LIE_BLOCK exists, drop one of its included transactions.
        if lie.is_none() && node.head().number >= LIE_BLOCK {
            let record = node.store().block(LIE_BLOCK)?;
            let included: Vec<usize> = (0..record.candidates.len())
                .filter(|&k| record.positions[k + 1].included > record.positions[k].included)
                .collect();
            let k = *included
                .get(included.len() / 2)
                .context("block 8 includes transactions")?;
            lie = Some(BlockLie {
                block: LIE_BLOCK,
                lie: Lie::Drop(k),
            });
            liar = Some(network.proposer(EVERY, lie));
            narrator.say(
                None,
                format!(
                    "(the proposer will drop transaction {k} of L2 block {LIE_BLOCK}'s {} from its claim; a block under {})",
                    record.candidates.len(),
                    schedule
                        .at(record.header.timestamp)
                        .map_or("no fork".into(), |a| format!("{:?}", a.fork))
                ),
            );
        }
        // The liar claims until its lie is in; no claims while it is disputed; then the
        // proposer is honest again.
        let proposer = match (&liar, lie_claim) {
            (_, Some(_)) if !rejected => None,
            (Some(liar), None) => Some(liar),
            _ => Some(&honest),
        };
        let claimed = match proposer {
            Some(p) => p.step(&node).await?,
            None => None,
        };
        drop(node);
        if let Some(claim) = claimed {
            if claim.block == LIE_BLOCK && lie_claim.is_none() {
                lie_claim = Some((claim.id, Instant::now()));
                let node = network.node(&dir.path().join("proposer"))?;
                defender = Some(network.watchtower(1, node, lie).await?);
            } else if claim.block == LIE_BLOCK {
                reclaimed = true;
            }
        }
        if let Some(defender) = &mut defender {
            // The liar defends its claim move by move; its proofs fail, as a lie's must.
            let _ = defender.tick().await;
        }
        let report = challenger.tick().await?;
        let logs = narrator.poll(&reader, d.rollup).await?;
        let head = reader
            .get_block_by_number(Default::default())
            .await?
            .context("the devnet has a head")?;
        let active = schedule.at(head.header.timestamp).copied();
        if active != fork {
            if let Some(a) = active {
                let what = match fork {
                    Some(before) if before.fork == a.fork => {
                        format!("a blob-parameter fork ({:?} rules", a.fork)
                    }
                    _ => format!("{:?} ({:?} rules", a.fork, a.fork),
                };
                narrator.say(
                    Some(head.header.number),
                    format!(
                        "the L1 forks to {what}, {} blobs per block at most); the rollup goes on, nothing upgraded",
                        a.blobs.max
                    ),
                );
            }
            fork = active;
        }
        withdrawn += report.withdrawn;
        if !report.withdrawn.is_zero() {
            narrator.say(
                None,
                format!(
                    "the challenger withdrew {}: its bond back and the proposer's",
                    ether(report.withdrawn)
                ),
            );
        }
        if !rejected
            && logs.iter().any(|l| {
                Rollup::Rejected::decode_log(&l.inner)
                    .is_ok_and(|e| lie_claim.is_some_and(|(id, _)| e.claim == U256::from(id)))
            })
        {
            rejected = true;
            // The proposer's node believed the lie; it is set right (here: stopped).
            defender = None;
        }
        if rejected && reclaimed && !withdrawn.is_zero() && !*settle.borrow() {
            settle.send_replace(true);
            let (_, claimed_at) = lie_claim.context("the lie was claimed")?;
            let to_challenge = narrator
                .challenged_at
                .map_or(0.0, |at| at.duration_since(claimed_at).as_secs_f64());
            let head = sequencer.shared().node.lock().await.head().number;
            println!();
            println!("summary:");
            println!(
                "  L2: {head} blocks, {transactions} transactions, in {} blob batches",
                narrator.batches
            );
            println!(
                "  the wrong claim of block {LIE_BLOCK} ({}) was challenged {to_challenge:.1} s after it landed",
                lie.map(|l| l.to_string()).unwrap_or_default()
            );
            println!(
                "  the game took {} transactions; one EXECUTE call decided it ({} gas)",
                narrator.moves, narrator.execute_gas
            );
            println!("  the challenger was paid {}; the proposer lost its bond and claimed block {LIE_BLOCK} again, honestly", ether(withdrawn));
            println!(
                "(the bridge round trip goes on: its withdrawal waits for the challenge window)"
            );
        }
        if *settle.borrow() && trip.is_finished() {
            let bridged = (&mut trip).await.context("the bridge round trip")??;
            println!();
            println!(
                "  bridge: a deposit credited on the L2 {:.1} s after it landed on L1; a \
                 withdrawal paid on L1 ({} gas); a message relayed on the L2 ({} gas)",
                bridged.credited_after, bridged.payout_gas, bridged.relay_gas
            );
            println!(
                "done: wrong claim rejected by one EXECUTE call in {:.1} s, and ETH bridged both \
                 ways",
                started.elapsed().as_secs_f64()
            );
            let _ = l2.shutdown().await;
            let _ = network.server.shutdown().await;
            return Ok(());
        }
        if trip.is_finished() && !*settle.borrow() {
            // The round trip failed before the dispute settled: its error is the demo's.
            (&mut trip).await.context("the bridge round trip")??;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("the lie was not caught within {} s", TIMEOUT.as_secs())
}
