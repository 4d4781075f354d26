//! The `[arrivals]` table: how cards arrive (Poisson, batches, none, an unlimited backlog, or
//! the team's own history replayed from a CSV file).

use serde::Deserialize;

use super::data;
use super::problems::Checker;
use crate::limits::{MAX_CARDS_AT_ONCE, MIN_RATE_PER_WEEK};
use crate::model::{ArrivalProcess, Arrivals, Calendar, HOURS_PER_WEEK, Replay, ReplayFill};

keywords! {
    /// `arrivals.process`.
    pub(super) enum ProcessKind {
        /// Poisson arrivals at a rate.
        Poisson = "poisson",
        /// A fixed batch every period.
        Batch = "batch",
        /// No arrivals beyond the initial backlog.
        None = "none",
        /// A backlog that never runs dry.
        Unlimited = "unlimited",
        /// The team's own history, from a CSV file.
        Replay = "replay",
    }
}

keywords! {
    /// `arrivals.fill`: what a replayed history does after its last week.
    pub(super) enum FillKind => ReplayFill {
        /// The history once.
        Once = "once",
        /// The history again and again.
        Repeat = "repeat",
        /// Weeks of the history drawn at random.
        Resample = "resample",
    }
}

file_table! {
    /// `[arrivals]`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct ArrivalsFile {
        /// The arrival process.
        required process: ProcessKind => "how cards arrive, e.g. process = \"poisson\"",
        /// Poisson rate (cards per week); exclusive with `rate_per_hour`.
        optional rate_per_week: Option<f64> => "cards per week, e.g. rate_per_week = 8",
        /// Poisson rate (cards per hour); exclusive with `rate_per_week`.
        optional rate_per_hour: Option<f64> => "cards per hour, e.g. rate_per_hour = 0.2",
        /// Cards per batch.
        optional batch_size: Option<u32> => "cards per batch, e.g. batch_size = 10",
        /// Time between batches (weeks; default 1).
        optional period_weeks: Option<f64> => "weeks between batches, e.g. period_weeks = 2",
        /// Cards waiting at the start (cards).
        #[serde(default)]
        optional initial_backlog: u32 => "cards waiting at the start, e.g. initial_backlog = 10",
        /// The most cards the backlog holds (cards); arrivals beyond it are lost.
        optional max_backlog: Option<u32> => "the most cards the backlog holds, e.g. max_backlog = 50",
        /// The history to replay (a CSV file, relative to the scenario file).
        optional file: Option<String> => "a CSV file of card arrivals, e.g. file = \"data/history.csv\"",
        /// The column holding each card's arrival date or timestamp (default `created`).
        optional date_column: Option<String> => "the column of arrival dates, e.g. date_column = \"created\"",
        /// What a replayed history does after its last week (default `once`).
        optional fill: Option<FillKind> => "once, repeat or resample, e.g. fill = \"resample\"",
        /// A replayed history played this many times as fast (default 1): every gap between
        /// arrivals divided by it, so 1.1 brings 10% more cards a week.
        optional replay_speed: Option<f64> => "how many times as fast the history arrives, e.g. replay_speed = 1.1",
    }
}

impl ArrivalsFile {
    /// Checks the process and its parameters; the arrivals the model runs with.
    pub(super) fn build(&self, calendar: &Calendar, ck: &mut Checker) -> Arrivals {
        let process = match self.process {
            ProcessKind::Poisson => ArrivalProcess::Poisson {
                rate_per_h: self.poisson_rate_per_h(ck).unwrap_or(1.0),
            },
            ProcessKind::Batch => self.batch(ck),
            ProcessKind::None => ArrivalProcess::None,
            ProcessKind::Unlimited => ArrivalProcess::Unlimited,
            ProcessKind::Replay => self.replay(calendar, ck),
        };
        self.check_fields_fit_process(ck);
        // A cap of 0 is legitimate (a loss system), nothing to check for max_backlog.
        if self.initial_backlog > MAX_CARDS_AT_ONCE {
            ck.fail(
                "arrivals.initial_backlog",
                format!(
                    "a backlog of {} cards is beyond the limit of {MAX_CARDS_AT_ONCE} cards at \
                     once; a backlog that never runs dry is process = \"unlimited\".",
                    self.initial_backlog
                ),
            );
        }
        Arrivals {
            process,
            initial_backlog: self.initial_backlog,
            max_backlog: self.max_backlog,
        }
    }

    /// The Poisson rate (cards per hour) from exactly one of the two rate fields.
    fn poisson_rate_per_h(&self, ck: &mut Checker) -> Option<f64> {
        match (self.rate_per_week, self.rate_per_hour) {
            (Some(w), None) => rate_per_h(ck, "arrivals.rate_per_week", w, 1.0),
            (None, Some(h)) => rate_per_h(ck, "arrivals.rate_per_hour", h, HOURS_PER_WEEK),
            _ => {
                ck.fail(
                    "arrivals",
                    "a poisson process needs exactly one of rate_per_week or rate_per_hour, \
                     e.g. rate_per_week = 8.",
                );
                None
            }
        }
    }

    /// A batch of `batch_size` cards every `period_weeks` (default 1).
    fn batch(&self, ck: &mut Checker) -> ArrivalProcess {
        let size = self.batch_size.unwrap_or(0);
        if size == 0 {
            let path = if self.batch_size.is_some() {
                "arrivals.batch_size"
            } else {
                "arrivals"
            };
            ck.fail(
                path,
                "a batch process needs batch_size of at least 1, e.g. batch_size = 10.",
            );
        }
        if size > MAX_CARDS_AT_ONCE {
            ck.fail(
                "arrivals.batch_size",
                format!(
                    "a batch of {size} cards is beyond the limit of {MAX_CARDS_AT_ONCE} cards \
                     at once; use smaller, more frequent batches."
                ),
            );
        }
        let period = self.period_weeks.unwrap_or(1.0);
        ck.positive("arrivals.period_weeks", period, "weeks");
        ArrivalProcess::Batch {
            size,
            period_h: period * HOURS_PER_WEEK,
        }
    }

    /// The history in `file`, read now (the engine does no I/O).
    fn replay(&self, calendar: &Calendar, ck: &mut Checker) -> ArrivalProcess {
        let fill = self.fill.map_or(ReplayFill::Once, ReplayFill::from);
        let Some(file) = &self.file else {
            ck.fail(
                "arrivals",
                "a replay process needs the history's file, e.g. file = \"data/history.csv\" \
                 (one card per line, a `created` column of dates).",
            );
            return ArrivalProcess::None;
        };
        let path = data::resolve(ck.base(), file);
        let column = self.date_column.as_deref().unwrap_or("created");
        let day_start_h = match *calendar {
            Calendar::Working { day_start_h, .. } => day_start_h,
            Calendar::AlwaysOn => 0.0,
        };
        let scale = self.replay_speed.unwrap_or(1.0);
        if !(scale.is_finite() && scale > 0.0) {
            ck.fail(
                "arrivals.replay_speed",
                format!(
                    "the replay speed must be a positive number (got {scale}), e.g. replay_speed = \
                     1.1 for 10% more cards a week"
                ),
            );
            return ArrivalProcess::None;
        }
        match data::read_history(&path, column, day_start_h) {
            Ok(mut cards) => {
                ck.read_data_file(file, &path);
                for c in &mut cards {
                    c.at_h /= scale;
                }
                let weeks = data::history_weeks(&cards);
                ArrivalProcess::Replay(Replay::new(cards, weeks, fill))
            }
            Err(e) => {
                ck.fail("arrivals.file", e);
                ArrivalProcess::None
            }
        }
    }

    /// Reports each rate or batch field given for a process it does not apply to.
    fn check_fields_fit_process(&self, ck: &mut Checker) {
        let poisson = self.process == ProcessKind::Poisson;
        let batch = self.process == ProcessKind::Batch;
        let replay = self.process == ProcessKind::Replay;
        for (field, given, applies, to) in [
            (
                "rate_per_week",
                self.rate_per_week.is_some(),
                poisson,
                "poisson",
            ),
            (
                "rate_per_hour",
                self.rate_per_hour.is_some(),
                poisson,
                "poisson",
            ),
            ("batch_size", self.batch_size.is_some(), batch, "batch"),
            ("period_weeks", self.period_weeks.is_some(), batch, "batch"),
            ("file", self.file.is_some(), replay, "replay"),
            ("date_column", self.date_column.is_some(), replay, "replay"),
            ("fill", self.fill.is_some(), replay, "replay"),
            (
                "replay_speed",
                self.replay_speed.is_some(),
                replay,
                "replay",
            ),
        ] {
            if given && !applies {
                ck.fail(
                    format!("arrivals.{field}"),
                    format!("only applies to process = \"{to}\"; remove it or change the process."),
                );
            }
        }
    }
}

/// Checks an arrival rate `v` given in cards per week (`units_per_week` = 1) or in cards per
/// hour (`units_per_week` = the hours in a week); returns cards per hour.
fn rate_per_h(ck: &mut Checker, path: &str, v: f64, units_per_week: f64) -> Option<f64> {
    let unit = if units_per_week == 1.0 {
        "cards per week"
    } else {
        "cards per hour"
    };
    if !ck.positive(path, v, unit) {
        return None;
    }
    let weekly = v * units_per_week;
    if weekly < MIN_RATE_PER_WEEK {
        ck.fail(
            path,
            format!(
                "{v} {unit} is below the smallest rate of {MIN_RATE_PER_WEEK} cards per week; \
                 for no arrivals use process = \"none\"."
            ),
        );
        return None;
    }
    Some(weekly / HOURS_PER_WEEK)
}
