//! Ways of working as bundles of mechanisms, and the `push`, `pull` and `flow` presets.
//!
//! A policy never names a winner: each field is one mechanism from the brief's table with its
//! own parameter, and the presets only choose values for them. Every default value lives here:
//! the presets, and the values a mechanism takes when a scenario switches it on without saying
//! more (`Release::DEFAULT_CADENCE`, `Swarming::DEFAULT`, ...); the scenario loader applies the
//! file's values over them.

/// How cards enter the system (cross the commitment point).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Release {
    /// A free person takes the next card from the backlog (pure pull).
    OnPull,
    /// Cards are released from the backlog into a ready column to keep system WIP at its
    /// limit, every `every_h` hours (0 = continuously).
    Cadence {
        /// Replenishment interval (hours); 0 means release whenever there is room.
        every_h: f64,
    },
    /// Push: every planning period, on its first working day, a planner commits a batch of
    /// backlog cards (sized by estimated capacity or by observed throughput) and assigns each
    /// stage to a named person.
    Plan {
        /// Planning period.
        period: PlanPeriod,
        /// Share of normal hours the planner fills with estimated work (1.0 = all of them).
        planning_factor: f64,
        /// Whether a person who runs out of planned work mid-period is given the next backlog
        /// card they can do (topping up).
        top_up: bool,
        /// What sizes the commitment.
        sized_by: PlanFrom,
    },
}

/// How long a planning period lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanPeriod {
    /// Working weeks (at least 1): a plan every `n`th Monday.
    Weeks(u32),
    /// Working days (at least 1; 1 = a plan every morning).
    Days(u32),
}

impl PlanPeriod {
    /// The period in calendar days of the model (`days_per_week` days to a week).
    pub fn days(self, days_per_week: u64) -> u64 {
        match self {
            PlanPeriod::Weeks(w) => days_per_week * u64::from(w.max(1)),
            PlanPeriod::Days(d) => u64::from(d.max(1)),
        }
    }
}

/// What sizes a plan's commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanFrom {
    /// Estimated capacity: cards whose estimates fit each assignee's normal hours in the
    /// period times the planning factor.
    Estimates,
    /// Observed throughput: as many new cards as the team finished per period on average over
    /// the last `window` periods (fractions carried to the next plan); estimates are used
    /// while nothing has been finished in the window.
    Throughput {
        /// Past periods averaged (at least 1).
        window: u32,
    },
}

/// Default window of `plan_from = "throughput"` (planning periods).
pub const DEFAULT_PLAN_WINDOW: u32 = 4;

impl Release {
    /// Replenishment once a working day (`DEFAULT_REPLENISH_H`).
    pub const DEFAULT_CADENCE: Release = Release::Cadence {
        every_h: DEFAULT_REPLENISH_H,
    };
    /// A plan every working week, filling all normal hours with estimated work.
    pub const DEFAULT_PLAN: Release = Release::Plan {
        period: PlanPeriod::Weeks(1),
        planning_factor: 1.0,
        top_up: false,
        sized_by: PlanFrom::Estimates,
    };
}

/// Default replenishment interval of a cadence (hours: once a working day).
pub const DEFAULT_REPLENISH_H: f64 = 24.0;

/// How a card crosses into a stage (from the previous one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Handoff {
    /// Upstream sends the card on at once, whatever the stage's queue.
    Push,
    /// The stage takes the card when it has room; with `poll_every_h` > 0 only at those
    /// instants (a deployment agent polling a repository).
    Pull {
        /// Polling interval (hours); 0 = whenever there is room.
        poll_every_h: f64,
    },
}

impl Handoff {
    /// Pull whenever the stage has room (no polling interval).
    pub const PULL_WHEN_ROOM: Handoff = Handoff::Pull { poll_every_h: 0.0 };
}

/// When people work beyond their normal hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overtime {
    /// Never.
    None,
    /// Whenever a person's committed work (by visible remaining estimates) cannot be finished
    /// in the normal hours left in the planning period: up to their cap.
    ToPlan,
    /// Only for fixed-date cards at risk of missing their date: their holder, up to the cap.
    FixedDateAtRisk,
}

/// What a failed deployment does to its environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedDeploy {
    /// The environment is broken until somebody rolls it back (an effort); no deployment
    /// happens meanwhile.
    Break,
    /// The environment stays on its last good state; only the change goes back for a fix.
    KeepLastGood,
}

/// What a person does when their card blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnBlock {
    /// Turn to other work (within their personal WIP limit), paying the switching cost.
    Switch,
    /// Wait for the block to clear.
    Wait,
}

/// Which card a free person takes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// The card that arrived earliest, wherever it is.
    OldestFirst,
    /// The rightmost column first (finish before start).
    RightmostFirst,
}

/// Which stage a free helper joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwarmTo {
    /// The stage (among those the helper can work, with a card to join) holding the most
    /// cards in its WIP.
    MostCards,
    /// The constraint: the stage with the highest load per capable person, its mean effort
    /// per card (hours) over the summed speed of the people present who can work it.
    Constraint,
}

/// Free people joining cards already in progress.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Swarming {
    /// Share of the summed speed that a pair or group actually delivers (0..=1].
    pub pairing_efficiency: f64,
    /// Most people on one card at once, owner included (>= 2).
    pub max_per_card: u32,
    /// Which stage a helper goes to.
    pub to: SwarmTo,
}

impl Swarming {
    /// Pairs at 70% of their summed speed, at most two people on a card, helpers to the stage
    /// with the most cards.
    pub const DEFAULT: Swarming = Swarming {
        pairing_efficiency: 0.7,
        max_per_card: 2,
        to: SwarmTo::MostCards,
    };
}

/// Multitasking by time-slicing (as in kanbansim): a person progresses every unblocked card
/// they hold at once, each at an equal share of the useful part of their speed, instead of
/// working one card at a time. Holding `n` cards leaves `useful_share(n)` of their speed
/// useful; the cards they hold while working count, blocked ones included (they still cost
/// attention). A person keeps taking cards while they work, up to their personal WIP limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeSlicing {
    /// Share of a person's speed lost for each card held beyond the first (0..1; 0.1 = 10%
    /// less useful time per extra card).
    pub loss_per_card: f64,
}

impl TimeSlicing {
    /// Ten per cent of a person's speed lost per extra card held.
    pub const DEFAULT: TimeSlicing = TimeSlicing { loss_per_card: 0.1 };
    /// The useful share never falls below this (a person juggling many cards still gets a
    /// tenth of their speed done).
    pub const MIN_SHARE: f64 = 0.1;

    /// The useful share of a person's speed while holding `held` cards: `1 - loss_per_card x
    /// (held - 1)`, at least `MIN_SHARE` (1 for one card or none).
    pub fn useful_share(&self, held: u32) -> f64 {
        let extra = held.saturating_sub(1) as f64;
        (1.0 - self.loss_per_card * extra).max(Self::MIN_SHARE)
    }
}

/// GitOps deployment into a stage: at every poll of the stage's pull hand-off, every change
/// waiting upstream deploys at once as one deployment, with no work by people (the stage's
/// effort, WIP limit and rework check do not apply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GitOps {
    /// An expedite change deploys alone as soon as it waits, without waiting for the poll.
    pub expedite_bypass: bool,
}

/// A way of working.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Name shown in output.
    pub name: String,
    /// The preset it was built from (`pull`, `flow`).
    pub preset: String,
    /// How work enters.
    pub release: Release,
    /// Most committed cards in the system at once (CONWIP), if any.
    pub system_wip_limit: Option<u32>,
    /// Whether stage WIP limits are honoured (local kanban).
    pub stage_limits: bool,
    /// Which card a free person takes first.
    pub selection: Selection,
    /// Swarming, if on.
    pub swarming: Option<Swarming>,
    /// How a card enters each stage; index 0 is unused (entry is `release`).
    pub handoffs: Vec<Handoff>,
    /// When overtime is worked.
    pub overtime: Overtime,
    /// Chance that a missing input is detected when a card is pulled (a readiness check);
    /// `None` = no check (cards start anyway and block).
    pub readiness_check: Option<f64>,
    /// What people do when a card they hold blocks.
    pub on_block: OnBlock,
    /// Days an absent person's cards wait before they are handed to others (a planner's
    /// emergency reassignment under push, colleagues pulling them otherwise); 1 = on the first
    /// day of absence. A scheduled absence is handed over as it starts, whatever this says.
    pub emergency_after_days: u32,
    /// What a failed deployment does to its environment.
    pub failed_deploy: FailedDeploy,
    /// Board-driven pull: a column with room takes the next card waiting for it at once,
    /// before anybody is free to work it, at the commitment point (`on_pull` from the backlog,
    /// `cadence` from the ready column) and at every pull hand-off without a polling interval;
    /// the card waits in the column, counted in its WIP, until a person takes it. `false`
    /// (every preset): a card crosses only when a person takes it.
    pub column_pull: bool,
    /// Multitasking by time-slicing, if on (off: one card at a time, turning to another only
    /// when the card blocks, at the `[multitasking]` model's cost).
    pub time_slicing: Option<TimeSlicing>,
    /// Per stage: GitOps deployment into it, if on (index 0 unused).
    pub gitops: Vec<Option<GitOps>>,
}

/// Names of the built-in presets.
pub const PRESETS: [&str; 3] = ["push", "pull", "flow"];

/// Default days an absent person's cards wait before being handed over, for every preset: most
/// sicknesses last a day or two, and teams (push or pull) wait to see whether the person is back
/// before handing over half-done work and paying the hand-over cost.
pub const DEFAULT_EMERGENCY_AFTER_DAYS: u32 = 2;

/// Default chance that a readiness check catches a missing input.
pub const DEFAULT_DETECTION: f64 = 0.8;

impl Policy {
    /// The `push` preset: weekly planning on estimates at 100% of normal hours, assignment to
    /// named people, no capacity checks (every hand-off pushes), overtime to meet the plan,
    /// no readiness check (blocked cards are started and block), switch on block, emergency
    /// reassignment after 2 sick days; a failed deployment breaks its environment until it is
    /// rolled back (pull and flow keep the last good state).
    pub fn push(n_stages: usize) -> Self {
        Policy {
            name: "push".into(),
            preset: "push".into(),
            release: Release::DEFAULT_PLAN,
            system_wip_limit: None,
            stage_limits: false,
            selection: Selection::OldestFirst,
            swarming: None,
            handoffs: vec![Handoff::Push; n_stages],
            overtime: Overtime::ToPlan,
            readiness_check: None,
            on_block: OnBlock::Switch,
            emergency_after_days: DEFAULT_EMERGENCY_AFTER_DAYS,
            failed_deploy: FailedDeploy::Break,
            column_pull: false,
            time_slicing: None,
            gitops: vec![None; n_stages],
        }
    }

    /// The `pull` preset: free skilled people take the oldest card; stages take work only when
    /// they have room; readiness checked when a card is pulled (80% detection); no system
    /// limit, no cadence, no swarming, no overtime. A sick person's cards wait 2 working days
    /// before colleagues take them over (`DEFAULT_EMERGENCY_AFTER_DAYS`, as push).
    pub fn pull(n_stages: usize) -> Self {
        Policy {
            name: "pull".into(),
            preset: "pull".into(),
            release: Release::OnPull,
            system_wip_limit: None,
            stage_limits: true,
            selection: Selection::OldestFirst,
            swarming: None,
            handoffs: vec![Handoff::PULL_WHEN_ROOM; n_stages],
            overtime: Overtime::None,
            readiness_check: Some(DEFAULT_DETECTION),
            on_block: OnBlock::Switch,
            emergency_after_days: DEFAULT_EMERGENCY_AFTER_DAYS,
            failed_deploy: FailedDeploy::KeepLastGood,
            column_pull: false,
            time_slicing: None,
            gitops: vec![None; n_stages],
        }
    }

    /// The `flow` preset: pull plus a system WIP limit (default: twice the team size,
    /// set per scenario), replenishment once a working day (24 h), rightmost column first and
    /// swarming at 0.7 pairing efficiency with at most two people per card.
    /// Overtime only for fixed-date cards at risk; readiness check as pull.
    pub fn flow(n_stages: usize, team_size: usize) -> Self {
        Policy {
            name: "flow".into(),
            preset: "flow".into(),
            release: Release::DEFAULT_CADENCE,
            system_wip_limit: Some(Self::default_system_wip_limit(team_size)),
            selection: Selection::RightmostFirst,
            swarming: Some(Swarming::DEFAULT),
            overtime: Overtime::FixedDateAtRisk,
            ..Self::pull(n_stages)
        }
    }

    /// The `flow` preset's system WIP limit for a team of `team_size` (cards): twice the
    /// team, at least 1.
    pub fn default_system_wip_limit(team_size: usize) -> u32 {
        (2 * team_size).max(1) as u32
    }

    /// A preset by name, for a board of `n_stages` and a team of `team_size`.
    pub fn preset(name: &str, n_stages: usize, team_size: usize) -> Option<Self> {
        match name {
            "push" => Some(Self::push(n_stages)),
            "pull" => Some(Self::pull(n_stages)),
            "flow" => Some(Self::flow(n_stages, team_size)),
            _ => None,
        }
    }

    /// Whether cards are assigned to named people by a planner.
    pub fn planned(&self) -> bool {
        matches!(self.release, Release::Plan { .. })
    }
}
