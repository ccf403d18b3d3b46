//! `toolkit bridge`: moving ETH and calls between L1 and the L2 from the command line. Each
//! command reads what it needs from the two chains' JSON-RPC and says where things stand, so a
//! user never has to know a claim's id or a proof's shape.

mod deposit;
pub(crate) mod messages;
pub(crate) mod withdrawals;

use alloy_primitives::{utils::format_ether, U256};
use anyhow::Result;
use clap::{Args, Subcommand};

/// `toolkit bridge`'s commands.
#[derive(Debug, Subcommand)]
pub(crate) enum BridgeCommand {
    /// Queues a deposit on L1 (`Inbox.deposit`; with --data, `Inbox.depositCall`: a message
    /// whose call the L2 bridge makes); prints its queue index and, for a message, its index.
    Deposit(deposit::DepositArgs),
    /// Lists the L2's withdrawals and where each stands: waiting for a claim, in a claim's
    /// window, disputed, ready to pay, or paid.
    Withdrawals(withdrawals::ListArgs),
    /// Pays out a withdrawal on L1: finds the first claim covering its block, finalizes it (and
    /// the claims it builds on) once their windows are over, and proves the withdrawal against
    /// it with the L2 node's `eth_getProof`.
    Withdraw(withdrawals::WithdrawArgs),
    /// Lists the L1's messages to the L2 and where each stands: not yet credited, relayable, or
    /// relayed.
    Messages(messages::ListArgs),
    /// Makes an L1 message's call on the L2: proves it against the L2's latest block's message
    /// root and sends it to the L2 bridge.
    Relay(messages::RelayArgs),
}

/// The two chains' JSON-RPC endpoints, as every bridge command takes them.
#[derive(Debug, Args)]
pub(crate) struct Endpoints {
    /// The L1's JSON-RPC endpoint.
    #[arg(long)]
    pub(crate) l1_rpc: reqwest::Url,
    /// The L2's JSON-RPC endpoint (a node that keeps the blocks' state; the sequencer, for the
    /// commands that send L2 transactions).
    #[arg(long)]
    pub(crate) l2_rpc: reqwest::Url,
}

/// Runs one bridge command.
pub(crate) async fn run(command: BridgeCommand) -> Result<()> {
    match command {
        BridgeCommand::Deposit(args) => deposit::run(args).await,
        BridgeCommand::Withdrawals(args) => withdrawals::list(args).await,
        BridgeCommand::Withdraw(args) => withdrawals::pay(args).await,
        BridgeCommand::Messages(args) => messages::list(args).await,
        BridgeCommand::Relay(args) => messages::relay(args).await,
    }
}

/// `wei` in ether, without trailing zeros (`0.5`, `1`).
pub(crate) fn eth(wei: U256) -> String {
    let text = format_ether(wei);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ether_reads_without_trailing_zeros() {
        let eth = |wei: u128| super::eth(super::U256::from(wei));
        assert_eq!(eth(10u128.pow(18)), "1");
        assert_eq!(eth(5 * 10u128.pow(17)), "0.5");
        assert_eq!(eth(10), "0.00000000000000001");
        assert_eq!(eth(0), "0");
    }
}
