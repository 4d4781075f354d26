//! The `[run]` table: how long to simulate, how many replications, the seed, which policies.

use serde::Deserialize;

use super::problems::Checker;
use crate::limits::{MAX_HORIZON_WEEKS, MAX_REPLICATIONS};

file_table! {
    /// `[run]`: the experiment's settings; every field has a default.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    pub(super) struct RunFile {
        /// Simulated time (weeks).
        optional horizon_weeks: f64 => "the simulated time in weeks, e.g. horizon_weeks = 52",
        /// Leading weeks left out of the statistics (weeks).
        optional warmup_weeks: f64 => "leading weeks left out of the statistics, e.g. warmup_weeks = 4",
        /// Replications per policy.
        optional replications: u32 => "replications per policy, e.g. replications = 200",
        /// Master seed.
        optional seed: u64 => "the master seed, e.g. seed = 2026",
        /// The policies to compare, in order; by default every preset, then every
        /// `[policies.NAME]` that is not a preset.
        optional policies: Option<Vec<String>> => "the policies to compare, e.g. policies = [\"pull\", \"flow\"]",
    }
}

impl Default for RunFile {
    fn default() -> Self {
        RunFile {
            horizon_weeks: 52.0,
            warmup_weeks: 0.0,
            replications: 100,
            seed: 1,
            policies: None,
        }
    }
}

impl RunFile {
    /// Checks the horizon, warm-up and replications against each other and the limits.
    pub(super) fn check(&self, ck: &mut Checker) {
        ck.positive("run.horizon_weeks", self.horizon_weeks, "weeks");
        if !(self.warmup_weeks.is_finite()
            && self.warmup_weeks >= 0.0
            && self.warmup_weeks < self.horizon_weeks)
        {
            ck.fail(
                "run.warmup_weeks",
                format!(
                    "must be at least 0 and below run.horizon_weeks ({}); got {}.",
                    self.horizon_weeks, self.warmup_weeks
                ),
            );
        }
        if self.horizon_weeks > MAX_HORIZON_WEEKS {
            ck.fail(
                "run.horizon_weeks",
                format!(
                    "{} weeks is beyond the limit of {MAX_HORIZON_WEEKS} weeks; a horizon of a \
                     few years (e.g. 104) is enough for steady-state results.",
                    self.horizon_weeks
                ),
            );
        }
        if self.replications == 0 {
            ck.fail(
                "run.replications",
                "must be at least 1, e.g. replications = 200.",
            );
        }
        if self.replications > MAX_REPLICATIONS {
            ck.fail(
                "run.replications",
                format!(
                    "{} replications is beyond the limit of {MAX_REPLICATIONS}; a few hundred give \
                 tight confidence intervals, and larger studies can be split into shards.",
                    self.replications
                ),
            );
        }
    }
}
