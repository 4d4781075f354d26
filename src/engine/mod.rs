//! The discrete-event engine: one replication of one model under one policy.
//!
//! The engine is a state machine over a future-event list (`queue`). It does no I/O, spawns no
//! threads and allocates nothing per event once its `Workspace` has grown to the model's size.
//! All randomness comes from `rng::Streams` keyed to entities, so two policies run with the same
//! streams see the same arrivals and the same efforts.
//!
//! Time is continuous, in hours. Statistics are integrated online: every event first advances
//! the time-weighted areas (WIP, presence, work, idle by cause) to its own instant.

mod queue;

pub use queue::{Event, EventQueue};

use std::collections::VecDeque;

use crate::dist::Dist;
use crate::metrics::{Histogram, M, N_FIXED, N_WEEKLY_FIXED, RepResult, W, catalogue};
use crate::model::{ArrivalProcess, Calendar, HOURS_PER_WEEK, Model};
use crate::policy::{Policy, Release, Selection};
use crate::rng::{Stream, StreamKind, Streams};

const NONE: u32 = u32::MAX;
/// Most people on one card at once (owner plus helpers).
pub const MAX_SWARM: usize = 4;

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
}
const N_CAUSES: usize = 3;
const UNCLASSIFIED: u8 = u8::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CardState {
    Free,
    Backlog,
    Ready,
    Doing,
    DoneWaiting,
}

#[derive(Debug, Clone)]
struct Card {
    id: u64,
    arrived: f64,
    committed: f64,
    stage: u32,
    state: CardState,
    /// Work left at the current stage (hours at speed 1), as of `since`.
    remaining: f64,
    /// Current work rate (work-hours per hour).
    rate: f64,
    since: f64,
    version: u32,
    workers: [u32; MAX_SWARM],
    n_workers: u8,
    /// Clock hours during which somebody worked on the card.
    touch: f64,
    #[allow(dead_code)]
    rng: Stream,
}

#[derive(Debug, Clone, Default)]
struct PersonState {
    present: bool,
    /// Card worked on (owned or helped), or NONE.
    card: u32,
    idle_cause: u8,
    day_start: f64,
    day_end: f64,
    work_since: f64,
    worked_h: f64,
    present_h: f64,
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

/// Reusable memory for replications: keep one per worker thread.
#[derive(Debug, Default)]
pub struct Workspace {
    q: EventQueue,
    cards: Vec<Card>,
    free_slots: Vec<u32>,
    efforts: Vec<f64>,
    speed: Vec<f64>,
    n_skills: Vec<u32>,
    backlog: VecDeque<u32>,
    ready: VecDeque<u32>,
    done: Vec<VecDeque<u32>>,
    doing: Vec<Vec<u32>>,
    people: Vec<PersonState>,
    lead: Histogram,
    cycle: Histogram,
    scratch: Vec<(bool, bool)>,
    /// When set, every event is followed by a full check of the engine's invariants.
    pub audit: bool,
}

/// Runs one replication and returns its metrics.
pub fn simulate(model: &Model, policy: &Policy, streams: Streams, ws: &mut Workspace) -> RepResult {
    let mut sim = Sim::new(model, policy, streams, ws);
    sim.run().expect("engine invariant violated");
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

struct Sim<'a> {
    m: &'a Model,
    p: &'a Policy,
    ws: &'a mut Workspace,
    streams: Streams,
    arrivals_rng: Stream,
    interarrival: Option<Dist>,
    n_stages: usize,
    now: f64,
    last: f64,
    next_card_id: u64,
    day_index: u64,
    // Counters.
    backlog_n: u32,
    wip: u32,
    stage_wip: Vec<u32>,
    n_present: u32,
    n_working: u32,
    n_idle: [u32; N_CAUSES],
    n_free: u32,
    arrived_total: u64,
    finished_total: u64,
    // Areas, and their values at the warm-up's end and at the current week's start.
    areas: Areas,
    at_warmup: Areas,
    at_week: Areas,
    // Summary accumulators (after warm-up).
    warm: bool,
    finished: u64,
    sum_lead: f64,
    sum_cycle: f64,
    sum_touch: f64,
    declined: u64,
    // Weekly series.
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
        ws.backlog.clear();
        ws.ready.clear();
        ws.done.resize_with(s, VecDeque::new);
        ws.done.truncate(s);
        ws.done.iter_mut().for_each(VecDeque::clear);
        ws.doing.resize_with(s, Vec::new);
        ws.doing.truncate(s);
        ws.doing.iter_mut().for_each(Vec::clear);
        ws.speed.clear();
        ws.n_skills.clear();
        for person in &m.people {
            ws.speed.extend_from_slice(&person.speed);
            ws.n_skills
                .push(person.speed.iter().filter(|&&v| v > 0.0).count() as u32);
        }
        ws.people.clear();
        ws.people.resize(
            np,
            PersonState {
                card: NONE,
                idle_cause: UNCLASSIFIED,
                ..Default::default()
            },
        );
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
            interarrival: match m.arrivals.process {
                ArrivalProcess::Poisson { rate_per_h } => {
                    Some(Dist::exponential(1.0 / rate_per_h).expect("validated rate"))
                }
                _ => None,
            },
            n_stages: s,
            now: 0.0,
            last: 0.0,
            next_card_id: 0,
            day_index: 0,
            backlog_n: 0,
            wip: 0,
            stage_wip: vec![0; s],
            n_present: 0,
            n_working: 0,
            n_idle: [0; N_CAUSES],
            n_free: 0,
            arrived_total: 0,
            finished_total: 0,
            at_warmup: areas.clone(),
            at_week: areas.clone(),
            areas,
            warm: m.warmup_h <= 0.0,
            finished: 0,
            sum_lead: 0.0,
            sum_cycle: 0.0,
            sum_touch: 0.0,
            declined: 0,
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
            if t >= horizon {
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
            self.arrive();
        }
        match m.arrivals.process {
            ArrivalProcess::Poisson { .. } => {
                let t = self.next_arrival();
                self.ws.q.push(t, Event::Arrival);
            }
            ArrivalProcess::Batch { .. } => self.ws.q.push(0.0, Event::Batch),
            ArrivalProcess::None | ArrivalProcess::Unlimited => {}
        }
        match m.calendar {
            Calendar::AlwaysOn => {
                for i in 0..m.people.len() {
                    self.come_in(i, f64::INFINITY);
                }
            }
            Calendar::Working { .. } => {
                let t = m.calendar.day_start(0);
                self.ws.q.push(t, Event::DayStart);
            }
        }
        if HOURS_PER_WEEK < m.horizon_h {
            self.ws.q.push(HOURS_PER_WEEK, Event::WeekEnd);
        }
        if let Release::Cadence { every_h } = self.p.release
            && every_h > 0.0
        {
            self.ws.q.push(0.0, Event::Replenish);
        }
        if m.warmup_h > 0.0 {
            self.ws.q.push(m.warmup_h, Event::WarmupEnd);
        }
        self.dispatch();
    }

    fn next_arrival(&mut self) -> f64 {
        let d = self.interarrival.as_ref().expect("poisson arrivals");
        self.now + d.sample(&mut self.arrivals_rng)
    }

    /// Integrates every counter from the last event to `t`.
    #[inline]
    fn advance(&mut self, t: f64) {
        let dt = t - self.last;
        if dt > 0.0 {
            let a = &mut self.areas;
            a.wip += self.wip as f64 * dt;
            a.backlog += self.backlog_n as f64 * dt;
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
                self.arrive();
                if self.interarrival.is_some() {
                    let t = self.next_arrival();
                    self.ws.q.push(t, Event::Arrival);
                }
                self.dispatch();
            }
            Event::Batch => {
                if let ArrivalProcess::Batch { size, period_h } = self.m.arrivals.process {
                    for _ in 0..size {
                        self.arrive();
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
            Event::DayStart => self.day_start(),
            Event::DayEnd { person } => {
                self.go_home(person as usize);
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
            Event::WarmupEnd => {
                self.warm = true;
                self.at_warmup = self.areas.clone();
                self.finished = 0;
                self.sum_lead = 0.0;
                self.sum_cycle = 0.0;
                self.sum_touch = 0.0;
                self.declined = 0;
                self.ws.lead.clear();
                self.ws.cycle.clear();
            }
        }
    }

    // ----- cards -------------------------------------------------------------------------

    /// A new card arrives into the backlog (or is declined at the cap).
    fn arrive(&mut self) -> Option<u32> {
        let id = self.next_card_id;
        self.next_card_id += 1;
        if let Some(cap) = self.m.arrivals.max_backlog
            && self.backlog_n >= cap
        {
            self.declined += 1;
            return None;
        }
        let slot = self.new_card(id);
        self.ws.backlog.push_back(slot);
        self.backlog_n += 1;
        Some(slot)
    }

    fn new_card(&mut self, id: u64) -> u32 {
        let s = self.n_stages;
        let mut rng = self.streams.stream(StreamKind::Card, id);
        let slot = match self.ws.free_slots.pop() {
            Some(slot) => slot,
            None => {
                let slot = self.ws.cards.len() as u32;
                self.ws.efforts.resize(self.ws.efforts.len() + s, 0.0);
                self.ws.cards.push(Card {
                    id: 0,
                    arrived: 0.0,
                    committed: f64::NAN,
                    stage: 0,
                    state: CardState::Free,
                    remaining: 0.0,
                    rate: 0.0,
                    since: 0.0,
                    version: 0,
                    workers: [NONE; MAX_SWARM],
                    n_workers: 0,
                    touch: 0.0,
                    rng: rng.clone(),
                });
                slot
            }
        };
        let base = slot as usize * s;
        for (k, stage) in self.m.stages.iter().enumerate() {
            self.ws.efforts[base + k] = stage.effort.sample(&mut rng);
        }
        let c = &mut self.ws.cards[slot as usize];
        c.id = id;
        c.arrived = self.now;
        c.committed = f64::NAN;
        c.stage = 0;
        c.state = CardState::Backlog;
        c.n_workers = 0;
        c.touch = 0.0;
        c.rate = 0.0;
        c.rng = rng;
        self.arrived_total += 1;
        slot
    }

    /// Whether a card can be taken from the backlog now.
    #[inline]
    fn backlog_available(&self) -> bool {
        self.backlog_n > 0 || matches!(self.m.arrivals.process, ArrivalProcess::Unlimited)
    }

    /// Takes the oldest backlog card and commits it (crosses the commitment point).
    fn commit_from_backlog(&mut self) -> u32 {
        let slot = match self.ws.backlog.pop_front() {
            Some(slot) => {
                self.backlog_n -= 1;
                slot
            }
            None => {
                // Unlimited backlog: the card materialises as it is taken.
                let id = self.next_card_id;
                self.next_card_id += 1;
                self.new_card(id)
            }
        };
        self.wip += 1;
        self.ws.cards[slot as usize].committed = self.now;
        slot
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
            let slot = self.commit_from_backlog();
            self.ws.cards[slot as usize].state = CardState::Ready;
            self.ws.ready.push_back(slot);
        }
    }

    /// Whether stage `s` has a card waiting to be taken, and whether it may be taken now.
    #[inline]
    fn input(&self, s: usize) -> (bool, bool) {
        if s > 0 {
            (!self.ws.done[s - 1].is_empty(), self.stage_room(s))
        } else {
            match self.p.release {
                Release::OnPull => (
                    self.backlog_available(),
                    self.stage_room(0) && self.system_room(),
                ),
                Release::Cadence { .. } => (!self.ws.ready.is_empty(), self.stage_room(0)),
            }
        }
    }

    /// Arrival time of the card stage `s` would take next.
    fn input_front_arrival(&self, s: usize) -> f64 {
        let front = if s > 0 {
            self.ws.done[s - 1].front()
        } else {
            match self.p.release {
                Release::OnPull => self.ws.backlog.front(),
                Release::Cadence { .. } => self.ws.ready.front(),
            }
        };
        front.map_or(self.now, |&c| self.ws.cards[c as usize].arrived)
    }

    /// Moves the next input card of stage `s` into `s` and gives it to `person`.
    fn take(&mut self, s: usize, person: usize) {
        let slot = if s > 0 {
            let slot = self.ws.done[s - 1].pop_front().expect("input checked");
            self.stage_wip[s - 1] -= 1;
            slot
        } else {
            match self.p.release {
                Release::OnPull => self.commit_from_backlog(),
                Release::Cadence { .. } => self.ws.ready.pop_front().expect("input checked"),
            }
        };
        self.stage_wip[s] += 1;
        let work = self.ws.efforts[slot as usize * self.n_stages + s];
        let c = &mut self.ws.cards[slot as usize];
        c.stage = s as u32;
        c.state = CardState::Doing;
        c.remaining = work;
        c.since = self.now;
        c.rate = 0.0;
        c.workers[0] = person as u32;
        c.n_workers = 1;
        self.ws.doing[s].push(slot);
        self.start_working(person, slot);
        self.reschedule(slot);
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
            if self.ws.people[w as usize].present {
                speed += self.ws.speed[w as usize * self.n_stages + s];
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
        self.progress(slot);
        let s = self.ws.cards[slot as usize].stage as usize;
        let n = self.ws.cards[slot as usize].n_workers as usize;
        for k in 0..n {
            let w = self.ws.cards[slot as usize].workers[k] as usize;
            self.stop_working(w);
        }
        let c = &mut self.ws.cards[slot as usize];
        c.n_workers = 0;
        c.rate = 0.0;
        c.version = c.version.wrapping_add(1);
        let doing = &mut self.ws.doing[s];
        let pos = doing
            .iter()
            .position(|&x| x == slot)
            .expect("card in doing");
        doing.swap_remove(pos);
        if s + 1 == self.n_stages {
            self.finish_card(slot);
        } else {
            self.ws.cards[slot as usize].state = CardState::DoneWaiting;
            self.ws.done[s].push_back(slot);
        }
    }

    fn finish_card(&mut self, slot: u32) {
        let s = self.n_stages - 1;
        self.stage_wip[s] -= 1;
        self.wip -= 1;
        self.finished_total += 1;
        self.week_finished += 1;
        let c = &mut self.ws.cards[slot as usize];
        c.state = CardState::Free;
        if self.warm {
            let lead = self.now - c.arrived;
            let cycle = self.now - c.committed;
            self.finished += 1;
            self.sum_lead += lead;
            self.sum_cycle += cycle;
            self.sum_touch += c.touch;
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
        debug_assert!(ps.present && ps.card == NONE);
        ps.card = slot;
        ps.work_since = self.now;
        self.n_free -= 1;
        self.n_working += 1;
    }

    /// The person stops working on their card (it finished, or they leave it).
    fn stop_working(&mut self, person: usize) {
        let now = self.now;
        let ps = &mut self.ws.people[person];
        ps.card = NONE;
        if ps.present {
            ps.worked_h += now - ps.work_since;
            self.n_working -= 1;
            self.n_free += 1;
        }
    }

    /// The person arrives for a working day ending at `day_end`.
    fn come_in(&mut self, person: usize, day_end: f64) {
        let now = self.now;
        let ps = &mut self.ws.people[person];
        ps.present = true;
        ps.day_start = now;
        ps.day_end = day_end;
        self.n_present += 1;
        if ps.card != NONE {
            ps.work_since = now;
            let slot = ps.card;
            self.n_working += 1;
            self.reschedule(slot);
        } else {
            self.n_free += 1;
        }
    }

    fn go_home(&mut self, person: usize) {
        let now = self.now;
        self.set_idle(person, UNCLASSIFIED);
        let ps = &mut self.ws.people[person];
        if !ps.present {
            return;
        }
        ps.present = false;
        ps.present_h += now - ps.day_start;
        self.n_present -= 1;
        let slot = ps.card;
        if slot == NONE {
            self.n_free -= 1;
            return;
        }
        ps.worked_h += now - ps.work_since;
        self.n_working -= 1;
        // A helper leaves the card; its owner keeps it overnight.
        self.progress(slot);
        let c = &mut self.ws.cards[slot as usize];
        if c.workers[0] != person as u32 {
            let n = c.n_workers as usize;
            let k = c.workers[..n]
                .iter()
                .position(|&w| w == person as u32)
                .expect("helper on card");
            c.workers.copy_within(k + 1..n, k);
            c.n_workers -= 1;
            self.ws.people[person].card = NONE;
        }
        self.reschedule(slot);
    }

    fn day_start(&mut self) {
        if let Calendar::Working { .. } = self.m.calendar {
            for i in 0..self.m.people.len() {
                let end = self.now + self.m.people[i].hours_per_day;
                self.come_in(i, end);
                self.ws.q.push(end, Event::DayEnd { person: i as u32 });
            }
            self.day_index += 1;
            let next = self.m.calendar.day_start(self.day_index);
            self.ws.q.push(next, Event::DayStart);
        }
        self.dispatch();
    }

    /// The best free present person for stage `s`: fastest, then the most specialised, then
    /// the lowest index.
    fn best_free(&self, s: usize) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, ps) in self.ws.people.iter().enumerate() {
            if !ps.present || ps.card != NONE || self.speed(i, s) <= 0.0 {
                continue;
            }
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
        loop {
            let mut choice: Option<(usize, usize)> = None;
            let mut choice_age = f64::INFINITY;
            for s in (0..self.n_stages).rev() {
                let (has, room) = self.input(s);
                if !(has && room) {
                    continue;
                }
                let Some(person) = self.best_free(s) else {
                    continue;
                };
                match self.p.selection {
                    Selection::RightmostFirst => {
                        choice = Some((s, person));
                        break;
                    }
                    Selection::OldestFirst => {
                        let a = self.input_front_arrival(s);
                        if a < choice_age {
                            choice_age = a;
                            choice = Some((s, person));
                        }
                    }
                }
            }
            let Some((s, person)) = choice else { break };
            self.take(s, person);
            if self.n_free == 0 {
                return;
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
        for person in 0..self.m.people.len() {
            let ps = &self.ws.people[person];
            if !ps.present || ps.card != NONE {
                continue;
            }
            let mut best: Option<(u32, u32)> = None; // (stage wip, card)
            for s in 0..self.n_stages {
                if self.speed(person, s) <= 0.0 {
                    continue;
                }
                let load = self.stage_wip[s];
                if best.is_some_and(|(l, _)| l >= load) {
                    continue;
                }
                // The card with the fewest workers, then the oldest.
                let mut pick: Option<u32> = None;
                for &c in &self.ws.doing[s] {
                    let card = &self.ws.cards[c as usize];
                    if card.n_workers as usize >= max {
                        continue;
                    }
                    pick = match pick {
                        None => Some(c),
                        Some(b) => {
                            let cb = &self.ws.cards[b as usize];
                            if (card.n_workers, card.arrived) < (cb.n_workers, cb.arrived) {
                                Some(c)
                            } else {
                                Some(b)
                            }
                        }
                    };
                }
                if let Some(c) = pick {
                    best = Some((load, c));
                }
            }
            if let Some((_, slot)) = best {
                let c = &mut self.ws.cards[slot as usize];
                c.workers[c.n_workers as usize] = person as u32;
                c.n_workers += 1;
                self.start_working(person, slot);
                self.reschedule(slot);
            }
            if self.n_free == 0 {
                break;
            }
        }
    }

    /// Splits the idleness of free present people by cause.
    fn classify_idle(&mut self) {
        let s_n = self.n_stages;
        // Per stage: work waiting (has) and whether it may be taken (room).
        let mut any_waiting = false;
        let mut state = std::mem::take(&mut self.ws.scratch);
        state.clear();
        for s in 0..s_n {
            let st = self.input(s);
            any_waiting |= st.0;
            state.push(st);
        }
        for person in 0..self.m.people.len() {
            let ps = &self.ws.people[person];
            if !ps.present || ps.card != NONE {
                continue;
            }
            let mut blocked = false;
            let mut own_work = false;
            for (s, &(has, room)) in state.iter().enumerate() {
                if self.speed(person, s) > 0.0 && has {
                    own_work = true;
                    blocked |= !room;
                }
            }
            let cause = if blocked {
                IdleCause::Blocked
            } else if any_waiting && !own_work {
                IdleCause::SkillMismatch
            } else {
                IdleCause::Starved
            };
            self.set_idle(person, cause as u8);
        }
        self.ws.scratch = state;
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
        let a = &self.areas;
        let b = &self.at_week;
        let row = &mut self.weekly[w * self.n_series..(w + 1) * self.n_series];
        row[W::Throughput as usize] = self.week_finished as f64 * HOURS_PER_WEEK / len;
        row[W::WipMean as usize] = (a.wip - b.wip) / len;
        row[W::Backlog as usize] = self.backlog_n as f64;
        row[W::StarvedH as usize] = (a.idle[0] - b.idle[0]) / np;
        row[W::BlockedH as usize] = (a.idle[1] - b.idle[1]) / np;
        row[W::SkillMismatchH as usize] = (a.idle[2] - b.idle[2]) / np;
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
        if self.week < self.m.weeks() {
            self.close_week();
        }
        // Unfinished cards enter the time histograms as censored observations.
        let mut unfinished = 0u64;
        let mut age_sum = 0.0;
        let mut age_max: f64 = 0.0;
        for c in &self.ws.cards {
            if c.state == CardState::Free {
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
        }
        let measured = (now - self.m.warmup_h.min(now)).max(1e-12);
        let weeks = measured / HOURS_PER_WEEK;
        let np = self.m.people.len().max(1) as f64;
        let a = &self.areas;
        let b = &self.at_warmup;
        let n = self.finished;
        let mean = |sum: f64| (n > 0).then(|| sum / n as f64);
        let mut v: Vec<Option<f64>> = vec![None; N_FIXED + self.n_stages];
        v[M::ThroughputPerWeek as usize] = Some(n as f64 / weeks);
        v[M::CardsFinished as usize] = Some(n as f64);
        v[M::LeadTimeMean as usize] = mean(self.sum_lead);
        v[M::LeadTimeP50 as usize] = self.ws.lead.quantile(0.50);
        v[M::LeadTimeP85 as usize] = self.ws.lead.quantile(0.85);
        v[M::LeadTimeP95 as usize] = self.ws.lead.quantile(0.95);
        v[M::CycleTimeMean as usize] = mean(self.sum_cycle);
        v[M::CycleTimeP50 as usize] = self.ws.cycle.quantile(0.50);
        v[M::CycleTimeP85 as usize] = self.ws.cycle.quantile(0.85);
        v[M::CycleTimeP95 as usize] = self.ws.cycle.quantile(0.95);
        v[M::WipMean as usize] = Some((a.wip - b.wip) / measured);
        v[M::BacklogMean as usize] = Some((a.backlog - b.backlog) / measured);
        let present = a.present - b.present;
        v[M::Utilisation as usize] = (present > 0.0).then(|| (a.working - b.working) / present);
        v[M::FlowEfficiency as usize] =
            (self.sum_lead > 0.0).then(|| self.sum_touch / self.sum_lead);
        v[M::StarvedH as usize] = Some((a.idle[0] - b.idle[0]) / np / weeks);
        v[M::BlockedH as usize] = Some((a.idle[1] - b.idle[1]) / np / weeks);
        v[M::SkillMismatchH as usize] = Some((a.idle[2] - b.idle[2]) / np / weeks);
        v[M::UnfinishedCards as usize] = Some(unfinished as f64);
        v[M::UnfinishedAgeMean as usize] = Some(if unfinished > 0 {
            age_sum / unfinished as f64
        } else {
            0.0
        });
        v[M::UnfinishedAgeMax as usize] = Some(age_max);
        v[M::ArrivalsDeclined as usize] = Some(self.declined as f64);
        for s in 0..self.n_stages {
            v[N_FIXED + s] = Some((a.stage[s] - b.stage[s]) / measured);
        }
        debug_assert_eq!(v.len(), catalogue(self.m).len());
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
        for s in 0..self.n_stages {
            for &c in &ws.doing[s] {
                mark(c, CardState::Doing, "doing")?;
            }
            for &c in &ws.done[s] {
                mark(c, CardState::DoneWaiting, "done")?;
            }
            let n = ws.doing[s].len() + ws.done[s].len();
            if n != self.stage_wip[s] as usize {
                return Err(format!(
                    "stage {s} holds {n} cards but counts {}",
                    self.stage_wip[s]
                ));
            }
            if self.p.stage_limits
                && let Some(l) = self.m.stages[s].wip_limit
                && self.stage_wip[s] > l
            {
                return Err(format!(
                    "stage {s} WIP {} over its limit {l}",
                    self.stage_wip[s]
                ));
            }
        }
        for (slot, c) in ws.cards.iter().enumerate() {
            let want = u8::from(c.state != CardState::Free);
            if seen[slot] != want {
                return Err(format!("card {} is in {} places", c.id, seen[slot]));
            }
        }
        let live = ws
            .cards
            .iter()
            .filter(|c| c.state != CardState::Free)
            .count() as u64;
        if self.arrived_total != self.finished_total + live {
            return Err(format!(
                "{} arrived but {} finished and {live} live",
                self.arrived_total, self.finished_total
            ));
        }
        let committed = ws.ready.len() as u32 + self.stage_wip.iter().sum::<u32>();
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
            let works = ps.present && ps.card != NONE;
            if works {
                working += 1;
                let c = &ws.cards[ps.card as usize];
                if c.state != CardState::Doing
                    || !c.workers[..c.n_workers as usize].contains(&(i as u32))
                {
                    return Err(format!("person {i} works a card that does not list them"));
                }
            }
            if ps.present && (self.now < ps.day_start - 1e-9 || self.now > ps.day_end + 1e-9) {
                return Err(format!("person {i} present outside their day"));
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
