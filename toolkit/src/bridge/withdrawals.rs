//! `toolkit bridge withdrawals` and `toolkit bridge withdraw`: the L2's withdrawals, where each
//! stands on L1, and paying one out. A withdrawal is read from the L2 bridge predeploy's log; the
//! first claim of the L2 node's chain at or after its block covers it; once that claim and the
//! pending claims it builds on are past their windows with no game open, they are finalized and
//! the withdrawal is proven against it with the L2 node's `eth_getProof`.

use std::collections::HashMap;

use alloy_consensus::Header;
use alloy_primitives::{Address, B256, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter};
use alloy_sol_types::SolEvent;
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use l1_contracts::{
    bridge::{Bridge, L2Bridge},
    call::{read, write},
    provider::{l1_provider, load_key},
    rollup::Rollup,
    status::ClaimStatus,
};
use rollup::rules::{withdrawal_slot, L2_BRIDGE};

use super::{eth, Endpoints};

/// `toolkit bridge withdrawals`'s settings.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    chains: Endpoints,
    /// The bridge contract on L1.
    #[arg(long)]
    bridge: Address,
    /// Only the withdrawals this L2 account made.
    #[arg(long)]
    from: Option<Address>,
}

/// `toolkit bridge withdraw`'s settings.
#[derive(Debug, Args)]
pub(crate) struct WithdrawArgs {
    #[command(flatten)]
    chains: Endpoints,
    /// The bridge contract on L1.
    #[arg(long)]
    bridge: Address,
    /// The withdrawal's nonce (`L2Bridge.withdraw` returns it; its log names it, and
    /// `toolkit bridge withdrawals` lists it).
    #[arg(long)]
    nonce: u64,
    /// File holding the L1 key that sends the transactions; else WITHDRAW_KEY. Anyone may pay
    /// a withdrawal out: the ETH goes to its recipient.
    #[arg(long)]
    key_file: Option<std::path::PathBuf>,
}

/// A withdrawal as the L2 bridge logged it.
struct Logged {
    /// The L2 block that recorded it.
    block: u64,
    /// What the L1 bridge is shown.
    withdrawal: Bridge::Withdrawal,
}

/// Where a withdrawal stands on L1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Standing {
    /// The bridge paid it.
    Paid,
    /// No claim of the L2 node's chain covers its block yet.
    Unclaimed,
    /// Claim `claim` covers it and is final: it can be paid now.
    Payable { claim: u64 },
    /// Claim `claim` covers it; it and the claims it builds on (`pending`, oldest first) are past
    /// their windows with no game open: they can be finalized, then it paid.
    Finalizable { claim: u64, pending: Vec<u64> },
    /// Claim `claim` covers it, but `games` games about the pending claim `disputed` are open.
    Disputed {
        claim: u64,
        disputed: u64,
        games: u32,
    },
    /// Claim `claim` covers it; the last window of its pending chain ends at L1 time `until`.
    InWindow { claim: u64, until: u64 },
}

impl std::fmt::Display for Standing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Paid => write!(f, "paid"),
            Self::Unclaimed => write!(f, "no claim covers its block yet"),
            Self::Payable { claim } => write!(f, "payable now against final claim {claim}"),
            Self::Finalizable { claim, pending } => write!(
                f,
                "payable now against claim {claim} ({} claim(s) to finalize first)",
                pending.len()
            ),
            Self::Disputed {
                claim,
                disputed,
                games,
            } => write!(
                f,
                "covered by claim {claim}, waiting on {games} open game(s) about claim {disputed}"
            ),
            Self::InWindow { claim, until } => {
                write!(
                    f,
                    "covered by claim {claim}, in its window until L1 time {until}"
                )
            }
        }
    }
}

/// A claim, and the pending claims from it back to the first final one.
struct Chain {
    /// The covering claim.
    id: u64,
    /// Pending claims from `id` back (newest first), each with its claim.
    pending: Vec<(u64, Rollup::Claim)>,
}

/// Where a withdrawal stands, from whether it was paid, the chain of its covering claim, the
/// rollup's challenge window and the L1's latest time.
fn standing(paid: bool, chain: Option<&Chain>, window: u64, now: u64) -> Standing {
    if paid {
        return Standing::Paid;
    }
    let Some(chain) = chain else {
        return Standing::Unclaimed;
    };
    let claim = chain.id;
    if chain.pending.is_empty() {
        return Standing::Payable { claim };
    }
    if let Some((disputed, c)) = chain.pending.iter().rev().find(|(_, c)| c.openGames != 0) {
        return Standing::Disputed {
            claim,
            disputed: *disputed,
            games: c.openGames,
        };
    }
    let until = chain
        .pending
        .iter()
        .map(|(_, c)| c.createdAt + window)
        .max()
        .unwrap_or_default();
    if now < until {
        return Standing::InWindow { claim, until };
    }
    Standing::Finalizable {
        claim,
        pending: chain.pending.iter().rev().map(|(id, _)| *id).collect(),
    }
}

/// The rollup's claims as L1 holds them now, and the L2 node's headers of their blocks.
struct Claims<L1, L2> {
    l1: L1,
    l2: L2,
    rollup: Address,
    /// Every claim, by id.
    claims: Vec<Rollup::Claim>,
    /// The L2 node's header of a claimed block, when its hash is the claim's.
    honest: HashMap<u64, Option<Header>>,
}

impl<L1: Provider, L2: Provider> Claims<L1, L2> {
    async fn read(l1: L1, l2: L2, rollup: Address) -> Result<Self> {
        let count: u64 = read(&l1, rollup, Rollup::claimCountCall {})
            .await
            .context("the rollup's claim count")?
            .to();
        let mut claims = Vec::with_capacity(count as usize);
        for id in 0..count {
            claims.push(read(&l1, rollup, Rollup::claimCall { id: U256::from(id) }).await?);
        }
        Ok(Self {
            l1,
            l2,
            rollup,
            claims,
            honest: HashMap::new(),
        })
    }

    /// The L2 node's header of claim `id`'s block if the claim names it.
    async fn honest_header(&mut self, id: u64) -> Result<Option<Header>> {
        if let Some(known) = self.honest.get(&id) {
            return Ok(known.clone());
        }
        let claim = &self.claims[id as usize];
        let header = self
            .l2
            .get_block_by_number(claim.l2Block.into())
            .await
            .context("a claimed block from the L2")?
            .map(|b| b.header.inner)
            .filter(|h| h.hash_slow() == claim.blockHash);
        self.honest.insert(id, header.clone());
        Ok(header)
    }

    /// Claim `id` and its pending ancestors; `None` if one of them was rejected (its descendants
    /// can never finalize).
    fn chain(&self, id: u64) -> Option<Chain> {
        let mut pending = Vec::new();
        let mut at = id;
        // A chain of parents visits each claim once; more steps would be a faulty node's loop.
        for _ in 0..self.claims.len() {
            let claim = self.claims.get(at as usize)?;
            match claim.claim_status() {
                ClaimStatus::Finalized => return Some(Chain { id, pending }),
                ClaimStatus::Pending => pending.push((at, claim.clone())),
                ClaimStatus::Rejected | ClaimStatus::Unknown(_) => return None,
            }
            at = claim.parent;
        }
        None
    }

    /// The first claim at or after L2 block `block` that names the L2 node's block and can
    /// still finalize (anyone may propose a wrong claim first: it is skipped, not waited for),
    /// with its chain and the block's header.
    async fn covering(&mut self, block: u64) -> Result<Option<(Chain, Header)>> {
        for id in 1..self.claims.len() as u64 {
            if self.claims[id as usize].l2Block < block {
                continue;
            }
            let Some(chain) = self.chain(id) else {
                continue;
            };
            if let Some(header) = self.honest_header(id).await? {
                return Ok(Some((chain, header)));
            }
        }
        Ok(None)
    }

    /// The latest L1 time and the challenge window.
    async fn clock(&self) -> Result<(u64, u64)> {
        let config = read(&self.l1, self.rollup, Rollup::configCall {})
            .await
            .context("the rollup's configuration")?;
        let head = self
            .l1
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .context("the L1's latest block")?
            .ok_or_else(|| anyhow!("the L1 has no latest block"))?;
        Ok((head.header.timestamp, config.challengeWindow))
    }
}

/// The L2 bridge's withdrawals, in nonce order; `nonce` picks one.
async fn logged(l2: &impl Provider, nonce: Option<u64>) -> Result<Vec<Logged>> {
    let mut filter = Filter::new()
        .address(L2_BRIDGE)
        .event_signature(L2Bridge::WithdrawalInitiated::SIGNATURE_HASH)
        .from_block(0);
    if let Some(nonce) = nonce {
        filter = filter.topic1(U256::from(nonce));
    }
    let logs = l2.get_logs(&filter).await.context("the L2 bridge's logs")?;
    let mut out = Vec::with_capacity(logs.len());
    for log in logs {
        let block = log
            .block_number
            .ok_or_else(|| anyhow!("a withdrawal's log has no block"))?;
        let event = L2Bridge::WithdrawalInitiated::decode_log(&log.inner)?.data;
        out.push(Logged {
            block,
            withdrawal: Bridge::Withdrawal {
                nonce: event.nonce,
                from: event.from,
                to: event.to,
                value: event.value,
                data: event.data,
            },
        });
    }
    Ok(out)
}

/// Whether the bridge paid `withdrawal`.
async fn paid(
    l1: &impl Provider,
    bridge: Address,
    withdrawal: &Bridge::Withdrawal,
) -> Result<bool> {
    let hash = read(
        l1,
        bridge,
        Bridge::withdrawalHashCall {
            w: withdrawal.clone(),
        },
    )
    .await?;
    Ok(read(l1, bridge, Bridge::finalizedCall(hash)).await?)
}

fn describe(logged: &Logged) -> String {
    let w = &logged.withdrawal;
    let call = if w.data.is_empty() {
        String::new()
    } else {
        format!(" with a call of {} bytes", w.data.len())
    };
    format!(
        "withdrawal {}: {} ETH from {} to {}{call} in L2 block {}",
        w.nonce,
        eth(w.value),
        w.from,
        w.to,
        logged.block
    )
}

/// Prints every withdrawal (or the account's) and where it stands.
pub(crate) async fn list(args: ListArgs) -> Result<()> {
    let l1 = ProviderBuilder::new().connect_http(args.chains.l1_rpc);
    let l2 = ProviderBuilder::new().connect_http(args.chains.l2_rpc);
    let rollup = read(&l1, args.bridge, Bridge::rollupCall {})
        .await
        .context("reading the bridge's rollup")?;
    let withdrawals: Vec<Logged> = logged(&l2, None)
        .await?
        .into_iter()
        .filter(|l| args.from.is_none_or(|from| l.withdrawal.from == from))
        .collect();
    let mut claims = Claims::read(l1, l2, rollup).await?;
    let (now, window) = claims.clock().await?;
    for logged in &withdrawals {
        let paid = paid(&claims.l1, args.bridge, &logged.withdrawal).await?;
        let chain = if paid {
            None
        } else {
            claims.covering(logged.block).await?.map(|(chain, _)| chain)
        };
        println!(
            "{}: {}",
            describe(logged),
            standing(paid, chain.as_ref(), window, now)
        );
    }
    println!("{} withdrawal(s)", withdrawals.len());
    Ok(())
}

/// Finalizes what it must, proves, then pays withdrawal `args.nonce`.
pub(crate) async fn pay(args: WithdrawArgs) -> Result<()> {
    let signer = load_key(args.key_file.as_deref(), "WITHDRAW_KEY")?;
    let from = signer.address();
    let l1 = l1_provider(args.chains.l1_rpc.clone(), signer);
    let l2 = ProviderBuilder::new().connect_http(args.chains.l2_rpc.clone());
    let paid = pay_withdrawal(&l1, from, &l2, args.bridge, args.nonce).await?;
    println!("{}", paid.describe);
    for claim in &paid.finalized {
        println!("finalized claim {claim}");
    }
    println!(
        "paid against claim {} (L2 block {}) in L1 transaction {} ({} gas)",
        paid.claim, paid.l2_block, paid.transaction, paid.gas
    );
    Ok(())
}

/// A withdrawal paid out.
pub(crate) struct Paid {
    /// What the withdrawal is (`withdrawal N: … in L2 block B`).
    pub(crate) describe: String,
    /// The claims finalized first, oldest first.
    pub(crate) finalized: Vec<u64>,
    /// The claim it was proven against.
    pub(crate) claim: u64,
    /// That claim's L2 block.
    pub(crate) l2_block: u64,
    /// The L1 transaction that paid it.
    pub(crate) transaction: B256,
    /// Its L1 gas.
    pub(crate) gas: u64,
}

/// A withdrawal found, with where it stands.
struct Located {
    rollup: Address,
    logged: Logged,
    standing: Standing,
    /// The covering claim's block header (from the L2 node).
    header: Option<Header>,
    /// The L1's latest time.
    now: u64,
}

/// Finds withdrawal `nonce` on the L2 and where it stands on L1.
async fn locate<L1: Provider + Clone, L2: Provider + Clone>(
    l1: &L1,
    l2: &L2,
    bridge: Address,
    nonce: u64,
) -> Result<Located> {
    let rollup = read(l1, bridge, Bridge::rollupCall {})
        .await
        .context("reading the bridge's rollup")?;
    let logged = logged(l2, Some(nonce))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("no withdrawal {nonce} on the L2"))?;
    let mut claims = Claims::read(l1.clone(), l2.clone(), rollup).await?;
    let (now, window) = claims.clock().await?;
    if paid(l1, bridge, &logged.withdrawal).await? {
        return Ok(Located {
            rollup,
            logged,
            standing: Standing::Paid,
            header: None,
            now,
        });
    }
    let covering = claims.covering(logged.block).await?;
    let standing = standing(false, covering.as_ref().map(|(c, _)| c), window, now);
    Ok(Located {
        rollup,
        logged,
        standing,
        header: covering.map(|(_, header)| header),
        now,
    })
}

/// Where withdrawal `nonce` stands on L1 now.
pub(crate) async fn withdrawal_standing<L1: Provider + Clone, L2: Provider + Clone>(
    l1: &L1,
    l2: &L2,
    bridge: Address,
    nonce: u64,
) -> Result<Standing> {
    Ok(locate(l1, l2, bridge, nonce).await?.standing)
}

/// Pays withdrawal `nonce` from `from`'s account on `l1`: finalizes the covering claim's pending
/// chain if it can, proves the withdrawal against it with `l2`'s `eth_getProof`, and sends it.
/// Says why not when it cannot.
pub(crate) async fn pay_withdrawal<L1: Provider + Clone, L2: Provider + Clone>(
    l1: &L1,
    from: Address,
    l2: &L2,
    bridge: Address,
    nonce: u64,
) -> Result<Paid> {
    let Located {
        rollup,
        logged,
        standing,
        header,
        now,
    } = locate(l1, l2, bridge, nonce).await?;
    let (id, pending) = match standing {
        Standing::Payable { claim } => (claim, Vec::new()),
        Standing::Finalizable { claim, pending } => (claim, pending),
        Standing::Paid => bail!("withdrawal {nonce} was paid already"),
        Standing::Unclaimed => bail!(
            "no claim of the L2 node's chain covers L2 block {} yet",
            logged.block
        ),
        Standing::InWindow { claim, until } => bail!(
            "claim {claim} covers it, but the challenge window is open until L1 time {until} \
             ({} s from the L1's latest block)",
            until - now
        ),
        Standing::Disputed {
            claim,
            disputed,
            games,
        } => bail!(
            "claim {claim} covers it, but {games} game(s) about claim {disputed} are open: it \
             finalizes once they are resolved"
        ),
    };
    for claim in &pending {
        write(
            l1,
            from,
            rollup,
            Rollup::finalizeCall {
                id: U256::from(*claim),
            },
            U256::ZERO,
        )
        .await
        .with_context(|| format!("finalizing claim {claim}"))?;
    }
    let header = header.context("a covering claim has its header")?;
    let slot = withdrawal_slot(logged.withdrawal.nonce);
    let proof = l2
        .get_proof(L2_BRIDGE, vec![slot])
        .number(header.number)
        .await
        .context("eth_getProof on the L2 (a node that has pruned that block's state cannot)")?;
    let storage = proof
        .storage_proof
        .first()
        .ok_or_else(|| anyhow!("the proof has no storage proof"))?;
    let describe = describe(&logged);
    let receipt = write(
        l1,
        from,
        bridge,
        Bridge::finalizeWithdrawalCall {
            claimId: U256::from(id),
            header: alloy_rlp::encode(&header).into(),
            w: logged.withdrawal,
            accountProof: proof.account_proof,
            storageProof: storage.proof.clone(),
        },
        U256::ZERO,
    )
    .await?;
    Ok(Paid {
        describe,
        finalized: pending,
        claim: id,
        l2_block: header.number,
        transaction: receipt.transaction_hash,
        gas: receipt.gas_used,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(created_at: u64, open_games: u32) -> Rollup::Claim {
        Rollup::Claim {
            proposer: Address::ZERO,
            parent: 0,
            l2Block: 0,
            createdAt: created_at,
            openGames: open_games,
            status: 0,
            bondSettled: false,
            blockHash: B256::ZERO,
        }
    }

    #[test]
    fn a_withdrawal_stands_where_its_claims_do() {
        let window = 3_600;
        assert_eq!(standing(true, None, window, 0), Standing::Paid);
        assert_eq!(standing(false, None, window, 0), Standing::Unclaimed);
        let final_claim = Chain {
            id: 4,
            pending: vec![],
        };
        assert_eq!(
            standing(false, Some(&final_claim), window, 0),
            Standing::Payable { claim: 4 }
        );
        // Claim 4 on pending claim 3: the later window decides.
        let two = Chain {
            id: 4,
            pending: vec![(4, claim(200, 0)), (3, claim(100, 0))],
        };
        assert_eq!(
            standing(false, Some(&two), window, 3_700),
            Standing::InWindow {
                claim: 4,
                until: 3_800
            }
        );
        assert_eq!(
            standing(false, Some(&two), window, 3_800),
            Standing::Finalizable {
                claim: 4,
                pending: vec![3, 4]
            }
        );
        // A game about an ancestor holds it, whatever the clock says.
        let disputed = Chain {
            id: 4,
            pending: vec![(4, claim(200, 0)), (3, claim(100, 2))],
        };
        assert_eq!(
            standing(false, Some(&disputed), window, 10_000),
            Standing::Disputed {
                claim: 4,
                disputed: 3,
                games: 2
            }
        );
        // Paid outranks everything.
        assert_eq!(standing(true, Some(&disputed), window, 0), Standing::Paid);
    }
}
