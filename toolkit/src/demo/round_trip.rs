//! The demo's bridge round trip, run beside the dispute: a deposit from L1 to an L2 account that
//! exists only through it, spent on the L2, a withdrawal back, paid on L1 against the claim that
//! covers it once its window is over, and a message from L1 relayed on the L2. It drives the two
//! chains through their JSON-RPC as a user would; the demo's loop keeps the sequencer and the
//! proposer going meanwhile.

use std::time::Instant;

use alloy_network::{ReceiptResponse, TransactionBuilder};
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::PrivateKeySigner;
use anyhow::{bail, Context, Result};
use l1_contracts::{
    bridge::L2Bridge, call::write, deploy::Deployment, inbox::Inbox, provider::l1_provider,
};
use rollup::rules::L2_BRIDGE;
use tokio::sync::watch;

use crate::bridge::{
    eth,
    messages::relay_message,
    withdrawals::{pay_withdrawal, withdrawal_standing, Standing},
};

/// What the user deposits.
const DEPOSIT: u128 = 10u128.pow(18);
/// What it spends on the L2.
const SPEND: u128 = 10u128.pow(17);
/// What it withdraws.
const WITHDRAWAL: u128 = 5 * 10u128.pow(17);
/// What its message sends, and the call's data.
const MESSAGE_VALUE: u128 = 10u128.pow(17);
const MESSAGE_DATA: [u8; 3] = [0xc0, 0xff, 0xee];
/// The message's target on the L2 (an account with no code: the call is a transfer with data).
const MESSAGE_TO: Address = Address::repeat_byte(0x77);

/// The two chains as the round trip reaches them.
pub(super) struct Chains<L1> {
    /// The L1, with the key that pays the L1 transactions.
    pub(super) l1: L1,
    /// That key's address.
    pub(super) payer: Address,
    /// The L2's JSON-RPC.
    pub(super) l2_url: reqwest::Url,
    /// Where the spent ETH goes on the L2.
    pub(super) spend_to: Address,
    /// The contracts.
    pub(super) deployment: Deployment,
    /// The rollup's challenge window, in seconds.
    pub(super) window: u64,
}

/// What the round trip did, for the demo's summary.
pub(super) struct Trip {
    /// Seconds from the deposit on L1 to its credit on the L2.
    pub(super) credited_after: f64,
    /// L1 gas of the payout.
    pub(super) payout_gas: u64,
    /// L2 gas of the relay.
    pub(super) relay_gas: u64,
}

fn say(started: Instant, text: impl AsRef<str>) {
    super::say_at(started, None, text);
}

/// Runs the round trip; `settled` turns true once the dispute is over, after which it moves L1
/// time past the challenge window to pay the withdrawal (no clock of an open game is skipped).
pub(super) async fn run<L1: Provider + Clone>(
    chains: Chains<L1>,
    started: Instant,
    deadline: Instant,
    mut settled: watch::Receiver<bool>,
) -> Result<Trip> {
    let Chains {
        l1,
        payer,
        l2_url,
        spend_to,
        deployment: d,
        window,
    } = chains;
    // An account with no genesis balance: what it holds on the L2 came over the bridge.
    let user = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x5a))?;
    let address = user.address();
    let l2 = l1_provider(l2_url, user);
    let wait = || async {
        if Instant::now() > deadline {
            bail!("the bridge round trip ran out of time");
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        Ok(())
    };

    let deposited = Instant::now();
    let receipt = write(
        &l1,
        payer,
        d.inbox,
        Inbox::depositCall { to: address },
        U256::from(DEPOSIT),
    )
    .await
    .context("the deposit")?;
    say(
        started,
        format!(
            "bridge: deposit of {} ETH for the new L2 account {address} queued on L1 ({} gas)",
            eth(U256::from(DEPOSIT)),
            receipt.gas_used()
        ),
    );
    let receipt = write(
        &l1,
        payer,
        d.inbox,
        Inbox::depositCallCall {
            to: MESSAGE_TO,
            data: Bytes::from_static(&MESSAGE_DATA),
        },
        U256::from(MESSAGE_VALUE),
    )
    .await
    .context("the message")?;
    say(
        started,
        format!(
            "bridge: message 0 queued on L1: a call of {MESSAGE_TO} with {} ETH ({} gas)",
            eth(U256::from(MESSAGE_VALUE)),
            receipt.gas_used()
        ),
    );
    while l2.get_balance(address).await? < U256::from(DEPOSIT) {
        wait().await?;
    }
    let credited_after = deposited.elapsed().as_secs_f64();
    say(
        started,
        format!(
            "bridge: the deposit is on the L2 {credited_after:.1} s later, credited by the block \
             itself (no L2 transaction)"
        ),
    );

    let spend = TransactionRequest::default()
        .with_from(address)
        .with_to(spend_to)
        .with_value(U256::from(SPEND));
    let receipt = l2
        .send_transaction(spend)
        .await?
        .get_receipt()
        .await
        .context("the L2 transfer")?;
    say(
        started,
        format!(
            "bridge: the account spends {} ETH on the L2 (L2 block {})",
            eth(U256::from(SPEND)),
            receipt.block_number.unwrap_or_default()
        ),
    );
    let receipt = write(
        &l2,
        address,
        L2_BRIDGE,
        L2Bridge::withdrawCall { to: address },
        U256::from(WITHDRAWAL),
    )
    .await
    .context("the withdrawal")?;
    let nonce = receipt
        .inner
        .logs()
        .iter()
        .find_map(|log| log.log_decode::<L2Bridge::WithdrawalInitiated>().ok())
        .context("the withdrawal's log")?
        .inner
        .nonce
        .to::<u64>();
    say(
        started,
        format!(
            "bridge: withdrawal {nonce} of {} ETH to its L1 address in L2 block {}",
            eth(U256::from(WITHDRAWAL)),
            receipt.block_number.unwrap_or_default()
        ),
    );

    let relayed = loop {
        match relay_message(&l1, &l2, address, d.inbox, 0).await {
            Ok(relayed) => break relayed,
            Err(e) if e.to_string().contains("not credited yet") => wait().await?,
            Err(e) => return Err(e.context("relaying message 0")),
        }
    };
    say(
        started,
        format!(
            "bridge: message 0 relayed on the L2 against L2 block {}'s message root: {MESSAGE_TO} \
             got its {} ETH ({} gas)",
            relayed.l2_block,
            eth(U256::from(MESSAGE_VALUE)),
            relayed.gas
        ),
    );

    // A claim must cover the withdrawal's block before time moves on, so that its window is the
    // one that passes.
    loop {
        let standing = withdrawal_standing(&l1, &l2, d.bridge, nonce).await?;
        if *settled.borrow_and_update() && standing != Standing::Unclaimed {
            say(started, format!("bridge: withdrawal {nonce}: {standing}"));
            break;
        }
        wait().await?;
    }
    testnet::advance_time(&l1, window).await?;
    say(
        started,
        format!("bridge: L1 time moves on {window} s, past the challenge window"),
    );
    let paid = loop {
        match pay_withdrawal(&l1, payer, &l2, d.bridge, nonce).await {
            Ok(paid) => break paid,
            // A game opened meanwhile, or the claim landed just before the move: try again.
            Err(_) if Instant::now() < deadline => wait().await?,
            Err(e) => return Err(e.context("paying the withdrawal")),
        }
    };
    let on_l1 = l1.get_balance(address).await?;
    if on_l1 != U256::from(WITHDRAWAL) {
        bail!("the withdrawal's recipient holds {on_l1} wei on L1, not {WITHDRAWAL}");
    }
    say(
        started,
        format!(
            "bridge: withdrawal {nonce} paid {} ETH on L1 against claim {} (L2 block {}), proven \
             with the L2's eth_getProof ({} gas{})",
            eth(U256::from(WITHDRAWAL)),
            paid.claim,
            paid.l2_block,
            paid.gas,
            if paid.finalized.is_empty() {
                String::new()
            } else {
                format!(", after finalizing claims {:?}", paid.finalized)
            }
        ),
    );
    Ok(Trip {
        credited_after,
        payout_gas: paid.gas,
        relay_gas: relayed.gas,
    })
}
