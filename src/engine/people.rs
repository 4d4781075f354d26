//! People's days: coming in and going home, sickness (with fatigue) and scheduled absences,
//! and what happens to an absent person's cards.

use super::state::{CardState, NONE, Sim};
use super::{Event, Trace};
use crate::model::Calendar;
use crate::policy::Release;
use rand::RngExt;

impl Sim<'_> {
    /// The person arrives for a working day with normal end `normal_end`, leaving at
    /// `day_end` at the latest.
    pub(super) fn come_in(&mut self, person: usize, normal_end: f64, day_end: f64) {
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
        self.free |= 1 << person;
    }

    pub(super) fn go_home(&mut self, person: usize) {
        let now = self.now;
        self.set_idle(person, None);
        if !self.ws.people[person].present {
            return;
        }
        let slot = self.ws.people[person].active;
        if slot != NONE {
            self.progress(slot);
            self.leave_card(person, slot);
            self.update_pair_loss(slot);
        }
        let ps = &mut self.ws.people[person];
        ps.present = false;
        ps.present_h += now - ps.day_start;
        let ot = (now - ps.normal_end).max(0.0);
        if ot > 0.0 {
            ps.overtime_week_h += ot;
            ps.overtime_today_h += ot;
            if self.warmed_up {
                self.tally.overtime_h += ot;
            }
        }
        self.n_present -= 1;
        self.free &= !(1 << person);
        if slot != NONE {
            self.reschedule(slot);
        }
    }

    /// Whether a scheduled absence covers time `t` for `person`.
    pub(super) fn scheduled_absent(&self, person: usize, t: f64) -> bool {
        self.model.people[person]
            .absences
            .iter()
            .any(|&(a, b)| t >= a && t < b)
    }

    /// Whether an announced scheduled absence covers time `t` for `person` (it is handed over
    /// as it starts).
    fn announced_absent(&self, person: usize, t: f64) -> bool {
        let pm = &self.model.people[person];
        pm.absences
            .iter()
            .zip(&pm.announced)
            .any(|(&(a, b), &known)| known && t >= a && t < b)
    }

    /// Sickness and absences for today; returns whether the person works today.
    fn decide_presence(&mut self, person: usize) -> bool {
        let model = self.model;
        let pm = &model.people[person];
        if pm.sick_chance_per_day <= 0.0 {
            // Nobody with a zero chance falls sick, whatever the policy: no draws needed.
            return pm.absences.is_empty() || !self.scheduled_absent(person, self.now);
        }
        let window = model.disruptions.fatigue_window_days.max(1) as usize;
        let day = self.day_index;
        // Fatigue: overtime in the trailing window, kept as a ring of daily values.
        let ring = &mut self.ws.overtime_ring[person * window..(person + 1) * window];
        let slot = (day as usize) % window;
        let ps = &mut self.ws.people[person];
        let yesterday = ps.overtime_today_h;
        ps.overtime_today_h = 0.0;
        let prev = (slot + window - 1) % window;
        ring[prev] = yesterday;
        ring[slot] = 0.0;
        let recent: f64 = ring.iter().sum();
        // Always two draws a day, so the stream stays aligned across policies.
        let u: f64 = ps.rng.random();
        let dur = pm.sick_days.sample(&mut ps.rng);
        let chance =
            pm.sick_chance_per_day * (1.0 + model.disruptions.fatigue_per_overtime_hour * recent);
        if ps.sick_until_day <= day && u < chance.min(1.0) {
            ps.sick_until_day = day + dur.ceil().max(1.0) as u64;
        }
        let sick = ps.sick_until_day > day;
        if sick && self.warmed_up {
            self.tally.sick_days += 1;
        }
        !(sick || self.scheduled_absent(person, self.now))
    }

    pub(super) fn day_start(&mut self) {
        let np = self.model.people.len();
        let working = matches!(self.model.calendar, Calendar::Working { .. });
        if let Calendar::Working { hours_per_day, .. } = self.model.calendar
            && !self.ws.answerers.is_empty()
        {
            self.answers_on();
            self.ws
                .queue
                .push(self.now + hours_per_day, Event::AnswersOff);
        }
        for i in 0..np {
            let present_today = self.decide_presence(i);
            if present_today {
                self.ws.people[i].absent_days = 0;
                self.ws.people[i].reassigned = false;
                if working {
                    let end = self.now + self.model.people[i].hours_per_day;
                    self.come_in(i, end, end);
                } else if !self.ws.people[i].present {
                    self.come_in(i, f64::INFINITY, f64::INFINITY);
                }
            } else {
                if self.ws.people[i].present {
                    self.go_home(i);
                }
                self.ws.people[i].absent_days += 1;
                self.trace(|sim| Trace::Absent {
                    t: sim.now,
                    person: i,
                });
                self.absent_today(i);
            }
        }
        if let Release::Plan { period, .. } = self.policy.release {
            let period_days = period.days(self.days_per_week);
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
                    self.ws.queue.push(end, Event::DayEnd);
                }
            }
        }
        self.day_index += 1;
        let next = self.model.calendar.day_start(self.day_index);
        self.ws.queue.push(next, Event::DayStart);
        self.dispatch();
    }

    /// What happens to an absent person's cards: after `emergency_after_days` days of absence,
    /// or at once when the absence was announced (a holiday is handed over before it starts),
    /// they go to others: by the planner's emergency reassignment under a plan, back to their
    /// stage for others to pull otherwise (both with a hand-over cost on started cards).
    pub(super) fn absent_today(&mut self, person: usize) {
        let ps = &self.ws.people[person];
        if ps.reassigned
            || (ps.absent_days < self.policy.emergency_after_days
                && !self.announced_absent(person, self.now))
        {
            return;
        }
        self.ws.people[person].reassigned = true;
        if self.policy.planned() {
            self.emergency_reassign(person);
        } else {
            // Others pull the work: held cards go back to their stage, with a hand-over.
            while let Some(slot) = self.let_go(person) {
                let c = &mut self.ws.cards[slot as usize];
                c.state = CardState::Orphan;
                c.handover_from = person as u32;
                let s = c.stage as usize;
                self.ws.orphans[s].push_back(slot);
                self.beyond_feed |= 1 << s;
            }
        }
    }
}
