//! The work and memory a scenario asks for, predicted before it runs, and the load-time guard
//! that refuses a scenario whose single replication is absurd.
//!
//! Why this exists: a typo in a scenario (`rate_per_week = 8e9`, `horizon_weeks = 5200000`,
//! `replenish_every_hours = 1e-12`) should not make flowsim hang for days, exhaust memory or
//! wrap a counter. `estimate_work` predicts the engine events and memory of a run from the
//! validated model; loading rejects a scenario whose single replication is beyond the hard
//! limits in `crate::limits`. A softer, configurable limit on the whole run (replications x
//! policies) belongs to `crate::guard`, which the `run` command applies and `--force` overrides.
//!
//! The estimates are upper-bound flavoured, not exact: arrivals (including expedite cards) are
//! expected values, the cards a stage completes are bounded by both the arrivals and the stage's
//! capacity (the summed speed of everyone who can work it, times their hours, over the mean
//! effort), and clock-driven events (days, weeks, replenishment, polling) are counted exactly.
//! Disruption events (blockers, sickness, rework loops) are not counted separately: they are a
//! small multiple of the card events for any scenario a person would write.

use crate::limits::{MAX_CARDS_PER_REP, MAX_EVENTS_PER_REP, MAX_SWARM};
use crate::metrics::{N_WEEKLY_FIXED, catalogue};
use crate::model::{ArrivalProcess, Calendar, HOURS_PER_WEEK, Model};
use crate::policy::{Handoff, Policy, Release};

use super::Scenario;
use super::problems::Checker;

/// Approximate memory of one live card in the engine (bytes, before its per-stage efforts).
const CARD_BYTES: f64 = 160.0;
/// Approximate memory of one pending event in the future-event list (bytes).
const EVENT_BYTES: f64 = 32.0;

/// What a run will cost, predicted before it starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Cards expected to arrive in one replication (cards); for an unlimited backlog, the most
    /// the team can take in.
    pub cards_per_rep: f64,
    /// Engine events expected in one replication of the busiest policy (events).
    pub events_per_rep: f64,
    /// Engine events for the whole run: the sum over policies, times the replications (events).
    pub events: f64,
    /// Peak memory of one worker's workspace (bytes), assuming every arrival may be waiting at
    /// once (a backlog that grows without bound).
    pub bytes_per_worker: f64,
    /// Memory for the per-replication results a run keeps (bytes): every metric and every
    /// weekly series, for every replication and policy.
    pub bytes_results: f64,
}

impl Estimate {
    /// Total memory (bytes) with `workers` workers running at once.
    pub fn bytes(&self, workers: usize) -> f64 {
        self.bytes_per_worker * workers.max(1) as f64 + self.bytes_results
    }
}

/// Hours one person is present over the horizon.
fn present_hours(m: &Model, hours_per_day: f64) -> f64 {
    match m.calendar {
        Calendar::AlwaysOn => m.horizon_h,
        Calendar::Working { days_per_week, .. } => working_days(m, days_per_week) * hours_per_day,
    }
}

fn working_days(m: &Model, days_per_week: u32) -> f64 {
    (m.horizon_h / HOURS_PER_WEEK).ceil() * days_per_week as f64
}

/// Expected arrivals in one replication; `f64::INFINITY` for an unlimited backlog.
fn expected_arrivals(m: &Model) -> f64 {
    let a = &m.arrivals;
    let flow = match a.process {
        ArrivalProcess::None => 0.0,
        ArrivalProcess::Poisson { rate_per_h } => rate_per_h * m.horizon_h,
        ArrivalProcess::Batch { size, period_h } => {
            size as f64 * (m.horizon_h / period_h).ceil().max(1.0)
        }
        ArrivalProcess::Unlimited => f64::INFINITY,
        ArrivalProcess::Replay(ref r) => r.expected_in(m.horizon_h),
    };
    a.initial_backlog as f64 + flow + m.classes.expedite_rate_per_h * m.horizon_h
}

/// The most cards stage `s` can complete in one replication (its capacity bound).
fn stage_capacity(m: &Model, s: usize) -> f64 {
    let speed_hours: f64 = m
        .people
        .iter()
        .map(|p| p.speed[s] * present_hours(m, p.hours_per_day))
        .sum();
    let mean = m.stages[s].effort.mean();
    if speed_hours <= 0.0 {
        0.0
    } else if mean > 0.0 {
        speed_hours / mean
    } else {
        f64::INFINITY
    }
}

/// Expected engine events in one replication of `m` under `p`.
fn events_per_rep(m: &Model, p: &Policy, arrivals: f64, cards: f64) -> f64 {
    let n_people = m.people.len() as f64;
    let stage_completions: f64 = (0..m.stages.len())
        .map(|s| stage_capacity(m, s).min(cards))
        .sum();
    let arrival_events = match m.arrivals.process {
        ArrivalProcess::Poisson { .. } | ArrivalProcess::Replay(_) => arrivals,
        ArrivalProcess::Batch { period_h, .. } => (m.horizon_h / period_h).ceil(),
        ArrivalProcess::None | ArrivalProcess::Unlimited => 0.0,
    };
    let day_events = match m.calendar {
        Calendar::AlwaysOn => 0.0,
        Calendar::Working { days_per_week, .. } => {
            working_days(m, days_per_week) * (1.0 + 2.0 * n_people)
        }
    };
    let replenish = match p.release {
        Release::Cadence { every_h } if every_h > 0.0 => m.horizon_h / every_h,
        _ => 0.0,
    };
    // A completion is one event plus, with swarming, a reschedule per helper joining.
    let per_completion = if p.swarming.is_some() {
        MAX_SWARM as f64
    } else {
        2.0
    };
    let others = arrival_events
        + per_completion * stage_completions
        + day_events
        + replenish
        + m.weeks() as f64;
    // A poll that finds nothing to do parks its stage's polls until another event (see
    // `engine::clock`): at most one poll per period, and one after each other event and
    // each working day's end.
    let polls: f64 = p
        .handoffs
        .iter()
        .map(|h| match *h {
            Handoff::Pull { poll_every_h } if poll_every_h > 0.0 => {
                (m.horizon_h / poll_every_h).min(others + day_events)
            }
            _ => 0.0,
        })
        .sum();
    others + polls
}

/// Predicts the events and memory of running `reps` replications of every policy of `sc`.
///
/// The prediction is deliberately generous (see the module comment); it is meant for refusing
/// absurd runs and for telling the user how big a run is, not for scheduling.
pub fn estimate_work(sc: &Scenario, reps: u64) -> Estimate {
    let m = &sc.model;
    let arrivals = expected_arrivals(m);
    let capacity0 = if m.stages.is_empty() {
        0.0
    } else {
        stage_capacity(m, 0)
    };
    // What enters the board: the arrivals, or for an unlimited backlog what stage 0 can take.
    let cards = if arrivals.is_finite() {
        arrivals
    } else {
        capacity0
    };
    let per_policy: Vec<f64> = sc
        .policies
        .iter()
        .map(|p| events_per_rep(m, p, arrivals, cards))
        .collect();
    let events_per_rep = per_policy.iter().copied().fold(0.0, f64::max);
    let events = per_policy.iter().sum::<f64>() * reps as f64;
    let stages = m.stages.len() as f64;
    let n_series = (N_WEEKLY_FIXED + m.stages.len()) as f64;
    let weekly_bytes = m.weeks() as f64 * n_series * 8.0;
    let live_cards = cards;
    let bytes_per_worker = live_cards * (CARD_BYTES + 8.0 * stages + EVENT_BYTES)
        + m.people.len() as f64 * (64.0 + 16.0 * stages)
        + weekly_bytes;
    let metrics = catalogue(m).len() as f64;
    let bytes_results = reps as f64 * sc.policies.len() as f64 * (metrics * 16.0 + weekly_bytes);
    Estimate {
        cards_per_rep: cards,
        events_per_rep,
        events,
        bytes_per_worker,
        bytes_results,
    }
}

/// Resource guards on a scenario that is otherwise valid: refuses runs whose single replication
/// would overflow a counter, exhaust memory or not finish in any reasonable time.
pub(super) fn guard(sc: &Scenario, ck: &mut Checker) {
    let m = &sc.model;
    let arrivals = expected_arrivals(m);
    if arrivals.is_finite() && arrivals > MAX_CARDS_PER_REP {
        ck.fail(
            "arrivals",
            format!(
                "about {} cards would arrive in one replication (rate x horizon plus backlog), \
                 beyond the limit of {}; lower the rate or shorten run.horizon_weeks.",
                big(arrivals),
                big(MAX_CARDS_PER_REP)
            ),
        );
        return;
    }
    if arrivals.is_infinite() {
        // An unlimited backlog: the team takes what it can. A stage that takes no time lets
        // cards pass without end at one instant.
        for s in 0..m.stages.len() {
            let cap = stage_capacity(m, s);
            if cap > MAX_CARDS_PER_REP {
                ck.fail(
                    format!("stages[{s}].effort"),
                    format!(
                        "with process = \"unlimited\" the team would take {} cards through stage \
                         `{}` in one replication (its effort's mean is {} hours), beyond the limit \
                         of {}; give the stage an effort with a mean well above 0.",
                        big(cap),
                        m.stages[s].name,
                        m.stages[s].effort.mean(),
                        big(MAX_CARDS_PER_REP)
                    ),
                );
                return;
            }
        }
    }
    let e = estimate_work(sc, u64::from(sc.settings.replications));
    if e.events_per_rep.is_nan() || e.events_per_rep > MAX_EVENTS_PER_REP {
        ck.fail(
            "run.horizon_weeks",
            format!(
                "one replication would take about {} simulation events, beyond the limit of {} \
                 (hours of computing each); shorten run.horizon_weeks, lower the arrival rate, \
                 use fewer people or replenish less often.",
                big(e.events_per_rep),
                big(MAX_EVENTS_PER_REP)
            ),
        );
    }
}

/// Formats a large count for messages: `1.2e10`, or the plain number below a million.
fn big(x: f64) -> String {
    if !x.is_finite() {
        "an unbounded number of".to_string()
    } else if x < 1e6 {
        format!("{}", x.round())
    } else {
        format!("{x:.1e}")
    }
}

#[cfg(test)]
mod tests {
    use super::super::{REFERENCE, REFERENCE_NAME, load_str};
    use super::*;

    #[test]
    fn estimate_of_the_reference_scenario_is_plausible() {
        let sc = load_str(REFERENCE, REFERENCE_NAME).unwrap();
        let e = estimate_work(&sc, 100);
        // 8 cards a week for 52 weeks plus a backlog of 10.
        assert!(
            (e.cards_per_rep - (8.0 * 52.0 + 10.0)).abs() < 1e-6,
            "{e:?}"
        );
        // Each card makes at least one event per stage; days make 2 per person.
        let floor = e.cards_per_rep * 4.0 + 52.0 * 5.0 * 14.0;
        assert!(
            e.events_per_rep > floor && e.events_per_rep < 20.0 * floor,
            "{e:?}"
        );
        let policies = sc.policies.len() as f64;
        assert!(e.events <= e.events_per_rep * 100.0 * policies);
        assert!(e.events >= e.events_per_rep * 100.0);
        // A few hundred cards and a weekly series: well under a megabyte per worker.
        assert!(
            e.bytes_per_worker > 1e4 && e.bytes_per_worker < 1e6,
            "{e:?}"
        );
        assert!(e.bytes(4) > e.bytes_results);
        // Doubling the replications doubles the events and the results' memory.
        let e2 = estimate_work(&sc, 200);
        assert_eq!(e2.events, 2.0 * e.events);
        assert_eq!(e2.bytes_results, 2.0 * e.bytes_results);
        assert_eq!(e2.bytes_per_worker, e.bytes_per_worker);
    }

    #[test]
    fn big_numbers_read_well() {
        assert_eq!(big(416.0), "416");
        assert_eq!(big(1.23e10), "1.2e10");
        assert_eq!(big(f64::INFINITY), "an unbounded number of");
    }
}
