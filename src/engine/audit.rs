//! The invariant checks `simulate_audited` runs after every event: where cards are, the WIP
//! limits, people's days (`audit`), and liveness (`liveness`): nobody idles for more than a
//! working day next to work they are allowed to do.

use super::state::{CardState, NONE, Sim};
use crate::policy::{Handoff, OnBlock, Release};

/// What the liveness audit remembers between events.
#[derive(Debug, Default)]
pub(super) struct Liveness {
    /// Per person: the present hours at which their current idle spell next to work they may
    /// do began (NaN: no spell).
    pub(super) spells: Vec<f64>,
    /// Since when (clock hours) backlog cards have waited for a replenishment the system has
    /// room for (NaN: they do not).
    pub(super) release_since: f64,
    /// Per stage: since when (clock hours) cards have waited in the done column for a poll
    /// the stage has room for (NaN: they do not).
    pub(super) poll_since: Vec<f64>,
}

impl Liveness {
    pub(super) fn reset(&mut self, people: usize, stages: usize) {
        self.spells.clear();
        self.spells.resize(people, f64::NAN);
        self.release_since = f64::NAN;
        self.poll_since.clear();
        self.poll_since.resize(stages, f64::NAN);
    }
}

/// Starts (`on`) or ends a waiting spell at `now`; returns how long it has lasted.
fn spell(since: &mut f64, on: bool, now: f64) -> f64 {
    if !on {
        *since = f64::NAN;
        return 0.0;
    }
    if since.is_nan() {
        *since = now;
    }
    now - *since
}

impl Sim<'_> {
    pub(super) fn audit(&self) -> Result<(), String> {
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
        let mut queued = vec![0u32; self.n_stages];
        for q in &ws.queued_for {
            for &c in q {
                mark(c, CardState::Todo, "a person's queue")?;
                queued[ws.cards[c as usize].stage as usize] += 1;
            }
        }
        let beyond =
            (0..self.n_stages).fold(0u64, |b, s| b | u64::from(self.is_beyond_feed(s)) << s);
        if beyond != self.beyond_feed {
            return Err(format!(
                "stages {beyond:b} are down or hold their own cards, but {:b} are marked",
                self.beyond_feed
            ));
        }
        let stages = (0..self.n_stages).fold(0u64, |b, s| b | u64::from(queued[s] > 0) << s);
        if queued[..] != *ws.queued_at_stage || stages != self.queued_stages {
            return Err(format!(
                "people's queues hold {queued:?} cards per stage but {:?} are counted \
                 (stages {:b} against {stages:b})",
                ws.queued_at_stage, self.queued_stages
            ));
        }
        for s in 0..self.n_stages {
            for &c in &ws.doing[s] {
                mark(c, CardState::Doing, "doing")?;
            }
            for &c in &ws.done_waiting[s] {
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
            for &c in &ws.syncing[s] {
                mark(c, CardState::DoneWaiting, "a failed sync")?;
            }
            // Limits hold where work is pulled in; a push hand-off ignores them by design.
            // A GitOps sync deploys every change waiting, whatever the stage's limit.
            let pulled_in = if s == 0 {
                !self.policy.planned()
            } else {
                matches!(self.policy.handoffs[s], Handoff::Pull { .. })
                    && self.policy.gitops[s].is_none()
            };
            if self.policy.stage_limits
                && pulled_in
                && let Some(l) = self.model.stages[s].wip_limit
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
            // Only a card waiting in the backlog may still owe its draws (`Sim::new_card`).
            if !c.drawn && !matches!(c.state, CardState::Backlog | CardState::Free) {
                return Err(format!("card {} ({:?}) has not drawn", c.id, c.state));
            }
        }
        if counted[..] != *self.stage_wip {
            return Err(format!(
                "stage WIP counts {:?} but cards say {counted:?}",
                self.stage_wip
            ));
        }
        if clarify != self.n_clarify {
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
        if committed != self.system_wip {
            return Err(format!(
                "system WIP counts {} but {committed} committed",
                self.system_wip
            ));
        }
        if let Some(l) = self.policy.system_wip_limit
            && self.system_wip > l
        {
            return Err(format!("system WIP {} over its limit {l}", self.system_wip));
        }
        // What the engine's shortcuts rely on: a backlog marked in order is in arrival order
        // (`best_in_backlog`); nobody is idle by any cause while nobody is free (`advance`);
        // the pairing loss total is never a negative zero nor below its clamp
        // (`update_pair_loss`).
        if self.backlog_in_order
            && ws
                .backlog
                .iter()
                .zip(ws.backlog.iter().skip(1))
                .any(|(&a, &b)| ws.cards[a as usize].arrived > ws.cards[b as usize].arrived)
        {
            return Err("the backlog is marked in arrival order but is not".into());
        }
        let free = ws
            .people
            .iter()
            .enumerate()
            .filter(|(_, ps)| ps.is_free())
            .fold(0u128, |m, (i, _)| m | 1 << i);
        if free != self.free {
            return Err(format!(
                "free people {free:b} marked as {:b} (`Sim::free`)",
                self.free
            ));
        }
        if self.free == 0 && self.n_idle.iter().any(|&n| n > 0) {
            return Err(format!("idle counts {:?} with nobody free", self.n_idle));
        }
        let rate = self.pair_loss_rate;
        if rate.is_sign_negative() && rate == 0.0 || rate != 0.0 && rate.abs() < 1e-9 {
            return Err(format!("pairing loss total {rate:e} escaped its clamp"));
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
            if ps.n_held > self.model.people[i].wip_limit {
                return Err(format!("person {i} holds {} cards", ps.n_held));
            }
            if ps.present && (self.now < ps.day_start - 1e-9 || self.now > ps.day_end + 1e-9) {
                return Err(format!("person {i} present outside their day"));
            }
            let cap = self.model.people[i].max_overtime_h_per_day;
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

    /// Liveness: fails when a present person has been idle, for more than a working day of
    /// their present hours (their normal hours a day; 24 h in 24/7 mode), while work they are
    /// allowed to do now waited. What the policy's own rules explain is not such work: cards
    /// in others' planned queues, backlog cards waiting for a plan, a replenishment or a poll,
    /// blocked cards, stages without room, skills, a full personal WIP limit or a card
    /// blocked under `on_block = "wait"`, absences. A stage whose WIP limit is taken by the
    /// very card waiting to enter it has room for that card (it would add nothing to the
    /// stage's WIP). The policy's own waits are bounded too: backlog cards the system has room
    /// for wait at most one replenishment interval, cards in a done column a polled stage has
    /// room for at most one polling interval.
    pub(super) fn liveness(&mut self) -> Result<(), String> {
        let now = self.now;
        for i in 0..self.model.people.len() {
            let ps = &self.ws.people[i];
            if !ps.present {
                // Absent: the spell (if any) pauses.
                continue;
            }
            let present_h = ps.present_h + (now - ps.day_start);
            let stuck = self.allowed_work(i);
            let idle = spell(&mut self.ws.live.spells[i], stuck, present_h);
            let day = self.model.people[i].hours_per_day.min(24.0);
            if idle > day + 1e-6 {
                return Err(format!(
                    "liveness: person {i} ({}) has been idle {idle:.1} present hours next to \
                     work they may do ({})",
                    self.model.people[i].name,
                    self.describe_allowed(i)
                ));
            }
        }
        if let Release::Cadence { every_h } = self.policy.release {
            let waiting = every_h > 0.0 && self.backlog_available() && self.system_room();
            let t = spell(&mut self.ws.live.release_since, waiting, now);
            if t > every_h + 1e-6 {
                return Err(format!(
                    "liveness: backlog cards have waited {t:.1} h for a replenishment every \
                     {every_h} h with room in the system"
                ));
            }
        }
        for s in 1..self.n_stages {
            if let Handoff::Pull { poll_every_h } = self.policy.handoffs[s]
                && poll_every_h > 0.0
            {
                let waiting = if self.policy.gitops[s].is_some() {
                    !self.ws.done_waiting[s - 1].is_empty() && !self.sync_paused(s)
                } else {
                    self.ws.done_waiting[s - 1]
                        .iter()
                        .any(|&c| self.room_for(c, s))
                };
                let t = spell(&mut self.ws.live.poll_since[s], waiting, now);
                if t > poll_every_h + 1e-6 {
                    return Err(format!(
                        "liveness: cards have waited {t:.1} h for stage {s}'s poll every \
                         {poll_every_h} h with room in the stage"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Whether the card may enter stage `s` now: the stage has room for it (a card already
    /// counted on `s` needs none).
    fn room_for(&self, slot: u32, s: usize) -> bool {
        let own = u32::from(self.ws.cards[slot as usize].counted == s as u32);
        (!self.policy.stage_limits
            || self.model.stages[s]
                .wip_limit
                .is_none_or(|l| self.stage_wip[s] - own < l))
            && (own == 1 || self.puller_ready(s))
    }

    /// Whether free person `i` is allowed to do some work now (false when they are not free).
    fn allowed_work(&self, i: usize) -> bool {
        let ws = &self.ws;
        let ps = &ws.people[i];
        if !ps.is_free() {
            return false;
        }
        let unblocked = |c: &u32| !ws.cards[*c as usize].blocked;
        // Their own cards.
        if ps.held[..ps.n_held as usize].iter().any(unblocked) {
            return true;
        }
        let may_take = ps.n_held < self.model.people[i].wip_limit
            && (ps.n_held == 0 || self.policy.on_block == OnBlock::Switch);
        if !may_take {
            return false;
        }
        if ws.queued_for[i].iter().any(|&c| {
            let c = &ws.cards[c as usize];
            !c.blocked && self.down_since[c.stage as usize].is_nan()
        }) {
            return true;
        }
        let mut bits = ws.skilled_stages[i];
        while bits != 0 {
            let s = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            if !self.down_since[s].is_nan() {
                if ws.pool[s].iter().any(|&c| ws.cards[c as usize].rollback) {
                    return true;
                }
                continue;
            }
            if ws.pool[s].iter().any(unblocked)
                || ws.orphans[s].iter().any(unblocked)
                || ws.rework[s].iter().any(unblocked)
            {
                return true;
            }
            let takeable = if s > 0 {
                self.policy.handoffs[s] == Handoff::PULL_WHEN_ROOM
                    && ws.done_waiting[s - 1].iter().any(|&c| self.room_for(c, s))
            } else {
                self.stage_room(0)
                    && match self.policy.release {
                        Release::OnPull => self.system_room() && self.backlog_available(),
                        Release::Cadence { .. } => !ws.ready.is_empty(),
                        Release::Plan { .. } => false,
                    }
            };
            if takeable {
                return true;
            }
        }
        false
    }

    /// Where the work person `i` may do waits (for the liveness message).
    fn describe_allowed(&self, i: usize) -> String {
        let ws = &self.ws;
        let mut parts = Vec::new();
        let ps = &ws.people[i];
        parts.push(format!("holds {} card(s)", ps.n_held));
        parts.push(format!("own queue {}", ws.queued_for[i].len()));
        for s in 0..self.n_stages {
            if ws.skilled_stages[i] & (1 << s) == 0 {
                continue;
            }
            parts.push(format!(
                "stage {s}: WIP {}, pool {}, orphans {}, rework {}, waiting to enter {}",
                self.stage_wip[s],
                ws.pool[s].len(),
                ws.orphans[s].len(),
                ws.rework[s].len(),
                if s > 0 {
                    ws.done_waiting[s - 1].len()
                } else {
                    ws.backlog.len() + ws.ready.len()
                }
            ));
        }
        parts.join("; ")
    }
}
