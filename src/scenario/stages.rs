//! The `[[stages]]` list: each stage's effort and WIP limit, and its rework and deployment
//! failures, which send a card back to an earlier stage.

use serde::Deserialize;

use super::effort::EffortFile;
use super::problems::{Checker, names_no_stage};
use crate::limits::{MAX_PULL_DELAY_H, MAX_STAGES};
use crate::model::{BatchFailure, Deployment, Rework, Stage};

/// Default share of the first effort that rework or a fix takes.
fn half() -> f64 {
    0.5
}

file_table! {
    /// One `[[stages]]` entry.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct StageFile {
        /// The stage's name, unique on the board.
        required name: String => "the stage's name, e.g. name = \"test\"",
        /// Work a card needs here (hours at speed 1).
        required effort: EffortFile => "e.g. effort = { dist = \"lognormal\", mean = 6, sd = 3 }",
        /// Most cards in this stage, in progress or done waiting (cards); none when absent.
        optional wip_limit: Option<u32> => "cards in this stage at most, e.g. wip_limit = 3",
        /// A check that sends failing cards back.
        optional rework: Option<ReworkFile> => "e.g. rework = { probability = 0.1, to = \"development\" }",
        /// The conservative puller: takes a card only while fewer of its own unfinished cards (cards).
        optional pull_below: Option<u32> => "the stage takes a card only while fewer of its cards are unfinished, e.g. pull_below = 1",
        /// The conservative puller: hours it waits after taking a card before taking the next.
        optional pull_delay_h: Option<f64> => "hours the stage waits after taking a card before taking the next, e.g. pull_delay_h = 4",
        /// Deployments that can fail.
        optional deployment: Option<DeploymentFile> => "e.g. deployment = { failure_probability = 0.15, fix_in = \"build\", rollback_effort = { dist = \"constant\", value = 2 } }",
    }
}

file_table! {
    /// `stages[i].rework`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct ReworkFile {
        /// Chance a card fails this stage's check.
        required probability: f64 => "the chance a card fails this stage's check, e.g. probability = 0.1",
        /// The stage (this one or earlier) a failed card goes back to.
        required to: String => "the earlier stage a failed card goes back to, e.g. to = \"development\"",
        /// Share of the first effort that rework takes (default 0.5).
        #[serde(default = "half")]
        optional effort_share: f64 => "the share of the first effort that rework takes, e.g. effort_share = 0.5",
        /// Chance added per hour of overtime the finisher worked this week (default 0: off).
        #[serde(default)]
        optional per_overtime_hour: f64 => "the chance added per overtime hour its finisher worked this week, e.g. per_overtime_hour = 0.01",
        /// Chance added per card the finisher holds besides this one (default 0: off).
        #[serde(default)]
        optional per_extra_card: f64 => "the chance added per other card its finisher holds, e.g. per_extra_card = 0.05",
    }
}

file_table! {
    /// `stages[i].deployment`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct DeploymentFile {
        /// Chance a deployment fails.
        required failure_probability: f64 => "the chance a deployment fails, e.g. failure_probability = 0.15",
        /// The stage (this one or earlier) a failed change goes back to.
        required fix_in: String => "the stage a failed change goes back to, e.g. fix_in = \"build\"",
        /// Share of the first effort the fix takes (default 0.5).
        #[serde(default = "half")]
        optional fix_effort_share: f64 => "the share of the first effort the fix takes, e.g. fix_effort_share = 0.5",
        /// Work to roll a broken environment back (hours).
        required rollback_effort: EffortFile => "work to roll a broken environment back, e.g. rollback_effort = { dist = \"uniform\", min = 2, max = 6 }",
        /// How a GitOps batch's failure chance grows with its size (default `once`).
        optional batch_failure: Option<BatchFailureKind> => "how a synced batch's failure chance grows with its size, e.g. batch_failure = \"each_change\"",
        /// Time a failed synced deployment goes unnoticed (hours; default: noticed at once).
        optional detect_after: Option<EffortFile> => "hours a failed synced deployment goes unnoticed, e.g. detect_after = { dist = \"exponential\", mean = 4 }",
    }
}

keywords! {
    /// `stages[i].deployment.batch_failure`.
    pub(super) enum BatchFailureKind => BatchFailure {
        /// The batch fails with the deployment's chance, whatever its size.
        Once = "once",
        /// Each change may break it.
        EachChange = "each_change",
    }
}

/// Checks the stages, then their deployments, then their rework; the board the model runs.
pub(super) fn build(files: &[StageFile], ck: &mut Checker) -> Vec<Stage> {
    if files.is_empty() {
        ck.fail(
            "stages",
            "needs at least one stage, e.g. [[stages]] name = \"work\", effort = { dist = \"constant\", value = 4 }.",
        );
    }
    if files.len() > MAX_STAGES {
        ck.fail(
            "stages",
            format!(
                "{} stages is beyond the limit of {MAX_STAGES}; merge stages that the same people work.",
                files.len()
            ),
        );
    }
    let mut stages: Vec<Stage> = files
        .iter()
        .enumerate()
        .map(|(i, s)| s.stage(i, &files[..i], ck))
        .collect();
    let stage_names: Vec<&str> = files.iter().map(|s| s.name.as_str()).collect();
    for (i, s) in files.iter().enumerate() {
        if let Some(dep) = &s.deployment {
            stages[i].deployment = dep.build(i, &stage_names, ck);
        }
    }
    for (i, s) in files.iter().enumerate() {
        if let Some(rw) = &s.rework {
            stages[i].rework = rw.build(i, &stage_names, ck);
        }
    }
    stages
}

impl StageFile {
    /// Checks stage `i` (name, WIP limit, effort) against the stages before it; the stage,
    /// without its rework and deployment.
    fn stage(&self, i: usize, before: &[StageFile], ck: &mut Checker) -> Stage {
        let p = format!("stages[{i}]");
        ck.usable_name(format!("{p}.name"), &self.name, "name");
        if before.iter().any(|o| o.name == self.name) {
            ck.fail(
                format!("{p}.name"),
                format!(
                    "stage `{}` is listed twice; stage names must be unique.",
                    self.name
                ),
            );
        }
        if self.wip_limit == Some(0) {
            ck.fail(
                format!("{p}.wip_limit"),
                "a WIP limit of 0 would stop all work: use at least 1, or leave it out for no limit.",
            );
        }
        if self.pull_below == Some(0) {
            ck.fail(
                format!("{p}.pull_below"),
                "a stage that pulls only below 0 cards would never take one: use at least 1, or \
                 leave it out.",
            );
        }
        if let Some(d) = self.pull_delay_h
            && !(d.is_finite() && (0.0..=MAX_PULL_DELAY_H).contains(&d))
        {
            ck.fail(
                format!("{p}.pull_delay_h"),
                format!(
                    "must be 0 (no delay) to {MAX_PULL_DELAY_H} hours after each card the stage \
                     takes, e.g. pull_delay_h = 4; got {d}."
                ),
            );
        }
        Stage {
            pull_below: self.pull_below,
            pull_delay_h: self.pull_delay_h.unwrap_or(0.0),
            name: self.name.clone(),
            effort: self.effort.to_dist(&format!("{p}.effort"), 1.0, ck),
            wip_limit: self.wip_limit,
            rework: None,
            deployment: None,
        }
    }
}

impl DeploymentFile {
    /// Checks the deployment of stage `i`; `None` when it cannot go back where it says.
    fn build(&self, i: usize, stage_names: &[&str], ck: &mut Checker) -> Option<Deployment> {
        let p = format!("stages[{i}].deployment");
        ck.probability(
            &format!("{p}.failure_probability"),
            self.failure_probability,
        );
        if !(self.fix_effort_share.is_finite()
            && self.fix_effort_share > 0.0
            && self.fix_effort_share <= 10.0)
        {
            ck.fail(
                format!("{p}.fix_effort_share"),
                format!(
                    "must be above 0 and at most 10; got {}",
                    self.fix_effort_share
                ),
            );
        }
        let rollback_effort =
            self.rollback_effort
                .to_dist(&format!("{p}.rollback_effort"), 1.0, ck);
        let forward = format!(
            "a failed change must go back to this stage or an earlier one, not forward to `{}`",
            self.fix_in
        );
        let to = back_to(
            &self.fix_in,
            i,
            stage_names,
            format!("{p}.fix_in"),
            forward,
            ck,
        )?;
        let detect_after = self
            .detect_after
            .as_ref()
            .map(|d| d.to_dist(&format!("{p}.detect_after"), 1.0, ck));
        Some(Deployment {
            failure_probability: self.failure_probability,
            fix_in: to,
            fix_effort_share: self.fix_effort_share,
            rollback_effort,
            batch_failure: self.batch_failure.map_or(BatchFailure::Once, Into::into),
            detect_after,
        })
    }
}

impl ReworkFile {
    /// Checks the rework of stage `i`; `None` when it cannot go back where it says.
    fn build(&self, i: usize, stage_names: &[&str], ck: &mut Checker) -> Option<Rework> {
        let p = format!("stages[{i}].rework");
        ck.probability(&format!("{p}.probability"), self.probability);
        if !(self.effort_share.is_finite() && self.effort_share > 0.0 && self.effort_share <= 10.0)
        {
            ck.fail(
                format!("{p}.effort_share"),
                format!(
                    "must be above 0 and at most 10 (a share of the original effort); got {}",
                    self.effort_share
                ),
            );
        }
        for (field, v) in [
            ("per_overtime_hour", self.per_overtime_hour),
            ("per_extra_card", self.per_extra_card),
        ] {
            if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                ck.fail(
                    format!("{p}.{field}"),
                    format!(
                        "must be a chance from 0 (off) to 1, added to `probability` per unit of \
                         pressure; got {v}."
                    ),
                );
            }
        }
        let forward = format!(
            "rework must send a card back to this stage or an earlier one, not forward to `{}`",
            self.to
        );
        let to = back_to(&self.to, i, stage_names, format!("{p}.to"), forward, ck)?;
        Some(Rework {
            probability: self.probability,
            to,
            effort_share: self.effort_share,
            per_overtime_hour: self.per_overtime_hour,
            per_extra_card: self.per_extra_card,
        })
    }
}

/// The index of stage `name`, which a card at stage `here` goes back to; a problem at `path`
/// when it names no stage, or (with the message `forward`) a later one.
fn back_to(
    name: &str,
    here: usize,
    stage_names: &[&str],
    path: String,
    forward: String,
    ck: &mut Checker,
) -> Option<usize> {
    match stage_names.iter().position(|n| *n == name) {
        Some(to) if to <= here => Some(to),
        Some(_) => {
            ck.fail(path, forward);
            None
        }
        None => {
            ck.fail(path, names_no_stage(name, stage_names));
            None
        }
    }
}
