//! Test mode: how a dishonest proposer's block breaks the L2's rules, so that every fraud the
//! protocol covers can be staged, and the text form (`drop:4:1`) the command lines and the
//! dispute fixtures write a lie in. Only a build of `rollup` with its `lies` feature can derive
//! or replay a block with one; this crate is the description alone.

use std::str::FromStr;

/// How a dishonest proposer's block differs from the rules (test mode), so that every fraud the
/// protocol covers can be staged. Only a build with the `lies` feature can derive or replay a
/// block with one; the operator's binaries are built without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lie {
    /// Candidate `k` is skipped although the inclusion rule includes it.
    Drop(usize),
    /// Candidates `a` and `b` are executed in each other's place.
    Reorder(usize, usize),
    /// The state root after candidate `k`, and every later one and the header's, are wrong.
    /// `rollup::derive::L2Chain` goes on deriving from the true header (nothing executes on a wrong root);
    /// what a liar believes of later blocks is their hashes re-linked to the lying block
    /// (`l2_node::node::L2Node::lying_hash`).
    StateRoot(usize),
    /// The header claims one more gas than the block used.
    Gas,
    /// The block runs with a timestamp one second after the rule's.
    Timestamp,
    /// Candidate `k` counts as included although the inclusion rule skips it (it is in the
    /// count and the transactions accumulator; the state and gas do not move).
    Include(usize),
    /// The block leaves out deposit `k` of those it credits.
    DropDeposit(usize),
    /// The block credits a deposit nobody made, after those it credits: 1 ether to the liar's
    /// chosen address ([`INVENTED_DEPOSIT_TO`]).
    InventDeposit,
    /// The block commits to a message root the inbox never had (`parentBeaconBlockRoot`), so
    /// that the L2 bridge would relay a message nobody sent.
    ForgeMessages,
    /// The block's post-state records a withdrawal nobody made in the L2 bridge's storage:
    /// [`INVENTED_WITHDRAWAL_WEI`] to the liar's chosen address ([`INVENTED_WITHDRAWAL_TO`]) on
    /// L1, which the L1 bridge would pay against a final claim of the block.
    InventWithdrawal,
}

/// Where an invented deposit ([`Lie::InventDeposit`]) goes.
pub const INVENTED_DEPOSIT_TO: [u8; 20] = [0x1e; 20];

/// Where an invented withdrawal ([`Lie::InventWithdrawal`]) pays, on L1.
pub const INVENTED_WITHDRAWAL_TO: [u8; 20] = [0x1f; 20];

/// What an invented withdrawal ([`Lie::InventWithdrawal`]) pays: 1,000 ether.
pub const INVENTED_WITHDRAWAL_WEI: u128 = 1_000 * 10u128.pow(18);

/// Why a lie's text (`--lie`) does not read.
#[derive(Debug, thiserror::Error)]
pub enum LieError {
    /// Not one of the forms.
    #[error(
        "{0}: expected drop:BLOCK:K, reorder:BLOCK:A:B, root:BLOCK:K, gas:BLOCK, timestamp:BLOCK, \
         include:BLOCK:K, drop-deposit:BLOCK:K, invent-deposit:BLOCK, forge-messages:BLOCK or \
         invent-withdrawal:BLOCK"
    )]
    Form(String),
    /// A block or index is not a number.
    #[error("{text}: {source}")]
    Number {
        /// The lie's text.
        text: String,
        /// The parser's error.
        #[source]
        source: std::num::ParseIntError,
    },
}

/// A lie about one block: which block, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockLie {
    /// The L2 block lied about.
    pub block: u64,
    /// How.
    pub lie: Lie,
}

impl FromStr for BlockLie {
    type Err = LieError;

    /// `drop:BLOCK:K`, `reorder:BLOCK:A:B`, `root:BLOCK:K`, `gas:BLOCK`, `timestamp:BLOCK`,
    /// `include:BLOCK:K`, `drop-deposit:BLOCK:K`, `invent-deposit:BLOCK`,
    /// `forge-messages:BLOCK` or `invent-withdrawal:BLOCK`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split(':').collect();
        let number = |i: usize| -> Result<u64, LieError> {
            let field = parts.get(i).ok_or_else(|| LieError::Form(s.to_string()))?;
            field.parse().map_err(|source| LieError::Number {
                text: s.to_string(),
                source,
            })
        };
        let index = |i: usize| number(i).map(|n| n as usize);
        let lie = match (parts[0], parts.len()) {
            ("drop", 3) => Lie::Drop(index(2)?),
            ("reorder", 4) => Lie::Reorder(index(2)?, index(3)?),
            ("root", 3) => Lie::StateRoot(index(2)?),
            ("gas", 2) => Lie::Gas,
            ("timestamp", 2) => Lie::Timestamp,
            ("include", 3) => Lie::Include(index(2)?),
            ("drop-deposit", 3) => Lie::DropDeposit(index(2)?),
            ("invent-deposit", 2) => Lie::InventDeposit,
            ("forge-messages", 2) => Lie::ForgeMessages,
            ("invent-withdrawal", 2) => Lie::InventWithdrawal,
            _ => return Err(LieError::Form(s.to_string())),
        };
        Ok(Self {
            block: number(1)?,
            lie,
        })
    }
}

impl std::fmt::Display for BlockLie {
    /// The form [`BlockLie::from_str`] reads.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let block = self.block;
        match self.lie {
            Lie::Drop(k) => write!(f, "drop:{block}:{k}"),
            Lie::Reorder(a, b) => write!(f, "reorder:{block}:{a}:{b}"),
            Lie::StateRoot(k) => write!(f, "root:{block}:{k}"),
            Lie::Gas => write!(f, "gas:{block}"),
            Lie::Timestamp => write!(f, "timestamp:{block}"),
            Lie::Include(k) => write!(f, "include:{block}:{k}"),
            Lie::DropDeposit(k) => write!(f, "drop-deposit:{block}:{k}"),
            Lie::InventDeposit => write!(f, "invent-deposit:{block}"),
            Lie::ForgeMessages => write!(f, "forge-messages:{block}"),
            Lie::InventWithdrawal => write!(f, "invent-withdrawal:{block}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lies_parse_from_the_command_line() {
        let parse = |s: &str| s.parse::<BlockLie>();
        assert_eq!(
            parse("drop:8:2").unwrap(),
            BlockLie {
                block: 8,
                lie: Lie::Drop(2)
            }
        );
        assert_eq!(parse("reorder:3:0:1").unwrap().lie, Lie::Reorder(0, 1));
        assert_eq!(parse("root:4:0").unwrap().lie, Lie::StateRoot(0));
        assert_eq!(parse("gas:5").unwrap().lie, Lie::Gas);
        assert_eq!(parse("timestamp:6").unwrap().block, 6);
        assert_eq!(parse("include:7:1").unwrap().lie, Lie::Include(1));
        for text in [
            "drop:8:2",
            "reorder:3:0:1",
            "root:4:0",
            "gas:5",
            "timestamp:6",
            "include:7:1",
            "drop-deposit:2:0",
            "invent-deposit:3",
            "forge-messages:4",
            "invent-withdrawal:5",
        ] {
            assert_eq!(parse(text).unwrap().to_string(), text);
        }
        for bad in ["", "drop:8", "gas", "gas:x", "lie:1", "drop:1:2:3"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
