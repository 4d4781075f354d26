//! `flowsim sweep`: one scenario at every point of a parameter grid.

use std::path::Path;

use super::input::{apply_overrides, load_with_overrides, read_source};
use super::run::{Workers, simulate_into};
use super::{announce_target, draw_charts, print_out, wrote_note};
use crate::cli::SweepArgs;
use crate::error::Error;
use crate::experiment::Aggregates;
use crate::output::csv::SweepWriter;
use crate::output::safe::{Staged, component};
use crate::output::{OutputError, files};
use crate::overrides;
use crate::scenario::Scenario;

/// `flowsim sweep`: the scenario at every point of the grid, each with the same seed (common
/// random numbers across points as well as across policies).
///
/// # Errors
/// Bad input, a file that cannot be written, Ctrl-C, or a closed standard output.
pub fn sweep(args: &SweepArgs) -> Result<(), Error> {
    let common = &args.common;
    let shard = args.sharding.shard()?;
    if args.vary.len() > 2 {
        return Err(Error::bad_input(
            "--vary may be given at most twice (a grid of two parameters)",
        ));
    }
    let mut params = Vec::new();
    let mut values = Vec::new();
    for v in &args.vary {
        let (p, vals) = overrides::parse_vary(v).map_err(|e| Error::bad_input(e.0))?;
        params.push(p);
        values.push(vals);
    }
    let points = grid(&values);
    if points.len() > overrides::MAX_VALUES {
        return Err(Error::bad_input(format!(
            "the --vary grid has {} points; at most {} are allowed, use fewer values",
            points.len(),
            overrides::MAX_VALUES
        )));
    }
    let src = read_source(args.scenario.as_deref())?;
    // Load every point before running any, so a bad value fails at once.
    let mut loaded = Vec::new();
    for pt in &points {
        let mut set = common.set.clone();
        set.extend(assignments(&params, pt));
        let (mut sc, text) = load_with_overrides(&src, &set).map_err(|e| {
            e.map_message(|m| format!("sweep point {}:\n{m}", assignments(&params, pt).join(", ")))
        })?;
        apply_overrides(&mut sc, common)?;
        loaded.push((sc, text, set));
    }
    let name = loaded[0].0.model.name.clone();
    let scenarios: Vec<&Scenario> = loaded.iter().map(|(sc, _, _)| sc).collect();
    common.guard(
        &format!("{} ({} sweep points)", src.origin, points.len()),
        shard,
        &scenarios,
    )?;
    let dir = match &common.out {
        Some(o) => o.clone(),
        None => Path::new(files::DEFAULT_PARENT).join(format!("{}-sweep", component(&name)?)),
    };
    if let Some(shard) = shard {
        let text_after_set = overrides::apply_all(&src.text, &common.set)
            .map_err(|e| Error::bad_input(format!("{}: {e}", src.origin)))?;
        let plan = crate::shard::SweepPlan {
            source: &src,
            text_after_set: &text_after_set,
            params: &params,
            points: &points,
            loaded: &loaded,
        };
        let msg = crate::shard::sweep_shard(&plan, common.shard_options(), &dir, shard)?;
        return print_out(&msg);
    }
    let stage = Staged::begin(&dir, common.force)?;
    announce_target(&dir, stage.target());
    let mut sweep_csv = SweepWriter::create(&stage.path().join(files::SWEEP), &params)?;
    let total: u64 = scenarios
        .iter()
        .map(|sc| u64::from(sc.settings.replications))
        .sum();
    let pb = crate::report::progress_bar(total, common.quiet);
    pb.set_message(format!("{name} sweep"));
    let mut lines = Vec::new();
    let mut stopped = None;
    for (i, ((sc, text, set), pt)) in loaded.iter().zip(&points).enumerate() {
        let point_dir = stage
            .path()
            .join(files::POINTS)
            .join(files::point_folder(i, points.len()));
        let finished = simulate_into(
            sc,
            &src,
            text,
            set,
            &point_dir,
            Workers {
                threads: common.threads,
                cards: false,
            },
            &pb,
        )?;
        let agg = &finished.aggregates;
        if finished.interrupted(sc) {
            stopped = Some((i, agg.reps, u64::from(sc.settings.replications)));
            break;
        }
        sweep_csv.write_point(&name, i + 1, pt, agg)?;
        lines.push(sweep_line(i + 1, &params, pt, agg));
        if crate::interrupt::requested() && i + 1 < points.len() {
            stopped = Some((i + 1, 0, u64::from(sc.settings.replications)));
            break;
        }
    }
    pb.finish_and_clear();
    sweep_csv.finish()?;
    if let Some((i, done, of)) = stopped {
        let note = format!(
            "Interrupted (Ctrl-C) at sweep point {} of {} after {done} of {of} of its replications: sweep.csv holds the {i} complete points only; points/ holds their folders and the partial point's, whose manifest.json says \"partial\": true. No charts were drawn.\n",
            i + 1,
            points.len()
        );
        let path = stage.path().join(files::INTERRUPTED);
        std::fs::write(&path, &note).map_err(|e| OutputError::io(&path, e))?;
        let done_dir = stage.commit()?;
        return Err(Error::interrupted(format!(
            "{}The partial sweep is in {}.",
            note,
            done_dir.display()
        )));
    }
    draw_charts(stage.path(), &src.text, &args.charts)?;
    let done = stage.commit()?;
    let mut s = format!(
        "{name} sweep — {} points, seed {} at every point\nthroughput_per_week and lead_time_mean_h per policy (mean ±half-width of the 95% interval)\n",
        points.len(),
        loaded[0].0.settings.seed
    );
    for l in lines {
        s.push_str(&l);
        s.push('\n');
    }
    s.push_str(&format!("\nWrote {}\n", done.display()));
    print_out(&wrote_note(s, &dir, &done))
}

/// Every combination of the values, the first parameter varying slowest.
fn grid(values: &[Vec<String>]) -> Vec<Vec<String>> {
    let mut points: Vec<Vec<String>> = vec![Vec::new()];
    for vals in values {
        points = points
            .into_iter()
            .flat_map(|pt| {
                vals.iter().map(move |v| {
                    let mut p = pt.clone();
                    p.push(v.clone());
                    p
                })
            })
            .collect();
    }
    points
}

/// A point's `PATH=VALUE` assignments.
fn assignments(params: &[String], point: &[String]) -> Vec<String> {
    params
        .iter()
        .zip(point)
        .map(|(p, v)| format!("{p}={v}"))
        .collect()
}

/// One point's line of the terminal summary: its values, then throughput and lead time per
/// policy.
fn sweep_line(i: usize, params: &[String], pt: &[String], agg: &Aggregates) -> String {
    let mut s = format!("  {i:>3}  {}", assignments(params, pt).join(" "));
    for (k, p) in agg.policies.iter().enumerate() {
        let cell_of = |name: &str| {
            agg.metric_index(name).map_or("-".to_string(), |m| {
                let x = agg.summary(k, m);
                match (x.mean, x.ci95) {
                    (Some(mu), Some((lo, hi))) => format!(
                        "{} ±{}",
                        crate::report::cell(Some(mu)),
                        crate::report::cell(Some((hi - lo) / 2.0))
                    ),
                    (mu, _) => crate::report::cell(mu),
                }
            })
        };
        s.push_str(&format!(
            "  | {p}: {} cards/week, {} h",
            cell_of("throughput_per_week"),
            cell_of("lead_time_mean_h")
        ));
    }
    s
}
