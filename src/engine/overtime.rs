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
                let Release::Plan { period_weeks, .. } = self.policy.release else {
                    return;
                };
                let period_days = self.days_per_week * period_weeks as u64;
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
                    let c = &self.ws.cards[slot as usize];
                    if c.class != ClassOfService::FixedDate || c.state != CardState::Doing {
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
                        let pm = &self.model.people[holder as usize];
                        let ps = &mut self.ws.people[holder as usize];
                        ps.day_end = ps.normal_end + pm.max_overtime_h_per_day;
                    }
                }
            }
        }
    }
}
