//! The `[team.ROLE]` tables (people, their skills, hours, WIP limits and sickness) and the
//! `[multitasking]` table (what juggling several cards costs them).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::effort::EffortFile;
use super::problems::{Checker, suggest};
use crate::dist::Dist;
use crate::limits::{MAX_HELD, MAX_TEAM};
use crate::model::{Calendar, HOURS_PER_WEEK, Multitasking, Person};

fn one() -> u32 {
    1
}

fn two() -> u32 {
    2
}

fn two_hours() -> f64 {
    2.0
}

file_table! {
    /// One `[team.ROLE]` table: `count` people alike.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct RoleFile {
        /// People in this role (default 1).
        #[serde(default = "one")]
        optional count: u32 => "people in this role, e.g. count = 2",
        /// Stage name to speed factor (1 is normal speed).
        required skills: BTreeMap<String, f64> => "stages this role works with a speed factor, e.g. skills = { test = 1.0 }",
        /// Normal hours a day (hours; default: the calendar's).
        optional hours_per_day: Option<f64> => "this role's hours a day, e.g. hours_per_day = 6",
        /// Cards a person holds at once (cards; default 2).
        #[serde(default = "two")]
        optional wip_limit: u32 => "cards a person holds at once, e.g. wip_limit = 2",
        /// Most overtime a day (hours; default 2).
        #[serde(default = "two_hours")]
        optional max_overtime_h_per_day: f64 => "overtime hours a day at most, e.g. max_overtime_h_per_day = 2",
        /// Daily chance of falling sick.
        #[serde(default)]
        optional sick_chance_per_day: f64 => "the daily chance of falling sick, e.g. sick_chance_per_day = 0.01",
        /// How long a sickness lasts (days; default 3).
        optional sick_days: Option<EffortFile> => "how long a sickness lasts in days, e.g. sick_days = { dist = \"exponential\", mean = 3 }",
        /// Whole weeks before this role joins the team (absent until then; charts number weeks
        /// from 1, so `joins_week = 8` shows from chart week 9).
        optional joins_week: Option<f64> => "whole weeks before this role joins the team, e.g. joins_week = 8 (from hour 1344: week 9 of the charts, which count from 1)",
    }
}

keywords! {
    /// `multitasking.model`.
    #[derive(Default)]
    pub(super) enum MultitaskingModel {
        /// Juggling costs nothing.
        #[default]
        None = "none",
        /// A fixed cost per switch.
        SwitchCost = "switch_cost",
        /// Weinberg's rule of thumb.
        Weinberg = "weinberg",
    }
}

file_table! {
    /// `[multitasking]`; every field has a default.
    #[derive(Debug, Deserialize, Default)]
    #[serde(deny_unknown_fields, default)]
    pub(super) struct MultitaskingFile {
        /// The model of what switching costs.
        optional model: MultitaskingModel => "e.g. model = \"weinberg\"",
        /// Time lost per switch with `switch_cost` (hours; default 0.5).
        optional switch_cost_h: Option<f64> => "hours lost per switch, e.g. switch_cost_h = 0.25",
    }
}

/// Default length of a sickness (days).
const DEFAULT_SICK_DAYS: f64 = 3.0;
/// Default time lost per switch with the `switch_cost` model (hours).
const DEFAULT_SWITCH_COST_H: f64 = 0.5;

/// Checks the roles against the stages (`stage_names`) and the calendar; the people, `count`
/// per role, in role order. `default_hours` is the calendar's hours a day.
pub(super) fn build(
    team: &BTreeMap<String, RoleFile>,
    calendar: &Calendar,
    default_hours: f64,
    stage_names: &[&str],
    ck: &mut Checker,
) -> Vec<Person> {
    if team.is_empty() {
        ck.fail(
            "team",
            "needs at least one role, e.g. [team.dev] count = 2, skills = { work = 1.0 }.",
        );
    }
    let mut people = Vec::new();
    let mut total: u64 = 0;
    for (role, rf) in team {
        let p = format!("team.{role}");
        ck.usable_name(&p, role, "role name");
        total += rf.count as u64;
        if total > MAX_TEAM as u64 {
            ck.fail(
                format!("{p}.count"),
                format!(
                    "a team of {total} or more people is beyond the limit of {MAX_TEAM}; model \
                     one team per scenario."
                ),
            );
            continue;
        }
        people.extend(rf.people(role, &p, calendar, default_hours, stage_names, ck));
    }
    check_every_stage_staffed(&people, stage_names, ck);
    check_names_unique(&people, ck);
    people
}

impl RoleFile {
    /// Checks this role (`role`, at path `p`); its `count` people, named `role` or
    /// `role-1`, `role-2`, ...
    fn people(
        &self,
        role: &str,
        p: &str,
        calendar: &Calendar,
        default_hours: f64,
        stage_names: &[&str],
        ck: &mut Checker,
    ) -> Vec<Person> {
        if self.count == 0 {
            ck.fail(
                format!("{p}.count"),
                "a role needs at least 1 person; remove the role to leave it out.",
            );
        }
        if self.wip_limit == 0 {
            ck.fail(
                format!("{p}.wip_limit"),
                "a person with a WIP limit of 0 could never work: use at least 1 card.",
            );
        }
        let hours = self.hours_per_day.unwrap_or(default_hours);
        if !(hours > 0.0 && hours <= 24.0) {
            ck.fail(
                format!("{p}.hours_per_day"),
                format!("must be above 0 and at most 24 hours; got {hours}."),
            );
        }
        let speed = self.speeds(p, stage_names, ck);
        if self.wip_limit as usize > MAX_HELD {
            ck.fail(
                format!("{p}.wip_limit"),
                format!("must be at most {} cards", MAX_HELD),
            );
        }
        ck.nonneg(
            &format!("{p}.max_overtime_h_per_day"),
            self.max_overtime_h_per_day,
            "hours",
        );
        if hours + self.max_overtime_h_per_day > 24.0 {
            ck.fail(
                format!("{p}.max_overtime_h_per_day"),
                format!("normal hours ({hours}) plus overtime must fit in a day of 24 hours"),
            );
        }
        ck.probability(
            &format!("{p}.sick_chance_per_day"),
            self.sick_chance_per_day,
        );
        let sick_days = match &self.sick_days {
            Some(e) => e.to_dist(&format!("{p}.sick_days"), 1.0, ck),
            None => Dist::Constant(DEFAULT_SICK_DAYS),
        };
        let mut absences = Vec::new();
        if let Some(w) = self.joins_week
            && ck.nonneg(&format!("{p}.joins_week"), w, "weeks")
        {
            absences.push((0.0, w * HOURS_PER_WEEK));
        }
        let always = *calendar == Calendar::AlwaysOn;
        (0..self.count)
            .map(|k| Person {
                name: if self.count == 1 {
                    role.to_string()
                } else {
                    format!("{role}-{}", k + 1)
                },
                role: role.to_string(),
                speed: speed.clone(),
                hours_per_day: if always { 24.0 } else { hours },
                wip_limit: self.wip_limit,
                max_overtime_h_per_day: if always {
                    0.0
                } else {
                    self.max_overtime_h_per_day
                },
                sick_chance_per_day: self.sick_chance_per_day,
                sick_days: sick_days.clone(),
                announced: vec![true; absences.len()],
                absences: absences.clone(),
            })
            .collect()
    }

    /// Each stage's speed factor for this role (0 where it has no skill).
    fn speeds(&self, p: &str, stage_names: &[&str], ck: &mut Checker) -> Vec<f64> {
        let mut speed = vec![0.0; stage_names.len()];
        if self.skills.is_empty() {
            ck.fail(
                format!("{p}.skills"),
                "needs at least one skill, e.g. skills = { work = 1.0 }.",
            );
        }
        for (skill, &v) in &self.skills {
            match stage_names.iter().position(|n| n == skill) {
                Some(k) => {
                    if !(v.is_finite() && v > 0.0 && v <= 100.0) {
                        ck.fail(
                            format!("{p}.skills.{skill}"),
                            format!(
                                "a speed factor must be above 0 and at most 100 \
                                     (1 is normal speed); got {v}."
                            ),
                        );
                    } else {
                        speed[k] = v;
                    }
                }
                None => ck.fail(
                    format!("{p}.skills.{skill}"),
                    format!(
                        "skill `{skill}` names no stage{}; the stages are: {}.",
                        suggest(skill, stage_names),
                        stage_names.join(", ")
                    ),
                ),
            }
        }
        speed
    }
}

/// Reports every stage that nobody on the team can work.
fn check_every_stage_staffed(people: &[Person], stage_names: &[&str], ck: &mut Checker) {
    for (k, name) in stage_names.iter().enumerate() {
        if !people.is_empty()
            && !stage_names[..k].contains(name)
            && !people
                .iter()
                .any(|p| p.speed.get(k).is_some_and(|&v| v > 0.0))
        {
            ck.fail(
                format!("stages[{k}]"),
                format!("nobody on the team can work stage `{name}`: add it to some role's skills, e.g. skills = {{ {name} = 1.0 }}."),
            );
        }
    }
}

/// Reports two people of different roles who would get the same name.
fn check_names_unique(people: &[Person], ck: &mut Checker) {
    for (i, person) in people.iter().enumerate() {
        if let Some(other) = people[..i].iter().find(|o| o.name == person.name) {
            ck.fail(
                format!("team.{}", person.role),
                format!(
                    "two people would be called `{}` (from roles `{}` and `{}`): rename one of the roles.",
                    person.name, other.role, person.role
                ),
            );
        }
    }
}

impl MultitaskingFile {
    /// Checks the switching cost; the multitasking model.
    pub(super) fn build(&self, ck: &mut Checker) -> Multitasking {
        match self.model {
            MultitaskingModel::None => Multitasking::None,
            MultitaskingModel::Weinberg => Multitasking::Weinberg,
            MultitaskingModel::SwitchCost => {
                let h = self.switch_cost_h.unwrap_or(DEFAULT_SWITCH_COST_H);
                ck.nonneg("multitasking.switch_cost_h", h, "hours");
                Multitasking::SwitchCost { hours: h }
            }
        }
    }
}
