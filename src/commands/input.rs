//! From raw arguments to ready-to-run scenarios: reading files, `--set`, `--reps`, `--seed`,
//! `--policies`, `--threads`, `--shard` and the resource guard.

use std::path::{Path, PathBuf};

use crate::cli::{CommonArgs, ShardArgs};
use crate::error::Error;
use crate::experiment::RunOverrides;
use crate::output::folder::Source;
use crate::scenario::{self, Scenario};
use crate::shard::{Shard, ShardOptions};

/// Reads a scenario file, or the built-in reference when `path` is `None`.
///
/// # Errors
/// The file cannot be read.
pub fn read_source(path: Option<&Path>) -> Result<Source, Error> {
    match path {
        None => Ok(Source {
            text: scenario::REFERENCE.to_string(),
            origin: scenario::REFERENCE_NAME.to_string(),
        }),
        Some(p) => std::fs::read_to_string(p)
            .map(|text| Source {
                text,
                origin: p.display().to_string(),
            })
            .map_err(|e| {
                Error::bad_input(format!(
                    "{}: cannot read the scenario file: {e}; check the path",
                    p.display()
                ))
            }),
    }
}

/// Applies `--set` overrides to the text, then loads and validates it. Returns the scenario
/// and the text as rewritten.
///
/// # Errors
/// A bad override or an invalid scenario.
pub fn load_with_overrides(src: &Source, set: &[String]) -> Result<(Scenario, String), Error> {
    let (text, changed) = crate::overrides::apply_all_at(&src.text, set)
        .map_err(|e| Error::bad_input(format!("{}: {e}", src.origin)))?;
    let sc = scenario::load_str(&text, &src.origin).map_err(|mut e| {
        if !set.is_empty() {
            in_users_file(&mut e, &src.text, set, &changed);
        }
        Error::bad_input(e.to_string())
    })?;
    Ok((sc, text))
}

/// Points each problem of a scenario rewritten by `--set` into the user's own file: a problem
/// with a value that a `--set` gave names that `--set` instead of a position; any other takes
/// its position in the original text (the rewritten text's lines mean nothing to the user).
fn in_users_file(
    e: &mut scenario::ScenarioError,
    original: &str,
    set: &[String],
    changed: &[String],
) {
    for p in &mut e.problems {
        let by_set = changed.iter().zip(set).rev().find(|(c, _)| {
            !p.path.is_empty()
                && (p.path == **c
                    || p.path.starts_with(&format!("{c}."))
                    || p.path.starts_with(&format!("{c}["))
                    || c.starts_with(&format!("{}.", p.path)))
        });
        match by_set {
            Some((_, a)) => {
                p.at = None;
                p.message = format!("{} (from --set {a})", p.message.trim_end_matches('.'));
            }
            None => p.at = scenario::position_of(original, &p.path),
        }
    }
    e.problems.sort_by_key(|p| p.at.unwrap_or((usize::MAX, 0)));
}

/// Applies `--reps`, `--seed` and `--policies` to a loaded scenario, and checks `--threads`.
///
/// # Errors
/// A value out of range, or a policy name the scenario does not define.
pub fn apply_overrides(sc: &mut Scenario, args: &CommonArgs) -> Result<(), Error> {
    let settings = RunOverrides {
        replications: args.reps,
        seed: args.seed,
        policies: args.policies.clone(),
    };
    settings.apply(sc).map_err(Error::bad_input)?;
    if args.threads == Some(0) {
        return Err(Error::bad_input(
            "--threads must be at least 1 (leave it out to use all cores)",
        ));
    }
    Ok(())
}

impl ShardArgs {
    /// The shard this process runs, if `--shard` was given.
    ///
    /// # Errors
    /// A bad `--shard`/`--shards`, or `auto` outside a job array.
    pub fn shard(&self) -> Result<Option<Shard>, Error> {
        match &self.shard {
            None if self.shards.is_some() => Err(Error::bad_input(
                "--shards needs --shard auto (or give --shard K/N alone)",
            )),
            None => Ok(None),
            Some(spec) => crate::shard::resolve(spec, self.shards, &|k| std::env::var(k).ok())
                .map(Some)
                .map_err(Error::bad_input),
        }
    }
}

impl CommonArgs {
    /// The flags a shard run needs.
    pub fn shard_options(&self) -> ShardOptions<'_> {
        ShardOptions {
            set: &self.set,
            threads: self.threads,
            quiet: self.quiet,
        }
    }

    /// Refuses a run whose predicted work or memory is beyond the limits, unless `--force`.
    /// `scenarios` are the scenario runs of this process (one, or every sweep point); under
    /// `shard` each is judged on this shard's share of its replications.
    ///
    /// # Errors
    /// A bad limit, or the estimate and how to proceed (bad input).
    pub fn guard(
        &self,
        what: &str,
        shard: Option<Shard>,
        scenarios: &[&Scenario],
    ) -> Result<(), Error> {
        for (flag, v) in [
            ("--max-events", self.max_events),
            ("--max-memory-mb", self.max_memory_mb),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::bad_input(format!(
                    "{flag} must be a positive number (got {v})"
                )));
            }
        }
        if self.force {
            return Ok(());
        }
        let mut need = crate::guard::Need::default();
        for sc in scenarios {
            // A shard is judged on its own share of the replications.
            let share = shard.map_or(1, |sh| sh.count);
            let reps = u64::from(sc.settings.replications).div_ceil(share);
            let n = crate::guard::need(sc, reps, self.workers());
            need.events += n.events;
            need.bytes = need.bytes.max(n.bytes);
        }
        let limits = crate::guard::Limits {
            max_events: self.max_events,
            max_memory_mb: self.max_memory_mb,
        };
        crate::guard::check(what, need, limits).map_err(Error::bad_input)
    }

    /// Worker threads a run will use.
    fn workers(&self) -> usize {
        self.threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
    }
}

/// Expands folders into their `*.toml` files (sorted by name); files pass through.
pub(super) fn expand(paths: &[PathBuf]) -> Vec<Result<PathBuf, Error>> {
    let mut out = Vec::new();
    for p in paths {
        if !p.is_dir() {
            out.push(Ok(p.clone()));
            continue;
        }
        let entries = match std::fs::read_dir(p) {
            Ok(e) => e,
            Err(e) => {
                out.push(Err(Error::bad_input(format!(
                    "{}: cannot list the folder: {e}",
                    p.display()
                ))));
                continue;
            }
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        if files.is_empty() {
            out.push(Err(Error::bad_input(format!(
                "{}: the folder holds no .toml scenario files",
                p.display()
            ))));
        }
        out.extend(files.into_iter().map(Ok));
    }
    out
}
