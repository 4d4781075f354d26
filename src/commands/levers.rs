//! `flowsim levers`: which lever moves lead time and throughput most?

use std::path::Path;
use std::time::Instant;

use super::input::{apply_overrides, load_with_overrides, read_source};
use super::{announce_target, print_out, wrote_note};
use crate::cli::LeversArgs;
use crate::error::Error;
use crate::experiment::RunOverrides;
use crate::levers::{self, Effect, LeverResult};
use crate::output::csv::CsvFile;
use crate::output::files;
use crate::output::safe::{Staged, component};

/// `flowsim levers`.
///
/// # Errors
/// Bad input, a file that cannot be written, or a closed standard output.
pub fn levers(args: &LeversArgs) -> Result<(), Error> {
    let common = &args.common;
    let src = read_source(args.scenario.as_deref())?;
    let (mut sc, text) = load_with_overrides(&src, &common.set)?;
    apply_overrides(&mut sc, common)?;
    let settings = RunOverrides {
        replications: common.reps,
        seed: common.seed,
        policies: common.policies.clone(),
    };
    let list =
        levers::levers(&text).map_err(|e| Error::bad_input(format!("{}: {e}", src.origin)))?;
    if list.is_empty() {
        return Err(Error::bad_input(format!(
            "{}: the scenario has no lever to move (no team roles, stages or arrival rate)",
            src.origin
        )));
    }
    // The guard judges the whole job: the unchanged scenario once per variant and once more.
    let copies: Vec<&crate::scenario::Scenario> =
        std::iter::repeat_n(&sc, list.len() + 1).collect();
    common.guard(&src.origin, None, &copies)?;
    let dir = match &common.out {
        Some(o) => o.clone(),
        None => Path::new(files::DEFAULT_PARENT).join(format!(
            "{}{}",
            component(&sc.model.name)?,
            files::LEVERS_SUFFIX
        )),
    };
    let stage = Staged::begin(&dir, common.force)?;
    announce_target(&dir, stage.target());
    let total = u64::from(sc.settings.replications) * (list.len() as u64 + 1);
    let pb = crate::report::progress_bar(total, common.quiet);
    pb.set_message(format!("{} levers", sc.model.name));
    let t0 = Instant::now();
    let results = crate::experiment::with_threads(common.threads, || {
        levers::run(
            &sc,
            &text,
            &settings,
            &list,
            crate::interrupt::flag(),
            &|| pb.inc(1),
        )
    })
    .map_err(|e| Error::failed(format!("cannot start worker threads: {e}")))?;
    pb.finish_and_clear();
    let Some(results) = results else {
        return Err(Error::interrupted(
            "Interrupted: nothing was written (levers.csv is written only once every lever has run).",
        ));
    };
    let wall_s = t0.elapsed().as_secs_f64();
    let policies: Vec<String> = sc.policies.iter().map(|p| p.name.clone()).collect();
    write_levers(
        &stage.path().join(files::LEVERS),
        &sc.model.name,
        &policies,
        &results,
    )?;
    crate::output::folder::write_scenario_text(stage.path(), &text)?;
    let mut out = render(&sc, &policies, &results, wall_s);
    crate::output::folder::write_text(&stage.path().join(files::ANSWER), &out)?;
    if !args.charts.no_charts {
        crate::charts::tornado::draw_dir(stage.path(), args.charts.chart_size)?;
        crate::charts::write_standalone_report(
            stage.path(),
            &format!("{}: levers", sc.model.name),
            files::LEVERS,
            "levers",
        )?;
    }
    let done = stage.commit()?;
    out.push_str(&format!("Wrote {}\n", done.display()));
    print_out(&wrote_note(out, &dir, &done))
}

fn num(v: Option<f64>) -> String {
    v.map_or(String::new(), |x| format!("{x}"))
}

fn effect_cells(e: &Effect) -> Vec<String> {
    vec![
        num(e.base),
        num(e.diff),
        num(e.diff_ci.map(|c| c.0)),
        num(e.diff_ci.map(|c| c.1)),
        num(e.rel.map(|r| r.0 * 100.0)),
        num(e.rel.map(|r| r.1 * 100.0)),
        num(e.rel.map(|r| r.2 * 100.0)),
    ]
}

/// Writes `levers.csv`: per policy, the levers ranked by their effect on lead time.
fn write_levers(
    path: &Path,
    scenario: &str,
    policies: &[String],
    results: &[LeverResult],
) -> Result<(), Error> {
    let mut header: Vec<String> = [
        "scenario",
        "policy",
        "rank",
        "factor",
        "direction",
        "lever",
        "settings",
        "pairs",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (m, unit) in [("lead_time_mean", "h"), ("throughput", "per_week")] {
        header.push(format!("{m}_base_{unit}"));
        header.push(format!("{m}_diff_{unit}"));
        header.push(format!("{m}_diff_ci95_low_{unit}"));
        header.push(format!("{m}_diff_ci95_high_{unit}"));
        header.push(format!("{m}_change_pct"));
        header.push(format!("{m}_change_ci95_low_pct"));
        header.push(format!("{m}_change_ci95_high_pct"));
    }
    header.push("skipped".into());
    let mut f = CsvFile::create(path, &header)?;
    for (k, policy) in policies.iter().enumerate() {
        for (rank, &i) in levers::ranking(results, k).iter().enumerate() {
            let r = &results[i];
            let mut row = vec![
                scenario.to_string(),
                policy.clone(),
                (rank + 1).to_string(),
                r.lever.factor.clone(),
                r.lever.direction.word().to_string(),
                r.lever.label.clone(),
                r.lever.sets.join("; "),
            ];
            match r.per_policy.get(k) {
                Some(e) => {
                    row.push(e.lead_time.pairs.to_string());
                    row.extend(effect_cells(&e.lead_time));
                    row.extend(effect_cells(&e.throughput));
                }
                None => row.extend(std::iter::repeat_n(String::new(), 15)),
            }
            row.push(r.skipped.clone().unwrap_or_default());
            f.row(&row)?;
        }
    }
    Ok(f.finish()?)
}

/// "-14.2% (95% CI -16.0% to -12.4%)".
fn pct_ci(rel: Option<(f64, f64, f64)>) -> String {
    match rel {
        Some((r, lo, hi)) => format!(
            "{:+.1}% ({:+.1}% to {:+.1}%)",
            r * 100.0,
            lo * 100.0,
            hi * 100.0
        ),
        None => "–".into(),
    }
}

/// Whether an interval excludes zero.
fn clear(rel: Option<(f64, f64, f64)>) -> bool {
    rel.is_some_and(|(_, lo, hi)| lo > 0.0 || hi < 0.0)
}

/// The terminal text: per policy, the ranked table and its sentences.
fn render(
    sc: &crate::scenario::Scenario,
    policies: &[String],
    results: &[LeverResult],
    wall_s: f64,
) -> String {
    let mut o = format!(
        "{}: {} levers, each against the unchanged scenario on the same {} replications, seed {}, {wall_s:.1} s\n\
         change of the mean with its 95% interval (paired, common random numbers)\n",
        sc.model.name,
        results.len(),
        sc.settings.replications,
        sc.settings.seed
    );
    for (k, policy) in policies.iter().enumerate() {
        let base = results
            .iter()
            .find_map(|r| r.per_policy.get(k))
            .map(|e| (e.lead_time.base, e.throughput.base));
        o.push_str(&format!("\n{policy}"));
        if let Some((Some(l), Some(t))) = base {
            let days = crate::report::DayUnit::of(sc);
            o.push_str(&format!(
                ": mean lead time {:.1} {} ({l:.0} h of calendar time), throughput {t:.2} cards/week",
                l * days.per_hour,
                days.unit
            ));
        }
        o.push('\n');
        let w = results
            .iter()
            .map(|r| r.lever.label.chars().count())
            .max()
            .unwrap_or(5);
        o.push_str(&format!(
            "{:>4}  {:<w$}  {:>30}  {:>30}\n",
            "rank", "lever", "mean lead time (95% CI)", "throughput (95% CI)"
        ));
        for (rank, &i) in levers::ranking(results, k).iter().enumerate() {
            let r = &results[i];
            match r.per_policy.get(k) {
                Some(e) => o.push_str(&format!(
                    "{:>4}  {:<w$}  {:>30}  {:>30}\n",
                    rank + 1,
                    r.lever.label,
                    pct_ci(e.lead_time.rel),
                    pct_ci(e.throughput.rel)
                )),
                None => o.push_str(&format!(
                    "{:>4}  {:<w$}  skipped: {}\n",
                    rank + 1,
                    r.lever.label,
                    r.skipped.as_deref().unwrap_or("")
                )),
            }
        }
        o.push_str(&sentences(policy, k, results));
    }
    o
}

/// The answers: the lever that shortens lead time most, and the best role for one more person.
fn sentences(policy: &str, k: usize, results: &[LeverResult]) -> String {
    let rel = |r: &LeverResult| r.per_policy.get(k).and_then(|e| e.lead_time.rel);
    let best = |pred: &dyn Fn(&LeverResult) -> bool| {
        results
            .iter()
            .filter(|r| pred(r))
            .filter_map(|r| rel(r).map(|x| (r, x)))
            .min_by(|a, b| a.1.0.total_cmp(&b.1.0))
    };
    let mut o = String::new();
    match best(&|_| true) {
        Some((r, x)) if x.0 < 0.0 && clear(Some(x)) => o.push_str(&format!(
            "Under {policy}, {} shortens lead time most: {}.\n",
            r.lever.label,
            pct_ci(Some(x)).replacen(" (", " (95% CI ", 1)
        )),
        _ => o.push_str(&format!(
            "Under {policy}, no lever shortens lead time clearly (no 95% interval below zero).\n"
        )),
    }
    if let Some((r, x)) = best(&|r| r.lever.label.starts_with("one more ")) {
        let tp = r.per_policy.get(k).and_then(|e| e.throughput.rel);
        let verdict = if x.0 < 0.0 && clear(Some(x)) {
            "the best place for one more person"
        } else {
            "no added person clearly shortens lead time; the least bad"
        };
        o.push_str(&format!(
            "Under {policy}, {verdict}: {}; lead time {}, throughput {}.\n",
            r.lever.label.trim_start_matches("one more "),
            pct_ci(Some(x)).replacen(" (", " (95% CI ", 1),
            pct_ci(tp).replacen(" (", " (95% CI ", 1)
        ));
    }
    o
}
