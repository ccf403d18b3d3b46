//! `toolkit bridge messages` and `toolkit bridge relay`: the L1's messages to the L2, where each
//! stands, and relaying one. Messages are read from the inbox's `MessageQueued` log; the L2's
//! latest block's `parentBeaconBlockRoot` is the message tree's root over the first messages, so
//! it says how many the L2 has credited, and a credited message is relayed with its Merkle proof
//! against that root.

use alloy_consensus::Header;
use alloy_primitives::{Address, B256, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter};
use alloy_sol_types::SolEvent;
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use l1_contracts::{
    bridge::L2Bridge,
    call::{read, write},
    inbox::Inbox,
    provider::{l1_provider, load_key, logs_in_ranges},
};
use rollup::{
    messages::{Message, MessageTree},
    rules::L2_BRIDGE,
};

use super::{eth, Endpoints};

/// Blocks one `eth_getLogs` asks for at most (halved while a provider refuses the range).
const LOG_RANGE: u64 = 10_000;

/// `toolkit bridge relay`'s settings.
#[derive(Debug, Args)]
pub(crate) struct RelayArgs {
    #[command(flatten)]
    chains: Endpoints,
    /// The inbox contract on L1.
    #[arg(long)]
    inbox: Address,
    /// The message's index (`Inbox.depositCall` returns it; its `MessageQueued` log names it).
    #[arg(long)]
    message: u64,
    /// File holding the L2 key that sends the relay (it pays the L2 gas); else RELAY_KEY.
    /// Anyone may relay a message: the call is the message's, whoever sends it.
    #[arg(long)]
    key_file: Option<std::path::PathBuf>,
}

/// `toolkit bridge messages`'s settings.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    chains: Endpoints,
    /// The inbox contract on L1.
    #[arg(long)]
    inbox: Address,
}

/// Prints every message and where it stands on the L2.
pub(crate) async fn list(args: ListArgs) -> Result<()> {
    let l1 = ProviderBuilder::new().connect_http(args.chains.l1_rpc);
    let l2 = ProviderBuilder::new().connect_http(args.chains.l2_rpc);
    let messages = queued_messages(&l1, args.inbox).await?;
    let tree = MessageTree::new(messages.iter().map(Message::leaf).collect());
    let (head, covered) = covered(&l2, &tree).await?;
    for m in &messages {
        let standing = if read(&l2, L2_BRIDGE, L2Bridge::relayedCall(U256::from(m.index))).await? {
            "relayed".to_string()
        } else if (m.index as usize) < covered {
            format!("relayable against L2 block {}", head.number)
        } else {
            "not credited on the L2 yet".to_string()
        };
        println!("{}: {standing}", describe(m));
    }
    println!(
        "{} message(s); L2 block {} commits to the first {covered}",
        messages.len(),
        head.number
    );
    Ok(())
}

fn describe(m: &Message) -> String {
    format!(
        "message {}: a call of {} with {} ETH and {} bytes from {} on L1",
        m.index,
        m.to,
        eth(m.value),
        m.data.len(),
        m.from
    )
}

/// The L2's latest header and how many of the tree's messages its message root covers.
async fn covered(l2: &impl Provider, tree: &MessageTree) -> Result<(Header, usize)> {
    let head = l2
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await
        .context("the L2's latest block")?
        .ok_or_else(|| anyhow!("the L2 has no latest block"))?
        .header
        .inner;
    let root = head
        .parent_beacon_block_root
        .ok_or_else(|| anyhow!("the L2's latest block has no message root (before Cancun)"))?;
    let covered = (0..=tree.len())
        .rev()
        .find(|&size| tree.root_at(size) == root)
        .ok_or_else(|| {
            anyhow!(
                "L2 block {} commits to a message root none of the inbox's prefixes has",
                head.number
            )
        })?;
    Ok((head, covered))
}

/// Reads the messages, proves message `args.message` against the L2's latest block and relays it.
pub(crate) async fn relay(args: RelayArgs) -> Result<()> {
    let signer = load_key(args.key_file.as_deref(), "RELAY_KEY")?;
    let from = signer.address();
    let l1 = ProviderBuilder::new().connect_http(args.chains.l1_rpc.clone());
    let l2 = l1_provider(args.chains.l2_rpc.clone(), signer);
    let relayed = relay_message(&l1, &l2, from, args.inbox, args.message).await?;
    println!("{}", relayed.describe);
    println!(
        "relayed against L2 block {}'s root in L2 transaction {} ({} gas)",
        relayed.l2_block, relayed.transaction, relayed.gas
    );
    Ok(())
}

/// A message relayed.
pub(crate) struct Relayed {
    /// What the message is (`message N: a call of …`).
    pub(crate) describe: String,
    /// The L2 block whose root it was proven against.
    pub(crate) l2_block: u64,
    /// The L2 transaction that relayed it.
    pub(crate) transaction: B256,
    /// Its L2 gas.
    pub(crate) gas: u64,
}

/// Relays message `index` of `inbox` (read on `l1`) from `from`'s account on `l2`, proven against
/// the L2's latest block's message root. Says why not when it cannot.
pub(crate) async fn relay_message(
    l1: &impl Provider,
    l2: &impl Provider,
    from: Address,
    inbox: Address,
    index: u64,
) -> Result<Relayed> {
    let messages = queued_messages(l1, inbox).await?;
    let m = messages
        .get(index as usize)
        .ok_or_else(|| anyhow!("no message {index} in the inbox's log"))?
        .clone();
    if read(l2, L2_BRIDGE, L2Bridge::relayedCall(U256::from(m.index))).await? {
        bail!("message {} was relayed already", m.index);
    }
    let tree = MessageTree::new(messages.iter().map(Message::leaf).collect());
    let (head, covered) = covered(l2, &tree).await?;
    let proof = tree.proof(m.index as usize, covered).ok_or_else(|| {
        anyhow!(
            "message {} is not credited yet: L2 block {} commits to the first {covered} messages \
             (a message is relayable from the block after the one crediting it)",
            m.index,
            head.number
        )
    })?;
    let describe = describe(&m);
    let receipt = write(
        l2,
        from,
        L2_BRIDGE,
        m.relay_call(head.timestamp, proof),
        U256::ZERO,
    )
    .await
    .context("the relay transaction")?;
    Ok(Relayed {
        describe,
        l2_block: head.number,
        transaction: receipt.transaction_hash,
        gas: receipt.gas_used,
    })
}

/// Every message the inbox queued, in order, from its `MessageQueued` log.
async fn queued_messages(l1: &impl Provider, inbox: Address) -> Result<Vec<Message>> {
    let head = l1.get_block_number().await.context("the L1's head")?;
    let filter = Filter::new()
        .address(inbox)
        .event_signature(Inbox::MessageQueued::SIGNATURE_HASH);
    let logs = logs_in_ranges(l1, &filter, 0, head, LOG_RANGE)
        .await
        .context("the inbox's messages")?;
    let mut messages = Vec::with_capacity(logs.len());
    for log in logs {
        let event = Inbox::MessageQueued::decode_log(&log.inner)?.data;
        let index: u64 = event.message.to();
        if index != messages.len() as u64 {
            bail!(
                "the inbox's log skips from message {} to {index}",
                messages.len()
            );
        }
        messages.push(Message {
            index,
            from: event.from,
            to: event.to,
            value: event.value,
            data: event.data,
        });
    }
    Ok(messages)
}
