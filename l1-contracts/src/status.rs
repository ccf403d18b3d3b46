//! The contracts' statuses, typed. A JSON ABI carries Solidity enums as `uint8`, without their
//! names, so the `sol!` structs hold the raw byte; these give it its meaning.

use crate::rollup::Rollup;

/// `Rollup.ClaimStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimStatus {
    /// Inside its challenge window, or with a game open.
    Pending,
    /// Final: nobody proved it wrong within the window.
    Finalized,
    /// Rejected by a game, or as an orphan of a rejected parent.
    Rejected,
    /// A value the contract does not define (a wrong contract or a faulty node).
    Unknown(u8),
}

impl From<u8> for ClaimStatus {
    fn from(raw: u8) -> Self {
        match raw {
            0 => Self::Pending,
            1 => Self::Finalized,
            2 => Self::Rejected,
            other => Self::Unknown(other),
        }
    }
}

/// `Rollup.GameStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GameStatus {
    /// Still being played.
    Open,
    /// The claim's proposer won.
    DefenderWon,
    /// The challenger won.
    ChallengerWon,
    /// Ended without a winner: another game had rejected the claim; the challenger's bond went
    /// back.
    Cancelled,
    /// A value the contract does not define (a wrong contract or a faulty node).
    Unknown(u8),
}

impl From<u8> for GameStatus {
    fn from(raw: u8) -> Self {
        match raw {
            0 => Self::Open,
            1 => Self::DefenderWon,
            2 => Self::ChallengerWon,
            3 => Self::Cancelled,
            other => Self::Unknown(other),
        }
    }
}

impl Rollup::Claim {
    /// The claim's status.
    pub fn claim_status(&self) -> ClaimStatus {
        self.status.into()
    }
}

impl Rollup::Game {
    /// The game's status.
    pub fn game_status(&self) -> GameStatus {
        self.status.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_has_a_status() {
        assert_eq!(ClaimStatus::from(2), ClaimStatus::Rejected);
        assert_eq!(GameStatus::from(3), GameStatus::Cancelled);
        assert_eq!(GameStatus::from(9), GameStatus::Unknown(9));
    }
}
