//! `toolkit bridge deposit`: queues ETH (and optionally a call) for the L2 on the inbox, and says
//! when and how it arrives.

use alloy_primitives::{utils::parse_units, Address, Bytes, U256};
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use l1_contracts::{
    call::write,
    inbox::Inbox,
    provider::{l1_provider, load_key},
};

use super::eth;

/// `toolkit bridge deposit`'s settings.
#[derive(Debug, Args)]
pub(crate) struct DepositArgs {
    /// The L1's JSON-RPC endpoint.
    #[arg(long)]
    l1_rpc: reqwest::Url,
    /// The inbox contract on L1.
    #[arg(long)]
    inbox: Address,
    /// Who gets the ETH on the L2 (with --data: what the L2 bridge calls).
    #[arg(long)]
    to: Address,
    /// How much: wei, or a number with a unit (`1ether`, `0.5ether`, `100gwei`). Whole gwei.
    #[arg(long, value_parser = parse_value)]
    value: U256,
    /// Calldata for a call of `--to` on the L2 (hex): the deposit becomes a message.
    #[arg(long)]
    data: Option<Bytes>,
    /// File holding the L1 key that sends (and pays) the deposit; else DEPOSIT_KEY.
    #[arg(long)]
    key_file: Option<std::path::PathBuf>,
}

/// A value as `cast` takes it: wei, or a decimal number followed by a unit name.
fn parse_value(text: &str) -> Result<U256> {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.trim().is_empty() {
        bail!("{text:?} has no number");
    }
    let unit = if unit.is_empty() { "wei" } else { unit };
    let parsed = parse_units(number.trim(), unit)
        .map_err(|e| anyhow!("{text:?} is not an amount of ETH: {e}"))?;
    if parsed.is_negative() {
        bail!("{text:?} is negative");
    }
    Ok(parsed.get_absolute())
}

/// Sends the deposit and prints what the inbox logged for it.
pub(crate) async fn run(args: DepositArgs) -> Result<()> {
    let signer = load_key(args.key_file.as_deref(), "DEPOSIT_KEY")?;
    let from = signer.address();
    let l1 = l1_provider(args.l1_rpc, signer);
    let receipt = match &args.data {
        None => write(
            &l1,
            from,
            args.inbox,
            Inbox::depositCall { to: args.to },
            args.value,
        )
        .await
        .context("Inbox.deposit")?,
        Some(data) => write(
            &l1,
            from,
            args.inbox,
            Inbox::depositCallCall {
                to: args.to,
                data: data.clone(),
            },
            args.value,
        )
        .await
        .context("Inbox.depositCall")?,
    };
    let block = receipt.block_number.unwrap_or_default();
    let logs = receipt.inner.logs();
    let deposit = logs
        .iter()
        .find_map(|log| log.log_decode::<Inbox::Deposited>().ok())
        .ok_or_else(|| anyhow!("the deposit's transaction logged no Deposited"))?;
    println!(
        "deposit {} queued in L1 block {block} (transaction {}): {} ETH, credited by the first L2 \
         block of the next batch",
        deposit.inner.index,
        receipt.transaction_hash,
        eth(args.value)
    );
    if let Some(message) = logs
        .iter()
        .find_map(|log| log.log_decode::<Inbox::MessageQueued>().ok())
    {
        println!(
            "message {}: a call of {} with {} bytes; relay it from the L2 block after its credit \
             (toolkit bridge relay --message {})",
            message.inner.message,
            args.to,
            args.data.as_ref().map_or(0, |d| d.len()),
            message.inner.message
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_cast_reads_them() {
        assert_eq!(parse_value("1ether").unwrap(), U256::from(10u128.pow(18)));
        assert_eq!(
            parse_value("0.5ether").unwrap(),
            U256::from(5 * 10u128.pow(17))
        );
        assert_eq!(
            parse_value("100gwei").unwrap(),
            U256::from(100 * 10u128.pow(9))
        );
        assert_eq!(parse_value("42").unwrap(), U256::from(42));
        assert!(parse_value("-1ether").is_err());
        assert!(parse_value("1bananas").is_err());
        assert!(parse_value("one").is_err());
        assert!(parse_value("").is_err());
    }
}
