//! The `[classes]` table (expedite and fixed-date cards) and the `[estimates]` table (how far
//! the estimates a planner sees are off).

use serde::Deserialize;

use super::effort::EffortFile;
use super::problems::Checker;
use crate::dist::Dist;
use crate::limits::MIN_RATE_PER_WEEK;
use crate::model::{Classes, Estimates, HOURS_PER_WEEK};

file_table! {
    /// `[classes]`; every field has a default.
    #[derive(Debug, Deserialize, Default)]
    #[serde(deny_unknown_fields, default)]
    pub(super) struct ClassesFile {
        /// Expedite cards arriving at random (cards per week).
        optional expedite_rate_per_week: f64 => "expedite cards per week, e.g. expedite_rate_per_week = 0.5",
        /// Share of cards with a due date.
        optional fixed_date_share: f64 => "the share of cards with a due date, e.g. fixed_date_share = 0.1",
        /// When a fixed-date card is due after it arrives (weeks).
        optional due_in_weeks: Option<EffortFile> => "when a fixed-date card is due, e.g. due_in_weeks = { dist = \"uniform\", min = 2, max = 6 }",
    }
}

file_table! {
    /// `[estimates]`; every field has a default.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    pub(super) struct EstimatesFile {
        /// Mean ratio of estimate to true effort (0.8: estimates 20% low).
        optional bias: f64 => "the factor estimates are off by on average, e.g. bias = 0.8",
        /// Standard deviation of the estimation error factor.
        optional spread: f64 => "the spread of the estimation error, e.g. spread = 0.3",
        /// The least share of an estimate a planner still sees as remaining.
        optional min_remaining_share: f64 => "e.g. min_remaining_share = 0.1",
    }
}

impl Default for EstimatesFile {
    fn default() -> Self {
        EstimatesFile {
            bias: 1.0,
            spread: 0.0,
            min_remaining_share: 0.1,
        }
    }
}

impl EstimatesFile {
    /// Checks the estimation error; the estimates the model draws.
    pub(super) fn build(&self, ck: &mut Checker) -> Estimates {
        if !(self.bias.is_finite() && (0.05..=20.0).contains(&self.bias)) {
            ck.fail(
                "estimates.bias",
                format!(
                    "must lie between 0.05 and 20 (the mean ratio of estimate to true effort; \
                     0.8 means estimates 20% low); got {}",
                    self.bias
                ),
            );
        }
        ck.nonneg(
            "estimates.spread",
            self.spread,
            "standard deviation of the error factor",
        );
        ck.probability("estimates.min_remaining_share", self.min_remaining_share);
        Estimates {
            bias: self.bias,
            spread: self.spread,
            min_remaining_share: self.min_remaining_share,
        }
    }
}

impl ClassesFile {
    /// Checks the classes of service; what the model draws them with.
    pub(super) fn build(&self, ck: &mut Checker) -> Classes {
        let rate = self.expedite_rate_per_week;
        if ck.nonneg("classes.expedite_rate_per_week", rate, "cards per week")
            && rate > 0.0
            && rate < MIN_RATE_PER_WEEK
        {
            ck.fail(
                "classes.expedite_rate_per_week",
                format!(
                    "{rate:e} cards per week is below the smallest rate of {MIN_RATE_PER_WEEK:e} \
                     cards per week; for no expedite cards use 0."
                ),
            );
        }
        ck.probability("classes.fixed_date_share", self.fixed_date_share);
        let due_in = match &self.due_in_weeks {
            Some(e) => e.to_dist("classes.due_in_weeks", HOURS_PER_WEEK, ck),
            None => {
                if self.fixed_date_share > 0.0 {
                    ck.fail(
                        "classes",
                        "fixed_date_share needs due_in_weeks, e.g. \
                         due_in_weeks = { dist = \"uniform\", min = 2, max = 4 }",
                    );
                }
                Dist::Constant(2.0 * HOURS_PER_WEEK)
            }
        };
        Classes {
            expedite_rate_per_h: self.expedite_rate_per_week / HOURS_PER_WEEK,
            fixed_date_share: self.fixed_date_share,
            due_in,
        }
    }
}
