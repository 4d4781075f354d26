//! The validated domain model: calendar, arrivals, stages and people.
//!
//! These types are what the engine runs. They are built only by `scenario::load` (or by tests),
//! after every field has been checked, so the engine never sees unvalidated input.

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
}

impl Model {
    /// Number of whole weeks in the horizon (the weekly series' length).
    pub fn weeks(&self) -> usize {
        (self.horizon_h / HOURS_PER_WEEK).ceil() as usize
    }
}
