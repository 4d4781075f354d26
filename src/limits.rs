//! Every hard limit of a scenario, defined once, in the lowest layer: the engine sizes its
//! fixed arrays from these, and the scenario loader rejects a file that goes beyond them with a
//! message naming the limit. Limits protect memory and time from typos (`rate_per_week = 8e9`);
//! the softer whole-run limits (`--max-events`, `--max-memory-mb`) live in `guard`.

/// The most cards a replayed history (`process = "replay"`) may hold.
pub const MAX_REPLAY_CARDS: usize = 1_000_000;

/// Longest horizon a scenario may ask for (weeks; about 1900 years).
pub const MAX_HORIZON_WEEKS: f64 = 100_000.0;
/// Most people in one team (the dispatcher keeps who is free as a 128-bit set).
pub const MAX_TEAM: usize = 128;
/// Most people on one card at once (holder plus helpers).
pub const MAX_SWARM: usize = 4;
/// Most cards one person may hold at once (personal WIP limit, cards).
pub const MAX_HELD: usize = 8;
/// Most stages on a board.
pub const MAX_STAGES: usize = 64;
/// Most replications per policy.
pub const MAX_REPLICATIONS: u32 = 1_000_000;
/// Largest initial backlog and largest batch (cards): every one of them is held in memory.
pub const MAX_CARDS_AT_ONCE: u32 = 1_000_000;
/// Most cards expected to arrive (or, from an unlimited backlog, to be taken) in one
/// replication: beyond this the engine's card counters and memory are at risk.
pub const MAX_CARDS_PER_REP: f64 = 1e9;
/// Most engine events expected in one replication of one policy (hours of computing).
pub const MAX_EVENTS_PER_REP: f64 = 1e10;
/// The largest system WIP limit (cards): with an endless backlog, a release fills the system
/// to its limit at once, so the limit bounds memory.
pub const MAX_SYSTEM_WIP: u32 = 100_000;
/// Smallest replenishment interval other than 0 (hours; 36 seconds).
pub const MIN_REPLENISH_H: f64 = 0.01;
/// The longest delay a conservative puller may take after each card it takes (hours: a year).
pub const MAX_PULL_DELAY_H: f64 = 8760.0;
/// Smallest arrival rate that is not a typo for "none" (cards per week).
pub const MIN_RATE_PER_WEEK: f64 = 1e-9;
