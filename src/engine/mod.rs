//! The discrete-event engine: one replication of one model under one policy.
//!
//! The engine is a state machine over a future-event list (`queue`). It does no I/O, spawns no
//! threads and allocates nothing per event once its `Workspace` has grown to the model's size.
//! All randomness comes from `rng::Streams` keyed to entities (a card's efforts, estimates,
//! missing input, due date and blockers from the card's stream; a person's sickness from the
//! person's stream), so two policies run with the same streams see the same world.
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
//!   target stage), `DoneWaiting` (finished here, waiting for the next stage to pull it).

mod queue;

pub use queue::{Event, EventQueue};

use std::collections::VecDeque;

use crate::dist::Dist;
use crate::limits::{MAX_HELD, MAX_SWARM, MAX_SYSTEM_WIP, MAX_TEAM};
use crate::metrics::{Histogram, M, N_FIXED, N_WEEKLY_FIXED, RepResult, W};
use crate::model::{ArrivalProcess, Calendar, HOURS_PER_WEEK, Model, Multitasking};
use crate::policy::{FailedDeploy, Handoff, OnBlock, Overtime, Policy, Release, Selection};
use crate::rng::{Stream, StreamKind, Streams};
use rand::RngExt;

const NONE: u32 = u32::MAX;

/// Why a present person is not working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum IdleCause {
    /// Nothing upstream for the person's skills.
    Starved = 0,
    /// Work exists for the person's skills but its stage has no room (stage or system limit).
    Blocked = 1,
    /// Work is waiting, but none the person can do.
    SkillMismatch = 2,
    /// Every card the person holds waits on missing input or a blocker.
    Waiting = 3,
}
const N_CAUSES: usize = 4;
const UNCLASSIFIED: u8 = u8::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CardState {
    Free,
    Backlog,
    Clarify,
    Ready,
    Todo,
    Doing,
    Orphan,
    Rework,
    DoneWaiting,
}

/// Class of service rank: lower goes first.
const EXPEDITE: u8 = 0;
const FIXED_DATE: u8 = 1;
const STANDARD: u8 = 2;

#[derive(Debug, Clone)]
struct Card {
    id: u64,
    arrived: f64,
    committed: f64,
    /// Stage being worked or waited for.
    stage: u32,
    /// Stage whose WIP counts the card (NONE outside stages).
    counted: u32,
    state: CardState,
    /// Work left at the current stage (hours at speed 1), as of `since`.
    remaining: f64,
    /// Work the current stage started with (hours at speed 1).
    stage_work: f64,
    /// Current work rate (work-hours per hour).
    rate: f64,
    since: f64,
    version: u32,
    workers: [u32; MAX_SWARM],
    n_workers: u8,
    holder: u32,
    /// Clock hours during which somebody worked on the card.
    touch: f64,
    blocked: bool,
    block_since: f64,
    ever_blocked: bool,
    started: bool,
    input_pending: bool,
    input_delay: f64,
    /// When the card's missing input was asked for (NaN when not waiting for one).
    input_asked: f64,
    detect_u: f64,
    handover_pending: bool,
    /// After rework: the stage whose check sent the card back (NONE otherwise).
    return_to: u32,
    /// Share of its effort the card needs when it returns to `return_to`.
    return_share: f64,
    /// Share of its effort the fix needs at the stage it was sent back to.
    fix_share: f64,
    /// A rollback task, not a card.
    rollback: bool,
    class: u8,
    due: f64,
    /// Under push: the end of the plan period this card was last committed in.
    plan_end: f64,
    rng: Stream,
}

#[derive(Debug, Clone)]
struct PersonState {
    present: bool,
    /// Card being worked on now (held or helped), or NONE.
    active: u32,
    held: [u32; MAX_HELD],
    n_held: u32,
    idle_cause: u8,
    day_start: f64,
    normal_end: f64,
    day_end: f64,
    work_since: f64,
    worked_h: f64,
    present_h: f64,
    sick_until_day: u64,
    absent_days: u32,
    reassigned: bool,
    /// Id of the card the person last turned to as its holder (a switch is turning to
    /// another one).
    last_card: Option<u64>,
    rng: Stream,
    ot_week: f64,
    ot_window: f64,
}

/// Somebody who supplies missing inputs, one request at a time.
#[derive(Debug, Clone, Copy)]
struct Answerer {
    /// The card whose input is being answered, or NONE.
    card: u32,
    /// Work left on the answer (hours), as of `since`.
    left: f64,
    since: f64,
    version: u32,
}

/// Time-weighted integrals (count x hours) of the engine's counters.
#[derive(Debug, Clone, Default)]
struct Areas {
    wip: f64,
    backlog: f64,
    present: f64,
    working: f64,
    idle: [f64; N_CAUSES],
    stage: Vec<f64>,
}

/// Counters that restart at the end of warm-up.
#[derive(Debug, Clone, Default)]
struct Tally {
    finished: u64,
    sum_lead: f64,
    sum_cycle: f64,
    sum_touch: f64,
    declined: u64,
    overtime_h: f64,
    person_weeks: u64,
    person_weeks_ot: u64,
    committed: u64,
    commit_hits: u64,
    blocked_card_h: f64,
    started: u64,
    started_blocked: u64,
    sick_days: u64,
    switches: u64,
    deployments: u64,
    failed_deployments: u64,
    inputs: u64,
    input_wait_h: f64,
    restores: u64,
    restore_h: f64,
    downtime_h: f64,
    due_cards: u64,
    due_hits: u64,
}

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

/// Reusable memory for replications: keep one per worker thread.
#[derive(Debug, Default)]
pub struct Workspace {
    q: EventQueue,
    cards: Vec<Card>,
    free_slots: Vec<u32>,
    efforts: Vec<f64>,
    estimates: Vec<f64>,
    assign: Vec<u32>,
    speed: Vec<f64>,
    n_skills: Vec<u32>,
    skill_mask: Vec<u128>,
    /// Per person: the stages they can work, as a bit set.
    stage_bits: Vec<u64>,
    backlog: VecDeque<u32>,
    ready: VecDeque<u32>,
    done: Vec<VecDeque<u32>>,
    pool: Vec<VecDeque<u32>>,
    orphans: Vec<VecDeque<u32>>,
    rework: Vec<VecDeque<u32>>,
    todo: Vec<VecDeque<u32>>,
    /// Cards waiting in people's queues, per stage.
    todo_n: Vec<u32>,
    doing: Vec<Vec<u32>>,
    people: Vec<PersonState>,
    load: Vec<f64>,
    ot_ring: Vec<f64>,
    answerers: Vec<Answerer>,
    answer_q: VecDeque<u32>,
    lead: Histogram,
    cycle: Histogram,
    /// When set, every event is followed by a full check of the engine's invariants.
    pub audit: bool,
    /// When set, the replication's history is appended here.
    pub trace: Option<Vec<Trace>>,
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

fn reset<T>(v: &mut Vec<VecDeque<T>>, n: usize) {
    v.resize_with(n, VecDeque::new);
    v.truncate(n);
    v.iter_mut().for_each(VecDeque::clear);
}

struct Sim<'a> {
    m: &'a Model,
    p: &'a Policy,
    ws: &'a mut Workspace,
    streams: Streams,
    arrivals_rng: Stream,
    expedite_rng: Stream,
    interarrival: Option<Dist>,
    expedite_gap: Option<Dist>,
    n_stages: usize,
    days_per_week: u64,
    /// Per stage: since when its environment is down (NaN while up).
    down_since: Vec<f64>,
    /// Whether answerers of missing inputs are at work now.
    answering: bool,
    now: f64,
    last: f64,
    next_card_id: u64,
    day_index: u64,

    // Counters.
    backlog_n: u32,
    clarify_n: u32,
    wip: u32,
    stage_wip: Vec<u32>,
    n_present: u32,
    n_working: u32,
    n_idle: [u32; N_CAUSES],
    n_free: u32,
    prio_live: u32,
    arrived_total: u64,
    finished_total: u64,
    areas: Areas,
    at_warmup: Areas,
    at_week: Areas,
    warm: bool,
    t: Tally,
    week: usize,
    week_finished: u64,
    weekly: Vec<f64>,
    n_series: usize,
    events: u64,
}

impl<'a> Sim<'a> {
    fn new(m: &'a Model, p: &'a Policy, streams: Streams, ws: &'a mut Workspace) -> Self {
        let s = m.stages.len();
        let np = m.people.len();
        ws.q.clear();
        ws.cards.clear();
        ws.free_slots.clear();
        ws.efforts.clear();
        ws.estimates.clear();
        ws.assign.clear();
        ws.backlog.clear();
        ws.ready.clear();
        reset(&mut ws.done, s);
        reset(&mut ws.pool, s);
        reset(&mut ws.orphans, s);
        reset(&mut ws.rework, s);
        reset(&mut ws.todo, np);
        ws.todo_n.clear();
        ws.todo_n.resize(s, 0);
        ws.doing.resize_with(s, Vec::new);
        ws.doing.truncate(s);
        ws.doing.iter_mut().for_each(Vec::clear);
        ws.speed.clear();
        ws.n_skills.clear();
        ws.skill_mask.clear();
        ws.skill_mask.resize(s, 0);
        ws.stage_bits.clear();
        assert!(s <= 64, "validated board size");
        assert!(np <= MAX_TEAM, "validated team size");
        for (i, person) in m.people.iter().enumerate() {
            ws.speed.extend_from_slice(&person.speed);
            ws.n_skills
                .push(person.speed.iter().filter(|&&v| v > 0.0).count() as u32);
            let mut bits = 0u64;
            for (k, &v) in person.speed.iter().enumerate() {
                if v > 0.0 {
                    ws.skill_mask[k] |= 1u128 << i;
                    bits |= 1 << k;
                }
            }
            ws.stage_bits.push(bits);
        }
        ws.people.clear();
        for i in 0..np {
            ws.people.push(PersonState {
                present: false,
                active: NONE,
                held: [NONE; MAX_HELD],
                n_held: 0,
                idle_cause: UNCLASSIFIED,
                day_start: 0.0,
                normal_end: 0.0,
                day_end: 0.0,
                work_since: 0.0,
                worked_h: 0.0,
                present_h: 0.0,
                sick_until_day: 0,
                absent_days: 0,
                reassigned: false,
                last_card: None,
                rng: streams.stream(StreamKind::Person, i as u64),
                ot_week: 0.0,
                ot_window: 0.0,
            });
        }
        ws.load.clear();
        ws.load.resize(np, 0.0);
        ws.answer_q.clear();
        ws.answerers.clear();
        let n_answerers = m
            .disruptions
            .missing_input
            .as_ref()
            .map_or(0, |mi| mi.answerers);
        ws.answerers.resize(
            n_answerers as usize,
            Answerer {
                card: NONE,
                left: 0.0,
                since: 0.0,
                version: 0,
            },
        );
        let window = m.disruptions.fatigue_window_days.max(1) as usize;
        ws.ot_ring.clear();
        ws.ot_ring.resize(np * window, 0.0);
        ws.lead.clear();
        ws.cycle.clear();
        let areas = Areas {
            stage: vec![0.0; s],
            ..Default::default()
        };
        let n_series = N_WEEKLY_FIXED + s;

        Sim {
            m,
            p,
            ws,
            streams,
            arrivals_rng: streams.stream(StreamKind::Arrivals, 0),
            expedite_rng: streams.stream(StreamKind::Arrivals, 1),
            interarrival: match m.arrivals.process {
                ArrivalProcess::Poisson { rate_per_h } => {
                    Some(Dist::exponential(1.0 / rate_per_h).expect("validated rate"))
                }
                _ => None,
            },
            expedite_gap: (m.classes.expedite_rate_per_h > 0.0).then(|| {
                Dist::exponential(1.0 / m.classes.expedite_rate_per_h).expect("validated rate")
            }),
            n_stages: s,
            days_per_week: m.days_per_week() as u64,
            down_since: vec![f64::NAN; s],
            answering: m.calendar == Calendar::AlwaysOn,
            now: 0.0,
            last: 0.0,
            next_card_id: 0,
            day_index: 0,

            backlog_n: 0,
            clarify_n: 0,
            wip: 0,
            stage_wip: vec![0; s],
            n_present: 0,
            n_working: 0,
            n_idle: [0; N_CAUSES],
            n_free: 0,
            prio_live: 0,
            arrived_total: 0,
            finished_total: 0,
            at_warmup: areas.clone(),
            at_week: areas.clone(),
            areas,
            warm: m.warmup_h <= 0.0,
            t: Tally::default(),
            week: 0,
            week_finished: 0,
            weekly: vec![0.0; m.weeks() * n_series],
            n_series,
            events: 0,
        }
    }

    fn run(&mut self) -> Result<(), String> {
        self.start();
        let horizon = self.m.horizon_h;
        while let Some((t, ev)) = self.ws.q.pop() {
            // (A time that is not a number can only come from bad input; stop rather than loop.)
            if t.is_nan() || t >= horizon {
                break;
            }
            if self.ws.audit && t < self.now {
                return Err(format!("clock went back from {} to {t}", self.now));
            }
            self.advance(t);
            self.events += 1;
            self.handle(ev);
            if self.ws.audit {
                self.audit()
                    .map_err(|e| format!("t = {:.4} h after {ev:?}: {e}", self.now))?;
            }
        }
        self.advance(horizon);
        Ok(())
    }

    fn start(&mut self) {
        let m = self.m;
        for _ in 0..m.arrivals.initial_backlog {
            self.arrive(STANDARD);
        }
        match m.arrivals.process {
            ArrivalProcess::Poisson { .. } => {
                let t = self.next_gap(false);
                self.ws.q.push(t, Event::Arrival);
            }
            ArrivalProcess::Batch { .. } => self.ws.q.push(0.0, Event::Batch),
            ArrivalProcess::None | ArrivalProcess::Unlimited => {}
        }
        if self.expedite_gap.is_some() {
            let t = self.next_gap(true);
            self.ws.q.push(t, Event::Expedite);
        }
        if let Calendar::AlwaysOn = m.calendar {
            for i in 0..m.people.len() {
                if !self.scheduled_absent(i, 0.0) {
                    self.come_in(i, f64::INFINITY, f64::INFINITY);
                }
            }
        }
        let needs_days = matches!(m.calendar, Calendar::Working { .. })
            || self.p.planned()
            || m.disruptions.blockers.is_some()
            || m.people
                .iter()
                .any(|p| p.sick_chance_per_day > 0.0 || !p.absences.is_empty());
        if needs_days {
            self.ws.q.push(m.calendar.day_start(0), Event::DayStart);
        }
        if HOURS_PER_WEEK < m.horizon_h {
            self.ws.q.push(HOURS_PER_WEEK, Event::WeekEnd);
        }
        if let Release::Cadence { every_h } = self.p.release
            && every_h > 0.0
        {
            self.ws.q.push(0.0, Event::Replenish);
        }
        for (s, h) in self.p.handoffs.iter().enumerate() {
            if let Handoff::Pull { poll_every_h } = *h
                && poll_every_h > 0.0
                && s > 0
            {
                self.ws
                    .q
                    .push(poll_every_h, Event::Poll { stage: s as u32 });
            }
        }
        if m.warmup_h > 0.0 {
            self.ws.q.push(m.warmup_h, Event::WarmupEnd);
        }
        self.dispatch();
    }

    fn next_gap(&mut self, expedite: bool) -> f64 {
        let (d, rng) = if expedite {
            (self.expedite_gap.as_ref(), &mut self.expedite_rng)
        } else {
            (self.interarrival.as_ref(), &mut self.arrivals_rng)
        };
        self.now + d.expect("poisson process").sample(rng)
    }

    /// Integrates every counter from the last event to `t`.
    #[inline]
    fn advance(&mut self, t: f64) {
        let dt = t - self.last;
        if dt > 0.0 {
            let a = &mut self.areas;
            a.wip += self.wip as f64 * dt;
            a.backlog += (self.backlog_n + self.clarify_n) as f64 * dt;
            a.present += self.n_present as f64 * dt;
            a.working += self.n_working as f64 * dt;
            for c in 0..N_CAUSES {
                a.idle[c] += self.n_idle[c] as f64 * dt;
            }
            for (area, &n) in a.stage.iter_mut().zip(&self.stage_wip) {
                *area += n as f64 * dt;
            }
            self.last = t;
        }
        self.now = t;
    }

    fn handle(&mut self, ev: Event) {
        match ev {
            Event::Arrival => {
                self.arrive(STANDARD);
                let t = self.next_gap(false);
                self.ws.q.push(t, Event::Arrival);
                self.dispatch();
            }
            Event::Expedite => {
                if let Some(slot) = self.arrive(EXPEDITE)
                    && self.p.planned()
                {
                    self.force_into_plan(slot);
                }
                let t = self.next_gap(true);
                self.ws.q.push(t, Event::Expedite);
                self.dispatch();
            }
            Event::Batch => {
                if let ArrivalProcess::Batch { size, period_h } = self.m.arrivals.process {
                    for _ in 0..size {
                        self.arrive(STANDARD);
                    }
                    self.ws.q.push(self.now + period_h, Event::Batch);
                }
                self.dispatch();
            }
            Event::StageDone { card, version } => {
                if self.ws.cards[card as usize].version == version {
                    self.stage_done(card);
                    self.dispatch();
                }
            }
            Event::Unblock { card } => {
                self.unblock(card);
                self.dispatch();
            }
            Event::AnswerDone { answerer, version } => {
                let a = &mut self.ws.answerers[answerer as usize];
                if a.version == version && a.card != NONE {
                    let card = a.card;
                    a.card = NONE;
                    self.unblock(card);
                    self.start_answers();
                    self.dispatch();
                }
            }
            Event::AnswersOff => self.answers_off(),
            Event::DayStart => self.day_start(),
            Event::DayEnd => {
                // Everybody whose day ends now goes home (one event per distinct end time);
                // people idle past their normal end go home too (see `classify_idle`).
                for i in 0..self.m.people.len() {
                    let ps = &self.ws.people[i];
                    if ps.present && self.now >= ps.day_end - 1e-9 {
                        // Work completing at this very instant is done before leaving (its
                        // StageDone, scheduled after this event, would find nobody there).
                        let slot = ps.active;
                        if slot != NONE {
                            self.progress(slot);
                            if self.ws.cards[slot as usize].remaining <= 1e-9 {
                                self.stage_done(slot);
                            }
                        }
                        self.go_home(i);
                    }
                }
                self.dispatch();
            }
            Event::WeekEnd => {
                self.close_week();
                let next = (self.week + 1) as f64 * HOURS_PER_WEEK;
                if next < self.m.horizon_h {
                    self.ws.q.push(next, Event::WeekEnd);
                }
            }
            Event::Replenish => {
                self.release_to_limit();
                if let Release::Cadence { every_h } = self.p.release {
                    self.ws.q.push(self.now + every_h, Event::Replenish);
                }
                self.dispatch();
            }
            Event::Poll { stage } => {
                let s = stage as usize;
                // Everything waiting upstream that fits is pulled into the stage at once; its
                // people then work it whenever they are there.
                while self.stage_room(s)
                    && let Some(i) = self.best_in(&self.ws.done[s - 1])
                {
                    let slot = self.ws.done[s - 1].remove(i).expect("index in queue");
                    let work = self.ws.efforts[slot as usize * self.n_stages + s];
                    self.enter_stage(slot, s, work);
                    self.push_to_queue(slot, s, false);
                }
                self.dispatch();
                if let Handoff::Pull { poll_every_h } = self.p.handoffs[s] {
                    self.ws
                        .q
                        .push(self.now + poll_every_h, Event::Poll { stage });
                }
            }
            Event::WarmupEnd => {
                self.warm = true;
                self.at_warmup = self.areas.clone();
                self.t = Tally::default();
                // Plan commitments still open are in the window: their hits will count.
                self.t.committed = self
                    .ws
                    .cards
                    .iter()
                    .filter(|c| {
                        c.state != CardState::Free
                            && !c.committed.is_nan()
                            && c.plan_end.is_finite()
                            && c.plan_end >= self.now
                    })
                    .count() as u64;
                self.ws.lead.clear();
                self.ws.cycle.clear();
            }
        }
    }

    // ----- cards -------------------------------------------------------------------------

    /// A new card arrives into the backlog (or is declined at the cap).
    fn arrive(&mut self, class: u8) -> Option<u32> {
        let id = self.next_card_id;
        self.next_card_id += 1;
        if class != EXPEDITE
            && let Some(cap) = self.m.arrivals.max_backlog
            && self.backlog_n >= cap
        {
            self.t.declined += 1;
            return None;
        }
        let slot = self.new_card(id, class);
        self.ws.backlog.push_back(slot);
        self.backlog_n += 1;
        Some(slot)
    }

    fn new_card(&mut self, id: u64, class: u8) -> u32 {
        let s = self.n_stages;
        let m = self.m;
        let mut rng = self.streams.stream(StreamKind::Card, id);
        let slot = match self.ws.free_slots.pop() {
            Some(slot) => slot,
            None => {
                let slot = self.ws.cards.len() as u32;
                self.ws.efforts.resize(self.ws.efforts.len() + s, 0.0);
                self.ws.estimates.resize(self.ws.estimates.len() + s, 0.0);
                self.ws.assign.resize(self.ws.assign.len() + s, NONE);
                self.ws.cards.push(Card {
                    id: 0,
                    arrived: 0.0,
                    committed: f64::NAN,
                    stage: 0,
                    counted: NONE,
                    state: CardState::Free,
                    remaining: 0.0,
                    stage_work: 0.0,
                    rate: 0.0,
                    since: 0.0,
                    version: 0,
                    workers: [NONE; MAX_SWARM],
                    n_workers: 0,
                    holder: NONE,
                    touch: 0.0,
                    blocked: false,
                    block_since: 0.0,
                    ever_blocked: false,
                    started: false,
                    input_pending: false,
                    input_delay: 0.0,
                    input_asked: f64::NAN,
                    detect_u: 0.0,
                    handover_pending: false,
                    return_to: NONE,
                    return_share: 1.0,
                    fix_share: 1.0,
                    rollback: false,
                    class: STANDARD,
                    due: f64::INFINITY,
                    plan_end: f64::INFINITY,
                    rng: rng.clone(),
                });
                slot
            }
        };
        // The card's own draws, always in this order: efforts, estimate factors, missing
        // input, detection, fixed date. Later draws (rework, blockers) follow its life.
        let base = slot as usize * s;
        for (k, stage) in m.stages.iter().enumerate() {
            self.ws.efforts[base + k] = stage.effort.sample(&mut rng);
        }
        let est = &m.estimates;
        for k in 0..s {
            let factor = if est.spread > 0.0 {
                let s2 = (1.0 + est.spread * est.spread).ln();
                let z: f64 = rng.sample(rand_distr::StandardNormal);
                (z * s2.sqrt() - s2 / 2.0).exp()
            } else {
                1.0
            };
            self.ws.estimates[base + k] = self.ws.efforts[base + k] * est.bias * factor;
            self.ws.assign[base + k] = NONE;
        }
        let (pending, delay) = match &m.disruptions.missing_input {
            Some(mi) => {
                let u: f64 = rng.random();
                let d = mi.delay.sample(&mut rng);
                (u < mi.probability, d)
            }
            None => (false, 0.0),
        };
        let detect_u: f64 = rng.random();
        let mut class = class;
        let mut due = f64::INFINITY;
        if m.classes.fixed_date_share > 0.0 {
            let u: f64 = rng.random();
            let d = m.classes.due_in.sample(&mut rng);
            if class == STANDARD && u < m.classes.fixed_date_share {
                class = FIXED_DATE;
                due = self.now + d;
            }
        }
        if class != STANDARD {
            self.prio_live += 1;
        }
        let c = &mut self.ws.cards[slot as usize];
        c.id = id;
        c.arrived = self.now;
        c.committed = f64::NAN;
        c.stage = 0;
        c.counted = NONE;
        c.state = CardState::Backlog;
        c.n_workers = 0;
        c.holder = NONE;
        c.touch = 0.0;
        c.rate = 0.0;
        c.blocked = false;
        c.ever_blocked = false;
        c.started = false;
        c.input_pending = pending;
        c.input_delay = delay;
        c.input_asked = f64::NAN;
        c.detect_u = detect_u;
        c.handover_pending = false;
        c.return_to = NONE;
        c.rollback = false;
        c.class = class;
        c.due = due;
        c.plan_end = f64::INFINITY;
        c.rng = rng;
        self.arrived_total += 1;
        slot
    }

    /// Priority key: class rank, then due date, then arrival.
    #[inline]
    fn key(&self, slot: u32) -> (u8, f64, f64) {
        let c = &self.ws.cards[slot as usize];
        (c.class, c.due, c.arrived)
    }

    /// Position of the card to take first in a queue (skipping blocked ones).
    fn best_in(&self, q: &VecDeque<u32>) -> Option<usize> {
        if self.prio_live == 0 {
            return q.iter().position(|&c| !self.ws.cards[c as usize].blocked);
        }
        let mut best: Option<(usize, (u8, f64, f64))> = None;
        for (i, &c) in q.iter().enumerate() {
            if self.ws.cards[c as usize].blocked {
                continue;
            }
            let k = self.key(c);
            if best.is_none_or(|(_, b)| k < b) {
                best = Some((i, k));
            }
        }
        best.map(|(i, _)| i)
    }

    #[inline]
    fn backlog_available(&self) -> bool {
        self.backlog_n > 0 || matches!(self.m.arrivals.process, ArrivalProcess::Unlimited)
    }

    /// Takes the best backlog card out of the backlog (materialising one from an unlimited
    /// backlog). Does not commit it.
    fn pop_backlog(&mut self) -> u32 {
        match self.best_in(&self.ws.backlog) {
            Some(i) => {
                self.backlog_n -= 1;
                self.ws.backlog.remove(i).expect("index in backlog")
            }
            None => {
                let id = self.next_card_id;
                self.next_card_id += 1;
                self.new_card(id, STANDARD)
            }
        }
    }

    fn commit(&mut self, slot: u32) {
        self.wip += 1;
        self.ws.cards[slot as usize].committed = self.now;
    }

    /// A readiness check at the commitment point: true when a missing input is detected (the
    /// card then goes to clarification, holding nobody).
    fn readiness_gap(&mut self, slot: u32) -> bool {
        let Some(p) = self.p.readiness_check else {
            return false;
        };
        let c = &mut self.ws.cards[slot as usize];
        if !c.input_pending || c.detect_u >= p {
            return false;
        }
        c.state = CardState::Clarify;
        self.clarify_n += 1;
        c.input_pending = false;
        self.request_input(slot);
        true
    }

    /// Asks for a card's missing input: it arrives after the card's delay, or, when people
    /// answer inputs, once one of them has worked through the queue to it.
    fn request_input(&mut self, slot: u32) {
        self.ws.cards[slot as usize].input_asked = self.now;
        if self.ws.answerers.is_empty() {
            let t = self.now + self.ws.cards[slot as usize].input_delay;
            self.ws.q.push(t, Event::Unblock { card: slot });
        } else {
            self.ws.answer_q.push_back(slot);
            self.start_answers();
        }
    }

    /// Free answerers take the next requests (only in working hours).
    fn start_answers(&mut self) {
        if !self.answering {
            return;
        }
        for k in 0..self.ws.answerers.len() {
            if self.ws.answerers[k].card != NONE {
                continue;
            }
            let Some(slot) = self.ws.answer_q.pop_front() else {
                return;
            };
            let left = self.ws.cards[slot as usize].input_delay;
            let a = &mut self.ws.answerers[k];
            a.card = slot;
            a.left = left;
            self.resume_answer(k);
        }
    }

    fn resume_answer(&mut self, k: usize) {
        let a = &mut self.ws.answerers[k];
        a.since = self.now;
        a.version = a.version.wrapping_add(1);
        let (t, version) = (self.now + a.left, a.version);
        self.ws.q.push(
            t,
            Event::AnswerDone {
                answerer: k as u32,
                version,
            },
        );
    }

    fn answers_off(&mut self) {
        self.answering = false;
        for a in self.ws.answerers.iter_mut() {
            if a.card != NONE {
                a.left = (a.left - (self.now - a.since)).max(0.0);
                a.version = a.version.wrapping_add(1);
            }
        }
    }

    fn answers_on(&mut self) {
        self.answering = true;
        for k in 0..self.ws.answerers.len() {
            if self.ws.answerers[k].card != NONE {
                self.resume_answer(k);
            }
        }
        self.start_answers();
    }

    #[inline]
    fn system_room(&self) -> bool {
        self.p.system_wip_limit.is_none_or(|l| self.wip < l)
    }

    #[inline]
    fn stage_room(&self, s: usize) -> bool {
        !self.p.stage_limits
            || self.m.stages[s]
                .wip_limit
                .is_none_or(|l| self.stage_wip[s] < l)
    }

    /// Flow's replenishment: release backlog cards into the ready column up to the limit.
    fn release_to_limit(&mut self) {
        while self.system_room() && self.backlog_available() {
            let slot = self.pop_backlog();
            if self.readiness_gap(slot) {
                continue;
            }
            self.commit(slot);
            self.ws.cards[slot as usize].state = CardState::Ready;
            self.ws.ready.push_back(slot);
        }
    }

    fn set_counted(&mut self, slot: u32, s: u32) {
        let c = &mut self.ws.cards[slot as usize];
        if c.counted != NONE {
            self.stage_wip[c.counted as usize] -= 1;
        }
        c.counted = s;
        if s != NONE {
            self.stage_wip[s as usize] += 1;
        }
    }

    /// The card enters stage `s` (counted against its WIP) with `work` to do there.
    fn enter_stage(&mut self, slot: u32, s: usize, work: f64) {
        if let Some(tr) = &mut self.ws.trace {
            tr.push(Trace::Enter {
                t: self.now,
                card: self.ws.cards[slot as usize].id,
                stage: s,
            });
        }
        self.set_counted(slot, s as u32);
        self.set_work(slot, s, work);
    }

    /// The card is to be worked at stage `s` with `work` to do (WIP accounting unchanged).
    fn set_work(&mut self, slot: u32, s: usize, work: f64) {
        let c = &mut self.ws.cards[slot as usize];
        c.stage = s as u32;
        c.remaining = work;
        c.stage_work = work;
    }

    /// Whether stage `s` has a card to take, and whether it may be taken now.
    fn input(&self, s: usize) -> (bool, bool) {
        let ws = &self.ws;
        if !self.down_since[s].is_nan() {
            // Environment down: only its rollback can be worked.
            return (
                ws.pool[s].iter().any(|&c| ws.cards[c as usize].rollback),
                true,
            );
        }
        // Cards already on the board (orphaned, pushed into a pool, or sent back) need no room.
        if !ws.pool[s].is_empty() || !ws.rework[s].is_empty() {
            return (true, true);
        }
        if !ws.orphans[s].is_empty() && ws.orphans[s].iter().any(|&c| !ws.cards[c as usize].blocked)
        {
            return (true, true);
        }
        if s > 0 {
            match self.p.handoffs[s] {
                // A polling stage only pulls at its polls (see `Event::Poll`).
                Handoff::Pull { poll_every_h } if poll_every_h > 0.0 => (false, true),
                Handoff::Pull { .. } => (!ws.done[s - 1].is_empty(), self.stage_room(s)),
                Handoff::Push => (false, true),
            }
        } else {
            match self.p.release {
                Release::OnPull => (
                    self.backlog_available(),
                    self.stage_room(0) && self.system_room(),
                ),
                Release::Cadence { .. } if ws.ready.is_empty() => {
                    // Backlog cards held back by a full system: work exists, no room.
                    let full = self.backlog_available() && !self.system_room();
                    (full, !full)
                }
                Release::Cadence { .. } => (true, self.stage_room(0)),
                Release::Plan { .. } => (false, true),
            }
        }
    }

    /// The queue stage `s` would take from next, and the position in it.
    fn source(&self, s: usize) -> Option<(Source, usize)> {
        let ws = &self.ws;
        if !self.down_since[s].is_nan() {
            return ws.pool[s]
                .iter()
                .position(|&c| ws.cards[c as usize].rollback)
                .map(|i| (Source::Pool, i));
        }
        if let Some(i) = self.best_in(&ws.orphans[s]) {
            return Some((Source::Orphan, i));
        }
        if let Some(i) = self.best_in(&ws.pool[s]) {
            return Some((Source::Pool, i));
        }
        if !ws.rework[s].is_empty() {
            return self.best_in(&ws.rework[s]).map(|i| (Source::Rework, i));
        }
        if s > 0 {
            return self.best_in(&ws.done[s - 1]).map(|i| (Source::Done, i));
        }
        match self.p.release {
            Release::OnPull if self.backlog_n == 0 => Some((Source::Backlog, 0)),
            Release::OnPull => self.best_in(&ws.backlog).map(|i| (Source::Backlog, i)),
            Release::Cadence { .. } => self.best_in(&ws.ready).map(|i| (Source::Ready, i)),
            Release::Plan { .. } => None,
        }
    }

    fn source_key(&self, s: usize, src: Source, i: usize) -> (u8, f64, f64) {
        let ws = &self.ws;
        let slot = match src {
            Source::Orphan => ws.orphans[s][i],
            Source::Pool => ws.pool[s][i],
            Source::Rework => ws.rework[s][i],
            Source::Done => ws.done[s - 1][i],
            Source::Backlog => match ws.backlog.get(i) {
                Some(&c) => c,
                None => return (STANDARD, f64::INFINITY, self.now),
            },
            Source::Ready => ws.ready[i],
        };
        self.key(slot)
    }

    /// Moves the chosen card into stage `s` and gives it to `person`. Returns false when the
    /// card turned out not to be ready (a readiness check sent it to clarification).
    fn take(&mut self, s: usize, src: Source, i: usize, person: usize) -> bool {
        let n = self.n_stages;
        let slot = match src {
            Source::Orphan => self.ws.orphans[s].remove(i).expect("orphan"),
            Source::Pool => self.ws.pool[s].remove(i).expect("pool"),
            Source::Rework => {
                let slot = self.ws.rework[s].remove(i).expect("rework");
                let share = self.ws.cards[slot as usize].fix_share;
                let work = self.ws.efforts[slot as usize * n + s] * share;
                self.set_work(slot, s, work);
                slot
            }
            Source::Done => {
                let slot = self.ws.done[s - 1].remove(i).expect("done");
                let work = self.ws.efforts[slot as usize * n + s];
                self.enter_stage(slot, s, work);
                slot
            }
            Source::Backlog => {
                let slot = self.pop_backlog();
                if self.readiness_gap(slot) {
                    return false;
                }
                self.commit(slot);
                let work = self.ws.efforts[slot as usize * n];
                self.enter_stage(slot, 0, work);
                slot
            }
            Source::Ready => {
                let slot = self.ws.ready.remove(i).expect("ready");
                let work = self.ws.efforts[slot as usize * n];
                self.enter_stage(slot, 0, work);
                slot
            }
        };
        self.hold(person, slot);
        self.activate(person, slot);
        true
    }

    /// `person` becomes the card's holder.
    fn hold(&mut self, person: usize, slot: u32) {
        let s = self.ws.cards[slot as usize].stage as usize;
        let handover = self.m.disruptions.handover_cost_h;
        let c = &mut self.ws.cards[slot as usize];
        c.state = CardState::Doing;
        c.holder = person as u32;
        if c.handover_pending {
            c.handover_pending = false;
            c.remaining += handover;
        }
        self.ws.doing[s].push(slot);
        let ps = &mut self.ws.people[person];
        ps.held[ps.n_held as usize] = slot;
        ps.n_held += 1;
        if let Some(tr) = &mut self.ws.trace {
            tr.push(Trace::Hold {
                t: self.now,
                card: self.ws.cards[slot as usize].id,
                stage: s,
                person,
            });
        }
    }

    /// The card leaves its holder (finished, orphaned or reassigned).
    fn unhold(&mut self, slot: u32) {
        let c = &mut self.ws.cards[slot as usize];
        let holder = c.holder;
        let s = c.stage as usize;
        c.holder = NONE;
        let doing = &mut self.ws.doing[s];
        if let Some(pos) = doing.iter().position(|&x| x == slot) {
            doing.swap_remove(pos);
        }
        if holder == NONE {
            return;
        }
        let ps = &mut self.ws.people[holder as usize];
        let n = ps.n_held as usize;
        if let Some(k) = ps.held[..n].iter().position(|&x| x == slot) {
            ps.held.copy_within(k + 1..n, k);
            ps.held[n - 1] = NONE;
            ps.n_held -= 1;
        }
        // The holder's useful share may have changed.
        let active = ps.active;
        if active != NONE && active != slot && self.m.multitasking == Multitasking::Weinberg {
            self.reschedule(active);
        }
    }

    /// `person` starts (or resumes) working on a card they hold or help with.
    fn activate(&mut self, person: usize, slot: u32) {
        let s = self.ws.cards[slot as usize].stage as usize;
        let helper = self.ws.cards[slot as usize].holder != person as u32;
        let id = Some(self.ws.cards[slot as usize].id);
        // Resuming the card one was on (after a night, say) is not a switch.
        let turned = !helper && std::mem::replace(&mut self.ws.people[person].last_card, id) != id;
        if turned && self.ws.people[person].n_held >= 2 {
            self.t.switches += 1;
            if let Multitasking::SwitchCost { hours } = self.m.multitasking {
                self.progress(slot);
                self.ws.cards[slot as usize].remaining += hours * self.speed(person, s);
            }
        }
        let c = &mut self.ws.cards[slot as usize];
        if !c.started {
            c.started = true;
            self.t.started += 1;
        }
        c.workers[c.n_workers as usize] = person as u32;
        c.n_workers += 1;
        self.start_working(person, slot);
        // Missing input found when work starts: the card blocks at once.
        let c = &mut self.ws.cards[slot as usize];
        if c.input_pending {
            c.input_pending = false;
            self.block(slot);
            self.request_input(slot);
            return;
        }
        self.reschedule(slot);
    }

    /// Everybody stops working on the card (it stays with its holder).
    fn deactivate(&mut self, slot: u32) {
        self.progress(slot);
        let n = self.ws.cards[slot as usize].n_workers as usize;
        for k in 0..n {
            let w = self.ws.cards[slot as usize].workers[k] as usize;
            self.stop_working(w);
        }
        let c = &mut self.ws.cards[slot as usize];
        c.n_workers = 0;
        c.rate = 0.0;
        c.version = c.version.wrapping_add(1);
    }

    fn block(&mut self, slot: u32) {
        self.deactivate(slot);
        if let Some(tr) = &mut self.ws.trace {
            let c = &self.ws.cards[slot as usize];
            tr.push(Trace::Block {
                t: self.now,
                card: c.id,
                person: c.holder as usize,
            });
        }
        let c = &mut self.ws.cards[slot as usize];
        c.blocked = true;
        c.block_since = self.now;
        if !c.ever_blocked {
            c.ever_blocked = true;
            self.t.started_blocked += 1;
        }
    }

    fn unblock(&mut self, slot: u32) {
        let c = &mut self.ws.cards[slot as usize];
        if !c.input_asked.is_nan() {
            if self.warm {
                self.t.inputs += 1;
                self.t.input_wait_h += self.now - c.input_asked;
            }
            c.input_asked = f64::NAN;
        }
        match c.state {
            CardState::Clarify => {
                // The input arrived: back to the backlog, ready this time.
                c.state = CardState::Backlog;
                self.clarify_n -= 1;
                self.backlog_n += 1;
                self.ws.backlog.push_front(slot);
            }
            _ if c.blocked => {
                c.blocked = false;
                if self.warm {
                    self.t.blocked_card_h += self.now - c.block_since.max(self.m.warmup_h);
                }
            }
            _ => {}
        }
    }

    /// Brings the card's remaining work up to now at its current rate.
    #[inline]
    fn progress(&mut self, slot: u32) {
        let c = &mut self.ws.cards[slot as usize];
        let dt = self.now - c.since;
        if c.rate > 0.0 {
            c.remaining = (c.remaining - c.rate * dt).max(0.0);
            c.touch += dt;
        }
        c.since = self.now;
    }

    /// Recomputes the card's rate from its present workers and schedules its completion.
    fn reschedule(&mut self, slot: u32) {
        self.progress(slot);
        let s = self.ws.cards[slot as usize].stage as usize;
        let c = &self.ws.cards[slot as usize];
        let mut speed = 0.0;
        let mut n = 0;
        for &w in &c.workers[..c.n_workers as usize] {
            let ps = &self.ws.people[w as usize];
            if ps.present {
                speed += self.ws.speed[w as usize * self.n_stages + s]
                    * self.m.multitasking.useful_share(ps.n_held);
                n += 1;
            }
        }
        if n > 1 {
            speed *= self.p.swarming.map_or(1.0, |sw| sw.pairing_efficiency);
        }
        let c = &mut self.ws.cards[slot as usize];
        c.rate = speed;
        c.version = c.version.wrapping_add(1);
        if speed > 0.0 {
            let t = self.now + c.remaining / speed;
            let version = c.version;
            self.ws.q.push(
                t,
                Event::StageDone {
                    card: slot,
                    version,
                },
            );
        }
    }

    fn stage_done(&mut self, slot: u32) {
        self.deactivate(slot);
        self.unhold(slot);
        let s = self.ws.cards[slot as usize].stage as usize;
        if self.ws.cards[slot as usize].rollback {
            self.rollback_done(slot, s);
            return;
        }
        // The stage's check may send the card back.
        if let Some(rw) = &self.m.stages[s].rework {
            let u: f64 = self.ws.cards[slot as usize].rng.random();
            if u < rw.probability {
                self.send_back(slot, s, rw.to, rw.effort_share, rw.effort_share);
                return;
            }
        }
        // A deployment may fail: the change goes back for a fix, and under the `break` rule
        // the environment is down until somebody rolls it back.
        if let Some(dep) = &self.m.stages[s].deployment {
            let c = &mut self.ws.cards[slot as usize];
            let u: f64 = c.rng.random();
            let rollback = dep.rollback_effort.sample(&mut c.rng);
            let failed = u < dep.failure_probability;
            if self.warm {
                self.t.deployments += 1;
                self.t.failed_deployments += u64::from(failed);
            }
            if failed {
                if self.p.failed_deploy == FailedDeploy::Break && self.down_since[s].is_nan() {
                    self.down_since[s] = self.now;
                    self.new_rollback(s, rollback);
                }
                self.send_back(slot, s, dep.fix_in, dep.fix_effort_share, 1.0);
                return;
            }
        }
        let back = self.ws.cards[slot as usize].return_to;
        if back != NONE {
            // Fixed: straight back to the check that failed it.
            let back = back as usize;
            let c = &mut self.ws.cards[slot as usize];
            c.return_to = NONE;
            let share = c.return_share;
            let work = self.ws.efforts[slot as usize * self.n_stages + back] * share;
            self.set_work(slot, back, work);
            self.push_to_queue(slot, back, true);
            return;
        }
        if s + 1 == self.n_stages {
            self.finish_card(slot);
            return;
        }
        match self.p.handoffs[s + 1] {
            Handoff::Pull { .. } => {
                self.ws.cards[slot as usize].state = CardState::DoneWaiting;
                self.ws.done[s].push_back(slot);
            }
            Handoff::Push => {
                let work = self.ws.efforts[slot as usize * self.n_stages + s + 1];
                self.enter_stage(slot, s + 1, work);
                self.push_to_queue(slot, s + 1, false);
            }
        }
    }

    /// Sends a card that failed stage `s`'s check back to stage `to` for a fix (`fix_share` of
    /// its effort there); it then returns straight to `s` (`again_share` of its effort). The
    /// card stays on stage `s`'s WIP meanwhile, so a fix never needs room upstream (and
    /// cannot deadlock the board).
    fn send_back(&mut self, slot: u32, s: usize, to: usize, fix_share: f64, again_share: f64) {
        let c = &mut self.ws.cards[slot as usize];
        c.return_to = s as u32;
        c.return_share = again_share;
        if self.p.planned() && (to == 0 || matches!(self.p.handoffs[to], Handoff::Push)) {
            // Back to the person planned for that stage, at once.
            let work = self.ws.efforts[slot as usize * self.n_stages + to] * fix_share;
            self.set_work(slot, to, work);
            self.push_to_queue(slot, to, true);
        } else {
            c.state = CardState::Rework;
            c.fix_share = fix_share;
            self.ws.rework[to].push_back(slot);
        }
    }

    /// A rollback task for the environment of stage `s`: a work item for anyone skilled there,
    /// ahead of everything else. It is not a card: it never counts as arrived or finished.
    fn new_rollback(&mut self, s: usize, work: f64) {
        let slot = self.new_card(u64::MAX, EXPEDITE);
        let c = &mut self.ws.cards[slot as usize];
        c.rollback = true;
        // Not a card: no missing input, no blockers, not counted as a started card.
        c.input_pending = false;
        c.started = true;
        c.state = CardState::Todo;
        c.arrived = self.now;
        self.arrived_total -= 1;
        self.set_work(slot, s, work);
        self.ws.pool[s].push_front(slot);
    }

    fn rollback_done(&mut self, slot: u32, s: usize) {
        let down = self.now - self.down_since[s];
        if self.warm {
            self.t.restores += 1;
            self.t.downtime_h += self.now - self.down_since[s].max(self.m.warmup_h);
            self.t.restore_h += down;
        }
        self.down_since[s] = f64::NAN;
        let c = &mut self.ws.cards[slot as usize];
        c.state = CardState::Free;
        c.rollback = false;
        self.prio_live -= 1;
        self.ws.free_slots.push(slot);
    }

    /// Pushes a card (already in stage `s`) to its planned person, or to the stage's pool.
    fn push_to_queue(&mut self, slot: u32, s: usize, front: bool) {
        let who = self.ws.assign[slot as usize * self.n_stages + s];
        let c = &mut self.ws.cards[slot as usize];
        c.state = CardState::Todo;
        c.stage = s as u32;
        let q = if who == NONE {
            &mut self.ws.pool[s]
        } else {
            self.ws.todo_n[s] += 1;
            &mut self.ws.todo[who as usize]
        };
        if front || c.class == EXPEDITE {
            q.push_front(slot);
        } else {
            q.push_back(slot);
        }
    }

    fn finish_card(&mut self, slot: u32) {
        self.set_counted(slot, NONE);
        self.wip -= 1;
        self.finished_total += 1;
        self.week_finished += 1;
        if let Some(tr) = &mut self.ws.trace {
            tr.push(Trace::Done {
                t: self.now,
                card: self.ws.cards[slot as usize].id,
            });
        }
        let c = &mut self.ws.cards[slot as usize];
        c.state = CardState::Free;
        if c.class != STANDARD {
            self.prio_live -= 1;
        }
        if self.warm {
            let lead = self.now - c.arrived;
            let cycle = self.now - c.committed;
            self.t.finished += 1;
            self.t.sum_lead += lead;
            self.t.sum_cycle += cycle;
            self.t.sum_touch += c.touch;
            if c.plan_end.is_finite() && self.now <= c.plan_end {
                self.t.commit_hits += 1;
            }
            if c.class == FIXED_DATE {
                self.t.due_cards += 1;
                if self.now <= c.due {
                    self.t.due_hits += 1;
                }
            }
            self.ws.lead.record(lead);
            self.ws.cycle.record(cycle);
        }
        self.ws.free_slots.push(slot);
    }

    // ----- people ------------------------------------------------------------------------

    #[inline]
    fn speed(&self, person: usize, s: usize) -> f64 {
        self.ws.speed[person * self.n_stages + s]
    }

    fn set_idle(&mut self, person: usize, cause: u8) {
        let old = self.ws.people[person].idle_cause;
        if old == cause {
            return;
        }
        if old != UNCLASSIFIED {
            self.n_idle[old as usize] -= 1;
        }
        if cause != UNCLASSIFIED {
            self.n_idle[cause as usize] += 1;
        }
        self.ws.people[person].idle_cause = cause;
    }

    fn start_working(&mut self, person: usize, slot: u32) {
        self.set_idle(person, UNCLASSIFIED);
        let ps = &mut self.ws.people[person];
        debug_assert!(ps.present && ps.active == NONE);
        ps.active = slot;
        ps.work_since = self.now;
        self.n_free -= 1;
        self.n_working += 1;
    }

    /// The person stops working on their active card.
    fn stop_working(&mut self, person: usize) {
        let now = self.now;
        let ps = &mut self.ws.people[person];
        ps.active = NONE;
        if ps.present {
            ps.worked_h += now - ps.work_since;
            self.n_working -= 1;
            self.n_free += 1;
        }
    }

    /// The person arrives for a working day with normal end `normal_end`, leaving at
    /// `day_end` at the latest.
    fn come_in(&mut self, person: usize, normal_end: f64, day_end: f64) {
        if self.ws.people[person].present {
            self.go_home(person);
        }
        let now = self.now;
        let ps = &mut self.ws.people[person];
        ps.present = true;
        ps.day_start = now;
        ps.normal_end = normal_end;
        ps.day_end = day_end;
        self.n_present += 1;
        self.n_free += 1;
    }

    fn go_home(&mut self, person: usize) {
        let now = self.now;
        self.set_idle(person, UNCLASSIFIED);
        if !self.ws.people[person].present {
            return;
        }
        let slot = self.ws.people[person].active;
        if slot != NONE {
            self.progress(slot);
            let c = &mut self.ws.cards[slot as usize];
            let n = c.n_workers as usize;
            let k = c.workers[..n]
                .iter()
                .position(|&w| w == person as u32)
                .expect("worker on card");
            c.workers.copy_within(k + 1..n, k);
            c.n_workers -= 1;
            self.stop_working(person);
        }
        let ps = &mut self.ws.people[person];
        ps.present = false;
        ps.present_h += now - ps.day_start;
        let ot = (now - ps.normal_end).max(0.0);
        if ot > 0.0 {
            ps.ot_week += ot;
            ps.ot_window += ot;
            if self.warm {
                self.t.overtime_h += ot;
            }
        }
        self.n_present -= 1;
        self.n_free -= 1;
        if slot != NONE {
            self.reschedule(slot);
        }
    }

    /// Whether a scheduled absence covers time `t` for `person`.
    fn scheduled_absent(&self, person: usize, t: f64) -> bool {
        self.m.people[person]
            .absences
            .iter()
            .any(|&(a, b)| t >= a && t < b)
    }

    /// Sickness and absences for today; returns whether the person works today.
    fn decide_presence(&mut self, person: usize) -> bool {
        let m = self.m;
        let pm = &m.people[person];
        if pm.sick_chance_per_day <= 0.0 {
            // Nobody with a zero chance falls sick, whatever the policy: no draws needed.
            return pm.absences.is_empty() || !self.scheduled_absent(person, self.now);
        }
        let window = m.disruptions.fatigue_window_days.max(1) as usize;
        let day = self.day_index;
        // Fatigue: overtime in the trailing window, kept as a ring of daily values.
        let ring = &mut self.ws.ot_ring[person * window..(person + 1) * window];
        let slot = (day as usize) % window;
        let ps = &mut self.ws.people[person];
        let yesterday = ps.ot_window;
        ps.ot_window = 0.0;
        let prev = (slot + window - 1) % window;
        ring[prev] = yesterday;
        ring[slot] = 0.0;
        let recent: f64 = ring.iter().sum();
        // Always two draws a day, so the stream stays aligned across policies.
        let u: f64 = ps.rng.random();
        let dur = pm.sick_days.sample(&mut ps.rng);
        let chance =
            pm.sick_chance_per_day * (1.0 + m.disruptions.fatigue_per_overtime_hour * recent);
        if ps.sick_until_day <= day && u < chance.min(1.0) {
            ps.sick_until_day = day + dur.ceil().max(1.0) as u64;
        }
        let sick = ps.sick_until_day > day;
        if sick && self.warm {
            self.t.sick_days += 1;
        }
        !(sick || self.scheduled_absent(person, self.now))
    }

    fn day_start(&mut self) {
        let np = self.m.people.len();
        let working = matches!(self.m.calendar, Calendar::Working { .. });
        if let Calendar::Working { hours_per_day, .. } = self.m.calendar
            && !self.ws.answerers.is_empty()
        {
            self.answers_on();
            self.ws.q.push(self.now + hours_per_day, Event::AnswersOff);
        }
        for i in 0..np {
            let present_today = self.decide_presence(i);
            if present_today {
                self.ws.people[i].absent_days = 0;
                self.ws.people[i].reassigned = false;
                if working {
                    let end = self.now + self.m.people[i].hours_per_day;
                    self.come_in(i, end, end);
                } else if !self.ws.people[i].present {
                    self.come_in(i, f64::INFINITY, f64::INFINITY);
                }
            } else {
                if self.ws.people[i].present {
                    self.go_home(i);
                }
                self.ws.people[i].absent_days += 1;
                if let Some(tr) = &mut self.ws.trace {
                    tr.push(Trace::Absent {
                        t: self.now,
                        person: i,
                    });
                }
                self.absent_today(i);
            }
        }
        if let Release::Plan { period_weeks, .. } = self.p.release {
            let period_days = self.days_per_week * period_weeks as u64;
            if self.day_index.is_multiple_of(period_days) {
                self.plan(period_days);
            }
        }
        self.draw_blockers();
        if working {
            self.decide_overtime();
            // One DayEnd event per distinct end time (usually one for the whole team).
            let mut ends: [f64; 8] = [f64::NAN; 8];
            let mut n_ends = 0;
            for i in 0..np {
                let ps = &self.ws.people[i];
                if !ps.present {
                    continue;
                }
                // Also at the normal end when overtime is planned: whoever is idle then goes
                // home instead of idling into overtime.
                for end in [ps.normal_end, ps.day_end] {
                    if ends[..n_ends].contains(&end) {
                        continue;
                    }
                    if n_ends < ends.len() {
                        ends[n_ends] = end;
                        n_ends += 1;
                    }
                    self.ws.q.push(end, Event::DayEnd);
                }
            }
        }
        self.day_index += 1;
        let next = self.m.calendar.day_start(self.day_index);
        self.ws.q.push(next, Event::DayStart);
        self.dispatch();
    }

    /// What happens to an absent person's cards.
    fn absent_today(&mut self, person: usize) {
        if self.p.planned() {
            let ps = &self.ws.people[person];
            if ps.absent_days >= self.p.emergency_after_days && !ps.reassigned {
                self.ws.people[person].reassigned = true;
                self.emergency_reassign(person);
            }
        } else {
            // Others pull the work: held cards go back to their stage, with a hand-over.
            while self.ws.people[person].n_held > 0 {
                let slot = self.ws.people[person].held[0];
                self.deactivate(slot);
                self.unhold(slot);
                let c = &mut self.ws.cards[slot as usize];
                c.state = CardState::Orphan;
                c.handover_pending = true;
                let s = c.stage as usize;
                self.ws.orphans[s].push_back(slot);
            }
        }
    }

    /// Visible remaining estimate of a card's work at stage `s` (hours at speed 1).
    fn visible_remaining(&self, slot: u32, s: usize) -> f64 {
        let n = self.n_stages;
        let est = self.ws.estimates[slot as usize * n + s];
        let c = &self.ws.cards[slot as usize];
        if c.stage as usize == s && matches!(c.state, CardState::Doing | CardState::Orphan) {
            let done = (c.stage_work - c.remaining).max(0.0);
            (est - done).max(est * self.m.estimates.min_remaining_share)
        } else {
            est
        }
    }

    /// Estimated load (hours) per person of committed, planned work not yet done.
    fn compute_loads(&mut self) {
        let n = self.n_stages;
        let mut load = std::mem::take(&mut self.ws.load);
        load.iter_mut().for_each(|l| *l = 0.0);
        for slot in 0..self.ws.cards.len() as u32 {
            let c = &self.ws.cards[slot as usize];
            if matches!(
                c.state,
                CardState::Free | CardState::Backlog | CardState::Clarify
            ) || c.committed.is_nan()
            {
                continue;
            }
            let first = c.stage as usize + usize::from(c.state == CardState::DoneWaiting);
            for s in first..n {
                let who = self.ws.assign[slot as usize * n + s];
                if who != NONE {
                    load[who as usize] +=
                        self.visible_remaining(slot, s) / self.speed(who as usize, s);
                }
            }
        }
        self.ws.load = load;
    }

    /// The skilled person who would end with the least estimated load after taking `work`
    /// hours (at speed 1) of stage `s`, preferring people present.
    fn least_loaded(&self, s: usize, work: f64, load: &[f64], exclude: usize) -> Option<usize> {
        let mut best: Option<usize> = None;
        let (mut best_absent, mut best_load) = (true, f64::INFINITY);
        let mut cand = self.ws.skill_mask[s];
        while cand != 0 {
            let i = cand.trailing_zeros() as usize;
            cand &= cand - 1;
            if i == exclude {
                continue;
            }
            let absent = !self.ws.people[i].present;
            let l = load[i] + work / self.speed(i, s);
            if best.is_none()
                || (best_absent && !absent)
                || (absent == best_absent && l < best_load)
            {
                best = Some(i);
                best_absent = absent;
                best_load = l;
            }
        }
        best
    }

    fn set_assign(&mut self, slot: u32, s: usize, who: usize) {
        self.ws.assign[slot as usize * self.n_stages + s] = who as u32;
        if let Some(tr) = &mut self.ws.trace {
            tr.push(Trace::Assign {
                t: self.now,
                card: self.ws.cards[slot as usize].id,
                stage: s,
                person: who,
            });
        }
    }

    /// Assigns every stage of a card to the skilled person who ends with the least load,
    /// adding its estimates to `load`; with `commit` false, only tries (nothing is recorded).
    fn assign_card(&mut self, slot: u32, load: &mut [f64], commit: bool) {
        let n = self.n_stages;
        for s in 0..n {
            let est = self.ws.estimates[slot as usize * n + s];
            if let Some(who) = self.least_loaded(s, est, load, usize::MAX) {
                if commit {
                    self.set_assign(slot, s, who);
                }
                load[who] += est / self.speed(who, s);
            }
        }
    }

    /// Push planning: in priority order (expedite, fixed dates by due date, then oldest),
    /// commit each backlog card whose assignees' estimated loads stay within their normal
    /// hours in the period x the planning factor; a card too big for anyone's period is
    /// committed alone when the plan has nothing new yet.
    fn plan(&mut self, period_days: u64) {
        let Release::Plan {
            planning_factor, ..
        } = self.p.release
        else {
            return;
        };
        let plan_end = self.m.calendar.day_start(self.day_index + period_days) - 1e-9;
        self.compute_loads();
        let mut load = std::mem::take(&mut self.ws.load);
        let capacity: Vec<f64> = self
            .m
            .people
            .iter()
            .map(|p| p.hours_per_day * period_days as f64 * planning_factor)
            .collect();
        let mut any = false;
        // Carried-over cards are committed again in this plan.
        for slot in 0..self.ws.cards.len() {
            let c = &mut self.ws.cards[slot];
            if !matches!(
                c.state,
                CardState::Free | CardState::Backlog | CardState::Clarify
            ) && !c.committed.is_nan()
            {
                c.plan_end = plan_end;
                if self.warm {
                    self.t.committed += 1;
                }
            }
        }
        // Candidates in priority order (the backlog is in arrival order).
        let mut order: Vec<u32> = self.ws.backlog.iter().copied().collect();
        if self.prio_live > 0 {
            order.sort_by(|&a, &b| {
                let (ka, kb) = (self.key(a), self.key(b));
                ka.0.cmp(&kb.0)
                    .then(ka.1.total_cmp(&kb.1))
                    .then(ka.2.total_cmp(&kb.2))
            });
        }
        let mut trial = load.clone();
        let mut taken = Vec::new();
        for (k, &slot) in order.iter().enumerate() {
            trial.copy_from_slice(&load);
            self.assign_card(slot, &mut trial, false);
            // Only the card's assignees must stay within capacity: a teammate already over it
            // (carry-over, an oversized card) does not stop cards for others.
            let fits = (0..self.m.people.len())
                .all(|p| trial[p] <= capacity[p] + 1e-9 || trial[p] <= load[p]);
            // A card too big for anyone's period even on an empty plan would never fit: it is
            // committed on its own when it reaches the head of the queue.
            let oversized = |sim: &mut Self, trial: &mut Vec<f64>| {
                trial.iter_mut().for_each(|l| *l = 0.0);
                sim.assign_card(slot, trial, false);
                !(0..sim.m.people.len()).all(|p| trial[p] <= capacity[p] + 1e-9)
            };
            if fits || (k == 0 && !any && oversized(self, &mut trial)) {
                taken.push(slot);
                self.commit_planned(slot, &mut load, plan_end);
                any = true;
            }
        }
        if matches!(self.m.arrivals.process, ArrivalProcess::Unlimited) {
            // An endless backlog: keep committing fresh cards while they fit (and while the
            // system stays within the largest WIP flowsim simulates).
            while self.wip < MAX_SYSTEM_WIP {
                let id = self.next_card_id;
                let slot = self.new_card(id, STANDARD);
                self.next_card_id += 1;
                trial.copy_from_slice(&load);
                self.assign_card(slot, &mut trial, false);
                let fits = (0..self.m.people.len())
                    .all(|p| trial[p] <= capacity[p] + 1e-9 || trial[p] <= load[p]);
                if !fits && any {
                    // Not planned this time: it waits at the head of the backlog.
                    self.ws.backlog.push_front(slot);
                    self.backlog_n += 1;
                    break;
                }
                self.commit_planned(slot, &mut load, plan_end);
                any = true;
            }
        }
        if !taken.is_empty() {
            self.ws.backlog.retain(|c| !taken.contains(c));
            self.backlog_n -= taken.len() as u32;
        }

        self.ws.load = load;
    }

    fn commit_planned(&mut self, slot: u32, load: &mut [f64], plan_end: f64) {
        self.assign_card(slot, load, true);
        self.commit(slot);
        self.ws.cards[slot as usize].plan_end = plan_end;
        if self.warm && plan_end.is_finite() {
            self.t.committed += 1;
        }
        let work = self.ws.efforts[slot as usize * self.n_stages];
        self.enter_stage(slot, 0, work);
        self.push_to_queue(slot, 0, false);
    }

    /// Push: an expedite card is committed and planned at once, at the front of the queue.
    fn force_into_plan(&mut self, slot: u32) {
        let pos = self
            .ws
            .backlog
            .iter()
            .position(|&c| c == slot)
            .expect("just arrived");
        self.ws.backlog.remove(pos);
        self.backlog_n -= 1;
        self.compute_loads();
        let mut load = std::mem::take(&mut self.ws.load);
        // Expedite work is not part of a plan's commitment (no plan end).
        self.commit_planned(slot, &mut load, f64::INFINITY);
        self.ws.load = load;
    }

    /// Push: a person sick for `emergency_after_days` loses their planned work to whoever has
    /// the least estimated load, with a hand-over cost on started cards.
    fn emergency_reassign(&mut self, person: usize) {
        let n = self.n_stages;
        self.compute_loads();
        let mut load = std::mem::take(&mut self.ws.load);
        // Held cards first (started work), then the person's queue, then future stages.
        while self.ws.people[person].n_held > 0 {
            let slot = self.ws.people[person].held[0];
            self.deactivate(slot);
            self.unhold(slot);
            let s = self.ws.cards[slot as usize].stage as usize;
            self.ws.cards[slot as usize].handover_pending = true;
            self.reassign_stage(slot, s, person, &mut load);
            self.push_to_queue(slot, s, true);
        }
        let queued: Vec<u32> = self.ws.todo[person].drain(..).collect();
        for &slot in &queued {
            self.ws.todo_n[self.ws.cards[slot as usize].stage as usize] -= 1;
        }
        for slot in queued {
            let s = self.ws.cards[slot as usize].stage as usize;
            self.reassign_stage(slot, s, person, &mut load);
            self.push_to_queue(slot, s, false);
        }
        for slot in 0..self.ws.cards.len() as u32 {
            let c = &self.ws.cards[slot as usize];
            if c.state == CardState::Free || c.committed.is_nan() {
                continue;
            }
            for s in c.stage as usize + 1..n {
                if self.ws.assign[slot as usize * n + s] == person as u32 {
                    self.reassign_stage(slot, s, person, &mut load);
                }
            }
        }
        self.ws.load = load;
    }

    fn reassign_stage(&mut self, slot: u32, s: usize, from: usize, load: &mut [f64]) {
        let work = self.visible_remaining(slot, s);
        if let Some(who) = self.least_loaded(s, work, load, from) {
            self.set_assign(slot, s, who);
            load[who] += work / self.speed(who, s);
        }
    }

    /// Daily chance of a blocking event for every card in progress.
    fn draw_blockers(&mut self) {
        let Some(b) = &self.m.disruptions.blockers else {
            return;
        };
        for s in 0..self.n_stages {
            let mut k = 0;
            while k < self.ws.doing[s].len() {
                let slot = self.ws.doing[s][k];
                k += 1;
                let c = &mut self.ws.cards[slot as usize];
                if c.blocked || c.rollback {
                    continue;
                }
                let u: f64 = c.rng.random();
                let d = b.duration.sample(&mut c.rng);
                if u < b.chance_per_day {
                    if c.n_workers > 0 {
                        self.block(slot);
                    } else {
                        let c = &mut self.ws.cards[slot as usize];
                        c.blocked = true;
                        c.block_since = self.now;
                        if !c.ever_blocked {
                            c.ever_blocked = true;
                            self.t.started_blocked += 1;
                        }
                    }
                    self.ws.q.push(self.now + d, Event::Unblock { card: slot });
                }
            }
        }
    }

    /// Overtime decisions at the start of a working day.
    fn decide_overtime(&mut self) {
        match self.p.overtime {
            Overtime::None => {}
            Overtime::ToPlan => {
                let Release::Plan { period_weeks, .. } = self.p.release else {
                    return;
                };
                let period_days = self.days_per_week * period_weeks as u64;
                let days_left = (period_days - self.day_index % period_days) as f64;
                self.compute_loads();
                for i in 0..self.m.people.len() {
                    let ps = &self.ws.people[i];
                    if !ps.present {
                        continue;
                    }
                    let pm = &self.m.people[i];
                    let normal_left = days_left * pm.hours_per_day;
                    if self.ws.load[i] > normal_left + 1e-9 {
                        let extra = (self.ws.load[i] - normal_left).min(pm.max_overtime_h_per_day);
                        self.ws.people[i].day_end += extra;
                    }
                }
            }
            Overtime::FixedDateAtRisk => {
                let Calendar::Working {
                    hours_per_day,
                    days_per_week,
                    ..
                } = self.m.calendar
                else {
                    return;
                };
                let work_per_hour = hours_per_day * days_per_week as f64 / HOURS_PER_WEEK;
                for slot in 0..self.ws.cards.len() as u32 {
                    let c = &self.ws.cards[slot as usize];
                    if c.class != FIXED_DATE || c.state != CardState::Doing {
                        continue;
                    }
                    let holder = c.holder;
                    let first = c.stage as usize;
                    let left: f64 = (first..self.n_stages)
                        .map(|s| self.visible_remaining(slot, s))
                        .sum();
                    let time_left = (c.due - self.now) * work_per_hour;
                    if left > time_left && holder != NONE && self.ws.people[holder as usize].present
                    {
                        let pm = &self.m.people[holder as usize];
                        let ps = &mut self.ws.people[holder as usize];
                        ps.day_end = ps.normal_end + pm.max_overtime_h_per_day;
                    }
                }
            }
        }
    }

    /// The best free present person for stage `s` who may take a new card: fastest, then
    /// the most specialised, then the lowest index.
    fn best_free(&self, s: usize, takers: u128) -> Option<usize> {
        let mut best: Option<usize> = None;
        let mut cand = takers & self.ws.skill_mask[s];
        while cand != 0 {
            let i = cand.trailing_zeros() as usize;
            cand &= cand - 1;
            best = match best {
                None => Some(i),
                Some(b) => {
                    let (vi, vb) = (self.speed(i, s), self.speed(b, s));
                    if vi > vb || (vi == vb && self.ws.n_skills[i] < self.ws.n_skills[b]) {
                        Some(i)
                    } else {
                        Some(b)
                    }
                }
            };
        }
        best
    }

    /// Free, present, with room in their personal WIP limit (and not waiting on a block).
    #[inline]
    fn may_take_new(&self, i: usize) -> bool {
        let ps = &self.ws.people[i];
        ps.present
            && ps.active == NONE
            && ps.n_held < self.m.people[i].wip_limit
            && (ps.n_held == 0 || self.p.on_block == OnBlock::Switch)
    }

    /// A held card the person can resume (not blocked), if any.
    fn resumable(&self, i: usize) -> Option<u32> {
        let ps = &self.ws.people[i];
        ps.held[..ps.n_held as usize]
            .iter()
            .copied()
            .find(|&c| !self.ws.cards[c as usize].blocked)
    }

    // ----- decisions ---------------------------------------------------------------------

    /// Gives work to free people until nobody free can take anything, then classifies idleness.
    fn dispatch(&mut self) {
        if let Release::Cadence { every_h } = self.p.release
            && every_h == 0.0
        {
            self.release_to_limit();
        }
        if self.n_free == 0 {
            return;
        }
        // Own cards first: resume held work, then (push) the person's planned queue. Collect
        // who may take new work as a set.
        let planned = self.p.planned();
        let mut takers: u128 = 0;
        for i in 0..self.m.people.len() {
            // Again while the card just taken blocked at once (its input was missing).
            loop {
                let ps = &self.ws.people[i];
                if !ps.present || ps.active != NONE {
                    break;
                }
                if ps.n_held > 0
                    && let Some(slot) = self.resumable(i)
                {
                    self.activate(i, slot);
                    continue;
                }
                if !self.may_take_new(i) {
                    break;
                }
                if planned
                    && let Some(k) = self.ws.todo[i].iter().position(|&c| {
                        let c = &self.ws.cards[c as usize];
                        !c.blocked && self.down_since[c.stage as usize].is_nan()
                    })
                {
                    let slot = self.ws.todo[i].remove(k).expect("index in queue");
                    self.ws.todo_n[self.ws.cards[slot as usize].stage as usize] -= 1;
                    self.hold(i, slot);
                    self.activate(i, slot);
                    continue;
                }
                takers |= 1u128 << i;
                break;
            }
        }
        while takers != 0 {
            let mut choice: Option<(usize, Source, usize, usize)> = None;
            let mut choice_key = (u8::MAX, f64::INFINITY, f64::INFINITY);
            for s in (0..self.n_stages).rev() {
                if takers & self.ws.skill_mask[s] == 0 {
                    continue;
                }
                let (has, room) = self.input(s);
                if !(has && room) {
                    continue;
                }
                let Some(person) = self.best_free(s, takers) else {
                    continue;
                };
                let Some((src, i)) = self.source(s) else {
                    continue;
                };
                let k = self.source_key(s, src, i);
                let k = match self.p.selection {
                    // Rightmost first, classes of service still on top.
                    Selection::RightmostFirst => (k.0, 0.0, -(s as f64)),
                    Selection::OldestFirst => k,
                };
                if k < choice_key {
                    choice_key = k;
                    choice = Some((s, src, i, person));
                }
            }
            let Some((s, src, i, person)) = choice else {
                break;
            };
            // A taker whose new card blocked at once (missing input) may take another.
            if self.take(s, src, i, person) && !self.may_take_new(person) {
                takers &= !(1u128 << person);
            }
        }
        if self.p.swarming.is_some() {
            self.swarm();
        }
        if self.n_free > 0 {
            self.classify_idle();
        }
    }

    /// Free people join a card in progress at the most loaded stage they can work.
    fn swarm(&mut self) {
        let max = self.p.swarming.map_or(1, |s| s.max_per_card as usize);
        // Per stage, the active card a helper would join: fewest workers, then oldest.
        let mut picks = [NONE; 64];
        for (s, pick) in picks.iter_mut().enumerate().take(self.n_stages) {
            *pick = self.swarm_pick(s, max);
        }
        for person in 0..self.m.people.len() {
            let ps = &self.ws.people[person];
            if !ps.present || ps.active != NONE {
                continue;
            }
            // The most loaded stage the person can work that has a card to join.
            let mut best: Option<(u32, usize)> = None;
            let mut bits = self.ws.stage_bits[person];
            while bits != 0 {
                let s = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if picks[s] != NONE && best.is_none_or(|(l, _)| self.stage_wip[s] > l) {
                    best = Some((self.stage_wip[s], s));
                }
            }
            if let Some((_, s)) = best {
                let slot = picks[s];
                let c = &mut self.ws.cards[slot as usize];
                c.workers[c.n_workers as usize] = person as u32;
                c.n_workers += 1;
                self.start_working(person, slot);
                self.reschedule(slot);
                picks[s] = self.swarm_pick(s, max);
            }
            if self.n_free == 0 {
                break;
            }
        }
    }

    fn swarm_pick(&self, s: usize, max: usize) -> u32 {
        let mut pick = NONE;
        for &c in &self.ws.doing[s] {
            let card = &self.ws.cards[c as usize];
            if card.n_workers == 0 || card.n_workers as usize >= max {
                continue;
            }
            if pick == NONE || {
                let cb = &self.ws.cards[pick as usize];
                (card.n_workers, card.arrived) < (cb.n_workers, cb.arrived)
            } {
                pick = c;
            }
        }
        pick
    }

    /// Splits the idleness of free present people by cause; people in overtime with nothing
    /// to do go home.
    fn classify_idle(&mut self) {
        // Stages (as bit sets) with work waiting, and with work waiting but no room.
        let mut has: u64 = 0;
        let mut no_room: u64 = 0;
        for s in 0..self.n_stages {
            let (mut h, room) = self.input(s);
            // Planned work waiting in people's queues counts as work waiting at its stage.
            if !h && self.ws.todo_n[s] > 0 {
                h = true;
            }
            if h {
                has |= 1 << s;
                if !room {
                    no_room |= 1 << s;
                }
            }
        }
        for person in 0..self.m.people.len() {
            let ps = &self.ws.people[person];
            if !ps.present || ps.active != NONE {
                continue;
            }
            if self.now >= ps.normal_end - 1e-9 {
                // Overtime with nothing to do: go home.
                self.go_home(person);
                continue;
            }
            let skills = self.ws.stage_bits[person];
            let cause = if ps.n_held > 0 {
                IdleCause::Waiting
            } else if skills & no_room != 0 {
                IdleCause::Blocked
            } else if has != 0 && skills & has == 0 {
                IdleCause::SkillMismatch
            } else {
                IdleCause::Starved
            };
            self.set_idle(person, cause as u8);
        }
    }

    // ----- statistics --------------------------------------------------------------------

    fn close_week(&mut self) {
        let w = self.week;
        if w >= self.m.weeks() {
            return;
        }
        let start = w as f64 * HOURS_PER_WEEK;
        let len = (self.now - start).max(1e-12);
        let np = self.m.people.len().max(1) as f64;
        let mut ot_total = 0.0;
        let mut with_ot = 0;
        for ps in self.ws.people.iter_mut() {
            // Overtime of people still at work counts up to now.
            let running = if ps.present {
                (self.now - ps.normal_end).max(0.0)
            } else {
                0.0
            };
            let ot = ps.ot_week + running;
            ot_total += ot;
            if ot > 0.0 {
                with_ot += 1;
            }
            ps.ot_week = -running;
        }
        if self.warm {
            self.t.person_weeks += self.m.people.len() as u64;
            self.t.person_weeks_ot += with_ot;
        }
        let a = &self.areas;
        let b = &self.at_week;
        let row = &mut self.weekly[w * self.n_series..(w + 1) * self.n_series];
        row[W::Throughput as usize] = self.week_finished as f64 * HOURS_PER_WEEK / len;
        row[W::WipMean as usize] = (a.wip - b.wip) / len;
        row[W::Backlog as usize] = (self.backlog_n + self.clarify_n) as f64;
        row[W::StarvedH as usize] = (a.idle[0] - b.idle[0]) / np;
        row[W::BlockedH as usize] = (a.idle[1] - b.idle[1]) / np;
        row[W::SkillMismatchH as usize] = (a.idle[2] - b.idle[2]) / np;
        row[W::WaitingH as usize] = (a.idle[3] - b.idle[3]) / np;
        row[W::OvertimeH as usize] = ot_total / np;
        let present = a.present - b.present;
        row[W::Utilisation as usize] = if present > 0.0 {
            (a.working - b.working) / present
        } else {
            0.0
        };
        row[W::Arrived as usize] = self.arrived_total as f64;
        row[W::Done as usize] = self.finished_total as f64;
        for s in 0..self.n_stages {
            row[N_WEEKLY_FIXED + s] = self.stage_wip[s] as f64;
        }
        self.at_week = self.areas.clone();
        self.week_finished = 0;
        self.week += 1;
    }

    fn finish(mut self) -> RepResult {
        let now = self.m.horizon_h;
        self.now = now;
        // Overtime of people still at work at the horizon.
        for ps in &self.ws.people {
            if ps.present && self.warm {
                self.t.overtime_h += (now - ps.normal_end).max(0.0);
            }
        }
        if self.week < self.m.weeks() {
            self.close_week();
        }
        // Unfinished cards enter the time histograms as censored observations; cards still
        // blocked add their blocked time so far.
        let mut unfinished = 0u64;
        let mut age_sum = 0.0;
        let mut age_max: f64 = 0.0;
        let from_warm = self.m.warmup_h.min(now);
        for &since in &self.down_since {
            if !since.is_nan() {
                self.t.downtime_h += now - since.max(from_warm);
            }
        }
        for c in &self.ws.cards {
            if c.state == CardState::Free || c.rollback {
                continue;
            }
            let age = now - c.arrived;
            unfinished += 1;
            age_sum += age;
            age_max = age_max.max(age);
            self.ws.lead.censor(age);
            if !c.committed.is_nan() {
                self.ws.cycle.censor(now - c.committed);
            }
            if c.blocked && c.state != CardState::Clarify {
                self.t.blocked_card_h += now - c.block_since.max(from_warm);
            }
            if c.class == FIXED_DATE && c.due < now && c.due >= from_warm {
                self.t.due_cards += 1;
            }
        }
        let measured = (now - from_warm).max(1e-12);
        let weeks = measured / HOURS_PER_WEEK;
        let np = self.m.people.len().max(1) as f64;
        let a = &self.areas;
        let b = &self.at_warmup;
        let t = &self.t;
        let n = t.finished;
        let mean = |sum: f64| (n > 0).then(|| sum / n as f64);
        let ratio = |num: u64, den: u64| (den > 0).then(|| num as f64 / den as f64);
        let mut v: Vec<Option<f64>> = vec![None; N_FIXED + self.n_stages];
        v[M::ThroughputPerWeek as usize] = Some(n as f64 / weeks);
        v[M::CardsFinished as usize] = Some(n as f64);
        v[M::LeadTimeMean as usize] = mean(t.sum_lead);
        v[M::LeadTimeP50 as usize] = self.ws.lead.quantile(0.50);
        v[M::LeadTimeP85 as usize] = self.ws.lead.quantile(0.85);
        v[M::LeadTimeP95 as usize] = self.ws.lead.quantile(0.95);
        v[M::CycleTimeMean as usize] = mean(t.sum_cycle);
        v[M::CycleTimeP50 as usize] = self.ws.cycle.quantile(0.50);
        v[M::CycleTimeP85 as usize] = self.ws.cycle.quantile(0.85);
        v[M::CycleTimeP95 as usize] = self.ws.cycle.quantile(0.95);
        v[M::WipMean as usize] = Some((a.wip - b.wip) / measured);
        v[M::BacklogMean as usize] = Some((a.backlog - b.backlog) / measured);
        let present = a.present - b.present;
        v[M::Utilisation as usize] = (present > 0.0).then(|| (a.working - b.working) / present);
        v[M::FlowEfficiency as usize] = (t.sum_lead > 0.0).then(|| t.sum_touch / t.sum_lead);
        v[M::StarvedH as usize] = Some((a.idle[0] - b.idle[0]) / np / weeks);
        v[M::BlockedH as usize] = Some((a.idle[1] - b.idle[1]) / np / weeks);
        v[M::SkillMismatchH as usize] = Some((a.idle[2] - b.idle[2]) / np / weeks);
        v[M::WaitingH as usize] = Some((a.idle[3] - b.idle[3]) / np / weeks);
        v[M::OvertimeH as usize] = Some(t.overtime_h / np / weeks);
        v[M::OvertimeShare as usize] = ratio(t.person_weeks_ot, t.person_weeks);
        v[M::CommitmentHitRate as usize] = ratio(t.commit_hits, t.committed);
        v[M::BlockedCardH as usize] = Some(t.blocked_card_h);
        v[M::BlockerRate as usize] = ratio(t.started_blocked, t.started);
        v[M::SickDays as usize] = Some(t.sick_days as f64);
        v[M::ContextSwitches as usize] = Some(t.switches as f64);
        v[M::DueDateHitRate as usize] = ratio(t.due_hits, t.due_cards);
        v[M::InputWaitMean as usize] = (t.inputs > 0).then(|| t.input_wait_h / t.inputs as f64);
        let deploys = self.m.stages.iter().any(|s| s.deployment.is_some());
        if deploys {
            v[M::DeploymentsPerWeek as usize] =
                Some((t.deployments - t.failed_deployments) as f64 / weeks);
            v[M::ChangeFailureRate as usize] = ratio(t.failed_deployments, t.deployments);
            v[M::TimeToRestoreMean as usize] = if t.failed_deployments == 0 {
                None
            } else if self.p.failed_deploy == FailedDeploy::KeepLastGood {
                Some(0.0)
            } else {
                (t.restores > 0).then(|| t.restore_h / t.restores as f64)
            };
            v[M::DowntimeH as usize] = Some(t.downtime_h);
        }
        v[M::UnfinishedCards as usize] = Some(unfinished as f64);
        v[M::UnfinishedAgeMean as usize] = Some(if unfinished > 0 {
            age_sum / unfinished as f64
        } else {
            0.0
        });
        v[M::UnfinishedAgeMax as usize] = Some(age_max);
        v[M::ArrivalsDeclined as usize] = Some(t.declined as f64);
        for s in 0..self.n_stages {
            v[N_FIXED + s] = Some((a.stage[s] - b.stage[s]) / measured);
        }
        RepResult {
            values: v,
            weekly: std::mem::take(&mut self.weekly),
            events: self.events,
        }
    }

    // ----- invariants --------------------------------------------------------------------

    fn audit(&self) -> Result<(), String> {
        let ws = &self.ws;
        // Every arrived card is in exactly one place.
        let mut seen = vec![0u8; ws.cards.len()];
        let mut mark = |slot: u32, want: CardState, place: &str| -> Result<(), String> {
            let c = &ws.cards[slot as usize];
            if c.state != want {
                return Err(format!("card {} in {place} has state {:?}", c.id, c.state));
            }
            seen[slot as usize] += 1;
            Ok(())
        };
        for &c in &ws.backlog {
            mark(c, CardState::Backlog, "backlog")?;
        }
        for &c in &ws.ready {
            mark(c, CardState::Ready, "ready")?;
        }
        for q in &ws.todo {
            for &c in q {
                mark(c, CardState::Todo, "a person's queue")?;
            }
        }
        for s in 0..self.n_stages {
            for &c in &ws.doing[s] {
                mark(c, CardState::Doing, "doing")?;
            }
            for &c in &ws.done[s] {
                mark(c, CardState::DoneWaiting, "done")?;
            }
            for &c in &ws.pool[s] {
                mark(c, CardState::Todo, "pool")?;
            }
            for &c in &ws.orphans[s] {
                mark(c, CardState::Orphan, "orphans")?;
            }
            for &c in &ws.rework[s] {
                mark(c, CardState::Rework, "rework")?;
            }
            // Limits hold where work is pulled in; a push hand-off ignores them by design.
            let pulled_in = if s == 0 {
                !self.p.planned()
            } else {
                matches!(self.p.handoffs[s], Handoff::Pull { .. })
            };
            if self.p.stage_limits
                && pulled_in
                && let Some(l) = self.m.stages[s].wip_limit
                && self.stage_wip[s] > l
            {
                return Err(format!(
                    "stage {s} WIP {} over its limit {l}",
                    self.stage_wip[s]
                ));
            }
        }
        let mut counted = vec![0u32; self.n_stages];
        let mut clarify = 0;
        for (slot, c) in ws.cards.iter().enumerate() {
            if c.state == CardState::Clarify {
                clarify += 1;
                seen[slot] += 1;
            }
            let want = u8::from(c.state != CardState::Free);
            if seen[slot] != want {
                return Err(format!(
                    "card {} ({:?}) is in {} places",
                    c.id, c.state, seen[slot]
                ));
            }
            if c.counted != NONE {
                counted[c.counted as usize] += 1;
            }
        }
        if counted != self.stage_wip {
            return Err(format!(
                "stage WIP counts {:?} but cards say {counted:?}",
                self.stage_wip
            ));
        }
        if clarify != self.clarify_n {
            return Err("clarification count is off".into());
        }
        let live = ws
            .cards
            .iter()
            .filter(|c| c.state != CardState::Free && !c.rollback)
            .count() as u64;
        if self.arrived_total != self.finished_total + live {
            return Err(format!(
                "{} arrived but {} finished and {live} live",
                self.arrived_total, self.finished_total
            ));
        }
        let committed = ws
            .cards
            .iter()
            .filter(|c| c.state != CardState::Free && !c.committed.is_nan())
            .count() as u32;
        if committed != self.wip {
            return Err(format!(
                "system WIP counts {} but {committed} committed",
                self.wip
            ));
        }
        if let Some(l) = self.p.system_wip_limit
            && self.wip > l
        {
            return Err(format!("system WIP {} over its limit {l}", self.wip));
        }
        // People: work only while present, within their day, never more than present.
        let mut working = 0;
        for (i, ps) in ws.people.iter().enumerate() {
            let works = ps.present && ps.active != NONE;
            if ps.active != NONE && !ps.present {
                return Err(format!("person {i} works while absent"));
            }
            if works {
                working += 1;
                let c = &ws.cards[ps.active as usize];
                if c.state != CardState::Doing
                    || c.blocked
                    || !c.workers[..c.n_workers as usize].contains(&(i as u32))
                {
                    return Err(format!("person {i} works a card that does not list them"));
                }
            }
            if ps.n_held > self.m.people[i].wip_limit {
                return Err(format!("person {i} holds {} cards", ps.n_held));
            }
            if ps.present && (self.now < ps.day_start - 1e-9 || self.now > ps.day_end + 1e-9) {
                return Err(format!("person {i} present outside their day"));
            }
            let cap = self.m.people[i].max_overtime_h_per_day;
            if ps.present && ps.day_end > ps.normal_end + cap + 1e-9 {
                return Err(format!("person {i} planned overtime beyond the cap"));
            }
            let worked = ps.worked_h + if works { self.now - ps.work_since } else { 0.0 };
            let present = ps.present_h
                + if ps.present {
                    self.now - ps.day_start
                } else {
                    0.0
                };
            if worked > present + 1e-6 {
                return Err(format!(
                    "person {i} worked {worked} h but was present {present} h"
                ));
            }
        }
        if working != self.n_working {
            return Err(format!(
                "{working} people work but {} counted",
                self.n_working
            ));
        }
        Ok(())
    }
}

/// Where a stage takes its next card from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Orphan,
    Pool,
    Rework,
    Done,
    Backlog,
    Ready,
}
