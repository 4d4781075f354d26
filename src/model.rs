//! The validated domain model: calendar, arrivals, stages and people.
//!
//! These types are what the engine runs. They are built only by `scenario::load` (or by tests),
//! after every field has been checked, so the engine never sees unvalidated input.

use std::sync::Arc;

use crate::dist::Dist;

/// Hours in a calendar week.
pub const HOURS_PER_WEEK: f64 = 168.0;

/// When people can work.
#[derive(Debug, Clone, PartialEq)]
pub enum Calendar {
    /// Round the clock, every day: for classic queueing models.
    AlwaysOn,
    /// Working days of `hours_per_day`, `days_per_week` days a week, starting at `day_start_h`
    /// (hours after midnight) each working day.
    Working {
        /// Normal hours a day (hours).
        hours_per_day: f64,
        /// Working days a week (1..=7).
        days_per_week: u32,
        /// Clock time at which a working day starts (hours after midnight).
        day_start_h: f64,
    },
}

impl Calendar {
    /// Start time (hours since t=0) of working day number `k` (0-based, counting working days).
    pub fn day_start(&self, k: u64) -> f64 {
        match *self {
            Calendar::AlwaysOn => k as f64 * 24.0,
            Calendar::Working {
                days_per_week,
                day_start_h,
                ..
            } => {
                let week = k / days_per_week as u64;
                let day = k % days_per_week as u64;
                week as f64 * HOURS_PER_WEEK + day as f64 * 24.0 + day_start_h
            }
        }
    }
}

/// How cards arrive.
#[derive(Debug, Clone)]
pub enum ArrivalProcess {
    /// No arrivals beyond the initial backlog.
    None,
    /// A Poisson process (cards per hour).
    Poisson {
        /// Arrival rate (cards per hour).
        rate_per_h: f64,
    },
    /// `size` cards at the start of every period of `period_h` hours (first at t = 0).
    Batch {
        /// Cards per batch.
        size: u32,
        /// Period (hours).
        period_h: f64,
    },
    /// An endless backlog: a card is always there to be taken (closed systems, CONWIP).
    Unlimited,
    /// The team's own history of arrivals, read at load time.
    Replay(Replay),
}

/// A replayed history of arrivals and how it fills the horizon.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The cards, sorted by arrival (hours since the Monday 00:00 of the first card's week).
    pub cards: Arc<[ReplayCard]>,
    /// Whole weeks the history spans.
    pub weeks: u32,
    /// Index of the first card of each history week, plus `cards.len()` at the end
    /// (`weeks + 1` entries).
    pub week_starts: Arc<[usize]>,
    /// What happens after the history's last week.
    pub fill: ReplayFill,
}

impl Replay {
    /// A replay of `cards` (sorted by `at_h`, which is at least 0) spanning `weeks` weeks.
    pub fn new(cards: Vec<ReplayCard>, weeks: u32, fill: ReplayFill) -> Self {
        let mut week_starts = Vec::with_capacity(weeks as usize + 1);
        let mut i = 0;
        for w in 0..=weeks {
            let start = w as f64 * HOURS_PER_WEEK;
            while i < cards.len() && cards[i].at_h < start {
                i += 1;
            }
            week_starts.push(if w == weeks { cards.len() } else { i });
        }
        Replay {
            cards: cards.into(),
            weeks,
            week_starts: week_starts.into(),
            fill,
        }
    }
}

impl Replay {
    /// Expected replayed arrivals in a horizon of `horizon_h` hours (exact for `Once` and
    /// `Repeat`, the mean for `Resample`).
    pub fn expected_in(&self, horizon_h: f64) -> f64 {
        let span = self.weeks as f64 * HOURS_PER_WEEK;
        let n = self.cards.len() as f64;
        match self.fill {
            ReplayFill::Once => self.cards.iter().filter(|c| c.at_h < horizon_h).count() as f64,
            ReplayFill::Repeat => {
                let passes = (horizon_h / span).floor();
                let rest = horizon_h - passes * span;
                passes * n + self.cards.iter().filter(|c| c.at_h < rest).count() as f64
            }
            ReplayFill::Resample => n / self.weeks as f64 * (horizon_h / HOURS_PER_WEEK).ceil(),
        }
    }
}

/// How a replayed history fills a horizon longer than itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayFill {
    /// The history once; no arrivals after it.
    Once,
    /// The history again and again, whole weeks at a time (the same in every replication).
    Repeat,
    /// Every simulated week is a week of the history drawn at random (with replacement) from
    /// the arrivals stream: a weekly bootstrap, different in every replication.
    Resample,
}

/// One card of a replayed history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplayCard {
    /// Arrival (hours since the Monday 00:00 of the history's first week).
    pub at_h: f64,
    /// Its class of service.
    pub class: ReplayClass,
    /// Time from arrival to its due date (hours; infinite when it has none).
    pub due_in_h: f64,
}

/// The class of service of a replayed card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayClass {
    /// Standard.
    Standard,
    /// Expedite.
    Expedite,
    /// Fixed date (with `due_in_h`).
    FixedDate,
}

/// The arrival side of a scenario.
#[derive(Debug, Clone)]
pub struct Arrivals {
    /// The process.
    pub process: ArrivalProcess,
    /// Cards waiting in the backlog at t = 0.
    pub initial_backlog: u32,
    /// Arrivals that find this many cards in the backlog (not yet started) are declined.
    pub max_backlog: Option<u32>,
}

/// A stage's check that can fail a card and send it back.
#[derive(Debug, Clone)]
pub struct Rework {
    /// Chance that a card fails this stage's check when it finishes here (0..=1).
    pub probability: f64,
    /// The earlier (or same) stage the card goes back to (index into `Model::stages`).
    pub to: usize,
    /// Rework effort as a share of the card's original effort at that stage.
    pub effort_share: f64,
    /// Quality under pressure: chance added per hour of overtime the card's holder has worked
    /// this calendar week, today's included (0 = off).
    pub per_overtime_hour: f64,
    /// Quality under pressure: chance added per card the holder holds besides the one
    /// finished (0 = off).
    pub per_extra_card: f64,
}

impl Rework {
    /// The chance a card fails the check when its holder has worked `overtime_h` hours of
    /// overtime this week and holds `extra_cards` other cards: `probability` plus the
    /// pressure terms, at most 1.
    pub fn chance(&self, overtime_h: f64, extra_cards: u32) -> f64 {
        (self.probability
            + self.per_overtime_hour * overtime_h
            + self.per_extra_card * f64::from(extra_cards))
        .min(1.0)
    }

    /// Whether the chance depends on pressure at all.
    pub fn under_pressure(&self) -> bool {
        self.per_overtime_hour > 0.0 || self.per_extra_card > 0.0
    }
}

/// One column of the board.
#[derive(Debug, Clone)]
pub struct Stage {
    /// Unique name.
    pub name: String,
    /// Work a card needs here (hours at speed 1).
    pub effort: Dist,
    /// Cards in progress plus done-waiting in this stage, at most (honoured by policies with
    /// stage limits).
    pub wip_limit: Option<u32>,
    /// Failing this stage's check sends the card back, if set.
    pub rework: Option<Rework>,
    /// Finishing this stage deploys the change, which may fail, if set.
    pub deployment: Option<Deployment>,
    /// The conservative puller: the stage takes a new card from upstream only while fewer than
    /// this many of its cards are not finished here (in progress or waiting to be started),
    /// whatever the policy's stage limits (cards); `None`: no such threshold.
    pub pull_below: Option<u32>,
    /// The conservative puller: hours the stage waits after taking a card before it takes the
    /// next one from upstream (0 = none).
    pub pull_delay_h: f64,
}

/// A stage whose completion deploys a change to an environment.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// Chance that a deployment fails (0..=1).
    pub failure_probability: f64,
    /// The stage a failed change goes back to for a fix.
    pub fix_in: usize,
    /// The fix's effort as a share of the card's original effort at that stage.
    pub fix_effort_share: f64,
    /// Work to roll a broken environment back (hours at speed 1), under the `break` rule.
    pub rollback_effort: Dist,
    /// How the failure chance of a batch synced by GitOps grows with its size.
    pub batch_failure: BatchFailure,
    /// Time a failed synced (GitOps) deployment goes unnoticed by the health check (hours);
    /// `None` = noticed at once. A deployment a person works is watched and noticed at once.
    pub detect_after: Option<Dist>,
}

/// How the failure chance of a GitOps batch (every change waiting at a poll, deployed as one)
/// grows with the number of changes in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchFailure {
    /// The batch fails with `failure_probability`, whatever its size.
    Once,
    /// Each change may break it, independently: `1 - (1 - failure_probability)^n` for `n`
    /// changes.
    EachChange,
}

/// How estimates relate to true effort: estimate = effort x `bias` x a lognormal factor of
/// mean 1 and standard deviation `spread`.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimates {
    /// Mean ratio of estimate to true effort; below 1 is optimism (0.8 = 20% low).
    pub bias: f64,
    /// Spread of the error factor (standard deviation of a mean-1 lognormal); 0 = exact.
    pub spread: f64,
    /// A started stage always shows at least this share of its estimate as left to do.
    pub min_remaining_share: f64,
}

/// Cards whose input is missing when work starts.
#[derive(Debug, Clone)]
pub struct MissingInput {
    /// Chance that a card arrives with missing input (0..=1).
    pub probability: f64,
    /// Time from the request until the input arrives (hours); with answerers, the work one
    /// answer takes them (hours).
    pub delay: Dist,
    /// People who supply missing inputs (e.g. a product owner), one request at a time in
    /// working hours, first come first served; 0 = inputs simply arrive after `delay`.
    pub answerers: u32,
}

/// Blocking events that hit cards in progress.
#[derive(Debug, Clone)]
pub struct Blockers {
    /// Chance per working day that a card in progress blocks (0..=1).
    pub chance_per_day: f64,
    /// How long a block lasts (hours).
    pub duration: Dist,
}

/// Expedite and fixed-date work.
#[derive(Debug, Clone)]
pub struct Classes {
    /// Expedite cards arriving by a Poisson process (cards per hour; 0 = none).
    pub expedite_rate_per_h: f64,
    /// Share of regular arrivals that carry a due date (0..=1).
    pub fixed_date_share: f64,
    /// Time from arrival to the due date of a fixed-date card (hours).
    pub due_in: Dist,
}

/// How holding several cards at once costs time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Multitasking {
    /// No cost.
    None,
    /// A fixed cost (hours of work) each time a person turns to a card while holding others.
    SwitchCost {
        /// Hours added per switch.
        hours: f64,
    },
    /// Weinberg's rule of thumb (*Quality Software Management*, 1992): the useful share of a
    /// person's time is 100%, 80%, 60%, 40%, 25% when holding 1, 2, 3, 4, 5+ cards.
    Weinberg,
}

impl Multitasking {
    /// Share of a person's time that is useful when they hold `n` cards.
    pub fn useful_share(&self, n: u32) -> f64 {
        match self {
            Multitasking::Weinberg => match n {
                0 | 1 => 1.0,
                2 => 0.8,
                3 => 0.6,
                4 => 0.4,
                _ => 0.25,
            },
            _ => 1.0,
        }
    }
}

/// Sickness, fatigue and hand-overs.
#[derive(Debug, Clone)]
pub struct Disruptions {
    /// Work added when a started card changes hands (hours).
    pub handover_cost_h: f64,
    /// Missing inputs, if any.
    pub missing_input: Option<MissingInput>,
    /// Blocking events, if any.
    pub blockers: Option<Blockers>,
    /// Relative increase of the daily sickness chance per hour of overtime worked in the
    /// trailing window (0 = no fatigue feedback).
    pub fatigue_per_overtime_hour: f64,
    /// The trailing window for fatigue (working days).
    pub fatigue_window_days: u32,
}

impl Default for Disruptions {
    fn default() -> Self {
        Disruptions {
            handover_cost_h: 1.0,
            missing_input: None,
            blockers: None,
            fatigue_per_overtime_hour: 0.0,
            fatigue_window_days: 10,
        }
    }
}

/// One team member.
#[derive(Debug, Clone)]
pub struct Person {
    /// Unique name, e.g. `developer-2`.
    pub name: String,
    /// The role (team group) the person came from.
    pub role: String,
    /// Speed factor per stage, indexed like `Model::stages`; 0 means "cannot work it".
    pub speed: Vec<f64>,
    /// Normal hours per working day (hours; ignored in 24/7 mode).
    pub hours_per_day: f64,
    /// Cards the person holds at once, at most.
    pub wip_limit: u32,
    /// Most overtime a working day (hours).
    pub max_overtime_h_per_day: f64,
    /// Chance of falling sick on a working day (0..=1).
    pub sick_chance_per_day: f64,
    /// Length of a sickness (working days, rounded up, at least 1).
    pub sick_days: Dist,
    /// Scheduled absences: `[from, to)` in hours since t = 0 (holidays, leaving, joining late).
    pub absences: Vec<(f64, f64)>,
    /// Per entry of `absences`: whether it was announced (a holiday, a leaver: handed over as
    /// it starts) rather than a surprise (a modelled sickness wave: handed over after the
    /// policy's `emergency_after_days`).
    pub announced: Vec<bool>,
}

impl Person {
    /// Whether the person can work stage `s`.
    #[inline]
    pub fn can_work(&self, s: usize) -> bool {
        self.speed[s] > 0.0
    }
}

/// A complete, validated model.
#[derive(Debug, Clone)]
pub struct Model {
    /// Scenario name (used for output folders).
    pub name: String,
    /// Free text shown in reports.
    pub description: String,
    /// Working calendar or 24/7.
    pub calendar: Calendar,
    /// Simulated time (hours).
    pub horizon_h: f64,
    /// Leading time whose statistics are discarded (hours).
    pub warmup_h: f64,
    /// Arrivals.
    pub arrivals: Arrivals,
    /// Stages in board order.
    pub stages: Vec<Stage>,
    /// The team.
    pub people: Vec<Person>,
    /// How estimates err.
    pub estimates: Estimates,
    /// Sickness, blocked inputs, blockers, hand-overs.
    pub disruptions: Disruptions,
    /// Expedite and fixed-date work.
    pub classes: Classes,
    /// The cost of holding several cards.
    pub multitasking: Multitasking,
    /// Whether the metric catalogue holds the change metrics (`lead_time_for_changes_mean_h`,
    /// `changes_per_deployment`): set when some policy of the scenario syncs a stage by GitOps.
    pub change_metrics: bool,
}

impl Model {
    /// Working days in a week (7 in 24/7 mode).
    pub fn days_per_week(&self) -> u32 {
        match self.calendar {
            Calendar::AlwaysOn => 7,
            Calendar::Working { days_per_week, .. } => days_per_week,
        }
    }

    /// Working days in one calendar hour: a duration of `h` calendar hours spans
    /// `h * working_days_per_hour()` working days (days in 24/7 mode).
    pub fn working_days_per_hour(&self) -> f64 {
        self.days_per_week() as f64 / HOURS_PER_WEEK
    }

    /// Whether people work round the clock (24/7 mode).
    pub fn round_the_clock(&self) -> bool {
        self.calendar == Calendar::AlwaysOn
    }

    /// Number of whole weeks in the horizon (the weekly series' length).
    pub fn weeks(&self) -> usize {
        (self.horizon_h / HOURS_PER_WEEK).ceil() as usize
    }
}
