//! Overtime: at the start of a working day, who stays late and for how long.

use super::state::{CardState, ClassOfService, NONE, Sim};
use crate::model::{Calendar, HOURS_PER_WEEK};
use crate::policy::{Overtime, Release};

impl Sim<'_> {
    /// Overtime decisions at the start of a working day.
    pub(super) fn decide_overtime(&mut self) {
        match self.policy.overtime {
            Overtime::None => {}
            Overtime::ToPlan => {
                let Release::Plan { period, .. } = self.policy.release else {
                    return;
                };
                let period_days = period.days(self.days_per_week);
                let days_left = (period_days - self.day_index % period_days) as f64;
                self.compute_loads();
                for i in 0..self.model.people.len() {
                    let ps = &self.ws.people[i];
                    if !ps.present {
                        continue;
                    }
                    let pm = &self.model.people[i];
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
                } = self.model.calendar
                else {
                    return;
                };
                let work_per_hour = hours_per_day * days_per_week as f64 / HOURS_PER_WEEK;
                for slot in 0..self.ws.cards.len() as u32 {
                    self.ws.cards[slot as usize].at_risk = false;
                    let c = &self.ws.cards[slot as usize];
                    if c.class != ClassOfService::FixedDate || c.state != CardState::Doing {
                        continue;
                    }
                    let holder = c.holder;
                    let first = c.stage as usize;
                    let left: f64 = (first..self.n_stages)
                        .map(|s| self.visible_remaining(slot, s))
                        .sum();
                    let time_left = (self.ws.cards[slot as usize].due - self.now) * work_per_hour;
                    if left > time_left && holder != NONE && self.ws.people[holder as usize].present
                    {
                        self.ws.cards[slot as usize].at_risk = true;
                        let pm = &self.model.people[holder as usize];
                        let ps = &mut self.ws.people[holder as usize];
                        ps.day_end = ps.normal_end + pm.max_overtime_h_per_day;
                    }
                }
            }
        }
    }

    /// Whether the person is past their normal hours under a rule that allows overtime only
    /// for the dated cards at risk they hold (`fixed_date_at_risk`): then they take no new
    /// work, resume no other card and help nobody.
    #[inline]
    pub(super) fn overtime_restricted(&self, person: usize) -> bool {
        self.policy.overtime == Overtime::FixedDateAtRisk
            && self.now >= self.ws.people[person].normal_end - 1e-9
    }

    /// Whether the person may work on the card now (always, except in restricted overtime,
    /// which only the dated cards at risk they hold justify).
    #[inline]
    pub(super) fn overtime_allows(&self, person: usize, slot: u32) -> bool {
        let c = &self.ws.cards[slot as usize];
        !self.overtime_restricted(person) || (c.at_risk && c.holder == person as u32)
    }

    /// At a normal day end: people staying late for a dated card at risk stop working on any
    /// other card (they keep holding it); dispatch then turns them to the dated card, or sends
    /// them home when it is blocked.
    pub(super) fn start_overtime(&mut self) {
        if self.policy.overtime != Overtime::FixedDateAtRisk {
            return;
        }
        for person in 0..self.model.people.len() {
            let ps = &self.ws.people[person];
            if !ps.present || ps.active == NONE || self.overtime_allows(person, ps.active) {
                continue;
            }
            let slot = ps.active;
            self.progress(slot);
            if self.ws.cards[slot as usize].remaining <= 1e-9 {
                // Work completing at this very instant is done before stopping.
                self.stage_done(slot);
                continue;
            }
            self.leave_card(person, slot);
            self.reschedule(slot);
        }
    }
}
