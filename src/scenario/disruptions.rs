//! The `[disruptions]` table (hand-over cost, missing input, blockers, fatigue) and the
//! `[[absences]]` list (holidays, people leaving).

use serde::Deserialize;

use super::effort::EffortFile;
use super::problems::{Checker, suggest};
use crate::model::{Blockers, Disruptions, HOURS_PER_WEEK, MissingInput, Person};

file_table! {
    /// `[disruptions]`; every field has a default.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    pub(super) struct DisruptionsFile {
        /// Time lost when a card changes hands (hours).
        optional handover_cost_h: f64 => "hours lost when a card changes hands, e.g. handover_cost_h = 2",
        /// Cards that lack their input.
        optional missing_input: Option<MissingInputFile> => "a [disruptions.missing_input] table",
        /// Cards in progress that block.
        optional blockers: Option<BlockersFile> => "a [disruptions.blockers] table",
        /// Relative rise of the sickness chance per overtime hour in the window.
        optional fatigue_per_overtime_hour: f64 => "e.g. fatigue_per_overtime_hour = 0.002",
        /// The window over which overtime counts (working days).
        optional fatigue_window_days: u32 => "e.g. fatigue_window_days = 10",
    }
}

impl Default for DisruptionsFile {
    fn default() -> Self {
        let d = Disruptions::default();
        DisruptionsFile {
            handover_cost_h: d.handover_cost_h,
            missing_input: None,
            blockers: None,
            fatigue_per_overtime_hour: d.fatigue_per_overtime_hour,
            fatigue_window_days: d.fatigue_window_days,
        }
    }
}

file_table! {
    /// `[disruptions.missing_input]`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct MissingInputFile {
        /// Chance a card lacks its input.
        required probability: f64 => "the chance a card lacks its input, e.g. probability = 0.2",
        /// How long the input takes to arrive (hours), or an answerer's work per answer.
        required delay: EffortFile => "how long the input takes to arrive, e.g. delay = { dist = \"exponential\", mean = 16 }",
        /// People who answer input requests in their working hours (0: a plain delay).
        #[serde(default)]
        optional answerers: u32 => "people who answer input requests in working hours (delay is then their work per answer), e.g. answerers = 1",
    }
}

file_table! {
    /// `[disruptions.blockers]`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct BlockersFile {
        /// Daily chance a card in progress blocks.
        required chance_per_day: f64 => "the daily chance a card in progress blocks, e.g. chance_per_day = 0.05",
        /// How long a block lasts (hours).
        required duration: EffortFile => "how long a block lasts, e.g. duration = { dist = \"exponential\", mean = 8 }",
    }
}

file_table! {
    /// One `[[absences]]` entry.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct AbsenceFile {
        /// Who is away (a person's name, e.g. `developer-2`).
        required person: String => "who is away, e.g. person = \"developer-2\"",
        /// When the absence starts: whole weeks from the start (0: at once; charts number weeks
        /// from 1, so `from_week = 10` shows from chart week 11).
        required from_week: f64 => "whole weeks before the absence starts, e.g. from_week = 10 (it starts at hour 1680: week 11 of the charts, which count from 1)",
        /// How long (weeks); absent for someone leaving the team.
        optional weeks: Option<f64> => "how long, e.g. weeks = 2 (leave it out for someone leaving the team)",
        /// Whether it is known in advance (default true: handed over as it starts); false for
        /// a surprise such as a modelled wave of sickness (handed over after the policy's
        /// `emergency_after_days`).
        optional announced: Option<bool> => "whether the absence is known in advance, e.g. announced = false for a sickness wave",
    }
}

/// Checks the absences against the people and adds each to its person.
pub(super) fn add_absences(absences: &[AbsenceFile], people: &mut [Person], ck: &mut Checker) {
    for (i, a) in absences.iter().enumerate() {
        let p = format!("absences[{i}]");
        let names: Vec<&str> = people.iter().map(|x| x.name.as_str()).collect();
        let Some(k) = names.iter().position(|n| *n == a.person) else {
            ck.fail(
                format!("{p}.person"),
                format!(
                    "`{}` names nobody on the team{}; people are: {}",
                    a.person,
                    suggest(&a.person, &names),
                    names.join(", ")
                ),
            );
            continue;
        };
        ck.nonneg(&format!("{p}.from_week"), a.from_week, "weeks");
        let to = match a.weeks {
            Some(w) => {
                ck.positive(&format!("{p}.weeks"), w, "weeks");
                (a.from_week + w) * HOURS_PER_WEEK
            }
            None => f64::INFINITY,
        };
        people[k].absences.push((a.from_week * HOURS_PER_WEEK, to));
        people[k].announced.push(a.announced.unwrap_or(true));
    }
}

impl DisruptionsFile {
    /// Checks the disruptions; what the model disrupts work with.
    pub(super) fn build(&self, ck: &mut Checker) -> Disruptions {
        ck.nonneg("disruptions.handover_cost_h", self.handover_cost_h, "hours");
        ck.nonneg(
            "disruptions.fatigue_per_overtime_hour",
            self.fatigue_per_overtime_hour,
            "relative increase per hour",
        );
        if self.fatigue_window_days == 0 || self.fatigue_window_days > 365 {
            ck.fail(
                "disruptions.fatigue_window_days",
                "must be 1 to 365 working days",
            );
        }
        let missing_input = self.missing_input.as_ref().map(|mi| {
            ck.probability("disruptions.missing_input.probability", mi.probability);
            if mi.answerers > 100 {
                ck.fail(
                    "disruptions.missing_input.answerers",
                    format!("must be at most 100 people; got {}", mi.answerers),
                );
            }
            MissingInput {
                probability: mi.probability,
                delay: mi.delay.to_dist("disruptions.missing_input.delay", 1.0, ck),
                answerers: mi.answerers.min(100),
            }
        });
        let blockers = self.blockers.as_ref().map(|b| {
            ck.probability("disruptions.blockers.chance_per_day", b.chance_per_day);
            Blockers {
                chance_per_day: b.chance_per_day,
                duration: b.duration.to_dist("disruptions.blockers.duration", 1.0, ck),
            }
        });
        Disruptions {
            handover_cost_h: self.handover_cost_h,
            missing_input,
            blockers,
            fatigue_per_overtime_hour: self.fatigue_per_overtime_hour,
            fatigue_window_days: self.fatigue_window_days,
        }
    }
}
