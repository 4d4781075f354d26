//! The push planner: estimated loads, assigning each stage of a card to the least loaded
//! skilled person, the period plan (sized by estimates or by observed throughput, with a
//! readiness check where the policy has one), topping up a person who runs out of planned
//! work, expedite cards forced into the plan, and emergency reassignment when someone is away.

use std::collections::VecDeque;

use super::Trace;
use super::state::{CardState, ClassOfService, NONE, Sim};
use crate::limits::MAX_SYSTEM_WIP;
use crate::model::ArrivalProcess;
use crate::policy::{PlanFrom, Release};

/// The planner's scratch memory, kept in the `Workspace` so that planning allocates nothing
/// once it has grown.
#[derive(Debug, Default)]
pub(super) struct PlanBuffers {
    /// Per person: the estimated load (hours) with a candidate card tried on top.
    trial: Vec<f64>,
    /// Per person: the hours they can take in the plan period.
    capacity: Vec<f64>,
    /// Backlog candidates as (slot, position in the backlog), in priority order.
    order: Vec<(u32, u32)>,
    /// Backlog cards this plan committed.
    taken: Vec<u32>,
    /// An absent person's queue while it is reassigned.
    queued: Vec<u32>,
    /// Under a plan sized by throughput: cards finished in each past period, newest last.
    history: VecDeque<u32>,
}

impl PlanBuffers {
    /// Forgets the last replication's throughput history (keeping the memory).
    pub(super) fn reset(&mut self) {
        self.history.clear();
    }
}

/// Whether a trial assignment keeps within capacity everybody whose load it raised: a teammate
/// already over capacity (carry-over, an oversized card) does not stop cards for others.
fn fits(trial: &[f64], load: &[f64], capacity: &[f64]) -> bool {
    trial
        .iter()
        .zip(load)
        .zip(capacity)
        .all(|((&t, &l), &c)| t <= c + 1e-9 || t <= l)
}

impl Sim<'_> {
    /// Visible remaining estimate of a card's work at stage `s` (hours at speed 1).
    pub(super) fn visible_remaining(&self, slot: u32, s: usize) -> f64 {
        let n = self.n_stages;
        let est = self.ws.estimates[slot as usize * n + s];
        let c = &self.ws.cards[slot as usize];
        if c.stage as usize == s && matches!(c.state, CardState::Doing | CardState::Orphan) {
            let done = (c.stage_work - c.remaining).max(0.0);
            (est - done).max(est * self.model.estimates.min_remaining_share)
        } else {
            est
        }
    }

    /// Estimated load (hours) per person of committed, planned work not yet done.
    pub(super) fn compute_loads(&mut self) {
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
                let who = self.ws.assignee[slot as usize * n + s];
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
        let mut cand = self.ws.skilled_people[s];
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
        self.ws.assignee[slot as usize * self.n_stages + s] = who as u32;
        self.trace(|sim| Trace::Assign {
            t: sim.now,
            card: sim.ws.cards[slot as usize].id,
            stage: s,
            person: who,
        });
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

    /// Cards the plan sized by throughput may commit afresh now, or `None` to size it by
    /// estimates (under `plan_from = "estimates"`, and while the window holds no finished
    /// card). Records the period just ended in the history.
    fn throughput_quota(&mut self) -> Option<u32> {
        let Release::Plan {
            sized_by: PlanFrom::Throughput { window },
            ..
        } = self.policy.release
        else {
            return None;
        };
        let done = (self.finished_total - self.finished_at_plan) as u32;
        self.finished_at_plan = self.finished_total;
        let history = &mut self.ws.plan.history;
        if self.plan_end_now.is_finite() {
            history.push_back(done);
            while history.len() > window as usize {
                history.pop_front();
            }
        }
        let total: u32 = history.iter().sum();
        if total == 0 {
            return None;
        }
        self.plan_credit += f64::from(total) / history.len() as f64;
        let quota = self.plan_credit.floor();
        self.plan_credit -= quota;
        Some(quota as u32)
    }

    /// Push planning: in priority order (expedite, fixed dates by due date, then oldest),
    /// commit each backlog card whose assignees' estimated loads stay within their normal
    /// hours in the period x the planning factor (or, sized by throughput, the next cards up
    /// to the team's observed throughput per period); a card too big for anyone's period is
    /// committed alone when the plan has nothing new yet. With a readiness check, a card whose
    /// missing input is detected goes to clarification instead of into the plan.
    pub(super) fn plan(&mut self, period_days: u64) {
        let Release::Plan {
            planning_factor, ..
        } = self.policy.release
        else {
            return;
        };
        let quota = self.throughput_quota();
        let plan_end = self.model.calendar.day_start(self.day_index + period_days) - 1e-9;
        self.plan_end_now = plan_end;
        self.compute_loads();
        let mut load = std::mem::take(&mut self.ws.load);
        let mut buf = std::mem::take(&mut self.ws.plan);
        let PlanBuffers {
            trial,
            capacity,
            order,
            taken,
            ..
        } = &mut buf;
        capacity.clear();
        capacity.extend(
            self.model
                .people
                .iter()
                .map(|p| p.hours_per_day * period_days as f64 * planning_factor),
        );
        let mut any = false;
        // Carried-over cards are committed again in this plan; only cards some plan committed
        // carry over (an expedite card was never part of a plan: it stays outside them).
        for slot in 0..self.ws.cards.len() {
            let c = &mut self.ws.cards[slot];
            if !matches!(
                c.state,
                CardState::Free | CardState::Backlog | CardState::Clarify
            ) && !c.committed.is_nan()
                && c.plan_end.is_finite()
            {
                c.plan_end = plan_end;
                if self.warmed_up {
                    self.tally.committed += 1;
                }
            }
        }
        // Candidates in priority order (the backlog is in arrival order). Ties keep their
        // backlog order (the position is the last key), so an in-place sort will do.
        order.clear();
        order.extend(
            self.ws
                .backlog
                .iter()
                .enumerate()
                .map(|(pos, &slot)| (slot, pos as u32)),
        );
        if self.n_priority_cards > 0 {
            order.sort_unstable_by(|&(a, pos_a), &(b, pos_b)| {
                let (ka, kb) = (self.key(a), self.key(b));
                ka.0.cmp(&kb.0)
                    .then(ka.1.total_cmp(&kb.1))
                    .then(ka.2.total_cmp(&kb.2))
                    .then(pos_a.cmp(&pos_b))
            });
        }
        trial.clear();
        trial.extend_from_slice(&load);
        taken.clear();
        let mut tried = false;
        let mut fresh = 0u32;
        for &(slot, _) in order.iter() {
            // A system WIP limit holds under a plan as under any release: a full system ends
            // the plan (the rest wait in the backlog, unchecked, as under pull).
            if quota.is_some_and(|q| fresh >= q) || !self.system_room() {
                break;
            }
            if self.readiness_gap(slot) {
                // To clarification: out of the backlog, not in the plan.
                taken.push(slot);
                continue;
            }
            let first = !tried;
            tried = true;
            if quota.is_some() {
                taken.push(slot);
                self.commit_planned(slot, &mut load, plan_end);
                any = true;
                fresh += 1;
                continue;
            }
            trial.copy_from_slice(&load);
            self.assign_card(slot, trial, false);
            // A card too big for anyone's period even on an empty plan would never fit: it is
            // committed on its own when it reaches the head of the queue.
            let oversized = |sim: &mut Self, trial: &mut [f64]| {
                trial.fill(0.0);
                sim.assign_card(slot, trial, false);
                !trial
                    .iter()
                    .zip(capacity.iter())
                    .all(|(&t, &c)| t <= c + 1e-9)
            };
            if fits(trial, &load, capacity) || (first && !any && oversized(self, trial)) {
                taken.push(slot);
                self.commit_planned(slot, &mut load, plan_end);
                any = true;
            }
        }
        if matches!(self.model.arrivals.process, ArrivalProcess::Unlimited) {
            // An endless backlog: keep committing fresh cards while they fit (and while the
            // system stays within the largest WIP flowsim simulates).
            let mut clarified = 0;
            while self.system_wip < MAX_SYSTEM_WIP
                && self.system_room()
                && quota.is_none_or(|q| fresh < q)
            {
                let id = self.next_card_id;
                let slot = self.new_card(id, ClassOfService::Standard);
                self.next_card_id += 1;
                if self.readiness_gap(slot) {
                    // To clarification; a backlog of nothing but missing inputs ends the plan.
                    clarified += 1;
                    if clarified >= MAX_SYSTEM_WIP {
                        break;
                    }
                    continue;
                }
                fresh += 1;
                trial.copy_from_slice(&load);
                self.assign_card(slot, trial, false);
                if quota.is_none() && !fits(trial, &load, capacity) && any {
                    // Not planned this time: it waits at the head of the backlog.
                    self.ws.backlog.push_front(slot);
                    self.backlog_in_order = false;
                    self.n_backlog += 1;
                    break;
                }
                self.commit_planned(slot, &mut load, plan_end);
                any = true;
            }
        }
        if !taken.is_empty() {
            self.ws.backlog.retain(|c| !taken.contains(c));
            self.n_backlog -= taken.len() as u32;
        }
        self.ws.plan = buf;
        self.ws.load = load;
    }

    fn commit_planned(&mut self, slot: u32, load: &mut [f64], plan_end: f64) {
        self.assign_card(slot, load, true);
        self.commit(slot);
        self.ws.cards[slot as usize].plan_end = plan_end;
        if self.warmed_up && plan_end.is_finite() {
            self.tally.committed += 1;
        }
        let work = self.ws.efforts[slot as usize * self.n_stages];
        self.enter_stage(slot, 0, work);
        self.push_to_queue(slot, 0, false);
    }

    /// Topping up: person `i`, out of planned work mid-period, is given the best backlog card
    /// whose first stage they can do (after the readiness check, where the policy has one),
    /// its later stages going to the least loaded skilled people; they start it at once.
    /// Top-up work is outside the period's commitment (like expedite work). Returns whether a
    /// card was given.
    pub(super) fn top_up(&mut self, i: usize) -> bool {
        if self.ws.skilled_people[0] & (1u128 << i) == 0 {
            return false;
        }
        // Bounded: an endless backlog of cards all sent to clarification ends the search.
        for _ in 0..MAX_SYSTEM_WIP {
            if !(self.system_room() && self.backlog_available()) {
                break;
            }
            let slot = self.pop_backlog();
            if self.readiness_gap(slot) {
                continue;
            }
            let n = self.n_stages;
            self.compute_loads();
            let mut load = std::mem::take(&mut self.ws.load);
            let est = self.ws.estimates[slot as usize * n];
            self.set_assign(slot, 0, i);
            load[i] += est / self.speed(i, 0);
            for s in 1..n {
                let est = self.ws.estimates[slot as usize * n + s];
                if let Some(who) = self.least_loaded(s, est, &load, usize::MAX) {
                    self.set_assign(slot, s, who);
                    load[who] += est / self.speed(who, s);
                }
            }
            self.ws.load = load;
            self.commit(slot);
            let work = self.ws.efforts[slot as usize * n];
            self.enter_stage(slot, 0, work);
            self.hold(i, slot);
            self.activate(i, slot);
            return true;
        }
        false
    }

    /// Push: an expedite card is committed and planned at once, at the front of the queue,
    /// when the system has room under its WIP limit (if any); otherwise it waits at the head
    /// of the backlog until a card finishes ([`Sim::expedite_into_room`]).
    pub(super) fn force_into_plan(&mut self, slot: u32) {
        if !self.system_room() {
            return;
        }
        let pos = self
            .ws
            .backlog
            .iter()
            .position(|&c| c == slot)
            .expect("just arrived");
        self.ws.backlog.remove(pos);
        self.n_backlog -= 1;
        self.compute_loads();
        let mut load = std::mem::take(&mut self.ws.load);
        // Expedite work is not part of a plan's commitment (no plan end).
        self.commit_planned(slot, &mut load, f64::INFINITY);
        self.ws.load = load;
    }

    /// Push: expedite cards waiting in the backlog for room under the system WIP limit are
    /// forced into the plan, oldest first, while the system has room (called as a card
    /// finishes).
    pub(super) fn expedite_into_room(&mut self) {
        while self.system_room() {
            let Some(&slot) = self
                .ws
                .backlog
                .iter()
                .filter(|&&c| self.ws.cards[c as usize].class == ClassOfService::Expedite)
                .min_by(|&&a, &&b| {
                    self.ws.cards[a as usize]
                        .arrived
                        .total_cmp(&self.ws.cards[b as usize].arrived)
                })
            else {
                return;
            };
            self.force_into_plan(slot);
        }
    }

    /// Push: a person away for `emergency_after_days` (or from the start of a scheduled
    /// absence) loses their planned work to whoever has the least estimated load, with a
    /// hand-over cost on started cards.
    pub(super) fn emergency_reassign(&mut self, person: usize) {
        let n = self.n_stages;
        self.compute_loads();
        let mut load = std::mem::take(&mut self.ws.load);
        // Held cards first (started work), then the person's queue, then future stages.
        while let Some(slot) = self.let_go(person) {
            let s = self.ws.cards[slot as usize].stage as usize;
            self.ws.cards[slot as usize].handover_from = person as u32;
            self.reassign_stage(slot, s, person, &mut load);
            self.push_to_queue(slot, s, true);
        }
        let mut queued = std::mem::take(&mut self.ws.plan.queued);
        queued.clear();
        queued.extend(self.ws.queued_for[person].drain(..));
        for &slot in &queued {
            self.unqueue(self.ws.cards[slot as usize].stage as usize);
        }
        for &slot in &queued {
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
                if self.ws.assignee[slot as usize * n + s] == person as u32 {
                    self.reassign_stage(slot, s, person, &mut load);
                }
            }
        }
        self.ws.plan.queued = queued;
        self.ws.load = load;
    }

    fn reassign_stage(&mut self, slot: u32, s: usize, from: usize, load: &mut [f64]) {
        let work = self.visible_remaining(slot, s);
        if let Some(who) = self.least_loaded(s, work, load, from) {
            self.set_assign(slot, s, who);
            load[who] += work / self.speed(who, s);
        }
    }
}
