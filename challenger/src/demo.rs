//! `challenger demo`: the whole loop on an embedded devnet. A sequencer posts L2 batches as blob
//! transactions, a proposer claims a block while having dropped one transaction, and a challenger
//! that derived the chain from L1 alone catches it: it bisects over blocks, then over the
//! disputed block's transactions, and wins with one EXECUTE call by the devnet's precompile.
//!
//! The challenger here is a scripted honest player over the library (`rollup`, `bisect`); the
//! watchtower daemon that plays the same moves from chain data is the next step.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Instant,
};

use alloy_network::TransactionBuilder;
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::SolCall;
use anyhow::{bail, Context, Result};
use bisect::{
    deploy::{deploy_rollup, Deployment},
    step::{candidate_proofs, candidate_step, table_proof, Rollup},
};
use devnet::{
    accounts::{dev_accounts, DEV_MNEMONIC},
    server::Server,
    Node, NodeConfig,
};
use execute::{witness::AccountState, Fork};
use rollup::{
    batch::{encode, BatchBlock},
    blob::{blob_from_payload, elements, opening, BlobData},
    derive::{DerivedBlock, L2Chain, Lie},
    l1::{batch_transaction, L1Source},
    rules::L2Config,
    wallet::L2Wallet,
};

const L2_CHAIN_ID: u64 = 4_242;
const USERS: usize = 8;
const BATCHES: u64 = 3;
const BLOCKS_PER_BATCH: u64 = 2;
const TXS_PER_BLOCK: usize = 6;
const DEGREE: u64 = 4;
const ETHER: u128 = 1_000_000_000_000_000_000;
/// The block whose transaction the proposer drops, and which one.
const LIE_BLOCK: u64 = 4;
const LIE_CANDIDATE: usize = 3;

struct Users {
    wallets: Vec<L2Wallet>,
    nonces: Vec<u64>,
}

impl Users {
    fn new() -> Self {
        let wallets = (0..USERS)
            .map(|i| L2Wallet::from_seed(format!("demo user {i}").as_bytes(), L2_CHAIN_ID))
            .collect();
        Self {
            wallets,
            nonces: vec![0; USERS],
        }
    }

    fn genesis(&self) -> Vec<(Address, AccountState)> {
        self.wallets
            .iter()
            .map(|w| {
                let account = AccountState {
                    balance: U256::from(100 * ETHER),
                    ..Default::default()
                };
                (w.address(), account)
            })
            .collect()
    }

    /// A transfer from user `from` to the next one.
    fn transfer(&mut self, from: usize) -> Bytes {
        let to = self.wallets[(from + 1) % USERS].address();
        let nonce = self.nonces[from];
        self.nonces[from] += 1;
        self.wallets[from].transfer(nonce, to, U256::from(ETHER / 1_000))
    }
}

async fn send(provider: &impl Provider, to: Address, data: Vec<u8>, value: u128) -> Result<u64> {
    let tx = TransactionRequest::default()
        .with_to(to)
        .with_input(data)
        .with_value(U256::from(value));
    let receipt = provider.send_transaction(tx).await?.get_receipt().await?;
    if !receipt.status() {
        bail!("transaction {} reverted", receipt.transaction_hash);
    }
    Ok(receipt.gas_used)
}

async fn game(provider: &impl Provider, rollup: Address, id: u64) -> Result<Rollup::Game> {
    let call = Rollup::gameCall { id: U256::from(id) };
    let out = provider
        .call(
            TransactionRequest::default()
                .with_to(rollup)
                .with_input(call.abi_encode()),
        )
        .await?;
    Ok(Rollup::gameCall::abi_decode_returns(&out)?)
}

fn short(hash: B256) -> String {
    let hex = hash.to_string();
    format!("{}…{}", &hex[..10], &hex[hex.len() - 4..])
}

/// Runs the demo; returns an error if any part of the loop fails or the challenger does not win.
pub async fn run() -> Result<()> {
    let started = Instant::now();
    let node = Arc::new(Mutex::new(Node::new(NodeConfig::dev(31337, Fork::Osaka)?)));
    let server = Server::start(node, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let url: reqwest::Url = server.url().parse()?;
    let keys = dev_accounts(DEV_MNEMONIC, 3)?;
    let wallet = |i: usize| {
        ProviderBuilder::new()
            .wallet(keys[i].clone())
            .connect_http(url.clone())
    };
    let (sequencer_l1, proposer, challenger) = (wallet(0), wallet(1), wallet(2));
    println!(
        "L1 devnet with EXECUTE at {} ({})",
        execute::EXECUTE_ADDRESS,
        server.url()
    );

    // The rollup's L1 side.
    let config = L2Config::new(L2_CHAIN_ID, Fork::Osaka, Address::repeat_byte(0xfe));
    let mut users = Users::new();
    let genesis = L2Chain::new(config, users.genesis(), 0).head().clone();
    let Deployment {
        inbox,
        blob_data,
        rollup,
        ..
    } = deploy_rollup(
        &sequencer_l1,
        Address::ZERO,
        &config,
        genesis.hash_slow(),
        Rollup::Config {
            challengeWindow: 3_600,
            clock: 600,
            proposalBond: U256::from(ETHER),
            challengeBond: U256::from(ETHER / 2),
            degree: DEGREE,
            gasLimit: 0,
            feeRecipient: Address::ZERO,
        },
    )
    .await?;
    println!("contracts: Inbox {inbox}, BlobData {blob_data}, Rollup {rollup}");

    // The sequencer: batches of transfers, posted as blobs.
    let mut posted = Vec::new();
    for batch in 0..BATCHES {
        let mut blocks = Vec::new();
        for b in 0..BLOCKS_PER_BATCH {
            let transactions = (0..TXS_PER_BLOCK)
                .map(|i| users.transfer((batch as usize * 3 + b as usize + i) % USERS))
                .collect();
            blocks.push(BatchBlock {
                timestamp: 2 * (batch * BLOCKS_PER_BATCH + b + 1),
                transactions,
            });
        }
        let payload = encode(&blocks)?;
        let receipt = sequencer_l1
            .send_transaction(batch_transaction(inbox, &blocks)?)
            .await?
            .get_receipt()
            .await?;
        println!(
            "sequencer: batch {batch} ({} blocks, {} txs, {} bytes) in a blob, L1 block {}",
            blocks.len(),
            blocks.len() * TXS_PER_BLOCK,
            payload.len(),
            receipt.block_number.unwrap_or_default()
        );
        posted.push(blocks);
    }

    // The challenger derives the L2 from L1 alone: inbox logs and beacon blobs.
    let reader = ProviderBuilder::new().connect_http(url.clone());
    let head = reader.get_block_number().await?;
    let source = L1Source::new(reader, server.url(), inbox);
    let batches = source.batches(0, head).await?;
    let mut honest = L2Chain::new(config, Users::new().genesis(), 0);
    let mut blocks: Vec<DerivedBlock> = Vec::new();
    for batch in &batches {
        blocks.extend(honest.derive_batch(batch)?);
    }
    println!(
        "challenger: derived {} L2 blocks from {} blobs, head {}",
        blocks.len(),
        batches.len(),
        short(blocks.last().context("no blocks")?.hash)
    );

    // The proposer: the same batches, but it drops one transaction of block LIE_BLOCK.
    let mut liar = L2Chain::new(config, Users::new().genesis(), 0);
    let mut lies: Vec<DerivedBlock> = Vec::new();
    for batch in &batches {
        for block in rollup::batch::decode(&batch.payload, batch.block_count, batch.l1_timestamp) {
            let number = liar.head().number + 1;
            let lie = (number == LIE_BLOCK).then_some(Lie::Drop(LIE_CANDIDATE));
            lies.push(liar.derive_block_lying(
                block.timestamp,
                batch.l1_timestamp,
                block.transactions,
                lie,
            )?);
        }
    }
    let claimed = lies.last().context("no blocks")?;
    let top = claimed.header.number;
    let propose = Rollup::proposeCall {
        parent: 0,
        l2Block: top,
        blockHash: claimed.hash,
    };
    send(&proposer, rollup, propose.abi_encode(), ETHER).await?;
    println!(
        "proposer: claims block {top} = {} (it dropped transaction {LIE_CANDIDATE} of block {LIE_BLOCK})",
        short(claimed.hash)
    );

    // The challenger sees the claim disagree with its own chain and challenges.
    if blocks[top as usize - 1].hash == claimed.hash {
        bail!("the claim matches the challenger's chain");
    }
    send(
        &challenger,
        rollup,
        Rollup::challengeCall { id: U256::from(1) }.abi_encode(),
        ETHER / 2,
    )
    .await?;
    println!(
        "challenger: the claim is wrong (ours is {}); challenges with a bond",
        short(blocks[top as usize - 1].hash)
    );

    // The game. The proposer defends its chain's values; the challenger picks the first part whose
    // end it disagrees with, by its own derivation.
    let id = 0u64;
    let mut moves = 0;
    loop {
        let g = game(&proposer, rollup, id).await?;
        let (lo, hi) = (g.lo, g.hi);
        if g.level == 2 && hi - lo == 1 {
            break;
        }
        if g.level == 1 && hi - lo == 1 {
            let block = &blocks[hi as usize - 1];
            let parent = if hi == 1 {
                &genesis
            } else {
                &blocks[hi as usize - 2].header
            };
            let batch = batches
                .iter()
                .find(|b| b.first_block <= hi && hi < b.first_block + u64::from(b.block_count))
                .context("no batch holds the block")?;
            let blob = blob_from_payload(&batch.payload)?;
            let open = BlobData::openCall {
                elements: elements(&blob),
                opening: opening(&blob)?,
            };
            let gas = send(&challenger, blob_data, open.abi_encode(), 0).await?;
            println!(
                "challenger: opens batch {}'s blob on L1 (one KZG point evaluation, {gas} gas)",
                batch.index
            );
            let open_block = Rollup::openBlockCall {
                id: U256::from(id),
                parentHeader: alloy_rlp::encode(parent).into(),
                batchIndex: U256::from(batch.index),
                table: table_proof(&blob, (hi - batch.first_block) as u16)?,
            };
            send(&proposer, rollup, open_block.abi_encode(), 0).await?;
            moves += 1;
            println!(
                "bisection: narrowed to block {hi}; its {} transactions are the positions now",
                block.candidates.len()
            );
            continue;
        }
        let parts = (hi - lo).min(DEGREE);
        let points: Vec<u64> = (1..parts).map(|i| lo + (hi - lo) * i / parts).collect();
        let n = if g.level == 2 { blocks_opened(&g) } else { 0 };
        let value = |chain: &[DerivedBlock], level: u8, pos: u64| -> B256 {
            if level == 1 {
                return if pos == 0 {
                    genesis.hash_slow()
                } else {
                    chain[pos as usize - 1].hash
                };
            }
            let block = &chain[n as usize - 1];
            if pos as usize == block.candidates.len() + 1 {
                block.hash
            } else {
                block.positions[pos as usize].value()
            }
        };
        let values: Vec<B256> = points.iter().map(|p| value(&lies, g.level, *p)).collect();
        let split = Rollup::splitCall {
            id: U256::from(id),
            values: values.clone(),
        };
        send(&proposer, rollup, split.abi_encode(), 0).await?;
        let index = points
            .iter()
            .position(|p| value(&blocks, g.level, *p) != value(&lies, g.level, *p))
            .unwrap_or(points.len());
        let pick = Rollup::pickCall {
            id: U256::from(id),
            index: U256::from(index),
            values,
        };
        send(&challenger, rollup, pick.abi_encode(), 0).await?;
        moves += 2;
        let g = game(&proposer, rollup, id).await?;
        let unit = if g.level == 1 { "blocks" } else { "positions" };
        println!("bisection: ({lo}, {hi}] -> ({}, {}] {unit}", g.lo, g.hi);
    }

    // The leaf: the proposer claims the transaction was skipped; the challenger proves it runs.
    let g = game(&proposer, rollup, id).await?;
    let n = blocks_opened(&g);
    let block = &blocks[n as usize - 1];
    let k = g.lo as usize;
    let step = candidate_step(block, k).context("the challenger's chain skips it too")?;
    let batch = batches
        .iter()
        .find(|b| b.first_block <= n && n < b.first_block + u64::from(b.block_count))
        .context("no batch holds the block")?;
    let blob = blob_from_payload(&batch.payload)?;
    let entry = rollup::batch::entry(
        &{
            let mut p = batch.payload.clone();
            p.resize(rollup::blob::PAYLOAD_BYTES, 0);
            p
        },
        batch.block_count,
        (n - batch.first_block) as u16,
        batch.l1_timestamp,
    );
    let (offsets, transaction) =
        candidate_proofs(&blob, batch.block_count, entry.first + k as u64)?;
    let prove = Rollup::proveCandidateCall {
        id: U256::from(id),
        step,
        proof: Rollup::CandidateProof {
            offsets,
            transaction: transaction.context("an empty candidate")?,
        },
    };
    let gas = send(&challenger, rollup, prove.abi_encode(), 0).await?;
    moves += 1;
    println!(
        "step: block {n}, transaction {k}: the proposer says skipped; the challenger's EXECUTE call \
         proves it runs ({gas} gas)"
    );
    let g = game(&proposer, rollup, id).await?;
    if g.status as u8 != 2 {
        bail!("the challenger did not win");
    }
    let before = challenger.get_balance(keys[2].address()).await?;
    send(&challenger, rollup, Rollup::withdrawCall {}.abi_encode(), 0).await?;
    let after = challenger.get_balance(keys[2].address()).await?;
    println!(
        "bond: the challenger collects its bond and the proposer's ({:.4} ETH after gas)",
        after.saturating_sub(before).to::<u128>() as f64 / ETHER as f64
    );
    println!(
        "done: wrong claim rejected in {moves} moves and one EXECUTE call, {:.1}s",
        started.elapsed().as_secs_f64()
    );
    server.shutdown().await?;
    Ok(())
}

/// The block a level-2 game is about: its parent is the agreed one, so it is the block after the
/// one level 1 agreed on, which the contract does not store; read it from the context.
fn blocks_opened(g: &Rollup::Game) -> u64 {
    g.ctx.parent.number + 1
}
