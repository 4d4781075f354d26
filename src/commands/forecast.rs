//! `flowsim forecast`: when will a backlog of N cards be done, and how many by a date?

use std::path::Path;
use std::time::Instant;

use super::input::{apply_overrides, load_with_overrides, read_source};
use super::{announce_target, print_out, wrote_note};
use crate::cli::ForecastArgs;
use crate::error::Error;
use crate::forecast::{self, Date, PERCENTILES, PolicyForecast, Runs};
use crate::model::{Calendar, HOURS_PER_WEEK, Model};
use crate::output::csv::CsvFile;
use crate::output::files;
use crate::output::safe::{Staged, component};

/// The `--by` question, resolved against the calendar.
#[derive(Debug, Clone, Copy)]
struct By {
    /// The end of that day or week (hours since the start).
    h: f64,
    /// Working days up to it (working days).
    working_days: u64,
    /// The date, with --by.
    date: Option<Date>,
}

fn parse_date(flag: &str, s: &str) -> Result<Date, Error> {
    s.parse::<Date>()
        .map_err(|e| Error::bad_input(format!("--{flag}: {e}")))
}

fn resolve_by(
    args: &ForecastArgs,
    cal: &Calendar,
    start: Option<Date>,
) -> Result<Option<By>, Error> {
    if let Some(w) = args.by_weeks {
        if !(w.is_finite() && w > 0.0 && w <= crate::limits::MAX_HORIZON_WEEKS) {
            return Err(Error::bad_input(format!(
                "--by-weeks must be a number of weeks above 0 (got {w}), e.g. --by-weeks 8"
            )));
        }
        let h = w * HOURS_PER_WEEK;
        return Ok(Some(By {
            h,
            working_days: forecast::working_day(cal, h - 1e-9),
            date: None,
        }));
    }
    let Some(by) = &args.by else {
        return Ok(None);
    };
    let by = parse_date("by", by)?;
    let Some(start) = start else {
        return Err(Error::bad_input(
            "--by needs --start (the first working day), e.g. --start 2027-01-04 --by 2027-03-01; or give --by-weeks W",
        ));
    };
    if by < start {
        return Err(Error::bad_input(format!(
            "--by {by} is before --start {start}; give a later date"
        )));
    }
    let k = forecast::working_days_between(cal, start, by);
    let h = forecast::end_of_working_day(cal, k);
    if h / HOURS_PER_WEEK > crate::limits::MAX_HORIZON_WEEKS {
        return Err(Error::bad_input(format!(
            "--by {by} is beyond the limit of {} weeks from the start",
            crate::limits::MAX_HORIZON_WEEKS
        )));
    }
    Ok(Some(By {
        h,
        working_days: k,
        date: Some(by),
    }))
}

/// `flowsim forecast`.
///
/// # Errors
/// Bad input, a file that cannot be written, or a closed standard output.
pub fn forecast(args: &ForecastArgs) -> Result<(), Error> {
    let common = &args.common;
    let start = args
        .start
        .as_deref()
        .map(|s| parse_date("start", s))
        .transpose()?;
    let src = read_source(args.scenario.as_deref())?;
    let (mut sc, text) = load_with_overrides(&src, &common.set)?;
    apply_overrides(&mut sc, common)?;
    let n = forecast::set_backlog(&mut sc.model, args.cards, args.no_arrivals)
        .map_err(|e| Error::bad_input(format!("{}: {e}", src.origin)))?;
    let by = resolve_by(args, &sc.model.calendar, start)?;
    common.guard(&src.origin, None, &[&sc])?;
    let dir = match &common.out {
        Some(o) => o.clone(),
        None => Path::new(files::DEFAULT_PARENT).join(format!(
            "{}{}",
            component(&sc.model.name)?,
            files::FORECAST_SUFFIX
        )),
    };
    let stage = Staged::begin(&dir, common.force)?;
    announce_target(&dir, stage.target());
    let runs_total = u64::from(sc.settings.replications) * sc.policies.len() as u64;
    let pb = crate::report::progress_bar(runs_total, common.quiet);
    pb.set_message(format!("{} forecast", sc.model.name));
    let t0 = Instant::now();
    let runs = crate::experiment::with_threads(common.threads, || {
        forecast::run(&sc, n, by.map(|b| b.h), crate::interrupt::flag(), &|| {
            pb.inc(1)
        })
    })
    .map_err(|e| Error::failed(format!("cannot start worker threads: {e}")))?;
    pb.finish_and_clear();
    let Some(runs) = runs else {
        return Err(Error::interrupted(
            "Interrupted: nothing was written (a forecast is written only once every run has finished).",
        ));
    };
    let wall_s = t0.elapsed().as_secs_f64();
    let sums = forecast::summarise(&runs, &sc.model.calendar);
    let ctx = Context {
        model: &sc.model,
        cards: n,
        arrivals: !matches!(
            sc.model.arrivals.process,
            crate::model::ArrivalProcess::None
        ) || sc.model.classes.expedite_rate_per_h > 0.0,
        start,
        by,
    };
    write_forecast(&stage.path().join(files::FORECAST), &ctx, &sums)?;
    write_runs(&stage.path().join(files::FORECAST_RUNS), &ctx, &runs)?;
    crate::output::folder::write_scenario_text(stage.path(), &text)?;
    let mut out = render(&ctx, &sums, &sc, wall_s);
    crate::output::folder::write_text(&stage.path().join(files::ANSWER), &out)?;
    if !args.charts.no_charts {
        crate::charts::forecast::draw_dir(stage.path(), args.charts.chart_size)?;
        crate::charts::write_standalone_report(
            stage.path(),
            &format!("{}: forecast", sc.model.name),
            files::FORECAST,
            "forecast",
        )?;
    }
    let done = stage.commit()?;
    out.push_str(&format!("Wrote {}\n", done.display()));
    print_out(&wrote_note(out, &dir, &done))
}

/// What a forecast's files and sentences need besides the results.
struct Context<'a> {
    model: &'a Model,
    cards: u32,
    arrivals: bool,
    start: Option<Date>,
    by: Option<By>,
}

impl Context<'_> {
    fn days_per_week(&self) -> f64 {
        f64::from(self.model.days_per_week())
    }

    fn date(&self, working_days: u64) -> Option<Date> {
        self.start
            .map(|s| forecast::date_of_working_day(&self.model.calendar, s, working_days))
    }
}

fn pct(q: f64) -> String {
    format!("p{:02}", (q * 100.0).round() as u32)
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or(String::new(), |x| x.to_string())
}

fn num(v: Option<f64>) -> String {
    v.map_or(String::new(), |x| format!("{x}"))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Writes `forecast.csv`: one row per policy.
fn write_forecast(path: &Path, ctx: &Context, sums: &[PolicyForecast]) -> Result<(), Error> {
    let mut header: Vec<String> = [
        "scenario",
        "policy",
        "cards",
        "further_arrivals",
        "runs",
        "runs_unfinished",
        "horizon_weeks",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for q in PERCENTILES {
        header.push(format!("{}_working_days", pct(q)));
    }
    for q in PERCENTILES {
        header.push(format!("{}_working_weeks", pct(q)));
    }
    for q in PERCENTILES {
        header.push(format!("{}_clock_hours", pct(q)));
    }
    header.push("mean_working_days".into());
    header.push("start_date".into());
    for q in PERCENTILES {
        header.push(format!("{}_date", pct(q)));
    }
    header.extend(
        [
            "by_date",
            "by_working_days",
            "by_clock_hours",
            "cards_done_by_mean",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    for q in PERCENTILES {
        header.push(format!(
            "cards_done_by_in_{}pct_of_runs",
            (q * 100.0).round()
        ));
    }
    let mut f = CsvFile::create(path, &header)?;
    for s in sums {
        let mut row = vec![
            ctx.model.name.clone(),
            s.policy.clone(),
            ctx.cards.to_string(),
            ctx.arrivals.to_string(),
            s.runs.to_string(),
            s.unfinished.to_string(),
            format!("{}", s.horizon_h / HOURS_PER_WEEK),
        ];
        row.extend(s.done_working_days.iter().map(|d| opt(*d)));
        row.extend(
            s.done_working_days
                .iter()
                .map(|d| num(d.map(|d| round2(d as f64 / ctx.days_per_week())))),
        );
        row.extend(s.done_h.iter().map(|h| num(*h)));
        row.push(num(s.mean_working_days));
        row.push(opt(ctx.start));
        row.extend(
            s.done_working_days
                .iter()
                .map(|d| opt(d.and_then(|d| ctx.date(d)))),
        );
        row.push(opt(ctx.by.and_then(|b| b.date)));
        row.push(opt(ctx.by.map(|b| b.working_days)));
        row.push(num(ctx.by.map(|b| b.h)));
        row.push(num(s.by_mean));
        row.extend(s.by_at_least.iter().map(|c| opt(*c)));
        f.row(&row)?;
    }
    Ok(f.finish()?)
}

/// Writes `forecast_runs.csv`: one row per replication and policy.
fn write_runs(path: &Path, ctx: &Context, runs: &Runs) -> Result<(), Error> {
    let header: Vec<String> = [
        "policy",
        "replication",
        "done_clock_hours",
        "done_working_days",
        "done_date",
        "horizon_weeks",
        "cards_done_by",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut f = CsvFile::create(path, &header)?;
    for (name, rs) in runs.policies.iter().zip(&runs.runs) {
        for (r, o) in rs.iter().enumerate() {
            let wd = o
                .done_h
                .map(|t| forecast::working_day(&ctx.model.calendar, t));
            f.row(&[
                name.clone(),
                r.to_string(),
                num(o.done_h),
                opt(wd),
                opt(wd.and_then(|d| ctx.date(d))),
                format!("{}", o.horizon_h / HOURS_PER_WEEK),
                opt(o.done_by),
            ])?;
        }
    }
    Ok(f.finish()?)
}

/// "23 working days (4.6 weeks; by 2027-03-12)".
fn when(ctx: &Context, d: u64) -> String {
    let unit = match ctx.model.calendar {
        Calendar::AlwaysOn => "days",
        Calendar::Working { .. } => "working days",
    };
    let weeks = d as f64 / ctx.days_per_week();
    let date = ctx.date(d).map_or(String::new(), |dt| format!("; by {dt}"));
    format!("{d} {unit} ({weeks:.1} weeks{date})")
}

/// The terminal text: a header, a table of percentiles and one sentence per policy.
fn render(
    ctx: &Context,
    sums: &[PolicyForecast],
    sc: &crate::scenario::Scenario,
    wall_s: f64,
) -> String {
    let mut o = String::new();
    let arrivals = if ctx.arrivals {
        "with further arrivals as the scenario says"
    } else {
        "no further arrivals"
    };
    o.push_str(&format!(
        "{}: forecast for a backlog of {} cards, {arrivals}; {} runs per policy, seed {}, {wall_s:.1} s\n",
        sc.model.name, ctx.cards, sc.settings.replications, sc.settings.seed
    ));
    match ctx.model.calendar {
        Calendar::AlwaysOn => o.push_str("calendar: 24/7 (every day counts)"),
        Calendar::Working {
            hours_per_day,
            days_per_week,
            ..
        } => o.push_str(&format!(
            "calendar: {hours_per_day} h a day, {days_per_week} days a week"
        )),
    }
    if let Some(s) = ctx.start {
        o.push_str(&format!("; first working day {s}"));
    }
    o.push_str("\n\n");
    let unit = match ctx.model.calendar {
        Calendar::AlwaysOn => "days",
        Calendar::Working { .. } => "working days",
    };
    o.push_str(&format!(
        "{unit} until the last of the {} cards is done (weeks{}), by share of runs:\n",
        ctx.cards,
        if ctx.start.is_some() { "; date" } else { "" }
    ));
    o.push_str(&format!(
        "{:<12} {:>24} {:>24} {:>24}\n",
        "policy", "50% of runs", "85% of runs", "95% of runs"
    ));
    for s in sums {
        o.push_str(&format!("{:<12}", s.policy));
        for d in &s.done_working_days {
            let cell = match d {
                Some(d) => {
                    let date = ctx.date(*d).map_or(String::new(), |x| format!(" {x}"));
                    format!("{d} ({:.1} wk){date}", *d as f64 / ctx.days_per_week())
                }
                None => "not within horizon".into(),
            };
            o.push_str(&format!(" {cell:>24}"));
        }
        o.push('\n');
    }
    o.push('\n');
    for s in sums {
        match s.done_working_days[1] {
            Some(d) => o.push_str(&format!(
                "85% of runs finish the {} cards within {} under {}.\n",
                ctx.cards,
                when(ctx, d),
                s.policy
            )),
            None => o.push_str(&format!(
                "Under {}, fewer than 85% of runs finish the {} cards within the horizon ({:.0} weeks).\n",
                s.policy,
                ctx.cards,
                s.horizon_h / HOURS_PER_WEEK
            )),
        }
        if s.unfinished > 0 {
            o.push_str(&format!(
                "  {} of {} runs had not finished the {} cards by the horizon ({:.0} weeks).\n",
                s.unfinished,
                s.runs,
                ctx.cards,
                s.horizon_h / HOURS_PER_WEEK
            ));
        }
    }
    if let Some(by) = ctx.by {
        o.push('\n');
        let at = match by.date {
            Some(d) => format!("By {d} ({} working days)", by.working_days),
            None => format!("By the end of week {:.4}", by.h / HOURS_PER_WEEK)
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string(),
        };
        for s in sums {
            o.push_str(&format!(
                "{at}, 85% of runs have done at least {} cards under {} (50%: {}, mean {:.1}).\n",
                opt(s.by_at_least[1]),
                s.policy,
                opt(s.by_at_least[0]),
                s.by_mean.unwrap_or(f64::NAN)
            ));
        }
    }
    o
}
