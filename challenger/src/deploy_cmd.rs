//! `challenger deploy`: deploys a rollup's contracts (`Inbox`, `BlobData`, `Rollup`) on any L1
//! that has the EXECUTE precompile, for the L2 the genesis flags name, and prints what the
//! sequencer and the watchtower need to follow it.

use std::path::PathBuf;

use alloy_primitives::{Address, U256};
use alloy_provider::Provider;
use anyhow::{bail, Context, Result};
use execute::precompile::EXECUTE_ADDRESS;
use l1_contracts::provider::{l1_provider, load_key};
use l1_contracts::{
    deploy::{deploy_rollup, Sequencing},
    rollup::Rollup,
};
use rollup::derive::L2Chain;
use sequencer::genesis::GenesisArgs;

/// `challenger deploy`'s settings.
#[derive(Debug, clap::Args)]
pub(crate) struct DeployArgs {
    /// L1 JSON-RPC URL.
    #[arg(long, env = "L1_RPC", default_value = "http://127.0.0.1:8545")]
    l1_rpc: String,
    /// File holding the deployer's L1 key (hex); else DEPLOYER_KEY.
    #[arg(long, env = "DEPLOYER_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// The only address allowed to post batches while it is live (zero: anyone, a based rollup).
    #[arg(long, default_value_t = Address::ZERO)]
    sequencer: Address,
    /// Seconds without a batch from the sequencer after which anyone may post batches, until
    /// it posts again.
    #[arg(long, default_value_t = 3600)]
    sequencer_timeout: u64,
    /// The L2's genesis.
    #[command(flatten)]
    genesis: GenesisArgs,
    /// Seconds a claim stays open to challenges.
    #[arg(long, default_value_t = 7 * 24 * 3600)]
    challenge_window: u64,
    /// Each side's chess clock, in seconds.
    #[arg(long, default_value_t = 302_400)]
    clock: u64,
    /// A claim's bond, in wei.
    #[arg(long, default_value_t = U256::from(10u128.pow(18)))]
    proposal_bond: U256,
    /// A challenge's bond, in wei.
    #[arg(long, default_value_t = U256::from(10u128.pow(18) / 2))]
    challenge_bond: U256,
    /// Bisection degree.
    #[arg(long, default_value_t = 16)]
    degree: u64,
}

/// Deploys and prints the addresses.
pub(crate) async fn run(args: DeployArgs) -> Result<()> {
    let signer = load_key(args.key_file.as_deref(), "DEPLOYER_KEY")?;
    let url = args.l1_rpc.parse().context("--l1-rpc is not a URL")?;
    let provider = l1_provider(url, signer.clone());
    // A rollup on an L1 without EXECUTE could never settle a dispute. EXECUTE answers any
    // input with an ABI bool; an address without code answers nothing.
    let probe = alloy_rpc_types_eth::TransactionRequest::default()
        .to(EXECUTE_ADDRESS)
        .input(vec![0u8; 4].into());
    let answer = provider.call(probe).await.context("reaching the L1")?;
    if answer.len() != 32 {
        bail!(
            "{} has no EXECUTE precompile at {EXECUTE_ADDRESS}",
            args.l1_rpc
        );
    }
    let genesis = args
        .genesis
        .genesis_on_l1(&provider)
        .await
        .with_context(|| format!("the L2 genesis on the L1's forks (from {})", args.l1_rpc))?;
    let genesis_hash = L2Chain::new(
        genesis.config.clone(),
        genesis.accounts.clone(),
        genesis.timestamp,
    )
    .context("the L2 genesis")?
    .head()
    .hash_slow();
    let game = Rollup::Config {
        challengeWindow: args.challenge_window,
        clock: args.clock,
        proposalBond: args.proposal_bond,
        challengeBond: args.challenge_bond,
        degree: args.degree,
        gasLimit: 0,
        feeRecipient: Address::ZERO,
    };
    let d = deploy_rollup(
        &provider,
        signer.address(),
        Sequencing {
            sequencer: args.sequencer,
            timeout: args.sequencer_timeout,
        },
        genesis.config.chain_rlp(),
        genesis_hash,
        genesis.config.rollup_config(game),
    )
    .await?;
    println!("inbox        {}  (L1 block {})", d.inbox, d.inbox_block);
    println!("blob reader  {}", d.blob_data);
    println!("rollup       {}", d.rollup);
    println!("bridge       {}  (withdrawals from the L2)", d.bridge);
    println!("L2 genesis   {genesis_hash}");
    Ok(())
}
