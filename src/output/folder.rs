//! The one writer of a result folder, used by `run`, `sweep`, shards and `merge`.
//!
//! Why it exists: a result folder (`replications.csv`, `summary.csv`, `differences.csv`,
//! `weekly.csv`, `manifest.json`) must come out the same bytes whether one process simulated it
//! or `merge` rebuilt it from shards. Both feed the same [`Tally`] in replication order and
//! finish through the same [`ResultWriter::finish`], so there is one place that decides what a
//! result folder holds. A shard's part folder uses the [`Tally`] alone (rows and aggregates on
//! the same thread pool), and writes its own partial files.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use super::csv::{
    CardsWriter, ReplicationsWriter, write_card_times, write_differences, write_summary,
    write_weekly,
};
use super::json::{
    Manifest, SeriesEntry, littles_law, metric_entries, percentile_method, sha256_hex, write_json,
};
use super::{OutputError, create_dir, files};
use crate::error::Error;
use crate::experiment::{self, Aggregates, Progress};
use crate::metrics::RepResult;
use crate::scenario::Scenario;

/// Scenario text and where it came from.
#[derive(Debug, Clone)]
pub struct Source {
    /// The text as read.
    pub text: String,
    /// A path, or the reference scenario's name.
    pub origin: String,
}

/// Where a result's scenario came from, as `manifest.json` records it.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// A path, or the reference scenario's name.
    pub origin: String,
    /// SHA-256 (hex) of the scenario text as read.
    pub source_sha256: String,
    /// SHA-256 (hex) of the text simulated (after every override).
    pub scenario_sha256: String,
    /// Every override applied to the text, in order.
    pub overrides: Vec<String>,
}

impl Provenance {
    /// The provenance of `simulated`, the text of `source` after `overrides`.
    pub fn of(source: &Source, simulated: &str, overrides: &[String]) -> Self {
        Provenance {
            origin: source.origin.clone(),
            source_sha256: sha256_hex(&source.text),
            scenario_sha256: sha256_hex(simulated),
            overrides: overrides.to_vec(),
        }
    }
}

/// What one experiment produced.
#[derive(Debug)]
pub struct Finished {
    /// The aggregates.
    pub aggregates: Aggregates,
    /// Worker threads used.
    pub threads: usize,
    /// Wall time (seconds).
    pub wall_s: f64,
}

impl Finished {
    /// Whether Ctrl-C stopped the experiment before every replication ran.
    pub fn interrupted(&self, sc: &Scenario) -> bool {
        self.aggregates.reps < u64::from(sc.settings.replications)
    }
}

/// How far a simulation on the pool got.
#[derive(Debug, Clone, Copy)]
pub struct Simulated {
    /// Replications handed on, and whether the stop flag ended the run early.
    pub progress: Progress,
    /// Worker threads used.
    pub threads: usize,
}

/// Where a [`Tally`] keeps its weekly series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weekly {
    /// In memory ([`Aggregates::new`]): for tallies fed results without weekly series
    /// (merge, a sweep point reusing another's policies) and whose aggregates are reused.
    InMemory,
    /// In a spill file inside the folder when they would take more than
    /// [`experiment::spill_above_bytes`] in memory ([`Aggregates::spilled`]); for tallies
    /// that simulate every replication they hold. The files written are the same bytes either
    /// way.
    SpillWhenLarge,
    /// In a spill file whatever the size (a sweep point reusing a spilled point's series).
    Spill,
}

/// `replications.csv` (and `cards.csv` when asked for) and the aggregates, fed together in
/// replication order.
pub struct Tally {
    rows: ReplicationsWriter,
    cards: Option<CardsWriter>,
    aggregates: Aggregates,
}

impl Tally {
    /// Creates `dir/replications.csv` (the folder must exist) and empty aggregates for `sc`.
    ///
    /// # Errors
    /// The file cannot be created.
    pub fn create(dir: &Path, sc: &Scenario) -> Result<Self, OutputError> {
        Self::create_as(dir, sc, false, Weekly::InMemory)
    }

    /// Like [`Tally::create`], but the rows go to `dir/replications.csv.gz`, gzip-compressed,
    /// when `compressed` (a shard's part), and the weekly series where `weekly` says.
    ///
    /// # Errors
    /// The file cannot be created.
    pub fn create_as(
        dir: &Path,
        sc: &Scenario,
        compressed: bool,
        weekly: Weekly,
    ) -> Result<Self, OutputError> {
        let spill = match weekly {
            Weekly::InMemory => false,
            Weekly::SpillWhenLarge => experiment::spills(sc),
            Weekly::Spill => true,
        };
        let aggregates = if spill {
            Aggregates::spilled(sc, &dir.join(files::WEEKLY_SPILL))?
        } else {
            Aggregates::new(sc)
        };
        let name = if compressed {
            files::REPLICATIONS_GZ
        } else {
            files::REPLICATIONS
        };
        let rows = ReplicationsWriter::create_as(
            &dir.join(name),
            &sc.model.name,
            &aggregates,
            compressed,
        )?;
        Ok(Tally {
            rows,
            cards: None,
            aggregates,
        })
    }

    /// Creates `dir/cards.csv`: from now on [`Tally::simulate`] asks the engine for every
    /// card's record and [`Tally::add`] writes them.
    ///
    /// # Errors
    /// The file cannot be created.
    pub fn write_cards(&mut self, dir: &Path, sc: &Scenario) -> Result<(), OutputError> {
        self.cards = Some(CardsWriter::create(
            &dir.join(files::CARDS),
            &sc.model.name,
            &self.aggregates.policies,
            sc.model.horizon_h,
        )?);
        Ok(())
    }

    /// Writes replication `rep`'s rows and adds its results (one per policy) to the aggregates.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn add(&mut self, rep: u64, results: &[RepResult]) -> Result<(), OutputError> {
        self.rows.write(rep, results)?;
        if let Some(cards) = &mut self.cards {
            cards.write(rep, results)?;
        }
        self.aggregates.add(results);
        Ok(self.aggregates.spill_check()?)
    }

    /// The aggregates so far.
    pub fn aggregates(&self) -> &Aggregates {
        &self.aggregates
    }

    /// The aggregates so far, to merge partial weekly aggregates into.
    pub fn aggregates_mut(&mut self) -> &mut Aggregates {
        &mut self.aggregates
    }

    /// Simulates replications `reps` of `sc` on a pool of `threads` worker threads (all cores
    /// when `None`), adding each to the tally in replication order; stops early once `stop` is
    /// set. `progress` counts finished replications.
    ///
    /// # Errors
    /// A file cannot be written, or the thread pool cannot be built.
    pub fn simulate(
        &mut self,
        sc: &Scenario,
        reps: Range<u64>,
        threads: Option<usize>,
        stop: &AtomicBool,
        progress: &indicatif::ProgressBar,
    ) -> Result<Simulated, Error> {
        let on_done = || progress.inc(1);
        let record = self.cards.is_some();
        // Spilled weekly series are written by the worker that simulates them, at their
        // replication's row, a week at a time as the engine closes each week: no replication
        // holds its whole series.
        let spill = self.aggregates.spill().cloned();
        let (base, from) = (self.aggregates.reps, reps.start);
        let take = |rep: u64, k: usize| -> Option<Box<dyn experiment::WeeklySink>> {
            spill
                .as_ref()
                .map(|s| Box::new(s.row_writer(base + rep - from, k)) as _)
        };
        let prepare: Option<experiment::Prepare<'_>> = spill.as_ref().map(|_| &take as _);
        let (result, used) = experiment::with_threads(threads, || {
            let r = experiment::run_replications_prepared(
                sc,
                reps,
                stop,
                record,
                prepare,
                &on_done,
                |rep, results| self.add(rep, &results),
            );
            (r, rayon::current_num_threads())
        })
        .map_err(|e| {
            Error::failed(format!(
                "cannot start {threads:?} worker threads: {e}; try a smaller --threads"
            ))
        })?;
        Ok(Simulated {
            progress: result?,
            threads: used,
        })
    }

    /// Flushes `replications.csv` and hands back the aggregates.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn finish(self) -> Result<Aggregates, OutputError> {
        self.rows.finish()?;
        if let Some(cards) = self.cards {
            cards.finish()?;
        }
        Ok(self.aggregates)
    }
}

/// How a result came to be, for its final manifest.
#[derive(Debug, Clone, Copy)]
pub enum Completion {
    /// Simulated here; `stopped` when Ctrl-C ended it early. The wall time is measured from
    /// [`ResultWriter::create`].
    Simulated {
        /// Worker threads used.
        threads: usize,
        /// Whether Ctrl-C stopped it before every replication ran.
        stopped: bool,
    },
    /// Rebuilt by `merge` from `shards` shard folders.
    Merged {
        /// The most worker threads any part used.
        threads: usize,
        /// The parts' simulation time, summed (seconds).
        wall_s: f64,
        /// Number of shards merged.
        shards: u64,
    },
}

/// A result folder being written: its manifest says `finished: false` until
/// [`ResultWriter::finish`] writes the rest.
pub struct ResultWriter {
    dir: PathBuf,
    scenario: String,
    manifest: Manifest,
    tally: Tally,
    started: Instant,
}

impl ResultWriter {
    /// Creates `dir`, writes a manifest saying the run has not finished and opens
    /// `replications.csv`, so a bad path fails before the first replication.
    ///
    /// # Errors
    /// The folder or a file cannot be written.
    pub fn create(dir: &Path, sc: &Scenario, provenance: Provenance) -> Result<Self, OutputError> {
        Self::create_with(dir, sc, provenance, Weekly::InMemory)
    }

    /// Like [`ResultWriter::create`], with the weekly series kept where `weekly` says.
    ///
    /// # Errors
    /// The folder or a file cannot be written.
    pub fn create_with(
        dir: &Path,
        sc: &Scenario,
        provenance: Provenance,
        weekly: Weekly,
    ) -> Result<Self, OutputError> {
        create_dir(dir)?;
        let tally = Tally::create_as(dir, sc, false, weekly)?;
        let agg = tally.aggregates();
        let manifest = Manifest {
            flowsim_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: sc.model.name.clone(),
            origin: provenance.origin,
            source_sha256: provenance.source_sha256,
            overrides: provenance.overrides,
            scenario_sha256: provenance.scenario_sha256,
            data_files: sc.data_files.clone(),
            seed: sc.settings.seed,
            replications: u64::from(sc.settings.replications),
            replications_done: 0,
            threads: 0,
            policies: agg.policies.clone(),
            wall_time_s: 0.0,
            finished: false,
            percentiles: percentile_method(),
            metrics: metric_entries(&agg.metrics),
            weekly_series: agg
                .weekly_series
                .iter()
                .map(|(n, u)| SeriesEntry {
                    name: n.clone(),
                    unit: u.to_string(),
                })
                .collect(),
            partial: false,
            interrupted: None,
            littles_law: Vec::new(),
            merged_shards: None,
        };
        write_json(&dir.join(files::MANIFEST), &manifest)?;
        Ok(ResultWriter {
            dir: dir.to_path_buf(),
            scenario: sc.model.name.clone(),
            manifest,
            tally,
            started: Instant::now(),
        })
    }

    /// Also writes `cards.csv` (see [`Tally::write_cards`]).
    ///
    /// # Errors
    /// The file cannot be created.
    pub fn write_cards(&mut self, sc: &Scenario) -> Result<(), OutputError> {
        self.tally.write_cards(&self.dir, sc)
    }

    /// The rows and aggregates to feed, in replication order.
    pub fn tally(&mut self) -> &mut Tally {
        &mut self.tally
    }

    /// Writes `summary.csv`, `differences.csv`, `weekly.csv`, `card_times.csv` and the final
    /// manifest. Spilled weekly series stay readable in the returned aggregates until they
    /// are dropped or released ([`Aggregates::release_weekly`]).
    ///
    /// # Errors
    /// A file cannot be written.
    pub fn finish(self, how: Completion) -> Result<Finished, OutputError> {
        let ResultWriter {
            dir,
            scenario,
            mut manifest,
            tally,
            started,
        } = self;
        let agg = tally.finish()?;
        write_summary(&dir.join(files::SUMMARY), &scenario, &agg)?;
        write_differences(&dir.join(files::DIFFERENCES), &scenario, &agg)?;
        // A spilled run's weekly aggregates are built here, on as many threads as it ran on.
        let on = match how {
            Completion::Simulated { threads, .. } | Completion::Merged { threads, .. } => threads,
        };
        experiment::with_threads(Some(on.max(1)), || {
            write_weekly(&dir.join(files::WEEKLY), &scenario, &agg)
        })
        .map_err(|e| OutputError {
            path: dir.join(files::WEEKLY),
            message: format!(
                "cannot start {on} threads to aggregate it: {e}; try a smaller --threads"
            ),
        })??;
        write_card_times(&dir.join(files::CARD_TIMES), &scenario, &agg)?;
        let (threads, wall_s, stopped) = match how {
            Completion::Simulated { threads, stopped } => {
                (threads, started.elapsed().as_secs_f64(), stopped)
            }
            Completion::Merged {
                threads,
                wall_s,
                shards,
            } => {
                manifest.merged_shards = Some(shards);
                (threads, wall_s, false)
            }
        };
        manifest.replications_done = agg.reps;
        manifest.threads = threads;
        manifest.wall_time_s = wall_s;
        manifest.littles_law = littles_law(&agg);
        manifest.finished = !stopped;
        manifest.partial = stopped;
        if stopped {
            manifest.interrupted = Some(format!(
                "interrupted (Ctrl-C) after {} of {} replications; every file holds only those",
                agg.reps, manifest.replications
            ));
        }
        write_json(&dir.join(files::MANIFEST), &manifest)?;
        Ok(Finished {
            aggregates: agg,
            threads,
            wall_s,
        })
    }
}

/// Writes `scenario.toml`, the scenario text simulated, into `dir`.
///
/// # Errors
/// The file cannot be written.
pub fn write_scenario_text(dir: &Path, text: &str) -> Result<(), OutputError> {
    write_text(&dir.join(files::SCENARIO), text)
}

/// Writes a text file of a result folder.
///
/// # Errors
/// The file cannot be written.
pub fn write_text(path: &Path, text: &str) -> Result<(), OutputError> {
    std::fs::write(path, text).map_err(|e| OutputError::io(path, e))
}
