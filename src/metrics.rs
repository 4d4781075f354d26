//! What one replication measures: the metric catalogue, the time histogram with censoring, and
//! the per-replication result the engine hands to experiments.
//!
//! Metric names are stable snake_case identifiers; units are part of the catalogue.

use crate::model::Model;

/// One metric's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricInfo {
    /// Stable snake_case identifier.
    pub name: String,
    /// Unit, e.g. `cards/week`, `h`, `share`.
    pub unit: &'static str,
    /// One line for humans.
    pub description: String,
}

/// Fixed metrics, in catalogue order. Per-stage WIP follows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
#[allow(missing_docs)]
pub enum M {
    ThroughputPerWeek,
    CardsFinished,
    LeadTimeMean,
    LeadTimeP50,
    LeadTimeP85,
    LeadTimeP95,
    CycleTimeMean,
    CycleTimeP50,
    CycleTimeP85,
    CycleTimeP95,
    StartToDoneMean,
    StartToDoneP50,
    StartToDoneP85,
    StartToDoneP95,
    WipMean,
    BacklogMean,
    Utilisation,
    PairingLossH,
    FlowEfficiency,
    IdleH,
    StarvedH,
    BlockedH,
    SkillMismatchH,
    WaitingH,
    WaitingForReleaseH,
    AssignedElsewhereH,
    OvertimeH,
    OvertimeShare,
    CommitmentHitRate,
    BlockedCardH,
    BlockerRate,
    SickDays,
    ContextSwitches,
    DueDateHitRate,
    InputWaitMean,
    DeploymentsPerWeek,
    ChangeFailureRate,
    TimeToRestoreMean,
    DowntimeH,
    UnfinishedCards,
    UnfinishedAgeMean,
    UnfinishedAgeMax,
    ArrivalsDeclined,
}

const FIXED: [(&str, &str, &str); 43] = [
    (
        "throughput_per_week",
        "cards/week",
        "cards finished per week after warm-up",
    ),
    ("cards_finished", "cards", "cards finished after warm-up"),
    (
        "lead_time_mean_h",
        "h",
        "mean arrival-to-done time of finished cards",
    ),
    (
        "lead_time_p50_h",
        "h",
        "median lead time (Kaplan-Meier, unfinished cards censored)",
    ),
    (
        "lead_time_p85_h",
        "h",
        "85th percentile lead time (Kaplan-Meier)",
    ),
    (
        "lead_time_p95_h",
        "h",
        "95th percentile lead time (Kaplan-Meier)",
    ),
    (
        "cycle_time_mean_h",
        "h",
        "mean time from the policy's own commitment point to done (push: the plan; pull: the pull; flow: the release), so not comparable across policies: compare lead time or start-to-done",
    ),
    (
        "cycle_time_p50_h",
        "h",
        "median cycle time (Kaplan-Meier, unfinished cards censored)",
    ),
    (
        "cycle_time_p85_h",
        "h",
        "85th percentile cycle time (Kaplan-Meier)",
    ),
    (
        "cycle_time_p95_h",
        "h",
        "95th percentile cycle time (Kaplan-Meier)",
    ),
    (
        "start_to_done_mean_h",
        "h",
        "mean time from the first hour of work on a card to done, the same event under every policy",
    ),
    (
        "start_to_done_p50_h",
        "h",
        "median start-to-done time (Kaplan-Meier, unfinished started cards censored)",
    ),
    (
        "start_to_done_p85_h",
        "h",
        "85th percentile start-to-done time (Kaplan-Meier)",
    ),
    (
        "start_to_done_p95_h",
        "h",
        "95th percentile start-to-done time (Kaplan-Meier)",
    ),
    (
        "wip_mean",
        "cards",
        "time-average committed cards not yet done",
    ),
    (
        "backlog_mean",
        "cards",
        "time-average cards arrived but not committed",
    ),
    (
        "utilisation",
        "share",
        "hours worked / hours present (pairing losses not counted as work)",
    ),
    (
        "pairing_loss_h_per_person_week",
        "h/person/week",
        "person-hours lost to pairing while several people work one card (swarming): neither work nor idle",
    ),
    (
        "flow_efficiency",
        "share",
        "touch time / lead time, summed over finished cards",
    ),
    (
        "idle_h_per_person_week",
        "h/person/week",
        "idle while present, every cause: the six idle causes add up to it",
    ),
    (
        "starved_h_per_person_week",
        "h/person/week",
        "idle: no card anywhere the person could work",
    ),
    (
        "blocked_h_per_person_week",
        "h/person/week",
        "idle: work exists for the person's skills but its stage or the system has no room",
    ),
    (
        "skill_mismatch_h_per_person_week",
        "h/person/week",
        "idle: work waits, but none the person can do",
    ),
    (
        "waiting_h_per_person_week",
        "h/person/week",
        "idle: the person's own cards wait on input, a blocker or a down environment",
    ),
    (
        "waiting_for_release_h_per_person_week",
        "h/person/week",
        "idle: work exists for the person's skills but the policy holds it until the next plan, replenishment or poll",
    ),
    (
        "assigned_elsewhere_h_per_person_week",
        "h/person/week",
        "idle: cards the person could do are planned into colleagues' queues",
    ),
    (
        "overtime_h_per_person_week",
        "h/person/week",
        "hours worked beyond normal hours",
    ),
    (
        "overtime_share_person_weeks",
        "share",
        "share of person-weeks with any overtime",
    ),
    (
        "commitment_hit_rate",
        "share",
        "share of planned commitments finished within their period (push)",
    ),
    (
        "blocked_card_h",
        "card-h",
        "card-hours waiting on a missing input or a blocker after warm-up: blocked while held and waiting for clarification alike",
    ),
    (
        "blocker_rate",
        "share",
        "share of cards started after warm-up that waited on an input (clarification included) or a blocker",
    ),
    (
        "sick_person_days",
        "person-days",
        "working days lost to sickness after warm-up",
    ),
    (
        "context_switches",
        "switches",
        "times a person turned to a card while holding another",
    ),
    (
        "due_date_hit_rate",
        "share",
        "share of fixed-date cards done by their due date",
    ),
    (
        "input_wait_mean_h",
        "h",
        "mean time from asking for a missing input until it arrives",
    ),
    (
        "deployments_per_week",
        "deploys/week",
        "successful deployments per week (stages with a deployment)",
    ),
    (
        "change_failure_rate",
        "share",
        "share of deployments that failed",
    ),
    (
        "time_to_restore_mean_h",
        "h",
        "mean time from a failed deployment to a restored environment (rolled back under break; the fix deployed under keep_last_good)",
    ),
    (
        "environment_down_h",
        "h",
        "hours an environment was down after failed deployments",
    ),
    (
        "unfinished_cards",
        "cards",
        "cards arrived but not done at the horizon",
    ),
    (
        "unfinished_age_mean_h",
        "h",
        "mean age since arrival of cards not done at the horizon",
    ),
    (
        "unfinished_age_max_h",
        "h",
        "oldest card not done at the horizon (age since arrival)",
    ),
    (
        "arrivals_declined",
        "cards",
        "arrivals refused because the backlog was at its cap",
    ),
];

/// Number of fixed metrics.
pub const N_FIXED: usize = FIXED.len();

/// The metric catalogue for a model: the fixed metrics, then `wip_mean_<stage>` per stage.
pub fn catalogue(model: &Model) -> Vec<MetricInfo> {
    let mut v: Vec<MetricInfo> = FIXED
        .iter()
        .map(|(n, u, d)| MetricInfo {
            name: n.to_string(),
            unit: u,
            description: d.to_string(),
        })
        .collect();
    for s in &model.stages {
        v.push(MetricInfo {
            name: format!("wip_mean_{}", s.name),
            unit: "cards",
            description: format!(
                "time-average cards in stage {} (in progress or done-waiting)",
                s.name
            ),
        });
    }
    if model.change_metrics {
        for (n, u, d) in CHANGE_METRICS {
            v.push(MetricInfo {
                name: n.to_string(),
                unit: u,
                description: d.to_string(),
            });
        }
    }
    v
}

/// The change metrics, after the per-stage WIP when `Model::change_metrics` is set (a policy
/// of the scenario deploys by GitOps); the same meaning under every policy.
const CHANGE_METRICS: [(&str, &str, &str); 2] = [
    (
        "lead_time_for_changes_mean_h",
        "h",
        "mean time from a card's first hour of work to the successful deployment that delivered it at the board's last deployment stage (cards delivered after warm-up)",
    ),
    (
        "changes_per_deployment",
        "changes/deploy",
        "cards delivered per successful deployment at the board's last deployment stage (1 when people deploy card by card; a GitOps sync deploys every change waiting)",
    ),
];

/// Index in `RepResult::values` of the first change metric (`lead_time_for_changes_mean_h`,
/// then `changes_per_deployment`) of a model with `change_metrics` set.
pub fn change_metrics_at(model: &Model) -> usize {
    N_FIXED + model.stages.len()
}

/// Weekly series, in order; per-stage card counts follow them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
#[allow(missing_docs)]
pub enum W {
    Throughput,
    WipMean,
    Backlog,
    StarvedH,
    BlockedH,
    SkillMismatchH,
    WaitingH,
    WaitingForReleaseH,
    AssignedElsewhereH,
    OvertimeH,
    Utilisation,
    Arrived,
    Done,
    Ready,
}

const WEEKLY_FIXED: [(&str, &str); 14] = [
    ("throughput", "cards/week"),
    ("wip_mean", "cards"),
    ("backlog", "cards"),
    ("starved_h_per_person", "h/person"),
    ("blocked_h_per_person", "h/person"),
    ("skill_mismatch_h_per_person", "h/person"),
    ("waiting_h_per_person", "h/person"),
    ("waiting_for_release_h_per_person", "h/person"),
    ("assigned_elsewhere_h_per_person", "h/person"),
    ("overtime_h_per_person", "h/person"),
    ("utilisation", "share"),
    ("arrived_total", "cards"),
    ("done_total", "cards"),
    ("ready", "cards"),
];

/// Number of fixed weekly series.
pub const N_WEEKLY_FIXED: usize = WEEKLY_FIXED.len();

/// Weekly series catalogue: fixed series, then `cards_<stage>` (count at the week's end, for a
/// cumulative flow diagram).
pub fn weekly_catalogue(model: &Model) -> Vec<(String, &'static str)> {
    let mut v: Vec<(String, &'static str)> = WEEKLY_FIXED
        .iter()
        .map(|(n, u)| (n.to_string(), *u))
        .collect();
    for s in &model.stages {
        v.push((format!("cards_{}", s.name), "cards"));
    }
    v
}

/// The outcome of one replication under one policy.
#[derive(Debug, Clone, PartialEq)]
pub struct RepResult {
    /// One value per catalogue entry; `None` where undefined (e.g. no card finished).
    pub values: Vec<Option<f64>>,
    /// Weekly series, week-major: `weekly[week * n_series + series]`.
    pub weekly: Vec<f64>,
    /// Events processed (for benchmarks).
    pub events: u64,
    /// Per-card times of the cards finished after warm-up, as sparse histogram buckets
    /// `(bucket, cards)` (see [`bucket_edges`]): `[0]` lead time (arrival to done), `[1]` cycle
    /// time (commitment to done). Empty when not recorded (e.g. rows read back from a file).
    pub card_times: [Vec<(u32, u32)>; 2],
    /// One record per card finished after warm-up, then one per card unfinished at the
    /// horizon (censored); empty unless the workspace was asked for them
    /// (`Workspace::record_cards`).
    pub cards: Vec<CardRecord>,
}

/// A card's class of service, as `cards.csv` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardClass {
    /// Everything else.
    Standard,
    /// Unplanned urgent work.
    Expedite,
    /// A card with a due date.
    FixedDate,
}

impl CardClass {
    /// The name in `cards.csv` (and in a replayed history's `class` column).
    pub fn name(self) -> &'static str {
        match self {
            CardClass::Standard => "standard",
            CardClass::Expedite => "expedite",
            CardClass::FixedDate => "fixed-date",
        }
    }
}

/// One card's life in one replication (hours from the start of the run). Recorded for cards
/// finished after warm-up (the cards in `cards_finished`) and for every card unfinished at the
/// horizon (those in `unfinished_cards`, `censored`).
#[derive(Debug, Clone, PartialEq)]
pub struct CardRecord {
    /// Arrival order within the replication (the same card under every policy).
    pub id: u64,
    /// Class of service.
    pub class: CardClass,
    /// Arrival (hours).
    pub arrived_h: f64,
    /// Crossing the policy's commitment point (hours; NaN if never committed).
    pub committed_h: f64,
    /// First hour of work on it (hours; NaN if never started).
    pub started_h: f64,
    /// Done (hours; NaN if unfinished at the horizon).
    pub done_h: f64,
    /// Due date (hours; NaN unless fixed-date).
    pub due_h: f64,
    /// Hours it spent blocked or waiting for a missing input, over its whole life (to the
    /// horizon if still blocked there).
    pub blocked_h: f64,
    /// Clock hours during which somebody worked on it.
    pub touch_h: f64,
    /// Times a check or a failed deployment sent it back for rework.
    pub reworks: u32,
    /// Unfinished at the horizon: its times end there.
    pub censored: bool,
}

impl RepResult {
    /// A metric's value.
    pub fn get(&self, m: M) -> Option<f64> {
        self.values[m as usize]
    }
}

/// Relative width of a histogram bucket.
const RATIO: f64 = 1.01;
/// Lower edge of the first bucket (hours); smaller values fall into it.
const MIN_H: f64 = 1e-3;
const N_BUCKETS: usize = 2100; // covers up to about 1.2e6 hours

/// Log-bucketed histogram of durations (hours) with right-censored observations, for
/// percentiles that do not suffer survivor bias (Kaplan-Meier). Relative resolution 1%.
#[derive(Debug, Clone)]
pub struct Histogram {
    done: Vec<u32>,
    censored: Vec<u32>,
    n_done: u64,
    n_censored: u64,
    /// The buckets holding any observation lie in `lo..hi` (empty when `lo >= hi`): scans and
    /// clearing visit only those, not all 2,100.
    lo: usize,
    hi: usize,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            done: vec![0; N_BUCKETS],
            censored: vec![0; N_BUCKETS],
            n_done: 0,
            n_censored: 0,
            lo: N_BUCKETS,
            hi: 0,
        }
    }
}

/// The bucket of duration `x` (hours): 0 up to `MIN_H`, then one per factor `RATIO`, the
/// last one open-ended. This is the definition; `bucket` gives the same answer faster.
fn bucket_by_definition(x: f64) -> usize {
    if x <= MIN_H {
        return 0;
    }
    let i = ((x / MIN_H).ln() / RATIO.ln()) as usize + 1;
    i.min(N_BUCKETS - 1)
}

/// Where `bucket` trusts its own logarithm: at least this far (in buckets) from a bucket
/// edge. Its error is below 3e-7 of a bucket (the series below stops after the u^2 term,
/// |u| <= 1/512: at most |u|^3 / 3 = 2.5e-9 of ln x; a bucket is ln 1.01 = 0.00995 wide) and
/// the definition's own rounding below 1e-12, so both round down alike there.
const EDGE_MARGIN: f64 = 1e-4;

/// The mantissa [1, 2) in 256 equal segments: for segment k, 1 / c and ln c at its middle c.
static SEGMENTS: std::sync::LazyLock<[(f64, f64); 256]> = std::sync::LazyLock::new(|| {
    std::array::from_fn(|k| {
        let c = 1.0 + (k as f64 + 0.5) / 256.0;
        (1.0 / c, c.ln())
    })
});

/// `bucket_by_definition(x)`, without the library logarithm on most durations: ln x comes
/// from the exponent of `x` and, for its mantissa m, ln c + ln(1 + u) with c the middle of
/// m's 256th of [1, 2) and u = m / c - 1 (two terms of a series); a value within
/// `EDGE_MARGIN` of a bucket edge, in the last buckets, or not a normal number above `MIN_H`
/// goes by the definition. Every card records three durations, and the library logarithm's
/// latency was about a twentieth of the engine's time in a busy replication.
#[inline]
fn bucket(x: f64) -> usize {
    /// Buckets per unit of ln x, and the bucket position of ln x = 0 (x = 1 hour).
    const PER_LN: f64 = 1.0 / 0.009950330853168083; // 1 / ln 1.01
    const AT_ONE_HOUR: f64 = 6.907755278982137 * PER_LN; // -ln(MIN_H) / ln 1.01
    if x > MIN_H && x < 1e6 {
        let bits = x.to_bits();
        let exponent = ((bits >> 52) & 0x7ff) as f64 - 1023.0;
        let m = f64::from_bits((bits & ((1 << 52) - 1)) | (1023 << 52));
        let (inv_c, ln_c) = SEGMENTS[((bits >> 44) & 255) as usize];
        let u = m * inv_c - 1.0;
        let ln_m = ln_c + u * (1.0 - 0.5 * u);
        let r = (exponent * std::f64::consts::LN_2 + ln_m) * PER_LN + AT_ONE_HOUR;
        // r > 0 here (x > MIN_H), so truncation is the floor (and needs no library call);
        // through i64, which converts in one instruction each way where usize takes several.
        let whole = r as i64;
        let frac = r - whole as f64;
        if frac > EDGE_MARGIN && frac < 1.0 - EDGE_MARGIN && whole < N_BUCKETS as i64 - 3 {
            return whole as usize + 1;
        }
    }
    bucket_by_definition(x)
}

/// Number of buckets of a [`Histogram`] (bucket indices are below it).
pub const HISTOGRAM_BUCKETS: usize = N_BUCKETS;

/// The lower and upper edge of histogram bucket `i` in hours (bucket 0 holds everything up to
/// its upper edge, 0.001 h).
pub fn bucket_edges(i: usize) -> (f64, f64) {
    if i == 0 {
        (0.0, MIN_H)
    } else {
        (
            MIN_H * RATIO.powi(i as i32 - 1),
            MIN_H * RATIO.powi(i as i32),
        )
    }
}

/// Geometric middle of bucket `i` (hours).
fn bucket_value(i: usize) -> f64 {
    if i == 0 {
        MIN_H
    } else {
        MIN_H * RATIO.powf(i as f64 - 0.5)
    }
}

impl Histogram {
    /// Forgets every observation.
    pub fn clear(&mut self) {
        if self.lo < self.hi {
            self.done[self.lo..self.hi].fill(0);
            self.censored[self.lo..self.hi].fill(0);
        }
        self.n_done = 0;
        self.n_censored = 0;
        self.lo = N_BUCKETS;
        self.hi = 0;
    }

    /// Widens the occupied range to bucket `i`.
    #[inline]
    fn occupy(&mut self, i: usize) {
        self.lo = self.lo.min(i);
        self.hi = self.hi.max(i + 1);
    }

    /// Records a completed duration.
    #[inline]
    pub fn record(&mut self, x: f64) {
        let i = bucket(x);
        self.done[i] += 1;
        self.n_done += 1;
        self.occupy(i);
    }

    /// Records a duration known only to exceed `x` (the card was unfinished at the horizon).
    pub fn censor(&mut self, x: f64) {
        let i = bucket(x);
        self.censored[i] += 1;
        self.n_censored += 1;
        self.occupy(i);
    }

    /// The occupied range of both counts, with the index of its first bucket.
    fn occupied(&self) -> (usize, &[u32], &[u32]) {
        let (lo, hi) = (self.lo.min(self.hi), self.hi);
        (lo, &self.done[lo..hi], &self.censored[lo..hi])
    }

    /// The buckets holding completed observations, as `(bucket, count)` in bucket order (one
    /// allocation, of exactly the size needed).
    pub fn completed_buckets(&self) -> Vec<(u32, u32)> {
        let (lo, done, _) = self.occupied();
        let n = done.iter().filter(|&&c| c > 0).count();
        let mut v = Vec::with_capacity(n);
        v.extend(
            done.iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(i, &c)| ((lo + i) as u32, c)),
        );
        v
    }

    /// Completed observations.
    pub fn completed(&self) -> u64 {
        self.n_done
    }

    /// The `p`-quantile (0 < p < 1) of the Kaplan-Meier estimate; `None` when the estimated
    /// survival never falls to `1 - p` (too many cards unfinished to know) or nothing finished.
    pub fn quantile(&self, p: f64) -> Option<f64> {
        if self.n_done == 0 {
            return None;
        }
        let mut at_risk = (self.n_done + self.n_censored) as f64;
        let mut survival = 1.0;
        // Empty buckets change nothing (at risk stays above zero): only the others are visited.
        let (lo, done, censored) = self.occupied();
        let occupied = done
            .iter()
            .zip(censored)
            .enumerate()
            .filter(|(_, (d, c))| **d | **c != 0);
        for (i, (&d, &c)) in occupied {
            let d = d as f64;
            if d > 0.0 {
                survival *= 1.0 - d / at_risk;
                if survival <= 1.0 - p + 1e-12 {
                    return Some(bucket_value(lo + i));
                }
            }
            at_risk -= d + c as f64;
            if at_risk <= 0.0 {
                break;
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast bucket is the definition's bucket: at every bucket edge MIN_H x RATIO^k and
    /// where the fast path starts to trust itself near it (a few hundred steps of the last
    /// bit either side of each), over a million durations spread from 1e-4 h to 1e7 h, and
    /// at the special values.
    #[test]
    fn the_fast_bucket_is_the_definitions() {
        for k in 0..N_BUCKETS as i32 + 10 {
            // At the edge, where the definition decides, and where the fast path starts to
            // trust itself (`EDGE_MARGIN` of a bucket either side).
            for d in [0.0, -2.0, -1.1, -0.9, 0.9, 1.1, 2.0] {
                let near = MIN_H * RATIO.powf(k as f64 + d * EDGE_MARGIN);
                let bits = near.to_bits();
                for step in -300i64..=300 {
                    let x = f64::from_bits((bits as i64 + step) as u64);
                    assert_eq!(
                        bucket(x),
                        bucket_by_definition(x),
                        "x = {x:e} near edge {k}"
                    );
                }
            }
        }
        let mut rng = <crate::rng::Stream as rand::SeedableRng>::seed_from_u64(7);
        for _ in 0..1_000_000 {
            let u: f64 = rand::RngExt::random(&mut rng);
            let x = 10f64.powf(-4.0 + 11.0 * u);
            assert_eq!(bucket(x), bucket_by_definition(x), "x = {x:e}");
        }
        for x in [
            0.0,
            -1.0,
            MIN_H,
            f64::from_bits(MIN_H.to_bits() + 1),
            1.0,
            2.0,
            0.5,
            999_999.0,
            1e6,
            1e9,
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
        ] {
            assert_eq!(bucket(x), bucket_by_definition(x), "x = {x:e}");
        }
    }

    #[test]
    fn clearing_a_histogram_forgets_every_bucket() {
        // Scans and clearing visit only the occupied range: after a clear, a histogram must
        // hold exactly what a fresh one holds, and answer the same.
        let mut used = Histogram::default();
        for i in 0..500 {
            used.record(0.0005 + i as f64 * 37.3);
            used.censor(2.0 + i as f64 * 0.7);
        }
        used.record(1e9);
        used.clear();
        let mut fresh = Histogram::default();
        for h in [&mut used, &mut fresh] {
            for i in 1..=300 {
                h.record(i as f64 * 0.25);
            }
            for i in 1..=40 {
                h.censor(50.0 + i as f64);
            }
        }
        assert_eq!(used.done, fresh.done);
        assert_eq!(used.censored, fresh.censored);
        assert_eq!(used.completed_buckets(), fresh.completed_buckets());
        for p in [0.05, 0.5, 0.85, 0.95] {
            assert_eq!(used.quantile(p), fresh.quantile(p));
        }
        // The range covers the extremes: bucket 0 and the last bucket.
        let mut edges = Histogram::default();
        edges.record(0.0);
        edges.censor(1e12);
        assert_eq!(edges.completed_buckets(), vec![(0, 1)]);
        assert_eq!(edges.quantile(0.5), Some(MIN_H));
        assert_eq!(edges.quantile(0.9), None);
        edges.clear();
        assert!(edges.done.iter().chain(&edges.censored).all(|&c| c == 0));
    }

    #[test]
    fn quantiles_without_censoring_match_empirical() {
        let mut h = Histogram::default();
        for i in 1..=1000 {
            h.record(i as f64);
        }
        let q = h.quantile(0.5).unwrap();
        assert!((q / 500.0 - 1.0).abs() < 0.011, "{q}");
        let q = h.quantile(0.95).unwrap();
        assert!((q / 950.0 - 1.0).abs() < 0.011, "{q}");
    }

    #[test]
    fn censoring_raises_quantiles() {
        let mut a = Histogram::default();
        let mut b = Histogram::default();
        for i in 1..=100 {
            a.record(i as f64);
            b.record(i as f64);
        }
        // 100 cards still open at age 50: they will finish later than 50.
        for _ in 0..100 {
            b.censor(50.0);
        }
        assert!(b.quantile(0.5).unwrap() > a.quantile(0.5).unwrap() * 1.2);
        // 100 cards open at age 150, beyond every finished one: the survival estimate stops at
        // one half, so the 95th percentile is unknown, not made up.
        let mut c = a.clone();
        for _ in 0..100 {
            c.censor(150.0);
        }
        assert_eq!(c.quantile(0.95), None);
    }

    #[test]
    fn empty_is_undefined() {
        assert_eq!(Histogram::default().quantile(0.5), None);
    }
}
