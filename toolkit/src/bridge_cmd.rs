//! `toolkit withdraw`: pays out an L2 withdrawal on L1. It reads the withdrawal from the L2
//! bridge predeploy's log, finds the first claim that covers its block, finalizes that claim (and
//! the pending claims it builds on) if their windows are over, and proves the withdrawal against
//! it with the L2 node's `eth_getProof`.

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::Filter;
use alloy_sol_types::{SolEvent, SolValue};
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use l1_contracts::{
    bridge::{Bridge, L2Bridge},
    call::{read, write},
    provider::{l1_provider, load_key},
    rollup::Rollup,
    status::ClaimStatus,
};
use rollup::rules::L2_BRIDGE;

/// `toolkit withdraw`'s settings.
#[derive(Debug, Args)]
pub(crate) struct WithdrawArgs {
    /// The L1's JSON-RPC endpoint.
    #[arg(long)]
    l1_rpc: reqwest::Url,
    /// The L2's JSON-RPC endpoint (a node that keeps the claimed block's state).
    #[arg(long)]
    l2_rpc: reqwest::Url,
    /// The bridge contract on L1.
    #[arg(long)]
    bridge: Address,
    /// The withdrawal's nonce (`L2Bridge.withdraw` returns it; its log names it).
    #[arg(long)]
    nonce: u64,
    /// File holding the L1 key that sends the transactions; else WITHDRAW_KEY. Anyone may pay
    /// a withdrawal out: the ETH goes to its recipient.
    #[arg(long)]
    key_file: Option<std::path::PathBuf>,
}

/// Finds, finalizes if it can and proves, then pays withdrawal `nonce`.
pub(crate) async fn run(args: WithdrawArgs) -> Result<()> {
    let signer = load_key(args.key_file.as_deref(), "WITHDRAW_KEY")?;
    let from = signer.address();
    let l1 = l1_provider(args.l1_rpc.clone(), signer);
    let l2 = ProviderBuilder::new().connect_http(args.l2_rpc.clone());
    let rollup = read(&l1, args.bridge, Bridge::rollupCall {})
        .await
        .context("reading the bridge's rollup")?;

    let filter = Filter::new()
        .address(L2_BRIDGE)
        .event_signature(L2Bridge::WithdrawalInitiated::SIGNATURE_HASH)
        .topic1(U256::from(args.nonce))
        .from_block(0);
    let log = l2
        .get_logs(&filter)
        .await
        .context("the L2 bridge's logs")?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("no withdrawal {} on the L2", args.nonce))?;
    let block = log
        .block_number
        .ok_or_else(|| anyhow!("the withdrawal's log has no block"))?;
    let event = L2Bridge::WithdrawalInitiated::decode_log(&log.inner)?.data;
    let withdrawal = Bridge::Withdrawal {
        nonce: event.nonce,
        from: event.from,
        to: event.to,
        value: event.value,
        data: event.data.clone(),
    };
    let call = if event.data.is_empty() {
        String::new()
    } else {
        format!(" with a call of {} bytes", event.data.len())
    };
    println!(
        "withdrawal {}: {} wei from {} to {}{call} in L2 block {block}",
        args.nonce, event.value, event.from, event.to
    );
    let hash = read(
        &l1,
        args.bridge,
        Bridge::withdrawalHashCall {
            w: withdrawal.clone(),
        },
    )
    .await?;
    if read(&l1, args.bridge, Bridge::finalizedCall(hash)).await? {
        bail!("withdrawal {} was paid already", args.nonce);
    }

    let (id, claim, header) = covering_claim(&l1, &l2, rollup, block).await?;
    finalize_chain(&l1, from, rollup, id).await?;
    let slot = B256::from(keccak256((U256::from(args.nonce), U256::ZERO).abi_encode()));
    let proof = l2
        .get_proof(L2_BRIDGE, vec![slot])
        .number(claim.l2Block)
        .await
        .context("eth_getProof on the L2 (a node that has pruned that block's state cannot)")?;
    let storage = proof
        .storage_proof
        .first()
        .ok_or_else(|| anyhow!("the proof has no storage proof"))?;
    let receipt = write(
        &l1,
        from,
        args.bridge,
        Bridge::finalizeWithdrawalCall {
            claimId: U256::from(id),
            header: alloy_rlp::encode(&header).into(),
            w: withdrawal,
            accountProof: proof.account_proof,
            storageProof: storage.proof.clone(),
        },
        U256::ZERO,
    )
    .await?;
    println!(
        "paid against claim {id} (L2 block {}) in L1 transaction {} ({} gas)",
        claim.l2Block, receipt.transaction_hash, receipt.gas_used
    );
    Ok(())
}

/// The first claim of a block at or after `block` that is not rejected and claims the L2
/// node's block (anyone may propose a wrong claim first: it is skipped, not waited for), with
/// that block's header.
async fn covering_claim(
    l1: &impl Provider,
    l2: &impl Provider,
    rollup: Address,
    block: u64,
) -> Result<(u64, Rollup::Claim, alloy_consensus::Header)> {
    let count: u64 = read(l1, rollup, Rollup::claimCountCall {}).await?.to();
    for id in 1..count {
        let claim = read(l1, rollup, Rollup::claimCall { id: U256::from(id) }).await?;
        if claim.l2Block < block || claim.claim_status() == ClaimStatus::Rejected {
            continue;
        }
        let Some(found) = l2.get_block_by_number(claim.l2Block.into()).await? else {
            continue;
        };
        let header = found.header.inner;
        if header.hash_slow() == claim.blockHash {
            return Ok((id, claim, header));
        }
        println!(
            "claim {id} (L2 block {}) is not the L2 node's block: skipped",
            claim.l2Block
        );
    }
    bail!("no claim of the L2 node's chain covers L2 block {block} yet")
}

/// Finalizes claim `id` and the pending claims it builds on, oldest first.
async fn finalize_chain(l1: &impl Provider, from: Address, rollup: Address, id: u64) -> Result<()> {
    let mut pending = Vec::new();
    let mut at = id;
    loop {
        let claim = read(l1, rollup, Rollup::claimCall { id: U256::from(at) }).await?;
        match claim.claim_status() {
            ClaimStatus::Finalized => break,
            ClaimStatus::Rejected => bail!("claim {at} was rejected"),
            ClaimStatus::Pending => pending.push(at),
            ClaimStatus::Unknown(status) => bail!("claim {at} has an unknown status {status}"),
        }
        at = claim.parent;
    }
    for claim in pending.into_iter().rev() {
        write(
            l1,
            from,
            rollup,
            Rollup::finalizeCall {
                id: U256::from(claim),
            },
            U256::ZERO,
        )
        .await
        .with_context(|| format!("finalizing claim {claim} (its window may still be open)"))?;
        println!("finalized claim {claim}");
    }
    Ok(())
}
