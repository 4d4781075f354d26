//! The `[calendar]` table: working hours and days, or 24/7.

use serde::Deserialize;

use super::problems::Checker;
use crate::model::Calendar;

keywords! {
    /// `calendar.mode`.
    pub(super) enum CalendarMode {
        /// People work their hours on working days.
        Working = "working",
        /// The clock never stops (classic queueing models).
        AlwaysOn = "24/7",
    }
}

file_table! {
    /// `[calendar]`; every field has a default.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    pub(super) struct CalendarFile {
        /// Working calendar or 24/7.
        optional mode: CalendarMode => "\"working\" or \"24/7\"",
        /// Normal working hours a day (hours); also the default for every role.
        optional hours_per_day: f64 => "normal working hours a day, e.g. hours_per_day = 8",
        /// Working days a week (days).
        optional days_per_week: u32 => "working days a week, e.g. days_per_week = 5",
        /// When a working day starts (hours after midnight).
        optional day_start_h: f64 => "when a working day starts, in hours after midnight, e.g. day_start_h = 9",
    }
}

impl Default for CalendarFile {
    fn default() -> Self {
        CalendarFile {
            mode: CalendarMode::Working,
            hours_per_day: 8.0,
            days_per_week: 5,
            day_start_h: 9.0,
        }
    }
}

impl CalendarFile {
    /// Checks the working day and week; the calendar the model runs on.
    pub(super) fn build(&self, ck: &mut Checker) -> Calendar {
        match self.mode {
            CalendarMode::AlwaysOn => Calendar::AlwaysOn,
            CalendarMode::Working => {
                if !(self.hours_per_day > 0.0 && self.hours_per_day <= 24.0) {
                    ck.fail(
                        "calendar.hours_per_day",
                        format!(
                            "must be above 0 and at most 24 hours; got {}.",
                            self.hours_per_day
                        ),
                    );
                }
                if !(1..=7).contains(&self.days_per_week) {
                    ck.fail(
                        "calendar.days_per_week",
                        format!("must be 1 to 7 days; got {}.", self.days_per_week),
                    );
                }
                if !(self.day_start_h >= 0.0 && self.day_start_h < 24.0) {
                    ck.fail(
                        "calendar.day_start_h",
                        format!(
                            "must be 0 or more and below 24 (hours after midnight); got {}.",
                            self.day_start_h
                        ),
                    );
                }
                Calendar::Working {
                    hours_per_day: self.hours_per_day,
                    days_per_week: self.days_per_week,
                    day_start_h: self.day_start_h,
                }
            }
        }
    }
}
