//! The event loop: what starts a replication, and what each event does.
//!
//! `run` pops events in time order; `handle` turns each into calls to the mechanism that
//! owns it (cards, people, planning, inputs...), then lets free people take work.

use super::Event;
use super::state::{ClassOfService, NONE, Sim};
use crate::model::{ArrivalProcess, Calendar, HOURS_PER_WEEK};
use crate::policy::{Handoff, Release};

impl Sim<'_> {
    pub(super) fn run(&mut self) -> Result<(), String> {
        self.start();
        let horizon = self.model.horizon_h;
        while let Some((t, ev)) = self.ws.queue.pop() {
            // (A time that is not a number can only come from bad input; stop rather than loop.)
            if t.is_nan() || t >= horizon {
                break;
            }
            if self.ws.audit && t < self.now {
                return Err(format!("clock went back from {} to {t}", self.now));
            }
            self.advance(t);
            self.n_events += 1;
            self.handle(ev);
            if self.ws.audit {
                self.audit()
                    .and_then(|()| self.liveness())
                    .map_err(|e| format!("t = {:.4} h after {ev:?}: {e}", self.now))?;
            }
        }
        self.advance(horizon);
        Ok(())
    }

    fn start(&mut self) {
        let model = self.model;
        for _ in 0..model.arrivals.initial_backlog {
            self.arrive(ClassOfService::Standard);
        }
        match model.arrivals.process {
            ArrivalProcess::Poisson { .. } => {
                let t = self.next_gap(false);
                self.ws.queue.push(t, Event::Arrival);
            }
            ArrivalProcess::Batch { .. } => self.ws.queue.push(0.0, Event::Batch),
            ArrivalProcess::None | ArrivalProcess::Unlimited => {}
        }
        if self.expedite_gap.is_some() {
            let t = self.next_gap(true);
            self.ws.queue.push(t, Event::Expedite);
        }
        if let Calendar::AlwaysOn = model.calendar {
            for i in 0..model.people.len() {
                if !self.scheduled_absent(i, 0.0) {
                    self.come_in(i, f64::INFINITY, f64::INFINITY);
                }
            }
        }
        let needs_days = matches!(model.calendar, Calendar::Working { .. })
            || self.policy.planned()
            || model.disruptions.blockers.is_some()
            || model
                .people
                .iter()
                .any(|p| p.sick_chance_per_day > 0.0 || !p.absences.is_empty());
        if needs_days {
            self.ws
                .queue
                .push(model.calendar.day_start(0), Event::DayStart);
        }
        if HOURS_PER_WEEK < model.horizon_h {
            self.ws.queue.push(HOURS_PER_WEEK, Event::WeekEnd);
        }
        if let Release::Cadence { every_h } = self.policy.release
            && every_h > 0.0
        {
            self.ws.queue.push(0.0, Event::Replenish);
        }
        for (s, h) in self.policy.handoffs.iter().enumerate() {
            if let Handoff::Pull { poll_every_h } = *h
                && poll_every_h > 0.0
                && s > 0
            {
                self.ws
                    .queue
                    .push(poll_every_h, Event::Poll { stage: s as u32 });
            }
        }
        if model.warmup_h > 0.0 {
            self.ws.queue.push(model.warmup_h, Event::WarmupEnd);
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

    fn handle(&mut self, ev: Event) {
        match ev {
            Event::Arrival => {
                self.arrive(ClassOfService::Standard);
                let t = self.next_gap(false);
                self.ws.queue.push(t, Event::Arrival);
                self.dispatch();
            }
            Event::Expedite => {
                if let Some(slot) = self.arrive(ClassOfService::Expedite)
                    && self.policy.planned()
                {
                    self.force_into_plan(slot);
                }
                let t = self.next_gap(true);
                self.ws.queue.push(t, Event::Expedite);
                self.dispatch();
            }
            Event::Batch => {
                if let ArrivalProcess::Batch { size, period_h } = self.model.arrivals.process {
                    for _ in 0..size {
                        self.arrive(ClassOfService::Standard);
                    }
                    self.ws.queue.push(self.now + period_h, Event::Batch);
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
            Event::AnswersOff => {
                if self.answers_off() {
                    self.dispatch();
                }
            }
            Event::DayStart => self.day_start(),
            Event::DayEnd => {
                // Everybody whose day ends now goes home (one event per distinct end time);
                // people idle past their normal end go home too (see `classify_idle`).
                for i in 0..self.model.people.len() {
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
                self.start_overtime();
                self.dispatch();
            }
            Event::WeekEnd => {
                self.close_week();
                let next = (self.week + 1) as f64 * HOURS_PER_WEEK;
                if next < self.model.horizon_h {
                    self.ws.queue.push(next, Event::WeekEnd);
                }
            }
            Event::Replenish => {
                self.release_to_limit();
                if let Release::Cadence { every_h } = self.policy.release {
                    self.ws.queue.push(self.now + every_h, Event::Replenish);
                }
                self.dispatch();
            }
            Event::Poll { stage } => {
                let s = stage as usize;
                // Everything waiting upstream that fits is pulled into the stage at once; its
                // people then work it whenever they are there.
                while self.stage_room(s)
                    && let Some(i) = self.best_in(&self.ws.done_waiting[s - 1])
                {
                    let slot = self.ws.done_waiting[s - 1]
                        .remove(i)
                        .expect("index in queue");
                    let work = self.ws.efforts[slot as usize * self.n_stages + s];
                    self.enter_stage(slot, s, work);
                    self.push_to_queue(slot, s, false);
                }
                self.dispatch();
                if let Handoff::Pull { poll_every_h } = self.policy.handoffs[s] {
                    self.ws
                        .queue
                        .push(self.now + poll_every_h, Event::Poll { stage });
                }
            }
            Event::WarmupEnd => self.end_warmup(),
        }
    }
}
