//! Statistics: time-weighted areas integrated at every event, idle time split by cause, the
//! weekly series and the replication's `RepResult`.

use super::state::{CardState, ClassOfService, NONE, Sim};
use crate::metrics::{M, N_FIXED, N_WEEKLY_FIXED, RepResult, W};
use crate::model::HOURS_PER_WEEK;
use crate::policy::{Handoff, Release};

/// Why a present person is not working. Every present person who is not working has exactly
/// one cause at any time, so the causes add up to the idle total; each names what would fix
/// it. See `docs/IDLE.md` for their mapping to Factory Physics' starved and blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleCause {
    /// No card anywhere the person could work now: nothing waits at any stage they have the
    /// skills for, nor in the backlog or ready column when they can start cards.
    Starved = 0,
    /// Work exists for the person's skills but its stage has no room (a stage or system WIP
    /// limit is reached).
    Blocked = 1,
    /// Work is waiting, but none the person can do.
    SkillMismatch = 2,
    /// The person's own cards (held, or planned for them) wait on missing input, a blocker or
    /// a down environment.
    Waiting = 3,
    /// Work exists for the person's skills, but the policy holds it until the next plan,
    /// replenishment or poll.
    WaitingForRelease = 4,
    /// Cards the person could do sit in colleagues' personal queues (planned for someone
    /// else).
    AssignedElsewhere = 5,
}

impl IdleCause {
    /// How many causes there are (the length of per-cause arrays).
    pub const COUNT: usize = 6;

    /// This cause's position in per-cause arrays.
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// Time-weighted integrals (count x hours) of the engine's counters.
#[derive(Debug, Clone, Default)]
pub(super) struct Areas {
    /// Committed cards (system WIP).
    pub(super) wip: f64,
    /// Cards in the backlog or in clarification.
    pub(super) backlog: f64,
    /// People present.
    pub(super) present: f64,
    /// People working (pairing losses included).
    pub(super) working: f64,
    /// Person-hours lost to pairing (a share of `working`).
    pub(super) pair_loss: f64,
    /// Present people idle, per cause (indexed by `IdleCause::index`).
    pub(super) idle: [f64; IdleCause::COUNT],
    /// Cards counted against each stage's WIP.
    pub(super) stage: Vec<f64>,
}

impl Areas {
    /// Makes `self` a copy of `other` in place, reusing its memory (snapshots are taken every
    /// week and must not allocate).
    pub(super) fn copy_from(&mut self, other: &Areas) {
        let Areas {
            wip,
            backlog,
            present,
            working,
            pair_loss,
            idle,
            stage,
        } = other;
        self.wip = *wip;
        self.backlog = *backlog;
        self.present = *present;
        self.working = *working;
        self.pair_loss = *pair_loss;
        self.idle = *idle;
        self.stage.clone_from(stage);
    }
}

/// Counters that restart at the end of warm-up.
#[derive(Debug, Clone, Default)]
pub(super) struct Tally {
    pub(super) finished: u64,
    pub(super) sum_lead: f64,
    pub(super) sum_cycle: f64,
    pub(super) sum_start_to_done: f64,
    pub(super) sum_touch: f64,
    pub(super) declined: u64,
    pub(super) overtime_h: f64,
    pub(super) person_weeks: u64,
    pub(super) person_weeks_ot: u64,
    pub(super) committed: u64,
    pub(super) commit_hits: u64,
    pub(super) blocked_card_h: f64,
    pub(super) started: u64,
    pub(super) started_blocked: u64,
    pub(super) sick_days: u64,
    pub(super) switches: u64,
    pub(super) deployments: u64,
    pub(super) failed_deployments: u64,
    pub(super) inputs: u64,
    pub(super) input_wait_h: f64,
    pub(super) restores: u64,
    pub(super) restore_h: f64,
    pub(super) downtime_h: f64,
    /// Successful deployments at the board's last deployment stage, the cards they delivered,
    /// and those cards' summed first-work-to-delivery times (hours).
    pub(super) last_deploys: u64,
    pub(super) delivered: u64,
    pub(super) change_lead_h: f64,
    pub(super) due_cards: u64,
    pub(super) due_hits: u64,
}

impl Sim<'_> {
    /// Integrates every counter from the last event to `t`.
    #[inline]
    pub(super) fn advance(&mut self, t: f64) {
        let dt = t - self.integrated_to;
        if dt > 0.0 {
            let a = &mut self.areas;
            a.wip += self.system_wip as f64 * dt;
            a.backlog += (self.n_backlog + self.n_clarify) as f64 * dt;
            a.present += self.n_present as f64 * dt;
            a.working += self.n_working as f64 * dt;
            // A term that is zero is left out: an area is never a negative zero, so adding
            // zero would change no bit of it.
            if self.pair_loss_rate != 0.0 {
                a.pair_loss += self.pair_loss_rate * dt;
            }
            // Only free people are idle (by some cause); with none, every term is zero.
            if self.free != 0 {
                for (area, &n) in a.idle.iter_mut().zip(&self.n_idle) {
                    if n != 0 {
                        *area += n as f64 * dt;
                    }
                }
            }
            for (area, &n) in a.stage.iter_mut().zip(&self.stage_wip) {
                *area += n as f64 * dt;
            }
            self.integrated_to = t;
        }
        self.now = t;
    }

    /// The warm-up ends: statistics restart from now.
    pub(super) fn end_warmup(&mut self) {
        self.warmed_up = true;
        self.at_warmup.copy_from(&self.areas);
        self.tally = Tally::default();
        // Plan commitments still open are in the window: their hits will count.
        self.tally.committed = self
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
        self.ws.lead_times.clear();
        self.ws.cycle_times.clear();
        self.ws.start_times.clear();
    }

    pub(super) fn set_idle(&mut self, person: usize, cause: Option<IdleCause>) {
        let old = self.ws.people[person].idle_cause;
        if old == cause {
            return;
        }
        if let Some(old) = old {
            self.n_idle[old.index()] -= 1;
        }
        if let Some(cause) = cause {
            self.n_idle[cause.index()] += 1;
        }
        self.ws.people[person].idle_cause = cause;
    }

    /// Splits the idleness of free present people by cause; people in overtime with nothing
    /// to do go home.
    ///
    /// Per stage (as bit sets): work waiting that may be taken now (`open`), work waiting
    /// with no room (`no_room`), work the policy holds until its next plan, replenishment or
    /// poll (`held`), and cards planned into people's queues (`queued`). A free person then
    /// has the first cause that applies: `Waiting` (their own cards wait), `Blocked` (work
    /// for their skills, no room), `AssignedElsewhere` (work for their skills in colleagues'
    /// queues), `WaitingForRelease` (work for their skills held by the policy, or open work
    /// they may not take now), `SkillMismatch` (work waits, none for their skills),
    /// `Starved` (no work anywhere).
    pub(super) fn classify_idle(&mut self) {
        let mut open: u64 = 0;
        let mut no_room: u64 = 0;
        let mut held: u64 = 0;
        let queued = self.queued_stages;
        for s in 0..self.n_stages {
            let (h, room) = self.input(s);
            if h {
                if room {
                    open |= 1 << s;
                } else {
                    no_room |= 1 << s;
                }
            }
            if self.may_hold_back & (1 << s) != 0 && self.held_back(s) {
                held |= 1 << s;
            }
        }
        let any = open | no_room | held | queued;
        let mut free = self.free;
        while free != 0 {
            let person = free.trailing_zeros() as usize;
            free &= free - 1;
            let ps = &self.ws.people[person];
            if self.now >= ps.normal_end - 1e-9 {
                // Overtime with nothing to do: go home.
                self.go_home(person);
                continue;
            }
            let skills = self.ws.skilled_stages[person];
            // Stages where colleagues (not this person) have cards planned.
            let mut elsewhere = queued & skills;
            if elsewhere != 0 && !self.ws.queued_for[person].is_empty() {
                elsewhere = 0;
                let mut bits = queued & skills;
                while bits != 0 {
                    let s = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    let own = self.ws.queued_for[person]
                        .iter()
                        .filter(|&&c| self.ws.cards[c as usize].stage as usize == s)
                        .count() as u32;
                    if self.ws.queued_at_stage[s] > own {
                        elsewhere |= 1 << s;
                    }
                }
            }
            let ps = &self.ws.people[person];
            let cause = if ps.n_held > 0 || !self.ws.queued_for[person].is_empty() {
                IdleCause::Waiting
            } else if skills & no_room != 0 {
                IdleCause::Blocked
            } else if elsewhere != 0 {
                IdleCause::AssignedElsewhere
            } else if skills & (held | open) != 0 {
                IdleCause::WaitingForRelease
            } else if any != 0 {
                IdleCause::SkillMismatch
            } else {
                IdleCause::Starved
            };
            self.set_idle(person, Some(cause));
        }
    }

    /// Whether work for stage `s` exists that the policy holds until its next plan,
    /// replenishment or poll (while the stage and system have room for it).
    fn held_back(&self, s: usize) -> bool {
        if !self.down_since[s].is_nan() {
            return false;
        }
        if s > 0 {
            return match self.policy.handoffs[s] {
                Handoff::Pull { poll_every_h } if poll_every_h > 0.0 => {
                    !self.ws.done_waiting[s - 1].is_empty() && self.stage_room(s)
                }
                _ => false,
            };
        }
        match self.policy.release {
            Release::OnPull => false,
            Release::Cadence { .. } => {
                self.ws.ready.is_empty()
                    && self.backlog_available()
                    && self.system_room()
                    && self.stage_room(0)
            }
            _ => self.backlog_available(),
        }
    }

    pub(super) fn close_week(&mut self) {
        let w = self.week;
        if w >= self.model.weeks() {
            return;
        }
        let start = w as f64 * HOURS_PER_WEEK;
        let len = (self.now - start).max(1e-12);
        let np = self.model.people.len().max(1) as f64;
        let mut ot_total = 0.0;
        let mut with_ot = 0;
        for ps in self.ws.people.iter_mut() {
            // Overtime of people still at work counts up to now.
            let running = if ps.present {
                (self.now - ps.normal_end).max(0.0)
            } else {
                0.0
            };
            let ot = ps.overtime_week_h + running;
            ot_total += ot;
            if ot > 0.0 {
                with_ot += 1;
            }
            ps.overtime_week_h = -running;
        }
        if self.warmed_up {
            self.tally.person_weeks += self.model.people.len() as u64;
            self.tally.person_weeks_ot += with_ot;
        }
        let a = &self.areas;
        let b = &self.at_week;
        let at = if self.stream_weekly { 0 } else { w };
        let row = &mut self.weekly[at * self.n_series..(at + 1) * self.n_series];
        row[W::Throughput as usize] = self.week_finished as f64 * HOURS_PER_WEEK / len;
        row[W::WipMean as usize] = (a.wip - b.wip) / len;
        row[W::Backlog as usize] = (self.n_backlog + self.n_clarify) as f64;
        let idle_h = |cause: IdleCause| a.idle[cause.index()] - b.idle[cause.index()];
        row[W::StarvedH as usize] = idle_h(IdleCause::Starved) / np;
        row[W::BlockedH as usize] = idle_h(IdleCause::Blocked) / np;
        row[W::SkillMismatchH as usize] = idle_h(IdleCause::SkillMismatch) / np;
        row[W::WaitingH as usize] = idle_h(IdleCause::Waiting) / np;
        row[W::WaitingForReleaseH as usize] = idle_h(IdleCause::WaitingForRelease) / np;
        row[W::AssignedElsewhereH as usize] = idle_h(IdleCause::AssignedElsewhere) / np;
        row[W::OvertimeH as usize] = ot_total / np;
        let present = a.present - b.present;
        row[W::Utilisation as usize] = if present > 0.0 {
            ((a.working - b.working) - (a.pair_loss - b.pair_loss)) / present
        } else {
            0.0
        };
        row[W::Arrived as usize] = self.arrived_total as f64;
        row[W::Done as usize] = self.finished_total as f64;
        // Committed but in no stage yet (flow's ready column, push's planned queues).
        row[W::Ready as usize] = self
            .ws
            .cards
            .iter()
            .filter(|c| {
                c.state != CardState::Free
                    && !c.rollback
                    && c.state != CardState::Backlog
                    && c.state != CardState::Clarify
                    && c.counted == NONE
            })
            .count() as f64;
        for s in 0..self.n_stages {
            row[N_WEEKLY_FIXED + s] = self.stage_wip[s] as f64;
        }
        if self.stream_weekly
            && let Some(sink) = self.ws.weekly_sink.as_mut()
        {
            sink.week(w, &self.weekly);
        }
        self.at_week.copy_from(&self.areas);
        self.week_finished = 0;
        self.week += 1;
    }

    pub(super) fn finish(mut self) -> RepResult {
        let now = self.model.horizon_h;
        self.now = now;
        // Overtime of people still at work at the horizon.
        for ps in &self.ws.people {
            if ps.present && self.warmed_up {
                self.tally.overtime_h += (now - ps.normal_end).max(0.0);
            }
        }
        if self.week < self.model.weeks() {
            self.close_week();
        }
        if let Some(mut sink) = self.ws.weekly_sink.take() {
            sink.end();
        }
        // Unfinished cards enter the time histograms as censored observations; cards still
        // blocked add their blocked time so far.
        let mut unfinished = 0u64;
        let mut age_sum = 0.0;
        let mut age_max: f64 = 0.0;
        let from_warm = self.model.warmup_h.min(now);
        for &since in &self.down_since {
            if !since.is_nan() {
                self.tally.downtime_h += now - since.max(from_warm);
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
            self.ws.lead_times.censor(age);
            if !c.committed.is_nan() {
                self.ws.cycle_times.censor(now - c.committed);
            }
            if !c.first_work.is_nan() {
                self.ws.start_times.censor(now - c.first_work);
            }
            // Cards still blocked, or still waiting for clarification, add their wait so far.
            if c.blocked || c.state == CardState::Clarify {
                self.tally.blocked_card_h += now - c.block_since.max(from_warm);
            }
            // An unfinished dated card overdue at the horizon is a missed date, whenever it
            // fell due: a late card finished in the window counts as missed too.
            if c.class == ClassOfService::FixedDate && c.due < now {
                self.tally.due_cards += 1;
            }
            if self.ws.record_cards {
                self.ws.card_log.push(c.record(now, true));
            }
        }
        let measured = (now - from_warm).max(1e-12);
        let weeks = measured / HOURS_PER_WEEK;
        let np = self.model.people.len().max(1) as f64;
        let a = &self.areas;
        let b = &self.at_warmup;
        let t = &self.tally;
        let n = t.finished;
        let mean = |sum: f64| (n > 0).then(|| sum / n as f64);
        let ratio = |num: u64, den: u64| (den > 0).then(|| num as f64 / den as f64);
        let extra = if self.model.change_metrics { 2 } else { 0 };
        let mut v: Vec<Option<f64>> = vec![None; N_FIXED + self.n_stages + extra];
        v[M::ThroughputPerWeek as usize] = Some(n as f64 / weeks);
        v[M::CardsFinished as usize] = Some(n as f64);
        v[M::LeadTimeMean as usize] = mean(t.sum_lead);
        v[M::LeadTimeP50 as usize] = self.ws.lead_times.quantile(0.50);
        v[M::LeadTimeP85 as usize] = self.ws.lead_times.quantile(0.85);
        v[M::LeadTimeP95 as usize] = self.ws.lead_times.quantile(0.95);
        v[M::CycleTimeMean as usize] = mean(t.sum_cycle);
        v[M::CycleTimeP50 as usize] = self.ws.cycle_times.quantile(0.50);
        v[M::CycleTimeP85 as usize] = self.ws.cycle_times.quantile(0.85);
        v[M::CycleTimeP95 as usize] = self.ws.cycle_times.quantile(0.95);
        v[M::StartToDoneMean as usize] = mean(t.sum_start_to_done);
        v[M::StartToDoneP50 as usize] = self.ws.start_times.quantile(0.50);
        v[M::StartToDoneP85 as usize] = self.ws.start_times.quantile(0.85);
        v[M::StartToDoneP95 as usize] = self.ws.start_times.quantile(0.95);
        v[M::WipMean as usize] = Some((a.wip - b.wip) / measured);
        v[M::BacklogMean as usize] = Some((a.backlog - b.backlog) / measured);
        let present = a.present - b.present;
        let pair_loss = a.pair_loss - b.pair_loss;
        v[M::Utilisation as usize] =
            (present > 0.0).then(|| ((a.working - b.working) - pair_loss) / present);
        v[M::PairingLossH as usize] = Some(pair_loss / np / weeks);
        v[M::FlowEfficiency as usize] = (t.sum_lead > 0.0).then(|| t.sum_touch / t.sum_lead);
        let idle_h = |cause: IdleCause| a.idle[cause.index()] - b.idle[cause.index()];
        v[M::StarvedH as usize] = Some(idle_h(IdleCause::Starved) / np / weeks);
        v[M::BlockedH as usize] = Some(idle_h(IdleCause::Blocked) / np / weeks);
        v[M::SkillMismatchH as usize] = Some(idle_h(IdleCause::SkillMismatch) / np / weeks);
        v[M::WaitingH as usize] = Some(idle_h(IdleCause::Waiting) / np / weeks);
        v[M::WaitingForReleaseH as usize] = Some(idle_h(IdleCause::WaitingForRelease) / np / weeks);
        v[M::AssignedElsewhereH as usize] = Some(idle_h(IdleCause::AssignedElsewhere) / np / weeks);
        // The total is the sum of the causes, in catalogue order, so that they add up to it.
        v[M::IdleH as usize] = Some(
            [
                M::StarvedH,
                M::BlockedH,
                M::SkillMismatchH,
                M::WaitingH,
                M::WaitingForReleaseH,
                M::AssignedElsewhereH,
            ]
            .iter()
            .map(|&m| v[m as usize].unwrap_or(0.0))
            .sum(),
        );
        v[M::OvertimeH as usize] = Some(t.overtime_h / np / weeks);
        v[M::OvertimeShare as usize] = ratio(t.person_weeks_ot, t.person_weeks);
        v[M::CommitmentHitRate as usize] = ratio(t.commit_hits, t.committed);
        v[M::BlockedCardH as usize] = Some(t.blocked_card_h);
        v[M::BlockerRate as usize] = ratio(t.started_blocked, t.started);
        v[M::SickDays as usize] = Some(t.sick_days as f64);
        v[M::ContextSwitches as usize] = Some(t.switches as f64);
        v[M::DueDateHitRate as usize] = ratio(t.due_hits, t.due_cards);
        v[M::InputWaitMean as usize] = (t.inputs > 0).then(|| t.input_wait_h / t.inputs as f64);
        let deploys = self.model.stages.iter().any(|s| s.deployment.is_some());
        if deploys {
            v[M::DeploymentsPerWeek as usize] =
                Some((t.deployments - t.failed_deployments) as f64 / weeks);
            v[M::ChangeFailureRate as usize] = ratio(t.failed_deployments, t.deployments);
            v[M::TimeToRestoreMean as usize] = if t.failed_deployments == 0 {
                None
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
        if self.model.change_metrics {
            let at = N_FIXED + self.n_stages;
            v[at] = (t.delivered > 0).then(|| t.change_lead_h / t.delivered as f64);
            v[at + 1] = ratio(t.delivered, t.last_deploys);
        }
        RepResult {
            values: v,
            weekly: if self.stream_weekly {
                Vec::new()
            } else {
                std::mem::take(&mut self.weekly)
            },
            events: self.n_events,
            card_times: [
                self.ws.lead_times.completed_buckets(),
                self.ws.cycle_times.completed_buckets(),
            ],
            cards: std::mem::take(&mut self.ws.card_log),
        }
    }
}
