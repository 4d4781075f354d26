//! The page's controls, built from the scenario: which levers it has, their current values and
//! the ranges a slider may take, and how a value becomes `--set path=value` overrides.
//!
//! A control names the override paths it sets (`stages.test.wip_limit`, or every role's
//! `team.ROLE.sick_chance_per_day` at once), so a value from the page goes through exactly the
//! same text rewriting and validation as `flowsim run --set`. Only these paths can be set from
//! the page: a request cannot reach the horizon, the replications or any other field.

use serde::Serialize;

use crate::model::ArrivalProcess;
use crate::policy::{PlanPeriod, Release};
use crate::scenario::Scenario;

/// One lever on the page.
#[derive(Debug, Clone, Serialize)]
pub struct Control {
    /// Stable identifier the page sends back (`wip.test`, `people.tester`, ...).
    pub id: String,
    /// The section of the page it belongs to.
    pub group: &'static str,
    /// What the slider is, in words.
    pub label: String,
    /// The override paths the value is written to.
    pub paths: Vec<String>,
    /// The scenario's own value.
    pub value: f64,
    /// Smallest value allowed.
    pub min: f64,
    /// Largest value allowed.
    pub max: f64,
    /// Slider step.
    pub step: f64,
    /// Whether only whole numbers are allowed.
    pub integer: bool,
    /// What the value 0 means when it means "no limit" (the scenario sets none).
    pub zero_means: Option<&'static str>,
}

impl Control {
    /// Checks a value from the page.
    ///
    /// # Errors
    /// A value that is not a number in the control's range, or not whole where it must be.
    pub fn check(&self, v: f64) -> Result<(), String> {
        if !v.is_finite() {
            return Err(format!("{}: the value must be a number", self.label));
        }
        if v < self.min || v > self.max {
            return Err(format!(
                "{}: {} is outside {}..{}",
                self.label,
                fmt(v),
                fmt(self.min),
                fmt(self.max)
            ));
        }
        if self.integer && v.fract() != 0.0 {
            return Err(format!("{}: {} must be a whole number", self.label, fmt(v)));
        }
        Ok(())
    }

    /// The `path=value` assignments for a value, or none when it equals the scenario's own
    /// (so an untouched control leaves the scenario as written).
    pub fn assignments(&self, v: f64) -> Vec<String> {
        if v == self.value {
            return Vec::new();
        }
        self.paths
            .iter()
            .map(|p| format!("{p}={}", fmt(v)))
            .collect()
    }
}

/// A number as `--set` takes it: whole numbers without a decimal point, others in their
/// shortest exact form.
pub fn fmt(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The controls of a scenario, in page order.
pub fn build(sc: &Scenario) -> Vec<Control> {
    let m = &sc.model;
    let mut out = Vec::new();
    for s in &m.stages {
        let cur = s.wip_limit.map_or(0.0, f64::from);
        out.push(Control {
            id: format!("wip.{}", s.name),
            group: "WIP limits",
            label: format!("WIP limit: {}", s.name),
            paths: vec![format!("stages.{}.wip_limit", s.name)],
            value: cur,
            min: if s.wip_limit.is_some() { 1.0 } else { 0.0 },
            max: (2.0 * cur).max(12.0),
            step: 1.0,
            integer: true,
            zero_means: s.wip_limit.is_none().then_some("no limit"),
        });
    }
    for p in &sc.policies {
        if let Some(limit) = p.system_wip_limit {
            let cur = f64::from(limit);
            out.push(Control {
                id: format!("system_wip.{}", p.name),
                group: "WIP limits",
                label: format!("System WIP limit ({})", p.name),
                paths: vec![format!("policies.{}.system_wip_limit", p.name)],
                value: cur,
                min: 1.0,
                max: (2.0 * cur).max(30.0),
                step: 1.0,
                integer: true,
                zero_means: None,
            });
        }
    }
    let mut roles: Vec<(String, u32)> = Vec::new();
    for person in &m.people {
        match roles.iter_mut().find(|(r, _)| *r == person.role) {
            Some((_, n)) => *n += 1,
            None => roles.push((person.role.clone(), 1)),
        }
    }
    for (role, n) in &roles {
        let cur = f64::from(*n);
        out.push(Control {
            id: format!("people.{role}"),
            group: "People",
            label: format!("People: {role}"),
            paths: vec![format!("team.{}.count", role)],
            value: cur,
            min: 1.0,
            max: (2.0 * cur).max(6.0),
            step: 1.0,
            integer: true,
            zero_means: None,
        });
    }
    if let ArrivalProcess::Poisson { rate_per_h } = m.arrivals.process {
        let per_week = rate_per_h * crate::model::HOURS_PER_WEEK;
        // The file gives the rate per week or per hour; write to the field it uses.
        let per_hour_in_file = sc.source.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with("rate_per_hour") && !l.starts_with("rate_per_hour_")
        });
        let (path, cur, step) = if per_hour_in_file {
            ("arrivals.rate_per_hour", rate_per_h, round_step(rate_per_h))
        } else {
            ("arrivals.rate_per_week", per_week, round_step(per_week))
        };
        let cur = (cur / step).round() * step;
        out.push(Control {
            id: "arrivals.rate".into(),
            group: "Demand",
            label: if per_hour_in_file {
                "Arrivals per hour".into()
            } else {
                "Arrivals per week".into()
            },
            paths: vec![path.into()],
            value: cur,
            min: step,
            max: (cur * 2.0).max(step * 10.0),
            step,
            integer: false,
            zero_means: None,
        });
    }
    if !roles.is_empty() {
        let cur = m
            .people
            .first()
            .map_or(0.0, |p| p.sick_chance_per_day)
            .clamp(0.0, 0.2);
        out.push(Control {
            id: "sickness".into(),
            group: "Disruptions",
            label: "Daily chance of falling sick (everyone)".into(),
            paths: roles
                .iter()
                .map(|(r, _)| format!("team.{}.sick_chance_per_day", r))
                .collect(),
            value: cur,
            min: 0.0,
            max: 0.2,
            step: 0.005,
            integer: false,
            zero_means: None,
        });
    }
    out.push(Control {
        id: "estimate_bias".into(),
        group: "Planning",
        label: "Estimate bias (1 = unbiased, below 1 = optimistic)".into(),
        paths: vec!["estimates.bias".into()],
        value: m.estimates.bias.clamp(0.25, 4.0),
        min: 0.25,
        max: 4.0,
        step: 0.05,
        integer: false,
        zero_means: None,
    });
    for p in &sc.policies {
        if let Release::Plan { period, .. } = p.release {
            // The control keeps the unit the scenario wrote: weeks, or working days.
            let (unit, key, cur, max) = match period {
                PlanPeriod::Weeks(w) => ("weeks", "planning_period_weeks", w, 8.0),
                PlanPeriod::Days(d) => ("working days", "planning_period_days", d, 20.0),
            };
            let cur = f64::from(cur);
            out.push(Control {
                id: format!("planning_period.{}", p.name),
                group: "Planning",
                label: format!("Planning period in {unit} ({})", p.name),
                paths: vec![format!("policies.{}.{key}", p.name)],
                value: cur,
                min: 1.0,
                max: cur.max(max),
                step: 1.0,
                integer: true,
                zero_means: None,
            });
        }
    }
    out
}

/// A slider step about a twentieth of `v`: 0.5 for 8 cards a week, 0.005 for 0.05 an hour.
fn round_step(v: f64) -> f64 {
    if v <= 0.0 {
        return 0.5;
    }
    let raw = v / 16.0;
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    let nice = if m < 2.0 {
        1.0
    } else if m < 5.0 {
        2.0
    } else {
        5.0
    };
    // 8 cards a week gives 0.5: fine enough to drag, coarse enough to read.
    let s = nice * p;
    (s * 1e9).round() / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> Scenario {
        crate::scenario::load_str(crate::scenario::REFERENCE, crate::scenario::REFERENCE_NAME)
            .unwrap()
    }

    #[test]
    fn the_reference_has_every_lever_with_its_value() {
        let c = build(&reference());
        let get = |id: &str| c.iter().find(|c| c.id == id).unwrap();
        assert_eq!(get("wip.test").value, 3.0);
        assert_eq!(get("wip.test").paths, ["stages.test.wip_limit"]);
        assert_eq!(get("system_wip.flow").value, 12.0);
        assert_eq!(get("people.developer").value, 3.0);
        assert_eq!(get("arrivals.rate").value, 8.0);
        assert_eq!(get("arrivals.rate").step, 0.5);
        assert_eq!(get("sickness").paths.len(), 4);
        assert_eq!(get("estimate_bias").value, 1.0);
        assert_eq!(get("planning_period.push").value, 1.0);
        for x in &c {
            assert!(x.min <= x.value && x.value <= x.max, "{}", x.id);
            assert!(x.check(x.value).is_ok());
        }
    }

    #[test]
    fn values_are_checked_and_unchanged_values_set_nothing() {
        let c = build(&reference());
        let wip = c.iter().find(|c| c.id == "wip.test").unwrap();
        assert!(wip.check(2.5).is_err());
        assert!(wip.check(0.0).is_err());
        assert!(wip.check(f64::NAN).is_err());
        assert!(wip.assignments(3.0).is_empty());
        assert_eq!(wip.assignments(4.0), ["stages.test.wip_limit=4"]);
        assert_eq!(fmt(0.005), "0.005");
        assert_eq!(fmt(12.0), "12");
    }
}
