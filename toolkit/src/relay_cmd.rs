//! `toolkit relay`: makes an L1 message's call on the L2. It reads every message from the inbox's
//! `MessageQueued` log, finds how many of them the L2's latest block commits to (its
//! `parentBeaconBlockRoot` is the message tree's root over them), and sends the L2 bridge the
//! message with its Merkle proof against that block's root.

use alloy_primitives::{Address, U256};
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

/// Blocks one `eth_getLogs` asks for at most (halved while a provider refuses the range).
const LOG_RANGE: u64 = 10_000;

/// `toolkit relay`'s settings.
#[derive(Debug, Args)]
pub(crate) struct RelayArgs {
    /// The L1's JSON-RPC endpoint.
    #[arg(long)]
    l1_rpc: reqwest::Url,
    /// The L2's JSON-RPC endpoint (the sequencer, which takes the relay transaction).
    #[arg(long)]
    l2_rpc: reqwest::Url,
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

/// Reads the messages, proves message `args.message` against the L2's latest block and relays it.
pub(crate) async fn run(args: RelayArgs) -> Result<()> {
    let signer = load_key(args.key_file.as_deref(), "RELAY_KEY")?;
    let from = signer.address();
    let l1 = ProviderBuilder::new().connect_http(args.l1_rpc.clone());
    let l2 = l1_provider(args.l2_rpc.clone(), signer);

    let messages = queued_messages(&l1, args.inbox).await?;
    let m = messages
        .get(args.message as usize)
        .ok_or_else(|| anyhow!("no message {} in the inbox's log", args.message))?
        .clone();
    println!(
        "message {}: a call of {} with {} wei and {} bytes from {} on L1",
        m.index,
        m.to,
        m.value,
        m.data.len(),
        m.from
    );
    if read(&l2, L2_BRIDGE, L2Bridge::relayedCall(U256::from(m.index))).await? {
        bail!("message {} was relayed already", m.index);
    }
    let tree = MessageTree::new(messages.iter().map(Message::leaf).collect());
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
    let proof = tree.proof(m.index as usize, covered).ok_or_else(|| {
        anyhow!(
            "message {} is not credited yet: L2 block {} commits to the first {covered} messages \
             (a message is relayable from the block after the one crediting it)",
            m.index,
            head.number
        )
    })?;
    let receipt = write(
        &l2,
        from,
        L2_BRIDGE,
        m.relay_call(head.timestamp, proof),
        U256::ZERO,
    )
    .await
    .context("the relay transaction")?;
    println!(
        "relayed against L2 block {}'s root in L2 transaction {} ({} gas)",
        head.number, receipt.transaction_hash, receipt.gas_used
    );
    Ok(())
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
