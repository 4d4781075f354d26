//! A card's life: arrival (with its own random draws), commitment, entering a stage, the
//! stage's check (rework), the hand-off to the next stage, and finishing.

use super::Trace;
use super::state::{Card, CardState, ClassOfService, NONE, Sim};
use crate::limits::MAX_SWARM;
use crate::model::ArrivalProcess;
use crate::policy::{Handoff, Release, Selection};
use crate::rng::{Stream, StreamKind};
use rand::RngExt;
use rand::SeedableRng;
use std::collections::VecDeque;

/// The order cards are taken in, lowest first: class of service, then due date, then arrival.
pub(super) type PriorityKey = (ClassOfService, f64, f64);

/// A card's own draws at arrival (`Sim::draws`).
struct Draws {
    rng: Stream,
    pending: bool,
    delay: f64,
    detection_draw: f64,
    class: ClassOfService,
    due: f64,
}

impl Sim<'_> {
    /// A new card arrives into the backlog (or is declined at the cap).
    pub(super) fn arrive(&mut self, class: ClassOfService) -> Option<u32> {
        let id = self.next_card_id;
        self.next_card_id += 1;
        if class != ClassOfService::Expedite
            && let Some(cap) = self.model.arrivals.max_backlog
            && self.n_backlog >= cap
        {
            self.tally.declined += 1;
            return None;
        }
        let slot = self.new_card(id, class);
        if self.ws.backlog.is_empty() {
            self.backlog_in_order = true;
        }
        self.ws.backlog.push_back(slot);
        self.n_backlog += 1;
        Some(slot)
    }

    /// A new card in the backlog, with the draws from its own stream (efforts, estimates,
    /// missing input, detection, fixed date), in a free slot or a new one.
    ///
    /// Where nothing reads a waiting card's draws (`Sim::lazy_draws`: no fixed dates to draw,
    /// no planner estimating the backlog), a standard card draws them only when it leaves
    /// the backlog (`Sim::pop_backlog`): the same values from the same stream, and none for
    /// the cards that wait out the run.
    pub(super) fn new_card(&mut self, id: u64, class: ClassOfService) -> u32 {
        let s = self.n_stages;
        let slot = match self.ws.free_slots.pop() {
            Some(slot) => slot,
            None => {
                self.ws.efforts.resize(self.ws.efforts.len() + s, 0.0);
                self.ws.estimates.resize(self.ws.estimates.len() + s, 0.0);
                self.ws
                    .return_shares
                    .resize(self.ws.return_shares.len() + s, 1.0);
                self.ws.assignee.resize(self.ws.assignee.len() + s, NONE);
                self.ws.cards.len() as u32
            }
        };
        let base = slot as usize * s;
        self.ws.assignee[base..base + s].fill(NONE);
        let lazy = self.lazy_draws && class == ClassOfService::Standard;
        let draws = if lazy {
            Draws {
                // Replaced at the draw (`Sim::draw_card`).
                rng: Stream::from_seed([1; 32]),
                pending: false,
                delay: 0.0,
                detection_draw: 0.0,
                class,
                due: f64::INFINITY,
            }
        } else {
            self.draws(slot, id, class)
        };
        let Draws {
            rng,
            pending,
            delay,
            detection_draw,
            class,
            due,
        } = draws;
        if class != ClassOfService::Standard {
            self.n_priority_cards += 1;
        }
        // A reused slot keeps counting its versions, so that events scheduled for the card
        // that had it before never match the new one.
        let version = self.ws.cards.get(slot as usize).map_or(0, |c| c.version);
        let card = Card {
            id,
            drawn: !lazy,
            arrived: self.now,
            committed: f64::NAN,
            stage: 0,
            counted: NONE,
            state: CardState::Backlog,
            remaining: 0.0,
            stage_work: 0.0,
            rate: 0.0,
            since: 0.0,
            version,
            workers: [NONE; MAX_SWARM],
            n_workers: 0,
            holder: NONE,
            touch: 0.0,
            blocked_h: 0.0,
            reworks: 0,
            blocked: false,
            block_since: 0.0,
            ever_blocked: false,
            started: false,
            first_work: f64::NAN,
            start_counted: false,
            pair_loss: 0.0,
            input_pending: pending,
            input_delay: delay,
            input_asked: f64::NAN,
            detection_draw,
            handover_from: NONE,
            returns: 0,
            fix_share: 1.0,
            rollback: false,
            at_risk: false,
            class,
            due,
            plan_end: f64::INFINITY,
            failed_deploy_at: f64::NAN,
            rng,
            blocker_rng: None,
        };
        match self.ws.cards.get_mut(slot as usize) {
            Some(c) => *c = card,
            None => self.ws.cards.push(card),
        }
        self.arrived_total += 1;
        slot
    }

    /// The card's own draws, always in this order: efforts (into `Workspace::efforts`),
    /// estimate factors (into `Workspace::estimates`), missing input, detection, fixed date.
    /// Later draws (rework, deployments) follow its life from the stream returned; blockers
    /// draw from the card's blocker stream.
    fn draws(&mut self, slot: u32, id: u64, class: ClassOfService) -> Draws {
        let s = self.n_stages;
        let model = self.model;
        let mut rng = self.streams.stream(StreamKind::Card, id);
        let base = slot as usize * s;
        for (k, stage) in model.stages.iter().enumerate() {
            self.ws.efforts[base + k] = stage.effort.sample(&mut rng);
        }
        let est = &model.estimates;
        for k in 0..s {
            let factor = if est.spread > 0.0 {
                let s2 = (1.0 + est.spread * est.spread).ln();
                let z: f64 = rng.sample(rand_distr::StandardNormal);
                (z * s2.sqrt() - s2 / 2.0).exp()
            } else {
                1.0
            };
            self.ws.estimates[base + k] = self.ws.efforts[base + k] * est.bias * factor;
        }
        let (pending, delay) = match &model.disruptions.missing_input {
            Some(mi) => {
                let u: f64 = rng.random();
                let d = mi.delay.sample(&mut rng);
                (u < mi.probability, d)
            }
            None => (false, 0.0),
        };
        let detection_draw: f64 = rng.random();
        let mut class = class;
        let mut due = f64::INFINITY;
        if model.classes.fixed_date_share > 0.0 {
            let u: f64 = rng.random();
            let d = model.classes.due_in.sample(&mut rng);
            if class == ClassOfService::Standard && u < model.classes.fixed_date_share {
                class = ClassOfService::FixedDate;
                due = self.now + d;
            }
        }
        Draws {
            rng,
            pending,
            delay,
            detection_draw,
            class,
            due,
        }
    }

    /// Makes the card's draws if it has not yet (see `new_card`); a lazy card is standard
    /// and stays so (no fixed dates are drawn where draws wait).
    #[inline]
    pub(super) fn draw_card(&mut self, slot: u32) {
        if self.ws.cards[slot as usize].drawn {
            return;
        }
        let id = self.ws.cards[slot as usize].id;
        let d = self.draws(slot, id, ClassOfService::Standard);
        let c = &mut self.ws.cards[slot as usize];
        c.rng = d.rng;
        c.input_pending = d.pending;
        c.input_delay = d.delay;
        c.detection_draw = d.detection_draw;
        c.drawn = true;
    }

    /// Priority key: class rank, then due date, then arrival.
    #[inline]
    pub(super) fn key(&self, slot: u32) -> PriorityKey {
        let c = &self.ws.cards[slot as usize];
        (c.class, c.due, c.arrived)
    }

    /// Position of the card to take first in a queue (skipping blocked ones): the lowest
    /// priority key; under `rightmost_first`, the first card while every card is standard.
    #[inline]
    pub(super) fn best_in(&self, q: &VecDeque<u32>) -> Option<usize> {
        if q.is_empty() {
            return None;
        }
        self.best_in_scan(q)
    }

    /// `best_in` over a queue that is not empty.
    #[inline(never)]
    fn best_in_scan(&self, q: &VecDeque<u32>) -> Option<usize> {
        if self.n_priority_cards == 0 {
            if self.policy.selection != Selection::OldestFirst {
                return q.iter().position(|&c| !self.ws.cards[c as usize].blocked);
            }
            // Every card standard (due never): the key comes down to the arrival time.
            let mut best: Option<(usize, f64)> = None;
            for (i, &c) in q.iter().enumerate() {
                let c = &self.ws.cards[c as usize];
                if !c.blocked && best.is_none_or(|(_, b)| c.arrived < b) {
                    best = Some((i, c.arrived));
                }
            }
            return best.map(|(i, _)| i);
        }
        let mut best: Option<(usize, PriorityKey)> = None;
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

    /// `best_in` over the backlog. While the backlog is in arrival order and every card is
    /// standard, the lowest key is the first card not blocked, under either selection (ties
    /// in arrival go to the first, as in `best_in`): no scan of the whole backlog.
    #[inline]
    pub(super) fn best_in_backlog(&self) -> Option<usize> {
        let q = &self.ws.backlog;
        if self.n_priority_cards == 0 && self.backlog_in_order {
            return q.iter().position(|&c| !self.ws.cards[c as usize].blocked);
        }
        self.best_in(q)
    }

    /// Whether a standard card joining the backlog now would change nothing a dispatch reads:
    /// the backlog is in arrival order with only standard cards and already gives a next
    /// card (so the newcomer, last, is never the one taken, and `backlog_available` stays
    /// true), and the policy does not top plans up from it (a top-up's bounded search may
    /// stop short of the end of a backlog of unready cards).
    #[inline]
    pub(super) fn backlog_has_next(&self) -> bool {
        self.n_priority_cards == 0
            && self.backlog_in_order
            && !matches!(self.policy.release, Release::Plan { top_up: true, .. })
            && self.best_in_backlog().is_some()
    }

    #[inline]
    pub(super) fn backlog_available(&self) -> bool {
        self.n_backlog > 0 || matches!(self.model.arrivals.process, ArrivalProcess::Unlimited)
    }

    /// Takes the best backlog card out of the backlog (materialising one from an unlimited
    /// backlog). Does not commit it.
    pub(super) fn pop_backlog(&mut self) -> u32 {
        match self.best_in_backlog() {
            Some(i) => {
                self.n_backlog -= 1;
                let slot = self.ws.backlog.remove(i).expect("index in backlog");
                if self.ws.backlog.is_empty() {
                    self.backlog_in_order = true;
                }
                self.draw_card(slot);
                slot
            }
            None => {
                let id = self.next_card_id;
                self.next_card_id += 1;
                let slot = self.new_card(id, ClassOfService::Standard);
                self.draw_card(slot);
                slot
            }
        }
    }

    pub(super) fn commit(&mut self, slot: u32) {
        self.system_wip += 1;
        self.ws.cards[slot as usize].committed = self.now;
    }

    #[inline]
    pub(super) fn system_room(&self) -> bool {
        self.policy
            .system_wip_limit
            .is_none_or(|l| self.system_wip < l)
    }

    /// Whether stage `s` may take a card in now: its WIP limit, where the policy honours
    /// stage limits, and a conservative puller's own threshold and delay (every policy).
    #[inline(always)]
    pub(super) fn stage_room(&self, s: usize) -> bool {
        self.stage_wip[s] < self.room_limit[s]
            && (!self.conservative_pullers || self.puller_ready(s))
    }

    /// The conservative puller (`Stage::pull_below`, `Stage::pull_delay_h`): whether stage `s`
    /// is willing to take a card now: fewer of its own unfinished cards than its threshold,
    /// and its delay since the last card it took is over.
    #[inline]
    pub(super) fn puller_ready(&self, s: usize) -> bool {
        if !self.conservative_pullers {
            return true;
        }
        let st = &self.model.stages[s];
        if st.pull_below.is_none() && st.pull_delay_h <= 0.0 {
            return true;
        }
        let finished_here = if s + 1 < self.n_stages {
            self.ws.done_waiting[s].len() as u32
        } else {
            0
        };
        let unfinished = self.stage_wip[s].saturating_sub(finished_here);
        st.pull_below.is_none_or(|k| unfinished < k)
            && self.now >= self.pulled_at[s] + st.pull_delay_h - 1e-9
    }

    /// Flow's replenishment: release backlog cards into the ready column up to the limit.
    pub(super) fn release_to_limit(&mut self) {
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
    pub(super) fn enter_stage(&mut self, slot: u32, s: usize, work: f64) {
        self.trace(|sim| Trace::Enter {
            t: sim.now,
            card: sim.ws.cards[slot as usize].id,
            stage: s,
        });
        self.set_counted(slot, s as u32);
        self.set_work(slot, s, work);
        let delay = self.model.stages[s].pull_delay_h;
        if delay > 0.0 {
            // A conservative puller waits before taking the next card.
            self.pulled_at[s] = self.now;
            self.ws
                .queue
                .push(self.now + delay, super::Event::PullerReady);
        }
    }

    /// The card is to be worked at stage `s` with `work` to do (WIP accounting unchanged).
    pub(super) fn set_work(&mut self, slot: u32, s: usize, work: f64) {
        let c = &mut self.ws.cards[slot as usize];
        c.stage = s as u32;
        c.remaining = work;
        c.stage_work = work;
    }

    pub(super) fn stage_done(&mut self, slot: u32) {
        let s = self.ws.cards[slot as usize].stage as usize;
        // Quality under pressure: the holder's overtime and other cards, as they finish.
        let chance = match &self.model.stages[s].rework {
            Some(rw) if rw.under_pressure() => {
                let (overtime_h, extra) = self.pressure(self.ws.cards[slot as usize].holder);
                rw.chance(overtime_h, extra)
            }
            Some(rw) => rw.probability,
            None => 0.0,
        };
        self.deactivate(slot);
        self.unhold(slot);
        if self.ws.cards[slot as usize].rollback {
            self.rollback_done(slot, s);
            return;
        }
        // The stage's check may send the card back.
        if let Some(rw) = &self.model.stages[s].rework {
            let u: f64 = self.ws.cards[slot as usize].rng.random();
            if u < chance {
                self.send_back(slot, s, rw.to, rw.effort_share, rw.effort_share);
                return;
            }
        }
        if self.deployment_failed(slot, s) {
            return;
        }
        self.pass_on(slot, s);
    }

    /// A card that passed stage `s` (and its checks) moves on: back to the stage whose check
    /// sent it back, to the next stage, or done.
    pub(super) fn pass_on(&mut self, slot: u32, s: usize) {
        let returns = self.ws.cards[slot as usize].returns;
        if returns != 0 {
            // Fixed: straight back to the innermost check that failed it (the lowest stage
            // still to pass again); the outer ones follow in turn.
            let back = returns.trailing_zeros() as usize;
            self.ws.cards[slot as usize].returns = returns & (returns - 1);
            if self.policy.gitops[back].is_some() {
                // Nobody works a synced stage: the fixed change waits for its next sync.
                self.wait_for_sync(slot, back);
                return;
            }
            let i = slot as usize * self.n_stages + back;
            let work = self.ws.efforts[i] * self.ws.return_shares[i];
            self.set_work(slot, back, work);
            self.push_to_queue(slot, back, true);
            return;
        }
        if s + 1 == self.n_stages {
            self.finish_card(slot);
            return;
        }
        match self.policy.handoffs[s + 1] {
            Handoff::Pull { .. } if self.policy.gitops[s + 1].is_some() => {
                self.wait_for_sync(slot, s + 1);
            }
            Handoff::Pull { .. } => {
                self.ws.cards[slot as usize].state = CardState::DoneWaiting;
                self.ws.done_waiting[s].push_back(slot);
            }
            Handoff::Push => {
                let work = self.ws.efforts[slot as usize * self.n_stages + s + 1];
                self.enter_stage(slot, s + 1, work);
                self.push_to_queue(slot, s + 1, false);
            }
        }
    }

    /// The pressure on `person` now: overtime worked this calendar week, today's so far
    /// included (hours), and cards held besides one.
    fn pressure(&self, person: u32) -> (f64, u32) {
        let Some(ps) = self.ws.people.get(person as usize) else {
            return (0.0, 0);
        };
        let today = if ps.present {
            (self.now - ps.normal_end).max(0.0)
        } else {
            0.0
        };
        (ps.overtime_week_h + today, ps.n_held.saturating_sub(1))
    }

    /// Sends a card that failed stage `s`'s check back to stage `to` for a fix (`fix_share` of
    /// its effort there); it then returns straight to `s` (`again_share` of its effort). The
    /// card stays on the WIP of the stage it had reached meanwhile, so a fix never needs room
    /// upstream (and cannot deadlock the board).
    ///
    /// Checks can nest, as on a real board: a card sent back from test to development may
    /// fail development's own review during the fix. It then goes back for that fix too,
    /// passes development's check again, and only then returns to test: the stages to pass
    /// again form a stack, innermost (lowest) first. Because a card is sent back only to its
    /// own stage or an earlier one, the stack is a set of stages taken lowest first; a stage
    /// already on it is not pushed twice (its first share stands).
    pub(super) fn send_back(
        &mut self,
        slot: u32,
        s: usize,
        to: usize,
        fix_share: f64,
        again_share: f64,
    ) {
        let c = &mut self.ws.cards[slot as usize];
        c.reworks += 1;
        let bit = 1u64 << s;
        if c.returns & bit == 0 {
            c.returns |= bit;
            self.ws.return_shares[slot as usize * self.n_stages + s] = again_share;
        }
        if self.policy.planned() && (to == 0 || matches!(self.policy.handoffs[to], Handoff::Push)) {
            // Back to the person planned for that stage, at once.
            let work = self.ws.efforts[slot as usize * self.n_stages + to] * fix_share;
            self.set_work(slot, to, work);
            self.push_to_queue(slot, to, true);
        } else {
            c.state = CardState::Rework;
            c.fix_share = fix_share;
            self.ws.rework[to].push_back(slot);
            self.beyond_feed |= 1 << to;
        }
    }

    /// Pushes a card (already in stage `s`) to its planned person, or to the stage's pool.
    pub(super) fn push_to_queue(&mut self, slot: u32, s: usize, front: bool) {
        let who = self.ws.assignee[slot as usize * self.n_stages + s];
        let c = &mut self.ws.cards[slot as usize];
        c.state = CardState::Todo;
        c.stage = s as u32;
        let q = if who == NONE {
            self.beyond_feed |= 1 << s;
            &mut self.ws.pool[s]
        } else {
            self.ws.queued_at_stage[s] += 1;
            self.queued_stages |= 1 << s;
            &mut self.ws.queued_for[who as usize]
        };
        if front || c.class == ClassOfService::Expedite {
            q.push_front(slot);
        } else {
            q.push_back(slot);
        }
    }

    /// Whether stage `s`'s input is more than its feed now (what `Sim::beyond_feed` keeps):
    /// its environment is down, or cards wait in its own queues.
    pub(super) fn is_beyond_feed(&self, s: usize) -> bool {
        let ws = &self.ws;
        !self.down_since[s].is_nan()
            || !ws.pool[s].is_empty()
            || !ws.rework[s].is_empty()
            || !ws.orphans[s].is_empty()
    }

    /// Brings stage `s`'s bit in `Sim::beyond_feed` up to date after one of its own queues
    /// lost a card or its environment came back.
    pub(super) fn recheck_beyond_feed(&mut self, s: usize) {
        if self.is_beyond_feed(s) {
            self.beyond_feed |= 1 << s;
        } else {
            self.beyond_feed &= !(1 << s);
        }
    }

    /// A card at stage `s` leaves a person's planned queue.
    pub(super) fn unqueue(&mut self, s: usize) {
        let n = &mut self.ws.queued_at_stage[s];
        *n -= 1;
        if *n == 0 {
            self.queued_stages &= !(1 << s);
        }
    }

    fn finish_card(&mut self, slot: u32) {
        self.trace(|sim| Trace::Done {
            t: sim.now,
            card: sim.ws.cards[slot as usize].id,
        });
        self.set_counted(slot, NONE);
        self.system_wip -= 1;
        self.finished_total += 1;
        self.week_finished += 1;
        let c = &mut self.ws.cards[slot as usize];
        c.state = CardState::Free;
        if c.class != ClassOfService::Standard {
            self.n_priority_cards -= 1;
        }
        if self.warmed_up {
            let lead = self.now - c.arrived;
            let cycle = self.now - c.committed;
            let start_to_done = self.now - c.first_work;
            self.tally.finished += 1;
            self.tally.sum_lead += lead;
            self.tally.sum_cycle += cycle;
            self.tally.sum_start_to_done += start_to_done;
            self.tally.sum_touch += c.touch;
            if c.plan_end.is_finite() && self.now <= c.plan_end {
                self.tally.commit_hits += 1;
            }
            if c.class == ClassOfService::FixedDate {
                self.tally.due_cards += 1;
                if self.now <= c.due {
                    self.tally.due_hits += 1;
                }
            }
            self.ws.lead_times.record(lead);
            self.ws.cycle_times.record(cycle);
            self.ws.start_times.record(start_to_done);
            if self.ws.record_cards {
                let record = c.record(self.now, false);
                self.ws.card_log.push(record);
            }
        }
        self.ws.free_slots.push(slot);
        if self.n_priority_cards > 0
            && self.policy.planned()
            && self.policy.system_wip_limit.is_some()
        {
            // Room under the system limit: an expedite card held back by it goes in now.
            self.expedite_into_room();
        }
    }
}
