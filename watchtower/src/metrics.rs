//! The watchtower's Prometheus metrics, and the text exposition `GET /metrics` serves.

use prometheus_client::{
    encoding::text::encode,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

/// Labels: one `kind`.
type Kind = Vec<(&'static str, &'static str)>;

/// What the watchtower counts and measures.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Open games the watchtower plays in.
    pub games_tracked: Gauge,
    /// Of those, games where it is the watchtower's turn.
    pub games_in_flight: Gauge,
    /// Moves sent, by kind (`challenge`, `split`, `pick`, `openBlock`, `proveCandidate`,
    /// `proveEnd`, `resolve`).
    pub moves: Family<Kind, Counter>,
    /// EXECUTE steps sent (counted whatever the node answered: a lost answer may hide a step that
    /// landed).
    pub steps: Counter,
    /// Wei withdrawn (bonds won and returned).
    pub withdrawn_wei: Counter<f64, std::sync::atomic::AtomicU64>,
    /// The replay's L2 head.
    pub replay_head: Gauge,
    /// L1 blocks between the L1 head and the last one the replay has read.
    pub replay_lag: Gauge,
    /// Seconds of L1 time between a turn's start and the watchtower's move.
    pub time_to_act: Histogram,
    /// The least clock the watchtower has left in any game where it is to move, in seconds.
    pub clock_left: Gauge,
    /// Ticks that failed, by kind (`l1_lagging`, `l1_disagrees`, `l1_stale`, `error`).
    pub faults: Family<Kind, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut metrics = Self {
            registry: Registry::with_prefix("challenger"),
            games_tracked: Gauge::default(),
            games_in_flight: Gauge::default(),
            moves: Family::default(),
            steps: Counter::default(),
            withdrawn_wei: Counter::default(),
            replay_head: Gauge::default(),
            replay_lag: Gauge::default(),
            time_to_act: Histogram::new([
                1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3_600.0, 14_400.0, 86_400.0,
            ]),
            clock_left: Gauge::default(),
            faults: Family::default(),
        };
        metrics.registry.register(
            "games_tracked",
            "Open games the watchtower plays in",
            metrics.games_tracked.clone(),
        );
        metrics.registry.register(
            "games_in_flight",
            "Open games where it is the watchtower's turn",
            metrics.games_in_flight.clone(),
        );
        metrics
            .registry
            .register("moves", "Moves sent, by kind", metrics.moves.clone());
        metrics
            .registry
            .register("steps", "EXECUTE steps sent", metrics.steps.clone());
        metrics.registry.register(
            "withdrawn_wei",
            "Wei withdrawn from the rollup",
            metrics.withdrawn_wei.clone(),
        );
        metrics.registry.register(
            "replay_head",
            "The replay's L2 head block",
            metrics.replay_head.clone(),
        );
        metrics.registry.register(
            "replay_lag_blocks",
            "L1 blocks the replay has not read yet",
            metrics.replay_lag.clone(),
        );
        metrics.registry.register(
            "time_to_act_seconds",
            "L1 seconds from a turn's start to the watchtower's move",
            metrics.time_to_act.clone(),
        );
        metrics.registry.register(
            "clock_left_seconds",
            "Least clock left in a game where the watchtower is to move",
            metrics.clock_left.clone(),
        );
        metrics
            .registry
            .register("faults", "Failed ticks, by kind", metrics.faults.clone());
        metrics
    }
}

impl Metrics {
    /// Counts a move of `kind`.
    pub fn moved(&self, kind: &'static str) {
        self.moves.get_or_create(&vec![("kind", kind)]).inc();
    }

    /// Counts a failed tick of `kind`.
    pub fn fault(&self, kind: &'static str) {
        self.faults.get_or_create(&vec![("kind", kind)]).inc();
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_names_every_metric() {
        let metrics = Metrics::default();
        metrics.moved("pick");
        metrics.fault("l1_lagging");
        metrics.replay_head.set(7);
        let text = metrics.encode();
        for line in [
            "challenger_moves_total{kind=\"pick\"} 1",
            "challenger_faults_total{kind=\"l1_lagging\"} 1",
            "challenger_replay_head 7",
            "challenger_games_tracked 0",
            "challenger_time_to_act_seconds_count 0",
        ] {
            assert!(text.contains(line), "{line} not in\n{text}");
        }
    }
}
