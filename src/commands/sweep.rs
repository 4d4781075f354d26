//! `flowsim sweep`: one scenario at every point of a parameter grid.

use std::collections::BTreeMap;
use std::path::Path;

use super::input::{apply_overrides, load_with_overrides, read_source};
use super::run::{Workers, simulate_into};
use super::{announce_target, draw_charts, print_out, wrote_note};
use crate::cli::SweepArgs;
use crate::error::Error;
use crate::experiment::Aggregates;
use crate::output::contrasts::{Point, write_sweep_differences};
use crate::output::csv::SweepWriter;
use crate::output::json::{Index, IndexEntry, write_json};
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
    let reference = reference_point(&args.reference, &params, &points)?;
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
    let mut units = Units::new();
    let mut done_aggs: Vec<Aggregates> = Vec::new();
    let mut reused_later = vec![false; points.len()];
    for (i, (sc, _, _)) in loaded.iter().enumerate() {
        if let Some((j, _)) = reusable(&params, &points, i, sc) {
            reused_later[j] = true;
        }
    }
    let mut reused: Vec<Option<(usize, Vec<String>)>> = vec![None; points.len()];
    for (i, ((sc, text, set), pt)) in loaded.iter().zip(&points).enumerate() {
        let point_dir = stage
            .path()
            .join(files::POINTS)
            .join(files::point_folder(i, points.len()));
        let finished = match reusable(&params, &points, i, sc) {
            Some((j, simulate)) if !crate::interrupt::requested() => {
                let from = stage
                    .path()
                    .join(files::POINTS)
                    .join(files::point_folder(j, points.len()));
                let earlier: &Aggregates = &done_aggs[j];
                let reuse = Reuse {
                    from: &from,
                    earlier,
                    simulate: &simulate,
                };
                let f =
                    simulate_reusing(sc, &src, text, set, &point_dir, common.threads, &pb, &reuse)?;
                reused[i] = Some((j, simulate));
                f
            }
            _ => simulate_into(
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
            )?,
        };
        let agg = &finished.aggregates;
        if finished.interrupted(sc) {
            stopped = Some((i, agg.reps, u64::from(sc.settings.replications)));
            break;
        }
        sweep_csv.write_point(&name, i + 1, pt, agg)?;
        units.add(agg);
        lines.push(sweep_line(i + 1, &params, pt, agg));
        done_aggs.push(finished.aggregates);
        // A long run's spilled weekly series stay (a file handle and its disk space) only
        // while a later point may reuse them.
        if !reused_later[i] {
            done_aggs[i].release_weekly();
        }
        if crate::interrupt::requested() && i + 1 < points.len() {
            stopped = Some((i + 1, 0, u64::from(sc.settings.replications)));
            break;
        }
    }
    pb.finish_and_clear();
    sweep_csv.finish()?;
    let status = |i: usize| match stopped {
        Some((j, _, _)) if i == j => "partial",
        Some((j, _, _)) if i > j => "not run",
        _ => "finished",
    };
    let origin = &src.origin;
    let index = sweep_index(&params, &points, reference, &name, origin, &status, &reused);
    write_json(&stage.path().join(files::MANIFEST), &index)?;
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
    write_contrasts(stage.path(), &name, &params, &points, reference, &units)?;
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

/// Metric units by name, gathered from every point (a point may have metrics another lacks).
#[derive(Debug, Default)]
pub(super) struct Units(pub(super) BTreeMap<String, String>);

impl Units {
    pub(super) fn new() -> Self {
        Units::default()
    }

    /// Adds the metrics of a point's aggregates.
    pub(super) fn add(&mut self, agg: &Aggregates) {
        for m in &agg.metrics {
            self.0
                .entry(m.name.clone())
                .or_insert_with(|| m.unit.to_string());
        }
    }
}

/// Resolves `--reference` into a 0-based point: nothing is the first point, a number is that
/// point (1-based), `PATH=VALUE`s pick the one point with those values.
///
/// # Errors
/// A number out of range, an unknown parameter, or values that match no point or several.
pub(super) fn reference_point(
    spec: &[String],
    params: &[String],
    points: &[Vec<String>],
) -> Result<usize, Error> {
    if spec.is_empty() {
        return Ok(0);
    }
    if let [one] = spec
        && let Ok(n) = one.trim().parse::<usize>()
    {
        if n == 0 || n > points.len() {
            return Err(Error::bad_input(format!(
                "--reference {n}: the sweep has points 1 to {}; give one of them, or PATH=VALUE",
                points.len()
            )));
        }
        return Ok(n - 1);
    }
    let mut wanted = Vec::new();
    for s in spec {
        let Some((path, value)) = s.split_once('=') else {
            return Err(Error::bad_input(format!(
                "--reference `{s}`: give a point number or PATH=VALUE, e.g. --reference {}={}",
                params[0], points[0][0]
            )));
        };
        let Some(j) = params.iter().position(|p| p == path.trim()) else {
            return Err(Error::bad_input(format!(
                "--reference `{s}`: `{}` is not a varied parameter; the sweep varies {}",
                path.trim(),
                params.join(" and ")
            )));
        };
        wanted.push((j, value.trim().to_string()));
    }
    let matching: Vec<usize> = (0..points.len())
        .filter(|&i| wanted.iter().all(|(j, v)| points[i][*j] == *v))
        .collect();
    match matching.as_slice() {
        [i] => Ok(*i),
        [] => Err(Error::bad_input(format!(
            "--reference {}: no sweep point has these values; the points are {}",
            spec.join(" "),
            points
                .iter()
                .map(|pt| assignments(params, pt).join(" "))
                .collect::<Vec<_>>()
                .join("; ")
        ))),
        many => Err(Error::bad_input(format!(
            "--reference {}: points {} all have these values; add the other parameter's value to pick one",
            spec.join(" "),
            many.iter()
                .map(|i| (i + 1).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// The sweep folder's top-level `manifest.json`: each point's folder, values and status.
pub(super) fn sweep_index(
    params: &[String],
    points: &[Vec<String>],
    reference: usize,
    scenario: &str,
    origin: &str,
    status: &dyn Fn(usize) -> &'static str,
    reused: &[Option<(usize, Vec<String>)>],
) -> Index {
    let finished = (0..points.len()).all(|i| status(i) == "finished");
    let mut top = vec![files::SWEEP.to_string()];
    if finished {
        top.push(files::SWEEP_DIFFERENCES.to_string());
    }
    Index {
        flowsim_version: env!("CARGO_PKG_VERSION").to_string(),
        kind: "sweep".into(),
        params: params.to_vec(),
        reference_point: Some(reference + 1),
        files: top,
        entries: points
            .iter()
            .enumerate()
            .map(|(i, pt)| IndexEntry {
                folder: Some(format!(
                    "{}/{}",
                    files::POINTS,
                    files::point_folder(i, points.len())
                )),
                scenario: Some(scenario.to_string()),
                point: Some(i + 1),
                values: assignments(params, pt),
                reused_point: reused.get(i).and_then(|r| r.as_ref().map(|(j, _)| j + 1)),
                simulated_policies: reused
                    .get(i)
                    .and_then(|r| r.as_ref().map(|(_, s)| s.clone()))
                    .unwrap_or_default(),
                ..IndexEntry::new(origin, status(i))
            })
            .collect(),
    }
}

/// Writes `sweep_differences.csv` into the sweep folder `dir` from its points' folders.
///
/// # Errors
/// A point's rows cannot be read, or the file cannot be written.
pub(super) fn write_contrasts(
    dir: &Path,
    scenario: &str,
    params: &[String],
    points: &[Vec<String>],
    reference: usize,
    units: &Units,
) -> Result<(), Error> {
    let dirs: Vec<std::path::PathBuf> = (0..points.len())
        .map(|i| {
            dir.join(files::POINTS)
                .join(files::point_folder(i, points.len()))
        })
        .collect();
    let pts: Vec<Point<'_>> = points
        .iter()
        .zip(&dirs)
        .map(|(values, dir)| Point { values, dir })
        .collect();
    let unit = |m: &str| units.0.get(m).cloned().unwrap_or_default();
    write_sweep_differences(
        &dir.join(files::SWEEP_DIFFERENCES),
        scenario,
        params,
        &pts,
        reference,
        &unit,
    )?;
    Ok(())
}

/// The policy a varied path belongs to alone: `policies.NAME...` touches only policy NAME;
/// any other path may touch every policy.
fn owner(param: &str) -> Option<&str> {
    let rest = param.strip_prefix("policies.")?;
    let name = rest.split(['.', '[']).next()?;
    (!name.is_empty()).then_some(name)
}

/// Whether point `i` can reuse an earlier point's results for some of its policies: the
/// earliest point `j` whose values differ from point `i`'s only in paths that belong to single
/// policies. Returns `j` and the names of the policies to simulate (those the differing paths
/// belong to); `None` when every policy must run.
fn reusable(
    params: &[String],
    points: &[Vec<String>],
    i: usize,
    sc: &Scenario,
) -> Option<(usize, Vec<String>)> {
    (0..i).find_map(|j| {
        let mut touched = Vec::new();
        for (q, p) in params.iter().enumerate() {
            if points[j][q] != points[i][q] {
                touched.push(owner(p)?.to_string());
            }
        }
        let simulate: Vec<String> = sc
            .policies
            .iter()
            .map(|p| p.name.clone())
            .filter(|n| touched.contains(n))
            .collect();
        (!simulate.is_empty() && simulate.len() < sc.policies.len()).then_some((j, simulate))
    })
}

/// What a point reuses: the earlier point's folder (its `replications.csv`) and aggregates,
/// and the policies it simulates itself.
struct Reuse<'a> {
    from: &'a Path,
    earlier: &'a Aggregates,
    simulate: &'a [String],
}

/// Like [`simulate_into`], but the policies the point's varied paths do not touch are not
/// simulated again: their rows are read back from the earlier point's `replications.csv` (the
/// same numbers, since a policy's replication is a pure function of its scenario, policy,
/// seed and replication) and their weekly aggregates copied from its aggregates.
#[allow(clippy::too_many_arguments)]
fn simulate_reusing(
    sc: &Scenario,
    source: &crate::output::folder::Source,
    text: &str,
    set: &[String],
    dir: &Path,
    threads: Option<usize>,
    progress: &indicatif::ProgressBar,
    reuse: &Reuse<'_>,
) -> Result<crate::output::folder::Finished, Error> {
    use crate::output::folder::{Completion, Provenance, ResultWriter, Weekly};
    // Reused weekly series come as the earlier point kept them: aggregates in memory, copied
    // below, or a spill's rows, copied row by row into this point's spill.
    let earlier_spill = reuse.earlier.spill().cloned();
    let weekly = if earlier_spill.is_some() {
        Weekly::Spill
    } else {
        Weekly::InMemory
    };
    let mut writer = ResultWriter::create_with(dir, sc, Provenance::of(source, text, set), weekly)?;
    let mut sub = sc.clone();
    sub.policies.retain(|p| reuse.simulate.contains(&p.name));
    let own: Vec<bool> = sc
        .policies
        .iter()
        .map(|p| reuse.simulate.contains(&p.name))
        .collect();
    let path = reuse.from.join(files::REPLICATIONS);
    let unreadable = |e: &dyn std::fmt::Display| {
        Error::failed(format!("{}: cannot read it back: {e}", path.display()))
    };
    let mut rows = ::csv::Reader::from_path(&path).map_err(|e| unreadable(&e))?;
    let mut record = ::csv::StringRecord::new();
    let reps = 0..u64::from(sc.settings.replications);
    let stop = crate::interrupt::flag();
    let on_done = || progress.inc(1);
    let (result, used) = crate::experiment::with_threads(threads, || {
        let r = crate::experiment::run_replications_until(
            &sub,
            reps,
            stop,
            &on_done,
            |rep, mut results| {
                results.reverse();
                let mut full = Vec::with_capacity(own.len());
                for &mine in &own {
                    let ok = rows.read_record(&mut record).map_err(|e| unreadable(&e))?;
                    if !ok || record.get(2) != Some(rep.to_string().as_str()) {
                        return Err(unreadable(&format!("no row for replication {rep}")));
                    }
                    if mine {
                        full.push(results.pop().expect("one result per simulated policy"));
                    } else {
                        let values = record
                            .iter()
                            .skip(3)
                            .map(|c| c.parse::<f64>().ok())
                            .collect();
                        let weekly = match &earlier_spill {
                            Some(s) => s
                                .read_policy_row(rep, full.len())
                                .map_err(|e| Error::failed(format!("cannot read it back: {e}")))?,
                            None => Vec::new(),
                        };
                        full.push(crate::metrics::RepResult {
                            values,
                            weekly,
                            events: 0,
                            card_times: Default::default(),
                            cards: Vec::new(),
                        });
                    }
                }
                writer.tally().add(rep, &full).map_err(Error::from)
            },
        );
        (r, rayon::current_num_threads())
    })
    .map_err(|e| {
        Error::failed(format!(
            "cannot start {threads:?} worker threads: {e}; try a smaller --threads"
        ))
    })?;
    let progress_made = result?;
    let agg = writer.tally().aggregates_mut();
    for (k, &mine) in own.iter().enumerate() {
        if !mine {
            if agg.weekly_in_memory() {
                agg.weekly[k].clone_from(&reuse.earlier.weekly[k]);
                agg.first[k].clone_from(&reuse.earlier.first[k]);
            }
            agg.card_times[k].clone_from(&reuse.earlier.card_times[k]);
        }
    }
    Ok(writer.finish(Completion::Simulated {
        threads: used,
        stopped: progress_made.stopped,
    })?)
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
                    (Some(mu), Some((lo, hi))) => crate::report::with_interval(mu, (hi - lo) / 2.0),
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
