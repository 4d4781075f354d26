//! The `[policies.NAME]` tables and `run.policies`: which ways of working to compare, each a
//! preset (from `crate::policy`) with the file's values applied over it.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::problems::{Checker, names_no_stage, suggest};
use crate::limits::{MAX_SWARM, MAX_SYSTEM_WIP, MIN_REPLENISH_H};
use crate::policy::{
    DEFAULT_DETECTION, DEFAULT_PLAN_WINDOW, FailedDeploy, GitOps, Handoff, OnBlock, Overtime,
    PRESETS, PlanFrom, PlanPeriod, Policy, Release, Selection, SwarmTo, Swarming, TimeSlicing,
};

keywords! {
    /// `release`: how work enters.
    pub(super) enum ReleaseKind {
        /// A free person takes the next card.
        OnPull = "on_pull",
        /// Replenishment up to the system WIP limit.
        Cadence = "cadence",
        /// A planner commits a batch each period.
        Plan = "plan",
    }
}

keywords! {
    /// `handoff.STAGE`: how a card crosses into a stage.
    pub(super) enum HandoffKind {
        /// Upstream sends it on at once.
        Push = "push",
        /// The stage takes it when it has room.
        Pull = "pull",
    }
}

keywords! {
    /// `overtime`.
    pub(super) enum OvertimeKind => Overtime {
        /// Never.
        None = "none",
        /// To meet the plan.
        ToPlan = "to_plan",
        /// For fixed-date cards at risk.
        FixedDateAtRisk = "fixed_date_at_risk",
    }
}

keywords! {
    /// `on_block`.
    pub(super) enum OnBlockKind => OnBlock {
        /// Turn to other work.
        Switch = "switch",
        /// Wait for the block to clear.
        Wait = "wait",
    }
}

keywords! {
    /// `selection`.
    pub(super) enum SelectionKind => Selection {
        /// The card that arrived earliest.
        OldestFirst = "oldest_first",
        /// The rightmost column first.
        RightmostFirst = "rightmost_first",
    }
}

keywords! {
    /// `plan_from`: what sizes a plan's commitment.
    pub(super) enum PlanFromKind {
        /// Estimated capacity.
        Estimates = "estimates",
        /// Observed throughput of past periods.
        Throughput = "throughput",
    }
}

keywords! {
    /// `swarm_to`: which stage a helper joins.
    pub(super) enum SwarmToKind => SwarmTo {
        /// The stage with the most cards.
        MostCards = "most_cards",
        /// The stage with the highest load per capable person.
        Constraint = "constraint",
    }
}

keywords! {
    /// `failed_deploy`.
    pub(super) enum FailedDeployKind => FailedDeploy {
        /// The environment is broken until rolled back.
        Break = "break",
        /// The environment keeps its last good state.
        KeepLastGood = "keep_last_good",
    }
}

file_table! {
    /// One `[policies.NAME]` table: every field is optional and overrides the preset's value.
    #[derive(Debug, Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    pub(super) struct PolicyFile {
        /// The preset it starts from (default: the policy's name).
        optional preset: Option<String> => "the preset it starts from, e.g. preset = \"flow\"",
        /// How work enters.
        optional release: Option<ReleaseKind> => "how work enters, e.g. release = \"cadence\"",
        /// Time between replenishments with `cadence` (hours; 0 = continuously).
        optional replenish_every_hours: Option<f64> => "hours between replenishments, e.g. replenish_every_hours = 24",
        /// Most cards in the system (cards).
        optional system_wip_limit: Option<u32> => "cards in the system at most, e.g. system_wip_limit = 12",
        /// `true` removes the preset's system limit.
        optional no_system_wip_limit: Option<bool> => "true to remove the preset's system limit",
        /// Whether stage WIP limits are honoured.
        optional stage_limits: Option<bool> => "whether stage WIP limits are honoured, e.g. stage_limits = true",
        /// Which card a free person takes first.
        optional selection: Option<SelectionKind> => "which card a free person takes first, e.g. selection = \"rightmost_first\"",
        /// Whether free people help cards in progress.
        optional swarming: Option<bool> => "whether free people help cards in progress, e.g. swarming = true",
        /// Share of summed speed a group delivers, with swarming.
        optional pairing_efficiency: Option<f64> => "share of summed speed a pair delivers, e.g. pairing_efficiency = 0.7",
        /// Most people on one card, with swarming (people).
        optional max_per_card: Option<u32> => "most people on one card, e.g. max_per_card = 2",
        /// Which stage a helper joins, with swarming.
        optional swarm_to: Option<SwarmToKind> => "which stage a helper joins, e.g. swarm_to = \"constraint\"",
        /// Weeks between plans, with `plan` (weeks).
        optional planning_period_weeks: Option<u32> => "weeks between plans, e.g. planning_period_weeks = 2",
        /// Working days between plans, with `plan` (days; 1 = every morning).
        optional planning_period_days: Option<u32> => "working days between plans, e.g. planning_period_days = 1 for every morning",
        /// Whether a person out of planned work is given the next backlog card, with `plan`.
        optional top_up: Option<bool> => "whether a person who runs out of planned work gets the next backlog card, e.g. top_up = true",
        /// What sizes the commitment, with `plan`.
        optional plan_from: Option<PlanFromKind> => "what sizes the commitment, e.g. plan_from = \"throughput\"",
        /// Past periods averaged with `plan_from = "throughput"` (periods).
        optional plan_window_periods: Option<u32> => "past planning periods averaged, e.g. plan_window_periods = 4",
        /// Share of estimated capacity committed, with `plan`.
        optional planning_factor: Option<f64> => "the share of estimated capacity committed, e.g. planning_factor = 1.0",
        /// When people work overtime.
        optional overtime: Option<OvertimeKind> => "when people work overtime, e.g. overtime = \"to_plan\"",
        /// Whether missing input is checked when a card is pulled.
        optional readiness_check: Option<bool> => "whether missing input is checked when a card is pulled, e.g. readiness_check = true",
        /// Chance the readiness check finds missing input (turns the check on).
        optional detection_probability: Option<f64> => "the chance the readiness check finds missing input, e.g. detection_probability = 0.8",
        /// What a person does when their card blocks.
        optional on_block: Option<OnBlockKind> => "what a person does when their card blocks, e.g. on_block = \"switch\"",
        /// Days an absent person's cards wait before they are handed over (days; 1 = at once).
        optional emergency_after_days: Option<u32> => "days an absent person's cards wait before they are handed over, e.g. emergency_after_days = 2",
        /// What a failed deployment does to its environment.
        optional failed_deploy: Option<FailedDeployKind> => "what a failed deployment does to its environment, e.g. failed_deploy = \"keep_last_good\"",
        /// Whether a column pulls a card as soon as it has room, before anybody is free to work it.
        optional column_pull: Option<bool> => "whether a column takes a card as soon as it has room, e.g. column_pull = true",
        /// Whether people progress every card they hold at once (time-slicing).
        optional time_slicing: Option<bool> => "whether people work every card they hold at once, e.g. time_slicing = true",
        /// Share of speed lost per extra card held, with time-slicing (0..1).
        optional time_slicing_loss: Option<f64> => "the share of speed lost per extra card held, e.g. time_slicing_loss = 0.1",
        /// Whether each stage (by name) deploys by GitOps: every change waiting at a poll, as one deployment.
        #[serde(default)]
        optional gitops_sync: BTreeMap<String, bool> => "stages deployed by GitOps at each poll, e.g. gitops_sync = { production = true }",
        /// Whether an expedite change bypasses the GitOps poll (default true).
        optional expedite_bypasses_sync: Option<bool> => "whether an expedite change deploys without waiting for the poll, e.g. expedite_bypasses_sync = false",
        /// Push or pull into each stage after the first, by stage name.
        #[serde(default)]
        optional handoff: BTreeMap<String, HandoffKind> => "push or pull into each stage, e.g. handoff = { deploy = \"pull\" }",
        /// Time between pulls into each stage, by stage name (hours; 0 = whenever there is room).
        #[serde(default)]
        optional poll_every_hours: BTreeMap<String, f64> => "hours between pulls into each stage, e.g. poll_every_hours = { deploy = 24 }",
    }
}

/// What the policies are checked against: the board and the team.
pub(super) struct Board<'a> {
    /// The stages' names, in order.
    pub stage_names: &'a [&'a str],
    /// Per stage with a deployment, the stage its failed changes go back to.
    pub fix_in: &'a [Option<usize>],
    /// People in the team.
    pub team_size: usize,
    /// Whether arrivals never run dry.
    pub unlimited_backlog: bool,
    /// The first stage's WIP limit, if any.
    pub first_stage_limit: Option<u32>,
}

/// Checks `run.policies` (`listed`, or by default every preset and then every other defined
/// policy) and the `[policies.NAME]` tables against the board and team; the policies to
/// compare, in order.
pub(super) fn build(
    listed: Option<&[String]>,
    defined: &BTreeMap<String, PolicyFile>,
    board: &Board,
    ck: &mut Checker,
) -> Vec<Policy> {
    let &Board {
        stage_names,
        fix_in,
        team_size,
        unlimited_backlog,
        first_stage_limit,
    } = board;
    let listed: Vec<String> = match listed {
        Some(l) => l.to_vec(),
        None => {
            let mut l: Vec<String> = PRESETS.iter().map(|s| s.to_string()).collect();
            l.extend(
                defined
                    .keys()
                    .filter(|k| !PRESETS.contains(&k.as_str()))
                    .cloned(),
            );
            l
        }
    };
    if listed.is_empty() {
        ck.fail(
            "run.policies",
            "needs at least one policy, e.g. policies = [\"pull\", \"flow\"].",
        );
    }
    let mut policies = Vec::new();
    for (i, name) in listed.iter().enumerate() {
        if listed[..i].contains(name) {
            ck.fail(
                format!("run.policies[{i}]"),
                format!("policy `{name}` is listed twice; list each policy once."),
            );
            continue;
        }
        if !ck.usable_name(format!("run.policies[{i}]"), name, "policy name") {
            continue;
        }
        let pf = defined.get(name);
        let preset = pf
            .and_then(|p| p.preset.clone())
            .unwrap_or_else(|| name.clone());
        let Some(mut pol) = Policy::preset(&preset, stage_names.len(), team_size) else {
            let path = if pf.is_some() {
                format!("policies.{name}.preset")
            } else {
                format!("run.policies[{i}]")
            };
            ck.fail(
                path,
                format!(
                    "`{preset}` is not a preset{}; the presets are: {} (define [policies.{name}] with preset = \"...\" for a custom policy).",
                    suggest(&preset, &PRESETS),
                    PRESETS.join(", ")
                ),
            );
            continue;
        };
        pol.name = name.clone();
        if let Some(pf) = pf {
            pf.apply(&mut pol, &format!("policies.{name}"), stage_names, ck);
            pf.apply_gitops(
                &mut pol,
                &format!("policies.{name}"),
                stage_names,
                fix_in,
                ck,
            );
        }
        // Replenishing "up to the limit" from a backlog that never runs dry loops forever.
        if let Release::Cadence { .. } = pol.release
            && pol.system_wip_limit.is_none()
            && unlimited_backlog
        {
            let at = if pf.is_some() {
                format!("policies.{name}")
            } else {
                "arrivals.process".to_string()
            };
            ck.fail_at(
                format!("policies.{name}"),
                &at,
                format!(
                    "policy `{name}` releases cards on a cadence \"up to the system WIP limit\" but has \
                     no limit, and the backlog is unlimited, so it would release cards without end: \
                     set [policies.{name}] system_wip_limit = {}.",
                    Policy::default_system_wip_limit(team_size)
                ),
            );
        }
        // A column pulling from a backlog that never runs dry, with nothing to stop it, would
        // take cards without end.
        let first_limited = pol.stage_limits && first_stage_limit.is_some();
        if pol.column_pull
            && unlimited_backlog
            && pol.release == Release::OnPull
            && !first_limited
            && pol.system_wip_limit.is_none()
        {
            ck.fail(
                format!("policies.{name}.column_pull"),
                format!(
                    "policy `{name}` pulls cards into the first column as soon as it has room, but \
                     the backlog is unlimited and nothing limits that column, so it would take cards \
                     without end: give the first stage a wip_limit (with stage_limits = true) or set \
                     [policies.{name}] system_wip_limit = {}.",
                    Policy::default_system_wip_limit(team_size)
                ),
            );
        }
        policies.push(pol);
    }
    for key in defined.keys() {
        if !listed.contains(key) {
            ck.fail(
                format!("policies.{key}"),
                format!("policy `{key}` is defined but not listed in run.policies; add it there or remove it."),
            );
        }
    }

    policies
}

impl PolicyFile {
    /// Applies this table (path `p`) over the preset `pol` started from: each field given
    /// replaces the preset's value; a mechanism switched on afresh takes its defaults from
    /// `crate::policy`. `stages` names the board's stages, for hand-offs.
    fn apply(&self, pol: &mut Policy, p: &str, stages: &[&str], ck: &mut Checker) {
        self.apply_release(pol, p, ck);
        self.apply_overtime(pol, p, ck);
        self.apply_readiness(pol, p, ck);
        if let Some(b) = self.on_block {
            pol.on_block = b.into();
        }
        if let Some(d) = self.emergency_after_days {
            if d == 0 {
                ck.fail(
                    format!("{p}.emergency_after_days"),
                    "must be at least 1 (1 hands over on the first day of absence); got 0.",
                );
            }
            pol.emergency_after_days = d.max(1);
        }
        if let Some(f) = self.failed_deploy {
            pol.failed_deploy = f.into();
        }
        if let Some(b) = self.column_pull {
            pol.column_pull = b;
        }
        self.apply_handoffs(pol, p, stages, ck);
        self.apply_replenish(pol, p, ck);
        self.apply_system_limit(pol, p, ck);
        if let Some(b) = self.stage_limits {
            pol.stage_limits = b;
        }
        if let Some(s) = self.selection {
            pol.selection = s.into();
        }
        self.apply_swarming(pol, p, ck);
        self.apply_time_slicing(pol, p, ck);
    }

    /// `gitops_sync` (by stage name: a deployment stage after the first, entered by a polling
    /// pull, whose failed changes go back to an earlier stage) and `expedite_bypasses_sync`.
    fn apply_gitops(
        &self,
        pol: &mut Policy,
        p: &str,
        stages: &[&str],
        fix_in: &[Option<usize>],
        ck: &mut Checker,
    ) {
        let bypass = self.expedite_bypasses_sync.unwrap_or(true);
        for (stage, &on) in &self.gitops_sync {
            let at = format!("{p}.gitops_sync.{stage}");
            let Some(k) = stages.iter().position(|n| n == stage) else {
                ck.fail(at, names_no_stage(stage, stages));
                continue;
            };
            if !on {
                pol.gitops[k] = None;
                continue;
            }
            if k == 0 {
                ck.fail(
                    at,
                    "the first stage's entry is set by `release`; GitOps syncs a later stage \
                     from the one before it.",
                );
                continue;
            }
            match fix_in[k] {
                None => {
                    ck.fail(
                        at,
                        format!(
                            "stage `{stage}` deploys nothing: give it a deployment, e.g. \
                             deployment = {{ failure_probability = 0.1, fix_in = \"{}\", \
                             rollback_effort = {{ dist = \"constant\", value = 2 }} }}.",
                            stages[k - 1]
                        ),
                    );
                    continue;
                }
                Some(to) if to == k => {
                    ck.fail(
                        at,
                        format!(
                            "nobody works a synced stage, so its failed changes must be fixed in \
                             an earlier stage: set its deployment's fix_in to `{}` or earlier.",
                            stages[k - 1]
                        ),
                    );
                    continue;
                }
                Some(_) => {}
            }
            match pol.handoffs[k] {
                Handoff::Pull { poll_every_h } if poll_every_h > 0.0 => {}
                h => {
                    let handoff = if h == Handoff::Push {
                        format!("handoff = {{ {stage} = \"pull\" }} and ")
                    } else {
                        String::new()
                    };
                    ck.fail(
                        at,
                        format!(
                            "GitOps syncs at polls: add {handoff}poll_every_hours = {{ {stage} = 1 }} \
                             (hours between syncs)."
                        ),
                    );
                    continue;
                }
            }
            pol.gitops[k] = Some(GitOps {
                expedite_bypass: bypass,
            });
        }
        if self.expedite_bypasses_sync.is_some() && pol.gitops.iter().all(Option::is_none) {
            ck.fail(
                format!("{p}.expedite_bypasses_sync"),
                "only applies with GitOps deployment; add gitops_sync = { STAGE = true } or \
                 remove this line.",
            );
        }
    }

    /// `time_slicing` and `time_slicing_loss` (only with time-slicing on).
    fn apply_time_slicing(&self, pol: &mut Policy, p: &str, ck: &mut Checker) {
        let mut ts = pol.time_slicing.unwrap_or(TimeSlicing::DEFAULT);
        if let Some(l) = self.time_slicing_loss {
            if !(l.is_finite() && (0.0..1.0).contains(&l)) {
                ck.fail(
                    format!("{p}.time_slicing_loss"),
                    format!(
                        "must be at least 0 and below 1 (the share of speed lost per card held \
                         beyond the first, e.g. 0.1); got {l}."
                    ),
                );
            }
            ts.loss_per_card = l;
        }
        match self.time_slicing {
            Some(true) => pol.time_slicing = Some(ts),
            Some(false) => pol.time_slicing = None,
            None => {
                if pol.time_slicing.is_some() {
                    pol.time_slicing = Some(ts);
                }
            }
        }
        if pol.time_slicing.is_none() && self.time_slicing_loss.is_some() {
            ck.fail(
                format!("{p}.time_slicing_loss"),
                "only applies when time-slicing is on; add time_slicing = true or remove this line.",
            );
        }
    }

    /// `release`, and the plan's period and factor (only with a plan).
    fn apply_release(&self, pol: &mut Policy, p: &str, ck: &mut Checker) {
        if let Some(r) = self.release {
            pol.release = match r {
                ReleaseKind::OnPull => Release::OnPull,
                ReleaseKind::Cadence => Release::DEFAULT_CADENCE,
                ReleaseKind::Plan => Release::DEFAULT_PLAN,
            };
        }
        let plan_fields = [
            (
                "planning_period_weeks",
                self.planning_period_weeks.is_some(),
            ),
            ("planning_period_days", self.planning_period_days.is_some()),
            ("planning_factor", self.planning_factor.is_some()),
            ("top_up", self.top_up.is_some()),
            ("plan_from", self.plan_from.is_some()),
            ("plan_window_periods", self.plan_window_periods.is_some()),
        ];
        let Release::Plan {
            period,
            planning_factor,
            top_up,
            sized_by,
        } = &mut pol.release
        else {
            for (field, given) in plan_fields {
                if given {
                    ck.fail(
                        format!("{p}.{field}"),
                        format!("{field} only applies with release = \"plan\"; add that or remove this line."),
                    );
                }
            }
            return;
        };
        if let Some(w) = self.planning_period_weeks {
            if !(1..=52).contains(&w) {
                ck.fail(
                    format!("{p}.planning_period_weeks"),
                    format!("must be 1 to 52 weeks; got {w}"),
                );
            }
            *period = PlanPeriod::Weeks(w.clamp(1, 52));
        }
        if let Some(d) = self.planning_period_days {
            if self.planning_period_weeks.is_some() {
                ck.fail(
                    format!("{p}.planning_period_days"),
                    "contradicts planning_period_weeks in the same policy; keep one of the two \
                     (planning_period_weeks = 1 is planning_period_days = 5 on a 5-day week).",
                );
            }
            if !(1..=366).contains(&d) {
                ck.fail(
                    format!("{p}.planning_period_days"),
                    format!("must be 1 (every morning) to 366 working days; got {d}"),
                );
            }
            *period = PlanPeriod::Days(d.clamp(1, 366));
        }
        if let Some(f) = self.planning_factor {
            if !(f.is_finite() && f > 0.0 && f <= 10.0) {
                ck.fail(
                    format!("{p}.planning_factor"),
                    format!("must be above 0 and at most 10; got {f}"),
                );
            }
            *planning_factor = f;
        }
        if let Some(t) = self.top_up {
            *top_up = t;
        }
        let window = match (*sized_by, self.plan_window_periods) {
            (_, Some(w)) => {
                if !(1..=520).contains(&w) {
                    ck.fail(
                        format!("{p}.plan_window_periods"),
                        format!("must be 1 to 520 planning periods; got {w}"),
                    );
                }
                w.clamp(1, 520)
            }
            (PlanFrom::Throughput { window }, None) => window,
            (PlanFrom::Estimates, None) => DEFAULT_PLAN_WINDOW,
        };
        match self.plan_from {
            Some(PlanFromKind::Estimates) => *sized_by = PlanFrom::Estimates,
            Some(PlanFromKind::Throughput) => *sized_by = PlanFrom::Throughput { window },
            None => {}
        }
        match *sized_by {
            PlanFrom::Throughput { .. } => *sized_by = PlanFrom::Throughput { window },
            PlanFrom::Estimates if self.plan_window_periods.is_some() => ck.fail(
                format!("{p}.plan_window_periods"),
                "only applies with plan_from = \"throughput\"; add that or remove this line.",
            ),
            PlanFrom::Estimates => {}
        }
    }

    /// `overtime`; overtime to a plan needs a plan.
    fn apply_overtime(&self, pol: &mut Policy, p: &str, ck: &mut Checker) {
        if let Some(o) = self.overtime {
            pol.overtime = o.into();
        }
        if pol.overtime == Overtime::ToPlan && !pol.planned() {
            ck.fail(
                format!("{p}.overtime"),
                "overtime = \"to_plan\" needs a plan: set release = \"plan\"",
            );
        }
    }

    /// `readiness_check` and `detection_probability` (which turns the check on).
    fn apply_readiness(&self, pol: &mut Policy, p: &str, ck: &mut Checker) {
        if let Some(b) = self.readiness_check {
            pol.readiness_check = if b {
                Some(pol.readiness_check.unwrap_or(DEFAULT_DETECTION))
            } else {
                None
            };
        }
        if let Some(d) = self.detection_probability {
            ck.probability(&format!("{p}.detection_probability"), d);
            pol.readiness_check = Some(d);
        }
    }

    /// `handoff` and `poll_every_hours`, by stage name (never the first stage).
    fn apply_handoffs(&self, pol: &mut Policy, p: &str, stages: &[&str], ck: &mut Checker) {
        for (stage, kind) in &self.handoff {
            match stages.iter().position(|n| n == stage) {
                Some(0) => ck.fail(
                    format!("{p}.handoff.{stage}"),
                    "the first stage's entry is set by `release`, not by a hand-off",
                ),
                Some(k) => {
                    pol.handoffs[k] = match kind {
                        HandoffKind::Push => Handoff::Push,
                        HandoffKind::Pull => Handoff::PULL_WHEN_ROOM,
                    }
                }
                None => ck.fail(
                    format!("{p}.handoff.{stage}"),
                    names_no_stage(stage, stages),
                ),
            }
        }
        for (stage, &h) in &self.poll_every_hours {
            match stages.iter().position(|n| n == stage) {
                Some(k) if k > 0 => {
                    if !is_interval(h) {
                        ck.fail(
                            format!("{p}.poll_every_hours.{stage}"),
                            format!(
                                "must be 0 (pull whenever there is room) or at least {MIN_REPLENISH_H} \
                                 hours, e.g. 24 for once a day; got {h}."
                            ),
                        );
                    }
                    match &mut pol.handoffs[k] {
                        Handoff::Pull { poll_every_h } => *poll_every_h = h,
                        Handoff::Push => ck.fail(
                            format!("{p}.poll_every_hours.{stage}"),
                            "polling needs a pull hand-off into that stage: \
                             add handoff = { ... = \"pull\" }",
                        ),
                    }
                }
                Some(_) => ck.fail(
                    format!("{p}.poll_every_hours.{stage}"),
                    "the first stage's entry is set by `release`",
                ),
                None => ck.fail(
                    format!("{p}.poll_every_hours.{stage}"),
                    names_no_stage(stage, stages),
                ),
            }
        }
    }

    /// `replenish_every_hours` (only with a cadence).
    fn apply_replenish(&self, pol: &mut Policy, p: &str, ck: &mut Checker) {
        if let Some(h) = self.replenish_every_hours {
            if !is_interval(h) {
                ck.fail(
                    format!("{p}.replenish_every_hours"),
                    format!(
                        "must be 0 (replenish continuously) or at least {MIN_REPLENISH_H} hours, \
                         e.g. 24 for once a day; got {h}."
                    ),
                );
            }
            match &mut pol.release {
                Release::Cadence { every_h } => *every_h = h,
                _ => ck.fail(
                    format!("{p}.replenish_every_hours"),
                    "only applies with release = \"cadence\"; add that or remove this line.",
                ),
            }
        }
    }

    /// `system_wip_limit` and `no_system_wip_limit`.
    fn apply_system_limit(&self, pol: &mut Policy, p: &str, ck: &mut Checker) {
        if let Some(l) = self.system_wip_limit {
            if l == 0 {
                ck.fail(
                    format!("{p}.system_wip_limit"),
                    "a system WIP limit of 0 would never let a card start: use at least 1 card, \
                                      or no_system_wip_limit = true for no limit.",
                );
            }
            if l > MAX_SYSTEM_WIP {
                ck.fail(
                    format!("{p}.system_wip_limit"),
                    format!(
                        "{l} cards is beyond the largest system WIP limit flowsim simulates ({MAX_SYSTEM_WIP}); \
                         use no_system_wip_limit = true for no limit."
                    ),
                );
            }
            pol.system_wip_limit = Some(l.min(MAX_SYSTEM_WIP));
        }
        if self.no_system_wip_limit == Some(true) {
            if self.system_wip_limit.is_some() {
                ck.fail(
                    format!("{p}.no_system_wip_limit"),
                    "contradicts system_wip_limit in the same policy; keep one of the two.",
                );
            }
            pol.system_wip_limit = None;
        }
    }

    /// `swarming`, `pairing_efficiency` and `max_per_card` (only with swarming on).
    fn apply_swarming(&self, pol: &mut Policy, p: &str, ck: &mut Checker) {
        let mut sw = pol.swarming.unwrap_or(Swarming::DEFAULT);
        if let Some(e) = self.pairing_efficiency {
            if !(e > 0.0 && e <= 1.0) {
                ck.fail(
                    format!("{p}.pairing_efficiency"),
                    format!(
                        "must be above 0 and at most 1 (1 means no loss from pairing); got {e}."
                    ),
                );
            }
            sw.pairing_efficiency = e;
        }
        if let Some(n) = self.max_per_card {
            if !(2..=MAX_SWARM as u32).contains(&n) {
                ck.fail(
                    format!("{p}.max_per_card"),
                    format!("must be 2 to {} people; got {n}.", MAX_SWARM),
                );
            }
            sw.max_per_card = n;
        }
        if let Some(t) = self.swarm_to {
            sw.to = t.into();
        }
        match self.swarming {
            Some(true) => pol.swarming = Some(sw),
            Some(false) => pol.swarming = None,
            None => {
                if pol.swarming.is_some() {
                    pol.swarming = Some(sw);
                }
            }
        }
        if pol.swarming.is_none() {
            for (field, given) in [
                ("pairing_efficiency", self.pairing_efficiency.is_some()),
                ("max_per_card", self.max_per_card.is_some()),
                ("swarm_to", self.swarm_to.is_some()),
            ] {
                if given {
                    ck.fail(
                        format!("{p}.{field}"),
                        "only applies when swarming is on; add swarming = true or remove this line.",
                    );
                }
            }
        }
    }
}

/// Whether `h` is a usable interval (hours): 0 for "continuously", or at least
/// `MIN_REPLENISH_H`.
fn is_interval(h: f64) -> bool {
    h.is_finite() && (h == 0.0 || h >= MIN_REPLENISH_H)
}
