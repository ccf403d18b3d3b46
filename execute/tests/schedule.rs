//! EXECUTE applies the rules its host's fork schedule gives the traced block's timestamp: blocks
//! from before a fork stay provable after it, a block cannot use a fork the host has not reached,
//! and the trace names no fork a caller could choose.

mod common;

use common::Chain;
use execute::{
    verify_trace, witness::TracedSegment, Activation, BlobSchedule, ChainConfig, ExecuteError,
    Fork, ForkSchedule, Host,
};

/// A schedule of `forks` as `(activation, fork)`, with mainnet blob parameters.
fn schedule(forks: &[(u64, Fork)]) -> ForkSchedule {
    ForkSchedule::new(
        forks
            .iter()
            .map(|&(timestamp, fork)| Activation {
                timestamp,
                ..ChainConfig::mainnet(fork).activation()
            })
            .collect(),
    )
    .unwrap()
}

fn check(sealed: &TracedSegment, host: Host<'_>) -> Result<(), ExecuteError> {
    verify_trace(
        sealed.pre_state_root,
        sealed.post_state_root,
        &sealed.trace,
        sealed.gas_used,
        host,
    )
}

/// Two Cancun blocks (timestamps 12 and 24).
fn cancun_blocks() -> Vec<TracedSegment> {
    let mut chain = Chain::new(Fork::Cancun, 8, 21);
    vec![chain.next_block(500_000), chain.next_block(500_000)]
}

#[test]
fn a_block_from_before_a_fork_is_proven_after_it() {
    let blocks = cancun_blocks();
    let forked = schedule(&[(0, Fork::Cancun), (20, Fork::Prague)]);
    // Long after the fork, the host still applies Cancun to a block from before it.
    check(&blocks[0], Host::new(&forked, 1_000_000)).expect("Cancun block after the fork");
    // A block past the activation runs under Prague, which this Cancun block breaks.
    let err = check(&blocks[1], Host::new(&forked, 1_000_000)).unwrap_err();
    assert!(
        matches!(err, ExecuteError::Invalid(_)),
        "Prague rules apply to the block at 24: {err}"
    );
    // A host that forked at genesis holds every block to Prague: the trace cannot opt out.
    let prague = schedule(&[(0, Fork::Prague)]);
    assert!(check(&blocks[0], Host::latest(&prague)).is_err());
}

#[test]
fn a_block_cannot_use_a_fork_the_host_has_not_reached() {
    let mut chain = Chain::new(Fork::Prague, 8, 22);
    let block = chain.next_block(500_000);
    let at = block.trace.header.timestamp;
    let forked = schedule(&[(0, Fork::Cancun), (at, Fork::Prague)]);
    assert_eq!(
        check(&block, Host::new(&forked, at - 1)),
        Err(ExecuteError::ForkNotReached {
            fork: Fork::Prague,
            activation: at,
            host: at - 1,
        })
    );
    check(&block, Host::new(&forked, at)).expect("the host has reached Prague");
    // Within the fork the host is in, a block ahead of the host's own time is fine.
    let prague = schedule(&[(0, Fork::Prague)]);
    check(&block, Host::new(&prague, 0)).expect("no fork between host and block");
}

#[test]
fn a_block_before_the_schedule_has_no_rules() {
    let blocks = cancun_blocks();
    let late = schedule(&[(13, Fork::Cancun)]);
    assert_eq!(
        check(&blocks[0], Host::latest(&late)),
        Err(ExecuteError::BeforeSchedule(12))
    );
    check(&blocks[1], Host::latest(&late)).expect("the block at 24 is scheduled");
}

#[test]
fn malformed_schedules_are_refused() {
    let cancun = ChainConfig::mainnet(Fork::Cancun).activation();
    let prague = ChainConfig::mainnet(Fork::Prague).activation();
    assert!(ForkSchedule::new(Vec::new()).is_err());
    let back = Activation {
        timestamp: 10,
        ..cancun
    };
    assert!(
        ForkSchedule::new(vec![prague, back]).is_err(),
        "goes back a fork"
    );
    let same_time = vec![cancun, prague];
    assert!(ForkSchedule::new(same_time).is_err(), "two forks at once");
    let bad_blobs = Activation {
        blobs: BlobSchedule {
            target: 7,
            max: 6,
            update_fraction: 1,
        },
        ..cancun
    };
    assert!(ForkSchedule::new(vec![bad_blobs]).is_err());
}
