//! Dispatch: free people resume their own cards, then take new work stage by stage in the
//! policy's selection order, from the queue each stage pulls from.

use std::collections::VecDeque;

use super::cards::PriorityKey;
use super::state::{ClassOfService, Feed, NONE, Sim};
use crate::policy::{Handoff, OnBlock, Release, Selection};

/// Where a stage takes its next card from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    /// The stage's orphans (their holder fell sick).
    Orphan,
    /// The stage's pool (cards pushed into the stage for anyone, and rollbacks).
    Pool,
    /// Cards sent back to the stage for a fix.
    Rework,
    /// Cards done at the previous stage, waiting to be pulled.
    Done,
    /// The backlog (stage 0 under pull release).
    Backlog,
    /// The ready column (stage 0 under cadence release).
    Ready,
}

impl Sim<'_> {
    /// Whether stage `s` has a card to take, and whether it may be taken now.
    #[inline(always)]
    pub(super) fn input(&self, s: usize) -> (bool, bool) {
        let ws = &self.ws;
        if self.beyond_feed & (1 << s) != 0 {
            if !self.down_since[s].is_nan() {
                // Environment down: only its rollback can be worked.
                return (
                    ws.pool[s].iter().any(|&c| ws.cards[c as usize].rollback),
                    true,
                );
            }
            // Cards already on the board (orphaned, pushed into a pool, or sent back) need no
            // room.
            if !ws.pool[s].is_empty()
                || !ws.rework[s].is_empty()
                || ws.orphans[s].iter().any(|&c| !ws.cards[c as usize].blocked)
            {
                return (true, true);
            }
        }
        match self.feed[s] {
            // Pushed in, planned, or (a polling stage) pulled only at its polls (see
            // `Event::Poll`).
            Feed::Nothing => (false, true),
            Feed::DoneColumn => (!ws.done_waiting[s - 1].is_empty(), self.stage_room(s)),
            Feed::Backlog => (
                self.backlog_available(),
                self.stage_room(0) && self.system_room(),
            ),
            Feed::Ready if ws.ready.is_empty() => {
                // Backlog cards held back by a full system: work exists, no room.
                let full = self.backlog_available() && !self.system_room();
                (full, !full)
            }
            Feed::Ready => (true, self.stage_room(0)),
        }
    }

    /// The queue stage `s` would take from next, and the position in it: the best card over
    /// all of the stage's input queues that may be taken now (the done column, backlog and
    /// ready column only while the stage has room). Cards rank by class of service (fixed
    /// dates by due date), then, under `oldest_first`, by arrival; equal ranks go to the
    /// queue met first: orphans, the pool, rework, then the done column, backlog or ready
    /// column.
    fn source(&self, s: usize) -> Option<(Source, usize)> {
        let ws = &self.ws;
        let beyond = self.beyond_feed & (1 << s) != 0;
        if beyond && !self.down_since[s].is_nan() {
            return ws.pool[s]
                .iter()
                .position(|&c| ws.cards[c as usize].rollback)
                .map(|i| (Source::Pool, i));
        }
        let mut best: Option<(PriorityKey, Source, usize)> = None;
        // Cards already on the board, in the stage's own queues (usually none).
        if beyond {
            self.consider(&mut best, Source::Orphan, &ws.orphans[s]);
            self.consider(&mut best, Source::Pool, &ws.pool[s]);
            self.consider(&mut best, Source::Rework, &ws.rework[s]);
        }
        match self.feed[s] {
            Feed::DoneColumn if self.stage_room(s) => {
                self.consider(&mut best, Source::Done, &ws.done_waiting[s - 1]);
            }
            Feed::Backlog
                if self.stage_room(0) && self.system_room() && self.backlog_available() =>
            {
                if self.n_backlog > 0 {
                    if let Some(i) = self.best_in_backlog() {
                        self.consider_at(&mut best, Source::Backlog, &ws.backlog, i);
                    }
                } else if best.is_none() {
                    // An endless backlog: a fresh card, the newest of all.
                    best = Some((
                        (ClassOfService::Standard, f64::INFINITY, self.now),
                        Source::Backlog,
                        0,
                    ));
                }
            }
            Feed::Ready if self.stage_room(0) => {
                self.consider(&mut best, Source::Ready, &ws.ready);
            }
            _ => {}
        }
        best.map(|(_, src, i)| (src, i))
    }

    /// `source`'s step for one queue: its best card, if it ranks before `best`.
    #[inline(always)]
    fn consider(
        &self,
        best: &mut Option<(PriorityKey, Source, usize)>,
        src: Source,
        q: &VecDeque<u32>,
    ) {
        if let Some(i) = self.best_in(q) {
            self.consider_at(best, src, q, i);
        }
    }

    /// `source`'s step for the card at position `i` of queue `q`: ranks by class of service
    /// (fixed dates by due date), then, under `oldest_first`, by arrival; an equal rank keeps
    /// the queue met first.
    #[inline(always)]
    fn consider_at(
        &self,
        best: &mut Option<(PriorityKey, Source, usize)>,
        src: Source,
        q: &VecDeque<u32>,
        i: usize,
    ) {
        let (class, due, arrived) = self.key(q[i]);
        let oldest = self.policy.selection == Selection::OldestFirst;
        let k = (class, due, if oldest { arrived } else { 0.0 });
        if best.is_none_or(|(b, ..)| k < b) {
            *best = Some((k, src, i));
        }
    }

    fn source_key(&self, s: usize, src: Source, i: usize) -> PriorityKey {
        let ws = &self.ws;
        let slot = match src {
            Source::Orphan => ws.orphans[s][i],
            Source::Pool => ws.pool[s][i],
            Source::Rework => ws.rework[s][i],
            Source::Done => ws.done_waiting[s - 1][i],
            Source::Backlog => match ws.backlog.get(i) {
                Some(&c) => c,
                None => return (ClassOfService::Standard, f64::INFINITY, self.now),
            },
            Source::Ready => ws.ready[i],
        };
        self.key(slot)
    }

    /// Moves the chosen card into stage `s` and gives it to `person`. Returns false when the
    /// card turned out not to be ready (a readiness check sent it to clarification).
    pub(super) fn take(&mut self, s: usize, src: Source, i: usize, person: usize) -> bool {
        let n = self.n_stages;
        let slot = match src {
            Source::Orphan => {
                let slot = self.ws.orphans[s].remove(i).expect("orphan");
                self.recheck_beyond_feed(s);
                slot
            }
            Source::Pool => {
                let slot = self.ws.pool[s].remove(i).expect("pool");
                self.recheck_beyond_feed(s);
                slot
            }
            Source::Rework => {
                let slot = self.ws.rework[s].remove(i).expect("rework");
                self.recheck_beyond_feed(s);
                let share = self.ws.cards[slot as usize].fix_share;
                let work = self.ws.efforts[slot as usize * n + s] * share;
                self.set_work(slot, s, work);
                slot
            }
            Source::Done => {
                let slot = self.ws.done_waiting[s - 1].remove(i).expect("done");
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
        self.start_on(person, slot);
        true
    }

    /// The best free present person for stage `s` who may take a new card: the one holding
    /// fewest cards (empty hands before a holder of blocked cards), then the fastest, then
    /// the most specialised, then the lowest index.
    fn best_free(&self, s: usize, takers: u128) -> Option<usize> {
        let mut best: Option<usize> = None;
        let mut cand = takers & self.ws.skilled_people[s];
        while cand != 0 {
            let i = cand.trailing_zeros() as usize;
            cand &= cand - 1;
            best = match best {
                None => Some(i),
                Some(b) => {
                    let (hi, hb) = (self.ws.people[i].n_held, self.ws.people[b].n_held);
                    let (vi, vb) = (self.speed(i, s), self.speed(b, s));
                    let better = hi < hb
                        || (hi == hb
                            && (vi > vb
                                || (vi == vb && self.ws.n_skills[i] < self.ws.n_skills[b])));
                    Some(if better { i } else { b })
                }
            };
        }
        best
    }

    /// Free (or, time-slicing, at work on their own cards), present, with room in their
    /// personal WIP limit (and not waiting on a block).
    #[inline]
    fn may_take_new(&self, i: usize) -> bool {
        let ps = &self.ws.people[i];
        let slicing = self.policy.time_slicing.is_some()
            && ps.active != NONE
            && self.ws.cards[ps.active as usize].holder == i as u32;
        ps.present
            && (ps.active == NONE || slicing)
            && ps.n_held < ps.wip_limit
            && (ps.n_held == 0 || self.policy.on_block == OnBlock::Switch || slicing)
            && !self.overtime_restricted(i)
    }

    /// A held card the person can resume (not blocked), if any.
    fn resumable(&self, i: usize) -> Option<u32> {
        let ps = &self.ws.people[i];
        ps.held[..ps.n_held as usize]
            .iter()
            .copied()
            .find(|&c| !self.ws.cards[c as usize].blocked && self.overtime_allows(i, c))
    }

    /// Gives work to free people until nobody free can take anything, then classifies idleness.
    pub(super) fn dispatch(&mut self) {
        if let Release::Cadence { every_h } = self.policy.release
            && every_h == 0.0
        {
            self.release_to_limit();
        }
        if self.policy.column_pull {
            self.column_pull();
        }
        if self.free == 0 && self.policy.time_slicing.is_none() {
            return;
        }
        // Own cards first: resume held work, then (push) the person's planned queue. Collect
        // who may take new work as a set.
        let planned = self.policy.planned();
        let slicing = self.policy.time_slicing.is_some();
        let mut takers: u128 = 0;
        let mut next = 0;
        while next < self.model.people.len() {
            let mut i = next;
            if !slicing {
                // Only free people resume or take work: on to the next one.
                let rest = self.free >> i;
                if rest == 0 {
                    break;
                }
                i += rest.trailing_zeros() as usize;
            }
            next = i + 1;
            // Again while the card just taken blocked at once (its input was missing).
            loop {
                let ps = &self.ws.people[i];
                if !ps.is_free() {
                    // Time-slicing: a person at work takes more cards while they have room.
                    if self.policy.time_slicing.is_some()
                        && ps.present
                        && ps.active != NONE
                        && self.may_take_new(i)
                    {
                        if planned && let Some(k) = self.next_planned(i) {
                            let slot = self.ws.queued_for[i].remove(k).expect("index in queue");
                            self.unqueue(self.ws.cards[slot as usize].stage as usize);
                            self.hold(i, slot);
                            self.start_on(i, slot);
                            continue;
                        }
                        takers |= 1u128 << i;
                    }
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
                if planned && let Some(k) = self.next_planned(i) {
                    let slot = self.ws.queued_for[i].remove(k).expect("index in queue");
                    self.unqueue(self.ws.cards[slot as usize].stage as usize);
                    self.hold(i, slot);
                    self.activate(i, slot);
                    continue;
                }
                takers |= 1u128 << i;
                break;
            }
        }
        // Rightmost first with every card standard: the first stage (from the right) with a
        // card and a taker wins, as every later one has a higher key.
        let first_wins =
            self.policy.selection == Selection::RightmostFirst && self.n_priority_cards == 0;
        while takers != 0 {
            let mut choice: Option<(PriorityKey, (usize, Source, usize, usize))> = None;
            for s in (0..self.n_stages).rev() {
                if takers & self.ws.skilled_people[s] == 0 {
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
                let k = match self.policy.selection {
                    // Rightmost first, classes of service still on top.
                    Selection::RightmostFirst => (k.0, 0.0, -(s as f64)),
                    Selection::OldestFirst => k,
                };
                if choice.is_none_or(|(best, _)| k < best) {
                    choice = Some((k, (s, src, i, person)));
                    if first_wins {
                        break;
                    }
                }
            }
            let Some((_, (s, src, i, person))) = choice else {
                break;
            };
            // A taker whose new card blocked at once (missing input) may take another.
            if self.take(s, src, i, person) && !self.may_take_new(person) {
                takers &= !(1u128 << person);
            }
        }
        if let Release::Plan { top_up: true, .. } = self.policy.release {
            for i in 0..self.model.people.len() {
                while self.ws.people[i].is_free() && self.may_take_new(i) && self.top_up(i) {}
            }
        }
        if self.policy.swarming.is_some() {
            self.swarm();
        }
        if self.free != 0 {
            self.classify_idle();
        }
    }

    /// Board-driven pull (`Policy::column_pull`): every column with room takes the best card
    /// waiting for it at once, before anybody is free to work it, rightmost first (so that
    /// room made downstream reaches upstream in the same instant). A pulled card waits in the
    /// stage's pool (or its planned person's queue), counted in the stage's WIP, until a person
    /// takes it. Polling stages keep to their polls and push hand-offs push; the first stage
    /// pulls from the backlog under `on_pull` (the readiness check runs then, as when a person
    /// pulls) or from the ready column under `cadence`; a plan pushes its own cards.
    fn column_pull(&mut self) {
        let n = self.n_stages;
        for s in (1..n).rev() {
            if self.policy.handoffs[s] != Handoff::PULL_WHEN_ROOM {
                continue;
            }
            while self.stage_room(s)
                && let Some(i) = self.best_in(&self.ws.done_waiting[s - 1])
            {
                let slot = self.ws.done_waiting[s - 1]
                    .remove(i)
                    .expect("index in queue");
                let work = self.ws.efforts[slot as usize * n + s];
                self.enter_stage(slot, s, work);
                self.push_to_queue(slot, s, false);
            }
        }
        match self.policy.release {
            Release::OnPull => {
                while self.stage_room(0) && self.system_room() && self.backlog_available() {
                    let slot = self.pop_backlog();
                    if self.readiness_gap(slot) {
                        continue;
                    }
                    self.commit(slot);
                    let work = self.ws.efforts[slot as usize * n];
                    self.enter_stage(slot, 0, work);
                    self.push_to_queue(slot, 0, false);
                }
            }
            Release::Cadence { .. } => {
                while self.stage_room(0)
                    && let Some(i) = self.best_in(&self.ws.ready)
                {
                    let slot = self.ws.ready.remove(i).expect("index in ready");
                    let work = self.ws.efforts[slot as usize * n];
                    self.enter_stage(slot, 0, work);
                    self.push_to_queue(slot, 0, false);
                }
            }
            Release::Plan { .. } => {}
        }
    }

    /// Position in person `i`'s planned queue of the card to take next: not blocked, its
    /// environment up; expedite first, then fixed dates by due date, then queue order (as the
    /// planner and hand-overs left it).
    fn next_planned(&self, i: usize) -> Option<usize> {
        let mut best: Option<(usize, (ClassOfService, f64))> = None;
        for (k, &slot) in self.ws.queued_for[i].iter().enumerate() {
            let c = &self.ws.cards[slot as usize];
            if c.blocked || !self.down_since[c.stage as usize].is_nan() {
                continue;
            }
            let key = (c.class, c.due);
            if best.is_none_or(|(_, b)| key.0 < b.0 || (key.0 == b.0 && key.1 < b.1)) {
                best = Some((k, key));
            }
            if self.n_priority_cards == 0 {
                break;
            }
        }
        best.map(|(k, _)| k)
    }
}
