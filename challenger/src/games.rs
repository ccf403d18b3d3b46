//! `challenger games`: every game of a rollup and where it stands, read from L1: the claim and
//! block disputed, the challenger, the level and range still disputed, whose turn it is and the
//! clock each side has left.

use alloy_primitives::{Address, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::BlockNumberOrTag;
use anyhow::{Context, Result};
use bisect::game::{defender_to_move, GameView, Role};
use clap::Args;
use l1_contracts::provider::l1_reader;
use l1_contracts::{call::read, rollup::Rollup, status::GameStatus};

/// `challenger games`' settings.
#[derive(Debug, Args)]
pub(crate) struct GamesArgs {
    /// L1 JSON-RPC URL.
    #[arg(long, env = "L1_RPC", default_value = "http://127.0.0.1:8545")]
    l1_rpc: String,
    /// The Rollup contract.
    #[arg(long, env = "ROLLUP")]
    rollup: Address,
    /// Only open games.
    #[arg(long)]
    open: bool,
}

/// Prints the table.
pub(crate) async fn run(args: GamesArgs) -> Result<()> {
    let provider = l1_reader(args.l1_rpc.parse().context("--l1-rpc")?);
    let rollup = args.rollup;
    let rules = read(&provider, rollup, Rollup::configCall {}).await?;
    let now = provider
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await?
        .context("no latest L1 block")?
        .header
        .timestamp;
    let count: u64 = read(&provider, rollup, Rollup::gameCountCall {})
        .await?
        .saturating_to();
    println!(
        "{:>5} {:>6} {:>8}  {:<42}  {:<14} {:>5} {:>17}  {:<10} {:>13} {:>15}",
        "game",
        "claim",
        "L2 block",
        "challenger",
        "status",
        "level",
        "range",
        "to move",
        "defender left",
        "challenger left"
    );
    let mut shown = 0;
    for id in 0..count {
        let game = read(&provider, rollup, Rollup::gameCall { id: U256::from(id) }).await?;
        if args.open && game.game_status() != GameStatus::Open {
            continue;
        }
        let claim = read(
            &provider,
            rollup,
            Rollup::claimCall {
                id: U256::from(game.claim),
            },
        )
        .await?;
        let view = GameView {
            defender_to_move: defender_to_move(&game),
            game,
            split_values: None,
            degree: rules.degree,
            clock: rules.clock,
            now,
            claim_rejected: false,
        };
        let g = &view.game;
        let (to_move, defender, challenger) = if g.game_status() == GameStatus::Open {
            let side = match view.to_move() {
                Role::Defender => "defender",
                Role::Challenger => "challenger",
            };
            (
                side,
                format!("{} s", view.clock_left(Role::Defender)),
                format!("{} s", view.clock_left(Role::Challenger)),
            )
        } else {
            ("-", "-".into(), "-".into())
        };
        let status = match g.game_status() {
            GameStatus::Open => "open",
            GameStatus::DefenderWon => "defender won",
            GameStatus::ChallengerWon => "challenger won",
            GameStatus::Cancelled => "cancelled",
            GameStatus::Unknown(_) => "unknown",
        };
        let range = format!("{}..{}", g.lo, g.hi);
        println!(
            "{:>5} {:>6} {:>8}  {:<42}  {:<14} {:>5} {:>17}  {:<10} {:>13} {:>15}",
            id,
            g.claim,
            claim.l2Block,
            g.challenger.to_string(),
            status,
            g.level,
            range,
            to_move,
            defender,
            challenger
        );
        shown += 1;
    }
    println!("{shown} games");
    Ok(())
}
