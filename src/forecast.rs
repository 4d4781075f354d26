//! Forecasts: when will a backlog of N cards be done, and how many cards by a given date?
//!
//! Why it exists: "when will it be done?" is the question managers ask most, and the answer is a
//! distribution, not a number. Every replication of every policy is run with the engine's trace
//! switched on, and the time the last of the N backlog cards (ids `0..N`, the initial backlog
//! arrives first) finished is read from its `Done` entries. Runs that have not finished the N
//! cards by the horizon are run again with a doubled horizon (up to [`MAX_DOUBLINGS`] times):
//! the engine is causal (nothing before the horizon depends on it), so a longer horizon changes
//! nothing that already happened, and the result is the same whatever horizon finished it.
//! Runs still unfinished are reported as censored, never dropped.
//!
//! Durations are turned into working days with the scenario's calendar (the working day in
//! which a card finished, counted from 1) and into calendar dates from a start date (working
//! days are Monday to Friday in a 5-day week, Monday to Saturday in a 6-day one; no holidays).

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::engine::{Trace, Workspace, simulate};
use crate::model::{ArrivalProcess, Calendar, HOURS_PER_WEEK, Model};
use crate::rng::Streams;
use crate::scenario::Scenario;

/// Times a run that has not finished the backlog is run again with a doubled horizon.
pub const MAX_DOUBLINGS: u32 = 4;

/// The percentiles a forecast reports (share of runs).
pub const PERCENTILES: [f64; 3] = [0.50, 0.85, 0.95];

/// Sets the backlog to forecast: `cards` (if given) becomes the initial backlog, and
/// `no_arrivals` removes every further arrival (regular and expedite) and the backlog's cap.
/// Returns N, the cards to forecast.
///
/// # Errors
/// No backlog to forecast, a backlog beyond the limits or beyond `arrivals.max_backlog`; in
/// words that name the flag and the fix.
pub fn set_backlog(
    model: &mut Model,
    cards: Option<u32>,
    no_arrivals: bool,
) -> Result<u32, String> {
    if let Some(n) = cards {
        if n == 0 {
            return Err("--cards must be at least 1 (the number of cards to forecast).".into());
        }
        if n > crate::limits::MAX_CARDS_AT_ONCE {
            return Err(format!(
                "--cards {n} is beyond the limit of {} cards at once.",
                crate::limits::MAX_CARDS_AT_ONCE
            ));
        }
        model.arrivals.initial_backlog = n;
    }
    if no_arrivals {
        model.arrivals.process = ArrivalProcess::None;
        model.classes.expedite_rate_per_h = 0.0;
        // A cap on the backlog only declines arrivals; with none, the backlog is what it is.
        model.arrivals.max_backlog = None;
    }
    let n = model.arrivals.initial_backlog;
    if n == 0 {
        return Err(
            "the scenario has no initial backlog (arrivals.initial_backlog = 0), so there is \
             nothing to forecast; give the number of cards with --cards N (and --no-arrivals to \
             stop further arrivals)."
                .into(),
        );
    }
    if let Some(cap) = model.arrivals.max_backlog
        && cap < n
    {
        return Err(format!(
            "the backlog of {n} cards is more than arrivals.max_backlog = {cap} holds, so some \
             would be declined; raise it with --set arrivals.max_backlog={n}."
        ));
    }
    Ok(n)
}

/// One run (replication) of one policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunOutcome {
    /// When the last of the N backlog cards was done (hours since the start); `None` when the
    /// run had not finished them by its horizon (censored).
    pub done_h: Option<f64>,
    /// Cards done (all cards, arrivals included) by the `by` time, if one was asked for
    /// (cards).
    pub done_by: Option<u32>,
    /// The horizon this run was simulated to (hours).
    pub horizon_h: f64,
}

/// Every run of a forecast: `runs[policy][replication]`.
#[derive(Debug, Clone)]
pub struct Runs {
    /// The cards forecast (N).
    pub cards: u32,
    /// Policy names, in order.
    pub policies: Vec<String>,
    /// Outcomes per policy and replication.
    pub runs: Vec<Vec<RunOutcome>>,
}

/// Reads one run's outcome from its trace.
fn outcome(trace: &[Trace], cards: u32, by_h: Option<f64>, horizon_h: f64) -> RunOutcome {
    let mut backlog_done = 0u32;
    let mut last = 0.0f64;
    let mut by = 0u32;
    for e in trace {
        if let Trace::Done { t, card } = *e {
            if card < u64::from(cards) {
                backlog_done += 1;
                last = last.max(t);
            }
            if by_h.is_some_and(|b| t <= b) {
                by += 1;
            }
        }
    }
    RunOutcome {
        done_h: (backlog_done == cards).then_some(last),
        done_by: by_h.map(|_| by),
        horizon_h,
    }
}

/// Runs replication `rep` of policy `k` to `horizon_h` and reads its outcome.
fn one(
    sc: &Scenario,
    k: usize,
    rep: u64,
    horizon_h: f64,
    cards: u32,
    by_h: Option<f64>,
    ws: &mut Workspace,
) -> RunOutcome {
    let mut model = sc.model.clone();
    model.horizon_h = horizon_h;
    let mut trace = ws.trace.take().unwrap_or_default();
    trace.clear();
    ws.trace = Some(trace);
    simulate(
        &model,
        &sc.policies[k],
        Streams::new(sc.settings.seed, rep),
        ws,
    );
    let trace = ws.trace.as_deref().unwrap_or_default();
    outcome(trace, cards, by_h, horizon_h)
}

/// Runs every replication of every policy of `sc` (whose backlog [`set_backlog`] set to
/// `cards`) until the N cards are done, extending the horizon where needed, and counts the cards
/// done by `by_h` (hours since the start) if given. The first horizon is the scenario's, or just
/// beyond `by_h` if that is later. `on_done` is called once per finished run (progress bars).
///
/// The result depends only on the scenario, seed and replications, never on the thread count.
/// Returns `None` when `stop` was set (Ctrl-C) before every run finished.
pub fn run(
    sc: &Scenario,
    cards: u32,
    by_h: Option<f64>,
    stop: &AtomicBool,
    on_done: &(dyn Fn() + Sync),
) -> Option<Runs> {
    let np = sc.policies.len();
    let reps = u64::from(sc.settings.replications);
    let max_h = crate::limits::MAX_HORIZON_WEEKS * HOURS_PER_WEEK;
    let mut horizon = sc
        .model
        .horizon_h
        .max(by_h.map_or(0.0, |b| b + 1.0))
        .min(max_h);
    let mut jobs: Vec<(usize, u64)> = (0..np)
        .flat_map(|k| (0..reps).map(move |r| (k, r)))
        .collect();
    let mut runs = vec![
        vec![
            RunOutcome {
                done_h: None,
                done_by: None,
                horizon_h: 0.0
            };
            reps as usize
        ];
        np
    ];
    for round in 0..=MAX_DOUBLINGS {
        let out: Vec<RunOutcome> = jobs
            .par_iter()
            .map_init(Workspace::default, |ws, &(k, r)| {
                if stop.load(Ordering::Relaxed) {
                    return RunOutcome {
                        done_h: None,
                        done_by: None,
                        horizon_h: 0.0,
                    };
                }
                let o = one(sc, k, r, horizon, cards, by_h, ws);
                if round == 0 {
                    on_done();
                }
                o
            })
            .collect();
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        let mut again = Vec::new();
        for (&(k, r), o) in jobs.iter().zip(out) {
            runs[k][r as usize] = o;
            if o.done_h.is_none() {
                again.push((k, r));
            }
        }
        if again.is_empty() || horizon >= max_h {
            break;
        }
        jobs = again;
        horizon = (horizon * 2.0).min(max_h);
    }
    Some(Runs {
        cards,
        policies: sc.policies.iter().map(|p| p.name.clone()).collect(),
        runs,
    })
}

/// The value that a share `q` of runs reach or beat: the smallest `x` with at least `q` of the
/// values at or below it (the inverse of the empirical distribution). `sorted` is ascending, with
/// censored runs as `+inf`; `None` when that order statistic is censored or there are no values.
pub fn share_within(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    let v = sorted[i];
    v.is_finite().then_some(v)
}

/// The number of cards that a share `q` of runs reach or exceed (the `1 - q` lower order
/// statistic: at least `q` of the runs finished this many or more).
pub fn at_least_in_share(sorted: &[u32], q: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    // The largest x with #{v >= x} >= q n.
    let need = (q * n as f64).ceil() as usize;
    let need = need.clamp(1, n);
    Some(sorted[n - need])
}

/// The working day (counted from 1) in which time `t_h` (hours since the start) falls: in a
/// working calendar, a time on a non-working day counts as the last working day of its week; in
/// 24/7 mode every day is a working day.
pub fn working_day(cal: &Calendar, t_h: f64) -> u64 {
    let t = t_h.max(0.0);
    match *cal {
        Calendar::AlwaysOn => (t / 24.0).floor() as u64 + 1,
        Calendar::Working { days_per_week, .. } => {
            let dpw = u64::from(days_per_week);
            let week = (t / HOURS_PER_WEEK).floor() as u64;
            let day = ((t - week as f64 * HOURS_PER_WEEK) / 24.0).floor() as u64;
            week * dpw + (day + 1).min(dpw)
        }
    }
}

/// The end (midnight, hours since the start) of working day `k` (counted from 1; 0 is the
/// start).
pub fn end_of_working_day(cal: &Calendar, k: u64) -> f64 {
    if k == 0 {
        return 0.0;
    }
    match *cal {
        Calendar::AlwaysOn => k as f64 * 24.0,
        Calendar::Working { days_per_week, .. } => {
            let dpw = u64::from(days_per_week);
            let (week, day) = ((k - 1) / dpw, (k - 1) % dpw);
            week as f64 * HOURS_PER_WEEK + (day + 1) as f64 * 24.0
        }
    }
}

/// A calendar date (proleptic Gregorian), as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(i64);

impl Date {
    /// The date of year `y`, month `m` (1..=12), day `d` (1..=31), if it exists.
    pub fn from_ymd(y: i64, m: u32, d: u32) -> Option<Date> {
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return None;
        }
        // Days from civil (H. Hinnant's algorithm, written out).
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (i64::from(m) + 9) % 12;
        let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Date(era * 146_097 + doe - 719_468))
    }

    /// Year, month and day.
    pub fn ymd(self) -> (i64, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = yoe + era * 400 + i64::from(m <= 2);
        (y, m, d)
    }

    /// Day of the week, Monday = 0 … Sunday = 6.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (3).
        ((self.0 + 3).rem_euclid(7)) as u32
    }

    /// The date `n` days later.
    pub fn plus_days(self, n: i64) -> Date {
        Date(self.0 + n)
    }

    /// Days from `self` to `other` (negative when `other` is earlier).
    pub fn days_until(self, other: Date) -> i64 {
        other.0 - self.0
    }
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

impl std::str::FromStr for Date {
    type Err = String;

    /// Parses `YYYY-MM-DD`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a date; write it as YYYY-MM-DD, e.g. 2027-01-04");
        let parts: Vec<&str> = s.trim().split('-').collect();
        let [y, m, d] = parts.as_slice() else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let y: i64 = y.parse().map_err(|_| bad())?;
        let m: u32 = m.parse().map_err(|_| bad())?;
        let d: u32 = d.parse().map_err(|_| bad())?;
        Date::from_ymd(y, m, d).ok_or_else(bad)
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// Whether `date` is a working day of a calendar with `days_per_week` working days (Monday
/// first).
fn is_working(date: Date, days_per_week: u32) -> bool {
    date.weekday() < days_per_week
}

/// The calendar date of working day `k` (counted from 1) of a run starting on `start`: the
/// k-th working day on or after `start` (every day in 24/7 mode).
pub fn date_of_working_day(cal: &Calendar, start: Date, k: u64) -> Date {
    let dpw = match *cal {
        Calendar::AlwaysOn => return start.plus_days(k.max(1) as i64 - 1),
        Calendar::Working { days_per_week, .. } => days_per_week,
    };
    let mut d = start;
    while !is_working(d, dpw) {
        d = d.plus_days(1);
    }
    let rest = k.max(1) - 1;
    // Whole weeks first, then day by day.
    let mut d = d.plus_days(7 * (rest / u64::from(dpw)) as i64);
    let mut left = rest % u64::from(dpw);
    while left > 0 {
        d = d.plus_days(1);
        if is_working(d, dpw) {
            left -= 1;
        }
    }
    d
}

/// Working days from `start` to `by`, both included (the calendar days in 24/7 mode); 0 when
/// `by` is before the first working day.
pub fn working_days_between(cal: &Calendar, start: Date, by: Date) -> u64 {
    let days = start.days_until(by) + 1;
    if days <= 0 {
        return 0;
    }
    let dpw = match *cal {
        Calendar::AlwaysOn => return days as u64,
        Calendar::Working { days_per_week, .. } => days_per_week,
    };
    let weeks = days / 7;
    let mut n = weeks as u64 * u64::from(dpw);
    let mut d = start.plus_days(weeks * 7);
    while d <= by {
        if is_working(d, dpw) {
            n += 1;
        }
        d = d.plus_days(1);
    }
    n
}

/// A forecast summarised for one policy.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyForecast {
    /// Policy name.
    pub policy: String,
    /// Runs (replications).
    pub runs: usize,
    /// Runs that had not finished the N cards by their (longest) horizon.
    pub unfinished: usize,
    /// The longest horizon simulated (hours).
    pub horizon_h: f64,
    /// Per [`PERCENTILES`] entry: the time (hours since the start) by which that share of runs
    /// had finished the N cards; `None` where too many runs were censored to know.
    pub done_h: Vec<Option<f64>>,
    /// The same in working days (counted from 1: the day the last card is done).
    pub done_working_days: Vec<Option<u64>>,
    /// Mean over finished runs of the working day the last card was done (working days).
    pub mean_working_days: Option<f64>,
    /// Cards done by the `by` time: mean over runs (cards).
    pub by_mean: Option<f64>,
    /// Per [`PERCENTILES`] entry: the cards that that share of runs reached or exceeded by the
    /// `by` time.
    pub by_at_least: Vec<Option<u32>>,
}

/// Summarises the runs of every policy.
pub fn summarise(runs: &Runs, cal: &Calendar) -> Vec<PolicyForecast> {
    runs.policies
        .iter()
        .zip(&runs.runs)
        .map(|(name, rs)| {
            let mut times: Vec<f64> = rs
                .iter()
                .map(|o| o.done_h.unwrap_or(f64::INFINITY))
                .collect();
            times.sort_by(f64::total_cmp);
            let done_h: Vec<Option<f64>> = PERCENTILES
                .iter()
                .map(|&q| share_within(&times, q))
                .collect();
            let finished: Vec<u64> = rs
                .iter()
                .filter_map(|o| o.done_h.map(|t| working_day(cal, t)))
                .collect();
            let mut by: Vec<u32> = rs.iter().filter_map(|o| o.done_by).collect();
            by.sort_unstable();
            PolicyForecast {
                policy: name.clone(),
                runs: rs.len(),
                unfinished: rs.iter().filter(|o| o.done_h.is_none()).count(),
                horizon_h: rs.iter().map(|o| o.horizon_h).fold(0.0, f64::max),
                done_working_days: done_h
                    .iter()
                    .map(|t| t.map(|t| working_day(cal, t)))
                    .collect(),
                done_h,
                mean_working_days: (!finished.is_empty())
                    .then(|| finished.iter().sum::<u64>() as f64 / finished.len() as f64),
                by_mean: (!by.is_empty())
                    .then(|| by.iter().map(|&c| f64::from(c)).sum::<f64>() / by.len() as f64),
                by_at_least: if by.is_empty() {
                    vec![None; PERCENTILES.len()]
                } else {
                    PERCENTILES
                        .iter()
                        .map(|&q| at_least_in_share(&by, q))
                        .collect()
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIVE: Calendar = Calendar::Working {
        hours_per_day: 8.0,
        days_per_week: 5,
        day_start_h: 9.0,
    };

    #[test]
    fn dates_round_trip_and_know_their_weekday() {
        let d: Date = "2027-03-12".parse().unwrap();
        assert_eq!(d.to_string(), "2027-03-12");
        assert_eq!(d.weekday(), 4, "2027-03-12 is a Friday");
        let leap: Date = "2024-02-29".parse().unwrap();
        assert_eq!(leap.plus_days(1).to_string(), "2024-03-01");
        assert!("2023-02-29".parse::<Date>().is_err());
        assert!("12/03/2027".parse::<Date>().is_err());
        assert_eq!(Date::from_ymd(1970, 1, 1).unwrap(), Date(0));
    }

    #[test]
    fn working_days_skip_weekends() {
        let mon: Date = "2027-01-04".parse().unwrap();
        assert_eq!(date_of_working_day(&FIVE, mon, 1), mon);
        assert_eq!(date_of_working_day(&FIVE, mon, 5).to_string(), "2027-01-08");
        assert_eq!(date_of_working_day(&FIVE, mon, 6).to_string(), "2027-01-11");
        // A start on a Saturday begins on the Monday.
        let sat: Date = "2027-01-02".parse().unwrap();
        assert_eq!(date_of_working_day(&FIVE, sat, 1), mon);
        let wed: Date = "2027-01-06".parse().unwrap();
        assert_eq!(date_of_working_day(&FIVE, wed, 3).to_string(), "2027-01-08");
        assert_eq!(date_of_working_day(&FIVE, wed, 4).to_string(), "2027-01-11");
        for k in 1..40 {
            let d = date_of_working_day(&FIVE, wed, k);
            assert_eq!(working_days_between(&FIVE, wed, d), k);
        }
        assert_eq!(working_days_between(&FIVE, mon, sat), 0);
    }

    #[test]
    fn working_day_of_a_time() {
        // Day 1 is Monday 09:00-17:00; a card done Friday evening is on day 5.
        assert_eq!(working_day(&FIVE, 9.5), 1);
        assert_eq!(working_day(&FIVE, 4.0 * 24.0 + 18.0), 5);
        // Saturday counts as the week's last working day; the next Monday is day 6.
        assert_eq!(working_day(&FIVE, 5.0 * 24.0 + 10.0), 5);
        assert_eq!(working_day(&FIVE, 168.0 + 10.0), 6);
        assert_eq!(working_day(&Calendar::AlwaysOn, 47.9), 2);
        for k in 1..30 {
            let end = end_of_working_day(&FIVE, k);
            assert_eq!(working_day(&FIVE, end - 1.0), k);
        }
    }

    #[test]
    fn percentiles_of_runs() {
        let v = [1.0, 2.0, 3.0, 4.0, f64::INFINITY];
        assert_eq!(share_within(&v, 0.5), Some(3.0));
        assert_eq!(share_within(&v, 0.8), Some(4.0));
        assert_eq!(share_within(&v, 0.85), None, "the 5th run never finished");
        let c = [10, 20, 30, 40];
        // 85% of runs (4 of 4 rounded up) reached at least 10; half reached at least 30.
        assert_eq!(at_least_in_share(&c, 0.85), Some(10));
        assert_eq!(at_least_in_share(&c, 0.5), Some(30));
    }
}
