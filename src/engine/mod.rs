//! The discrete-event engine: one replication of one model under one policy.
//!
//! The engine is a state machine over a future-event list (`queue`). It does no I/O, spawns no
//! threads and allocates nothing per event once its `Workspace` has grown to the model's size.
//! All randomness comes from `rng::Streams` keyed to entities (a card's efforts, estimates,
//! missing input, due date, rework and deployments from the card's stream, its blockers from
//! the card's blocker stream; a person's sickness from the person's stream), so two policies
//! run with the same streams see the same world.
//!
//! Time is continuous, in hours. Statistics are integrated online: every event first advances
//! the time-weighted areas (WIP, presence, work, idle by cause) to its own instant.
//!
//! Where a card is:
//! - `Backlog`: arrived, not committed; `Clarify`: waiting for its input after a readiness
//!   check found it missing (holds nobody);
//! - `Ready`: committed by a cadence release, not yet started;
//! - in a stage (counted against that stage's WIP): `Todo` (pushed to a person or a stage
//!   pool), `Doing` (held by a person, active, waiting for them or blocked), `Orphan` (its
//!   holder fell sick; waiting for a new holder), `Rework` (failed a check; waiting for its
//!   target stage), `DoneWaiting` (finished here, waiting for the next stage to pull it, or
//!   deployed by a failed GitOps sync not yet noticed: `Workspace::syncing`).
//!
//! One mechanism, one file (each adds methods to `state::Sim`):
//! - `state`: cards, people and the `Sim` itself, built by `Sim::new`; `queue`: the event list;
//! - `clock`: the event loop and what each event does;
//! - `cards`: a card's life (arrival, commitment, stages, rework, hand-off, finish);
//! - `work`: holding and working a card, its rate and completion;
//! - `inputs`: readiness checks, missing inputs and their answerers; `blockers`: blocked cards;
//! - `deployments`: failed deployments and rollbacks, GitOps syncs and their health check;
//! - `people`: days, sickness, absences; `overtime`: who stays late;
//! - `planning`: the push planner (loads, plans, expedite, emergency reassignment);
//! - `dispatch`: free people taking work in the policy's order; `swarming`: helpers;
//! - `tally`: statistics (areas, idle causes, weekly series, the result); `audit`: invariants
//!   and liveness (`simulate_audited`); `tests`: unit tests on hand-made states.

mod audit;
mod blockers;
mod cards;
mod clock;
mod deployments;
mod dispatch;
mod inputs;
mod overtime;
mod people;
mod planning;
mod queue;
#[cfg(test)]
mod shortcut_tests;
mod slots;
mod state;
mod swarming;
mod tally;
#[cfg(test)]
mod tests;
mod work;

use queue::{Event, EventQueue};
pub use tally::IdleCause;

use std::collections::VecDeque;

use crate::metrics::{CardRecord, Histogram, RepResult};
use crate::model::Model;
use crate::policy::Policy;
use crate::rng::Streams;
use inputs::Answerer;
use slots::{PerPerson, PerStage};
use state::{Card, PersonState, Sim};

/// One step of a replication's history, recorded when `Workspace::trace` is set (for tests
/// and debugging; off in normal runs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trace {
    /// A planner assigned stage `stage` of card `card` to `person` (push).
    Assign {
        /// Time (hours).
        t: f64,
        /// Card id (arrival order).
        card: u64,
        /// Stage index.
        stage: usize,
        /// Person index.
        person: usize,
    },
    /// `person` took card `card` to work at `stage`.
    Hold {
        /// Time (hours).
        t: f64,
        /// Card id.
        card: u64,
        /// Stage index.
        stage: usize,
        /// Person index.
        person: usize,
    },
    /// A card entered stage `stage` (counted against its WIP from now).
    Enter {
        /// Time (hours).
        t: f64,
        /// Card id.
        card: u64,
        /// Stage index.
        stage: usize,
    },
    /// A card blocked while `person` held it.
    Block {
        /// Time (hours).
        t: f64,
        /// Card id.
        card: u64,
        /// Holder (person index).
        person: usize,
    },
    /// Card `card` finished its last stage (it is done).
    Done {
        /// Time (hours).
        t: f64,
        /// Card id (arrival order).
        card: u64,
    },
    /// `person` is absent today (sick or scheduled).
    Absent {
        /// Time (hours).
        t: f64,
        /// Person index.
        person: usize,
    },
}

/// Where a replication's weekly rows go as each week closes, instead of into its result
/// (whose `RepResult::weekly` is then empty): a long run's worker writes them straight to
/// disk, so no replication holds its whole weekly series.
pub trait WeeklySink: Send {
    /// The row of week `week` (0-based): one value per weekly series. Weeks come in order,
    /// each once.
    fn week(&mut self, week: usize, row: &[f64]);
    /// The replication is over: nothing more will come.
    fn end(&mut self);
}

impl std::fmt::Debug for dyn WeeklySink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WeeklySink")
    }
}

/// Reusable memory for replications: keep one per worker thread.
#[derive(Debug, Default)]
pub struct Workspace {
    queue: EventQueue,
    cards: Vec<Card>,
    free_slots: Vec<u32>,
    efforts: Vec<f64>,
    estimates: Vec<f64>,
    /// Per card and stage: the share of its effort the card needs when it returns to that
    /// stage after a fix (meaningful while the stage is in the card's `returns`).
    return_shares: Vec<f64>,
    assignee: Vec<u32>,
    speed: Vec<f64>,
    n_skills: PerPerson<u32>,
    skilled_people: PerStage<u128>,
    /// Per person: the stages they can work, as a bit set.
    skilled_stages: PerPerson<u64>,
    backlog: VecDeque<u32>,
    ready: VecDeque<u32>,
    done_waiting: PerStage<VecDeque<u32>>,
    pool: PerStage<VecDeque<u32>>,
    orphans: PerStage<VecDeque<u32>>,
    rework: PerStage<VecDeque<u32>>,
    queued_for: PerPerson<VecDeque<u32>>,
    /// Cards waiting in people's queues, per stage.
    queued_at_stage: PerStage<u32>,
    doing: Vec<Vec<u32>>,
    /// Per stage: changes of failed GitOps deployments not yet noticed by the health check.
    syncing: Vec<Vec<u32>>,
    /// The changes of the GitOps deployment being made (reused buffer).
    sync_batch: Vec<u32>,
    people: PerPerson<PersonState>,
    load: Vec<f64>,
    plan: planning::PlanBuffers,
    overtime_ring: Vec<f64>,
    answerers: Vec<Answerer>,
    answer_queue: VecDeque<u32>,
    lead_times: Histogram,
    cycle_times: Histogram,
    start_times: Histogram,
    /// What the liveness audit remembers between events (audit only).
    live: audit::Liveness,
    /// When set, every event is followed by a full check of the engine's invariants.
    pub audit: bool,
    /// When set, the replication's history is appended here.
    pub trace: Option<Vec<Trace>>,
    /// When set, the result holds one record per card (`RepResult::cards`, for `cards.csv`);
    /// off by default, and nothing is recorded then.
    pub record_cards: bool,
    /// The records of the replication running (moved into its result).
    card_log: Vec<CardRecord>,
    /// When set, the next replication hands its weekly rows here as each week closes (and
    /// its result's weekly series stays empty); taken by that replication.
    pub weekly_sink: Option<Box<dyn WeeklySink>>,
}

/// Runs one replication and returns its metrics.
pub fn simulate(model: &Model, policy: &Policy, streams: Streams, ws: &mut Workspace) -> RepResult {
    ws.audit = false;
    let mut sim = Sim::new(model, policy, streams, ws);
    // Without audit, `run` has no failure path.
    let _ = sim.run();
    sim.finish()
}

/// Runs one replication with every invariant checked after every event.
///
/// # Errors
/// A description of the first invariant that failed, with the simulated time.
pub fn simulate_audited(
    model: &Model,
    policy: &Policy,
    streams: Streams,
    ws: &mut Workspace,
) -> Result<RepResult, String> {
    ws.audit = true;
    let mut sim = Sim::new(model, policy, streams, ws);
    let r = sim.run();
    sim.ws.audit = false;
    r?;
    Ok(sim.finish())
}
