//! Scenario files: TOML text -> plain serde structs -> checked `Model` and `Policy` values.
//!
//! Parsing is strict (unknown fields are errors) and validation collects every problem it finds
//! before failing, each with the field's path and, where the text has it, its line and column.
//!
//! Loading runs in four passes, each reporting every problem it finds:
//! 1. a recoverable TOML parse (syntax errors, duplicate keys);
//! 2. a walk of the parsed document against the schema in `schema.rs` (unknown fields with a
//!    "did you mean", wrong types, missing fields, integers out of range), which prunes what it
//!    can so the later passes still run;
//! 3. serde into the plain structs below;
//! 4. semantic checks into `Model` and `Policy` (ranges, structure, resource guards).

mod limits;
mod schema;

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

pub use limits::{Estimate, estimate_work};

use crate::limits::{
    MAX_CARDS_AT_ONCE, MAX_CARDS_PER_REP, MAX_EVENTS_PER_REP, MAX_HELD, MAX_HORIZON_WEEKS,
    MAX_REPLICATIONS, MAX_STAGES, MAX_SWARM, MAX_SYSTEM_WIP, MAX_TEAM, MIN_RATE_PER_WEEK,
    MIN_REPLENISH_H,
};

use crate::dist::Dist;
use crate::model::{
    ArrivalProcess, Arrivals, Blockers, Calendar, Classes, Deployment, Disruptions, Estimates,
    HOURS_PER_WEEK, MissingInput, Model, Multitasking, Person, Rework, Stage,
};
use crate::policy::{
    FailedDeploy, Handoff, OnBlock, Overtime, PRESETS, Policy, Release, Selection, Swarming,
};

/// The reference scenario shipped in the binary (`flowsim run` with no file runs it).
pub const REFERENCE: &str = include_str!("../scenarios/small-team.toml");
/// The reference scenario's file name, for messages.
pub const REFERENCE_NAME: &str = "scenarios/small-team.toml";

// ----- the file format ------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    name: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    run: RunFile,
    #[serde(default)]
    calendar: CalendarFile,
    arrivals: ArrivalsFile,
    stages: Vec<StageFile>,
    team: BTreeMap<String, RoleFile>,
    #[serde(default)]
    policies: BTreeMap<String, PolicyFile>,
    #[serde(default)]
    estimates: EstimatesFile,
    #[serde(default)]
    disruptions: DisruptionsFile,
    #[serde(default)]
    classes: ClassesFile,
    #[serde(default)]
    multitasking: MultitaskingFile,
    #[serde(default)]
    absences: Vec<AbsenceFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct EstimatesFile {
    bias: f64,
    spread: f64,
    min_remaining_share: f64,
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MissingInputFile {
    probability: f64,
    delay: EffortFile,
    #[serde(default)]
    answerers: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockersFile {
    chance_per_day: f64,
    duration: EffortFile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct DisruptionsFile {
    handover_cost_h: f64,
    missing_input: Option<MissingInputFile>,
    blockers: Option<BlockersFile>,
    fatigue_per_overtime_hour: f64,
    fatigue_window_days: u32,
}

impl Default for DisruptionsFile {
    fn default() -> Self {
        let d = Disruptions::default();
        DisruptionsFile {
            handover_cost_h: d.handover_cost_h,
            missing_input: None,
            blockers: None,
            fatigue_per_overtime_hour: d.fatigue_per_overtime_hour,
            fatigue_window_days: d.fatigue_window_days,
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct ClassesFile {
    expedite_rate_per_week: f64,
    fixed_date_share: f64,
    due_in_weeks: Option<EffortFile>,
}

#[derive(Debug, Deserialize, Clone, Copy, Default)]
#[serde(rename_all = "snake_case")]
enum MultitaskingModel {
    #[default]
    None,
    SwitchCost,
    Weinberg,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct MultitaskingFile {
    model: MultitaskingModel,
    switch_cost_h: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AbsenceFile {
    person: String,
    from_week: f64,
    weeks: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReworkFile {
    probability: f64,
    to: String,
    #[serde(default = "half")]
    effort_share: f64,
}

fn half() -> f64 {
    0.5
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RunFile {
    horizon_weeks: f64,
    warmup_weeks: f64,
    replications: u32,
    seed: u64,
    policies: Option<Vec<String>>,
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

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
enum CalendarMode {
    #[serde(rename = "working")]
    Working,
    #[serde(rename = "24/7")]
    AlwaysOn,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct CalendarFile {
    mode: CalendarMode,
    hours_per_day: f64,
    days_per_week: u32,
    day_start_h: f64,
}

impl Default for CalendarFile {
    fn default() -> Self {
        CalendarFile {
            mode: CalendarMode::Working,
            hours_per_day: 8.0,
            days_per_week: 5,
            day_start_h: 9.0,
        }
    }
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum ProcessKind {
    Poisson,
    Batch,
    None,
    Unlimited,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ArrivalsFile {
    process: ProcessKind,
    rate_per_week: Option<f64>,
    rate_per_hour: Option<f64>,
    batch_size: Option<u32>,
    period_weeks: Option<f64>,
    #[serde(default)]
    initial_backlog: u32,
    max_backlog: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StageFile {
    name: String,
    effort: EffortFile,
    wip_limit: Option<u32>,
    rework: Option<ReworkFile>,
    deployment: Option<DeploymentFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeploymentFile {
    failure_probability: f64,
    fix_in: String,
    #[serde(default = "half")]
    fix_effort_share: f64,
    rollback_effort: EffortFile,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum FailedDeployKind {
    Break,
    KeepLastGood,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
enum EffortFile {
    Constant { value: f64 },
    Uniform { min: f64, max: f64 },
    Triangular { min: f64, mode: f64, max: f64 },
    Exponential { mean: f64 },
    Lognormal { mean: f64, sd: f64 },
    Gamma { shape: f64, mean: f64 },
    Erlang { k: u32, mean: f64 },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleFile {
    #[serde(default = "one")]
    count: u32,
    skills: BTreeMap<String, f64>,
    hours_per_day: Option<f64>,
    #[serde(default = "two")]
    wip_limit: u32,
    #[serde(default = "two_f")]
    max_overtime_h_per_day: f64,
    #[serde(default)]
    sick_chance_per_day: f64,
    sick_days: Option<EffortFile>,
    joins_week: Option<f64>,
}

fn two() -> u32 {
    2
}

fn two_f() -> f64 {
    2.0
}

fn one() -> u32 {
    1
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum ReleaseKind {
    OnPull,
    Cadence,
    Plan,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum HandoffKind {
    Push,
    Pull,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum OvertimeKind {
    None,
    ToPlan,
    FixedDateAtRisk,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum OnBlockKind {
    Switch,
    Wait,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum SelectionKind {
    OldestFirst,
    RightmostFirst,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    preset: Option<String>,
    release: Option<ReleaseKind>,
    replenish_every_hours: Option<f64>,
    system_wip_limit: Option<u32>,
    no_system_wip_limit: Option<bool>,
    stage_limits: Option<bool>,
    selection: Option<SelectionKind>,
    swarming: Option<bool>,
    pairing_efficiency: Option<f64>,
    max_per_card: Option<u32>,
    planning_period_weeks: Option<u32>,
    planning_factor: Option<f64>,
    overtime: Option<OvertimeKind>,
    readiness_check: Option<bool>,
    detection_probability: Option<f64>,
    on_block: Option<OnBlockKind>,
    emergency_after_days: Option<u32>,
    failed_deploy: Option<FailedDeployKind>,
    #[serde(default)]
    handoff: BTreeMap<String, HandoffKind>,
    #[serde(default)]
    poll_every_hours: BTreeMap<String, f64>,
}

// ----- what loading produces -------------------------------------------------------------------

/// Experiment settings from the `[run]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSettings {
    /// Replications per policy.
    pub replications: u32,
    /// Master seed.
    pub seed: u64,
}

/// A loaded, validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The model.
    pub model: Model,
    /// The policies to compare, in the order listed (the first is the baseline).
    pub policies: Vec<Policy>,
    /// Replications and seed.
    pub settings: RunSettings,
    /// The scenario text as loaded.
    pub source: String,
    /// Where it came from (a path, or the reference scenario's name).
    pub origin: String,
}

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Dotted path of the field, e.g. `stages[1].wip_limit` (empty for the whole file).
    pub path: String,
    /// 1-based line and column in the file, where known.
    pub at: Option<(usize, usize)>,
    /// What is wrong and what would be right.
    pub message: String,
}

/// Everything wrong with a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError {
    /// The file.
    pub origin: String,
    /// The problems, in file order where known.
    pub problems: Vec<Problem>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "{}: {n} problem{} in this scenario:",
            self.origin,
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            let at = p.at.map_or(String::new(), |(l, c)| format!(":{l}:{c}"));
            let path = if p.path.is_empty() {
                String::new()
            } else {
                format!(" `{}`:", p.path)
            };
            // Every message is a sentence, whoever wrote it.
            let stop = if p.message.ends_with(['.', '?', '!']) {
                ""
            } else {
                "."
            };
            writeln!(f, "  {}{at}:{path} {}{stop}", self.origin, p.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

/// 1-based line and column (in characters) of byte offset `pos` in `text`.
fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let mut pos = pos.min(text.len());
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = &text[..pos];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// Finds the position of a dotted path (`stages[1].wip_limit`, `team.dev.skills`) in the text:
/// the value's start, or the deepest part of the path that the file has (`None` when the file
/// has not even the first part, e.g. a policy that comes from a preset only).
fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    use toml::de::{DeTable, DeValue};
    let doc = DeTable::parse(text).ok()?;
    let root = DeValue::Table(doc.into_inner());
    let mut cur = &root;
    let mut span = None;
    for seg in path.split('.') {
        let (key, index) = match seg.find('[') {
            Some(i) if seg.ends_with(']') => (
                &seg[..i],
                seg.get(i + 1..seg.len() - 1)
                    .and_then(|n| n.parse::<usize>().ok()),
            ),
            _ => (seg, None),
        };
        let DeValue::Table(t) = cur else { break };
        let Some((_, v)) = t.iter().find(|(k, _)| k.get_ref().as_ref() == key) else {
            break;
        };
        span = Some(v.span());
        cur = v.get_ref();
        if let Some(i) = index {
            let DeValue::Array(a) = cur else { break };
            let Some(item) = a.get(i) else { break };
            span = Some(item.span());
            cur = item.get_ref();
        }
    }
    span.map(|s| line_col(text, s.start))
}

struct Checker<'t> {
    text: &'t str,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn fail(&mut self, path: impl Into<String>, message: impl Into<String>) {
        let path = path.into();
        let at = locate(self.text, &path);
        self.problems.push(Problem {
            path,
            at,
            message: message.into(),
        });
    }

    /// Reports a problem of `path` at the position of another field (`at_path`), for problems
    /// that come from a combination of fields.
    fn fail_at(&mut self, path: impl Into<String>, at_path: &str, message: impl Into<String>) {
        let at = locate(self.text, at_path);
        self.problems.push(Problem {
            path: path.into(),
            at,
            message: message.into(),
        });
    }

    fn probability(&mut self, path: &str, v: f64) -> bool {
        if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
            self.fail(
                path,
                format!("is a probability and must lie between 0 and 1; got {v}."),
            );
            return false;
        }
        true
    }

    fn nonneg(&mut self, path: &str, v: f64, unit: &str) -> bool {
        if !(v.is_finite() && v >= 0.0) {
            self.fail(
                path,
                format!("must be a number of at least 0 ({unit}); got {v}."),
            );
            return false;
        }
        true
    }

    fn positive(&mut self, path: &str, v: f64, unit: &str) -> bool {
        if !v.is_finite() || v <= 0.0 {
            self.fail(
                path,
                format!("must be a finite number above 0 ({unit}); got {v}."),
            );
            return false;
        }
        true
    }
}

/// Builds a distribution, reporting impossible parameters at `path`; `unit_scale` converts
/// the file's unit to hours (e.g. 168 for weeks).
fn dist(e: &EffortFile, path: &str, unit_scale: f64, ck: &mut Checker) -> Dist {
    let k = unit_scale;
    let d = match *e {
        EffortFile::Constant { value } => Dist::constant(value * k),
        EffortFile::Uniform { min, max } => Dist::uniform(min * k, max * k),
        EffortFile::Triangular { min, mode, max } => Dist::triangular(min * k, mode * k, max * k),
        EffortFile::Exponential { mean } => Dist::exponential(mean * k),
        EffortFile::Lognormal { mean, sd } => Dist::lognormal(mean * k, sd * k),
        EffortFile::Gamma { shape, mean } => Dist::gamma(shape, mean * k),
        EffortFile::Erlang { k: shape, mean } => Dist::gamma(shape as f64, mean * k),
    };
    d.unwrap_or_else(|e| {
        ck.fail(path, format!("these parameters cannot hold: {e}."));
        Dist::Constant(1.0)
    })
}

fn suggest(word: &str, options: &[&str]) -> String {
    let best = options
        .iter()
        .map(|o| (strsim::jaro_winkler(word, o), *o))
        .filter(|(s, _)| *s > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, o)) => format!(" (did you mean `{o}`?)"),
        None => String::new(),
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Loads and validates scenario text. `origin` names it in messages.
///
/// Never panics, whatever the text.
///
/// # Errors
/// Every problem found, with paths and positions.
pub fn load_str(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
    let mut problems = Vec::new();
    let (mut doc, syntax) = toml::de::DeTable::parse_recoverable(text);
    for e in &syntax {
        problems.push(Problem {
            path: String::new(),
            at: e.span().map(|s| line_col(text, s.start)),
            message: syntax_message(e.message(), e.span().and_then(|r| text.get(r))),
        });
    }
    let walk = schema::check(&mut doc, syntax.is_empty());
    for f in walk.found {
        problems.push(Problem {
            path: f.path,
            at: Some(line_col(text, f.span.start)),
            message: f.message,
        });
    }
    let mut scenario = None;
    if syntax.is_empty() && !walk.fatal {
        match ScenarioFile::deserialize(toml::de::Deserializer::from(doc)) {
            Ok(file) => {
                let mut ck = Checker {
                    text,
                    problems: Vec::new(),
                };
                let built = build(file, &mut ck, text, origin);
                if ck.problems.is_empty()
                    && problems.is_empty()
                    && let Some(sc) = &built
                {
                    guard(sc, &mut ck);
                }
                problems.append(&mut ck.problems);
                scenario = built;
            }
            // The schema walk should have caught everything serde rejects; if it did not,
            // serde's own message still carries the position.
            Err(e) => problems.push(Problem {
                path: String::new(),
                at: e.span().map(|s| line_col(text, s.start)),
                message: format!("{}.", e.message().trim().trim_end_matches('.')),
            }),
        }
    }
    match scenario {
        Some(sc) if problems.is_empty() => Ok(sc),
        _ => {
            if problems.is_empty() {
                // Unreachable in practice: a fatal walk always reports why.
                problems.push(Problem {
                    path: String::new(),
                    at: None,
                    message: "the scenario could not be read.".into(),
                });
            }
            problems.sort_by_key(|p| p.at.unwrap_or((usize::MAX, 0)));
            problems.dedup();
            Err(ScenarioError {
                origin: origin.to_string(),
                problems,
            })
        }
    }
}

/// Turns the TOML parser's terse message into a sentence that says what to do.
fn syntax_message(raw: &str, near: Option<&str>) -> String {
    let raw = raw.trim().trim_end_matches('.');
    let near = near
        .and_then(|t| t.lines().next())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map_or(String::new(), |t| {
            let t: String = t.chars().take(30).collect();
            format!(" at `{}`", t.escape_debug())
        });
    let hint = if raw.contains("duplicate key") {
        "each key may appear once per table; remove or rename one of them"
    } else if raw.contains("unclosed") || raw.contains("unterminated") {
        "close the string, list or table that starts here"
    } else if raw.contains("expected `=`") || raw.contains("key-value") {
        "write each setting as `key = value` on its own line"
    } else if raw.contains("invalid") && raw.contains("table") {
        "table headers look like [name] or [[name]] for a list of tables"
    } else {
        "check the TOML syntax near here: quotes around text, `=` between key and value, \
         brackets around lists"
    };
    format!("this is not valid TOML ({raw}{near}): {hint}.")
}

/// Loads and validates a scenario file.
///
/// # Errors
/// The file cannot be read, or has problems.
pub fn load_file(path: &std::path::Path) -> Result<Scenario, ScenarioError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        origin: origin.clone(),
        problems: vec![Problem {
            path: String::new(),
            at: None,
            message: format!(
                "cannot read the file ({e}); check the path, and that it is a UTF-8 text file."
            ),
        }],
    })?;
    load_str(&text, &origin)
}

fn build(f: ScenarioFile, ck: &mut Checker, text: &str, origin: &str) -> Option<Scenario> {
    // Run settings.
    let r = &f.run;
    ck.positive("run.horizon_weeks", r.horizon_weeks, "weeks");
    if !(r.warmup_weeks.is_finite() && r.warmup_weeks >= 0.0 && r.warmup_weeks < r.horizon_weeks) {
        ck.fail(
            "run.warmup_weeks",
            format!(
                "must be at least 0 and below run.horizon_weeks ({}); got {}.",
                r.horizon_weeks, r.warmup_weeks
            ),
        );
    }
    if r.horizon_weeks > MAX_HORIZON_WEEKS {
        ck.fail(
            "run.horizon_weeks",
            format!(
                "{} weeks is beyond the limit of {MAX_HORIZON_WEEKS} weeks; a horizon of a few years \
                 (e.g. 104) is enough for steady-state results.",
                r.horizon_weeks
            ),
        );
    }
    if r.replications == 0 {
        ck.fail(
            "run.replications",
            "must be at least 1, e.g. replications = 200.",
        );
    }
    if r.replications > MAX_REPLICATIONS {
        ck.fail(
            "run.replications",
            format!(
                "{} replications is beyond the limit of {MAX_REPLICATIONS}; a few hundred give \
                 tight confidence intervals, and larger studies can be split into shards.",
                r.replications
            ),
        );
    }

    // Calendar.
    let c = &f.calendar;
    let calendar = match c.mode {
        CalendarMode::AlwaysOn => Calendar::AlwaysOn,
        CalendarMode::Working => {
            if !(c.hours_per_day > 0.0 && c.hours_per_day <= 24.0) {
                ck.fail(
                    "calendar.hours_per_day",
                    format!(
                        "must be above 0 and at most 24 hours; got {}.",
                        c.hours_per_day
                    ),
                );
            }
            if !(1..=7).contains(&c.days_per_week) {
                ck.fail(
                    "calendar.days_per_week",
                    format!("must be 1 to 7 days; got {}.", c.days_per_week),
                );
            }
            if !(c.day_start_h >= 0.0 && c.day_start_h < 24.0) {
                ck.fail(
                    "calendar.day_start_h",
                    format!(
                        "must be 0 or more and below 24 (hours after midnight); got {}.",
                        c.day_start_h
                    ),
                );
            }
            Calendar::Working {
                hours_per_day: c.hours_per_day,
                days_per_week: c.days_per_week,
                day_start_h: c.day_start_h,
            }
        }
    };

    // Arrivals.
    let a = &f.arrivals;
    let process = match a.process {
        ProcessKind::Poisson => {
            let rate = match (a.rate_per_week, a.rate_per_hour) {
                (Some(w), None) => rate(ck, "arrivals.rate_per_week", w, 1.0),
                (None, Some(h)) => rate(ck, "arrivals.rate_per_hour", h, HOURS_PER_WEEK),
                _ => {
                    ck.fail(
                        "arrivals",
                        "a poisson process needs exactly one of rate_per_week or rate_per_hour, \
                         e.g. rate_per_week = 8.",
                    );
                    None
                }
            };
            ArrivalProcess::Poisson {
                rate_per_h: rate.unwrap_or(1.0),
            }
        }
        ProcessKind::Batch => {
            let size = a.batch_size.unwrap_or(0);
            if size == 0 {
                let path = if a.batch_size.is_some() {
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
            let period = a.period_weeks.unwrap_or(1.0);
            ck.positive("arrivals.period_weeks", period, "weeks");
            ArrivalProcess::Batch {
                size,
                period_h: period * HOURS_PER_WEEK,
            }
        }
        ProcessKind::None => ArrivalProcess::None,
        ProcessKind::Unlimited => ArrivalProcess::Unlimited,
    };
    // A cap of 0 is legitimate (a loss system), nothing to check for max_backlog.
    let poisson = a.process == ProcessKind::Poisson;
    let batch = a.process == ProcessKind::Batch;
    for (field, given, applies, to) in [
        (
            "rate_per_week",
            a.rate_per_week.is_some(),
            poisson,
            "poisson",
        ),
        (
            "rate_per_hour",
            a.rate_per_hour.is_some(),
            poisson,
            "poisson",
        ),
        ("batch_size", a.batch_size.is_some(), batch, "batch"),
        ("period_weeks", a.period_weeks.is_some(), batch, "batch"),
    ] {
        if given && !applies {
            ck.fail(
                format!("arrivals.{field}"),
                format!("only applies to process = \"{to}\"; remove it or change the process."),
            );
        }
    }
    if a.initial_backlog > MAX_CARDS_AT_ONCE {
        ck.fail(
            "arrivals.initial_backlog",
            format!(
                "a backlog of {} cards is beyond the limit of {MAX_CARDS_AT_ONCE} cards at once; \
                 a backlog that never runs dry is process = \"unlimited\".",
                a.initial_backlog
            ),
        );
    }

    // Stages.
    if f.stages.is_empty() {
        ck.fail(
            "stages",
            "needs at least one stage, e.g. [[stages]] name = \"work\", effort = { dist = \"constant\", value = 4 }.",
        );
    }
    if f.stages.len() > MAX_STAGES {
        ck.fail(
            "stages",
            format!(
                "{} stages is beyond the limit of {MAX_STAGES}; merge stages that the same people work.",
                f.stages.len()
            ),
        );
    }
    let mut stages = Vec::new();
    for (i, s) in f.stages.iter().enumerate() {
        let p = format!("stages[{i}]");
        if !valid_name(&s.name) {
            ck.fail(
                format!("{p}.name"),
                format!(
                    "`{}` is not a usable name: use 1 to 64 letters, digits, `_` or `-`.",
                    s.name
                ),
            );
        }
        if f.stages[..i].iter().any(|o| o.name == s.name) {
            ck.fail(
                format!("{p}.name"),
                format!(
                    "stage `{}` is listed twice; stage names must be unique.",
                    s.name
                ),
            );
        }
        if s.wip_limit == Some(0) {
            ck.fail(
                format!("{p}.wip_limit"),
                "a WIP limit of 0 would stop all work: use at least 1, or leave it out for no limit.",
            );
        }
        let effort = dist(&s.effort, &format!("{p}.effort"), 1.0, ck);
        stages.push(Stage {
            name: s.name.clone(),
            effort,
            wip_limit: s.wip_limit,
            rework: None,
            deployment: None,
        });
    }
    let stage_names: Vec<&str> = f.stages.iter().map(|s| s.name.as_str()).collect();
    for (i, s) in f.stages.iter().enumerate() {
        let Some(dep) = &s.deployment else { continue };
        let p = format!("stages[{i}].deployment");
        ck.probability(&format!("{p}.failure_probability"), dep.failure_probability);
        if !(dep.fix_effort_share.is_finite()
            && dep.fix_effort_share > 0.0
            && dep.fix_effort_share <= 10.0)
        {
            ck.fail(
                format!("{p}.fix_effort_share"),
                format!(
                    "must be above 0 and at most 10; got {}",
                    dep.fix_effort_share
                ),
            );
        }
        let rollback_effort = dist(
            &dep.rollback_effort,
            &format!("{p}.rollback_effort"),
            1.0,
            ck,
        );
        match stage_names.iter().position(|n| *n == dep.fix_in) {
            Some(to) if to <= i => {
                stages[i].deployment = Some(Deployment {
                    failure_probability: dep.failure_probability,
                    fix_in: to,
                    fix_effort_share: dep.fix_effort_share,
                    rollback_effort,
                });
            }
            Some(_) => ck.fail(format!("{p}.fix_in"), format!("a failed change must go back to this stage or an earlier one, not forward to `{}`", dep.fix_in)),
            None => ck.fail(format!("{p}.fix_in"), format!("`{}` names no stage{}; stages are: {}", dep.fix_in, suggest(&dep.fix_in, &stage_names), stage_names.join(", "))),
        }
    }
    for (i, s) in f.stages.iter().enumerate() {
        let Some(rw) = &s.rework else { continue };
        let p = format!("stages[{i}].rework");
        ck.probability(&format!("{p}.probability"), rw.probability);
        if !(rw.effort_share.is_finite() && rw.effort_share > 0.0 && rw.effort_share <= 10.0) {
            ck.fail(
                format!("{p}.effort_share"),
                format!(
                    "must be above 0 and at most 10 (a share of the original effort); got {}",
                    rw.effort_share
                ),
            );
        }
        match stage_names.iter().position(|n| *n == rw.to) {
            Some(to) if to <= i => {
                stages[i].rework = Some(Rework {
                    probability: rw.probability,
                    to,
                    effort_share: rw.effort_share,
                });
            }
            Some(_) => ck.fail(
                format!("{p}.to"),
                format!("rework must send a card back to this stage or an earlier one, not forward to `{}`", rw.to),
            ),
            None => ck.fail(
                format!("{p}.to"),
                format!("`{}` names no stage{}; stages are: {}", rw.to, suggest(&rw.to, &stage_names), stage_names.join(", ")),
            ),
        }
    }

    // Team.
    if f.team.is_empty() {
        ck.fail(
            "team",
            "needs at least one role, e.g. [team.dev] count = 2, skills = { work = 1.0 }.",
        );
    }
    let mut people = Vec::new();
    let mut total: u64 = 0;
    for (role, rf) in &f.team {
        let p = format!("team.{role}");
        if !valid_name(role) {
            ck.fail(
                &p,
                format!(
                    "`{role}` is not a usable role name: use 1 to 64 letters, digits, `_` or `-`."
                ),
            );
        }
        total += rf.count as u64;
        if total > MAX_TEAM as u64 {
            ck.fail(
                format!("{p}.count"),
                format!(
                    "a team of {total} or more people is beyond the limit of {MAX_TEAM}; model \
                     one team per scenario."
                ),
            );
            continue;
        }
        if rf.count == 0 {
            ck.fail(
                format!("{p}.count"),
                "a role needs at least 1 person; remove the role to leave it out.",
            );
        }
        if rf.wip_limit == 0 {
            ck.fail(
                format!("{p}.wip_limit"),
                "a person with a WIP limit of 0 could never work: use at least 1 card.",
            );
        }
        let hours = rf.hours_per_day.unwrap_or(c.hours_per_day);
        if !(hours > 0.0 && hours <= 24.0) {
            ck.fail(
                format!("{p}.hours_per_day"),
                format!("must be above 0 and at most 24 hours; got {hours}."),
            );
        }
        let mut speed = vec![0.0; stage_names.len()];
        if rf.skills.is_empty() {
            ck.fail(
                format!("{p}.skills"),
                "needs at least one skill, e.g. skills = { work = 1.0 }.",
            );
        }
        for (skill, &v) in &rf.skills {
            match stage_names.iter().position(|n| n == skill) {
                Some(k) => {
                    if !(v.is_finite() && v > 0.0 && v <= 100.0) {
                        ck.fail(
                            format!("{p}.skills.{skill}"),
                            format!("a speed factor must be above 0 and at most 100 (1 is normal speed); got {v}."),
                        );
                    } else {
                        speed[k] = v;
                    }
                }
                None => ck.fail(
                    format!("{p}.skills.{skill}"),
                    format!(
                        "skill `{skill}` names no stage{}; the stages are: {}.",
                        suggest(skill, &stage_names),
                        stage_names.join(", ")
                    ),
                ),
            }
        }
        if rf.wip_limit as usize > MAX_HELD {
            ck.fail(
                format!("{p}.wip_limit"),
                format!("must be at most {} cards", MAX_HELD),
            );
        }
        ck.nonneg(
            &format!("{p}.max_overtime_h_per_day"),
            rf.max_overtime_h_per_day,
            "hours",
        );
        if hours + rf.max_overtime_h_per_day > 24.0 {
            ck.fail(
                format!("{p}.max_overtime_h_per_day"),
                format!("normal hours ({hours}) plus overtime must fit in a day of 24 hours"),
            );
        }
        ck.probability(&format!("{p}.sick_chance_per_day"), rf.sick_chance_per_day);
        let sick_days = match &rf.sick_days {
            Some(e) => dist(e, &format!("{p}.sick_days"), 1.0, ck),
            None => Dist::Constant(3.0),
        };
        let mut absences = Vec::new();
        if let Some(w) = rf.joins_week
            && ck.nonneg(&format!("{p}.joins_week"), w, "weeks")
        {
            absences.push((0.0, w * HOURS_PER_WEEK));
        }
        for k in 0..rf.count {
            let name = if rf.count == 1 {
                role.clone()
            } else {
                format!("{role}-{}", k + 1)
            };
            let always = calendar == Calendar::AlwaysOn;
            people.push(Person {
                name,
                role: role.clone(),
                speed: speed.clone(),
                hours_per_day: if always { 24.0 } else { hours },
                wip_limit: rf.wip_limit,
                max_overtime_h_per_day: if always {
                    0.0
                } else {
                    rf.max_overtime_h_per_day
                },
                sick_chance_per_day: rf.sick_chance_per_day,
                sick_days: sick_days.clone(),
                absences: absences.clone(),
            });
        }
    }
    for (k, name) in stage_names.iter().enumerate() {
        if !people.is_empty()
            && !stage_names[..k].contains(name)
            && !people
                .iter()
                .any(|p| p.speed.get(k).is_some_and(|&v| v > 0.0))
        {
            ck.fail(
                format!("stages[{k}]"),
                format!("nobody on the team can work stage `{name}`: add it to some role's skills, e.g. skills = {{ {name} = 1.0 }}."),
            );
        }
    }

    for (i, person) in people.iter().enumerate() {
        if let Some(other) = people[..i].iter().find(|o| o.name == person.name) {
            ck.fail(
                format!("team.{}", person.role),
                format!(
                    "two people would be called `{}` (from roles `{}` and `{}`): rename one of the roles.",
                    person.name, other.role, person.role
                ),
            );
        }
    }

    for (i, a) in f.absences.iter().enumerate() {
        let p = format!("absences[{i}]");
        let names: Vec<&str> = people.iter().map(|x| x.name.as_str()).collect();
        let Some(k) = names.iter().position(|n| *n == a.person) else {
            ck.fail(
                format!("{p}.person"),
                format!(
                    "`{}` names nobody on the team{}; people are: {}",
                    a.person,
                    suggest(&a.person, &names),
                    names.join(", ")
                ),
            );
            continue;
        };
        ck.nonneg(&format!("{p}.from_week"), a.from_week, "weeks");
        let to = match a.weeks {
            Some(w) => {
                ck.positive(&format!("{p}.weeks"), w, "weeks");
                (a.from_week + w) * HOURS_PER_WEEK
            }
            None => f64::INFINITY,
        };
        people[k].absences.push((a.from_week * HOURS_PER_WEEK, to));
    }

    // Estimates, disruptions, classes, multitasking.
    let e = &f.estimates;
    if !(e.bias.is_finite() && (0.05..=20.0).contains(&e.bias)) {
        ck.fail(
            "estimates.bias",
            format!(
                "must lie between 0.05 and 20 (the mean ratio of estimate to true effort; 0.8 means estimates 20% low); got {}",
                e.bias
            ),
        );
    }
    ck.nonneg(
        "estimates.spread",
        e.spread,
        "standard deviation of the error factor",
    );
    ck.probability("estimates.min_remaining_share", e.min_remaining_share);
    let d = &f.disruptions;
    ck.nonneg("disruptions.handover_cost_h", d.handover_cost_h, "hours");
    ck.nonneg(
        "disruptions.fatigue_per_overtime_hour",
        d.fatigue_per_overtime_hour,
        "relative increase per hour",
    );
    if d.fatigue_window_days == 0 || d.fatigue_window_days > 365 {
        ck.fail(
            "disruptions.fatigue_window_days",
            "must be 1 to 365 working days",
        );
    }
    let missing_input = d.missing_input.as_ref().map(|mi| {
        ck.probability("disruptions.missing_input.probability", mi.probability);
        if mi.answerers > 100 {
            ck.fail(
                "disruptions.missing_input.answerers",
                format!("must be at most 100 people; got {}", mi.answerers),
            );
        }
        MissingInput {
            probability: mi.probability,
            delay: dist(&mi.delay, "disruptions.missing_input.delay", 1.0, ck),
            answerers: mi.answerers.min(100),
        }
    });
    let blockers = d.blockers.as_ref().map(|b| {
        ck.probability("disruptions.blockers.chance_per_day", b.chance_per_day);
        Blockers {
            chance_per_day: b.chance_per_day,
            duration: dist(&b.duration, "disruptions.blockers.duration", 1.0, ck),
        }
    });
    let cl = &f.classes;
    ck.nonneg(
        "classes.expedite_rate_per_week",
        cl.expedite_rate_per_week,
        "cards per week",
    );
    ck.probability("classes.fixed_date_share", cl.fixed_date_share);
    let due_in = match &cl.due_in_weeks {
        Some(e) => dist(e, "classes.due_in_weeks", HOURS_PER_WEEK, ck),
        None => {
            if cl.fixed_date_share > 0.0 {
                ck.fail("classes", "fixed_date_share needs due_in_weeks, e.g. due_in_weeks = { dist = \"uniform\", min = 2, max = 4 }");
            }
            Dist::Constant(2.0 * HOURS_PER_WEEK)
        }
    };
    let multitasking = match f.multitasking.model {
        MultitaskingModel::None => Multitasking::None,
        MultitaskingModel::Weinberg => Multitasking::Weinberg,
        MultitaskingModel::SwitchCost => {
            let h = f.multitasking.switch_cost_h.unwrap_or(0.5);
            ck.nonneg("multitasking.switch_cost_h", h, "hours");
            Multitasking::SwitchCost { hours: h }
        }
    };

    // Policies.
    let team_size = people.len();
    let listed: Vec<String> = match &r.policies {
        Some(l) => l.clone(),
        None => {
            let mut l: Vec<String> = PRESETS.iter().map(|s| s.to_string()).collect();
            l.extend(
                f.policies
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
        if !valid_name(name) {
            ck.fail(
                format!("run.policies[{i}]"),
                format!(
                    "`{name}` is not a usable policy name: use 1 to 64 letters, digits, `_` or `-`."
                ),
            );
            continue;
        }
        let pf = f.policies.get(name);
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
            apply_policy_file(&mut pol, pf, &format!("policies.{name}"), &stage_names, ck);
        }
        // Replenishing "up to the limit" from a backlog that never runs dry loops forever.
        if let Release::Cadence { .. } = pol.release
            && pol.system_wip_limit.is_none()
            && matches!(process, ArrivalProcess::Unlimited)
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
                    (2 * team_size).max(1)
                ),
            );
        }
        policies.push(pol);
    }
    for key in f.policies.keys() {
        if !listed.contains(key) {
            ck.fail(
                format!("policies.{key}"),
                format!("policy `{key}` is defined but not listed in run.policies; add it there or remove it."),
            );
        }
    }

    let model = Model {
        name: f.name.clone().unwrap_or_else(|| {
            std::path::Path::new(origin)
                .file_stem()
                .map_or("scenario".into(), |s| s.to_string_lossy().into_owned())
        }),
        description: f.description.trim().to_string(),
        calendar,
        horizon_h: r.horizon_weeks * HOURS_PER_WEEK,
        warmup_h: r.warmup_weeks * HOURS_PER_WEEK,
        arrivals: Arrivals {
            process,
            initial_backlog: a.initial_backlog,
            max_backlog: a.max_backlog,
        },
        stages,
        people,
        estimates: Estimates {
            bias: e.bias,
            spread: e.spread,
            min_remaining_share: e.min_remaining_share,
        },
        disruptions: Disruptions {
            handover_cost_h: d.handover_cost_h,
            missing_input,
            blockers,
            fatigue_per_overtime_hour: d.fatigue_per_overtime_hour,
            fatigue_window_days: d.fatigue_window_days,
        },
        classes: Classes {
            expedite_rate_per_h: cl.expedite_rate_per_week / HOURS_PER_WEEK,
            fixed_date_share: cl.fixed_date_share,
            due_in,
        },
        multitasking,
    };
    if !valid_name(&model.name) {
        ck.fail(
            "name",
            format!(
                "`{}` is not a usable scenario name: use 1 to 64 letters, digits, `_` or `-`.",
                model.name
            ),
        );
    }
    Some(Scenario {
        model,
        policies,
        settings: RunSettings {
            replications: r.replications,
            seed: r.seed,
        },
        source: text.to_string(),
        origin: origin.to_string(),
    })
}

fn apply_policy_file(
    pol: &mut Policy,
    pf: &PolicyFile,
    p: &str,
    stages: &[&str],
    ck: &mut Checker,
) {
    if let Some(r) = pf.release {
        pol.release = match r {
            ReleaseKind::OnPull => Release::OnPull,
            ReleaseKind::Cadence => Release::Cadence { every_h: 24.0 },
            ReleaseKind::Plan => Release::Plan {
                period_weeks: 1,
                planning_factor: 1.0,
            },
        };
    }
    if pf.planning_period_weeks.is_some() || pf.planning_factor.is_some() {
        match &mut pol.release {
            Release::Plan {
                period_weeks,
                planning_factor,
            } => {
                if let Some(w) = pf.planning_period_weeks {
                    if !(1..=52).contains(&w) {
                        ck.fail(
                            format!("{p}.planning_period_weeks"),
                            format!("must be 1 to 52 weeks; got {w}"),
                        );
                    }
                    *period_weeks = w.max(1);
                }
                if let Some(f) = pf.planning_factor {
                    if !(f.is_finite() && f > 0.0 && f <= 10.0) {
                        ck.fail(
                            format!("{p}.planning_factor"),
                            format!("must be above 0 and at most 10; got {f}"),
                        );
                    }
                    *planning_factor = f;
                }
            }
            _ => ck.fail(
                p,
                "planning_period_weeks and planning_factor only apply with release = \"plan\"",
            ),
        }
    }
    if let Some(o) = pf.overtime {
        pol.overtime = match o {
            OvertimeKind::None => Overtime::None,
            OvertimeKind::ToPlan => Overtime::ToPlan,
            OvertimeKind::FixedDateAtRisk => Overtime::FixedDateAtRisk,
        };
    }
    if pol.overtime == Overtime::ToPlan && !pol.planned() {
        ck.fail(
            format!("{p}.overtime"),
            "overtime = \"to_plan\" needs a plan: set release = \"plan\"",
        );
    }
    if let Some(b) = pf.readiness_check {
        pol.readiness_check = if b {
            Some(
                pol.readiness_check
                    .unwrap_or(crate::policy::DEFAULT_DETECTION),
            )
        } else {
            None
        };
    }
    if let Some(d) = pf.detection_probability {
        ck.probability(&format!("{p}.detection_probability"), d);
        pol.readiness_check = Some(d);
    }
    if let Some(b) = pf.on_block {
        pol.on_block = match b {
            OnBlockKind::Switch => OnBlock::Switch,
            OnBlockKind::Wait => OnBlock::Wait,
        };
    }
    if let Some(d) = pf.emergency_after_days {
        pol.emergency_after_days = d;
    }
    if let Some(f) = pf.failed_deploy {
        pol.failed_deploy = match f {
            FailedDeployKind::Break => FailedDeploy::Break,
            FailedDeployKind::KeepLastGood => FailedDeploy::KeepLastGood,
        };
    }
    for (stage, kind) in &pf.handoff {
        match stages.iter().position(|n| n == stage) {
            Some(0) => ck.fail(
                format!("{p}.handoff.{stage}"),
                "the first stage's entry is set by `release`, not by a hand-off",
            ),
            Some(k) => {
                pol.handoffs[k] = match kind {
                    HandoffKind::Push => Handoff::Push,
                    HandoffKind::Pull => Handoff::Pull { poll_every_h: 0.0 },
                }
            }
            None => ck.fail(
                format!("{p}.handoff.{stage}"),
                format!(
                    "`{stage}` names no stage{}; stages are: {}",
                    suggest(stage, stages),
                    stages.join(", ")
                ),
            ),
        }
    }
    for (stage, &h) in &pf.poll_every_hours {
        match stages.iter().position(|n| n == stage) {
            Some(k) if k > 0 => {
                if !(h.is_finite() && (h == 0.0 || h >= MIN_REPLENISH_H)) {
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
                    Handoff::Push => ck.fail(format!("{p}.poll_every_hours.{stage}"), "polling needs a pull hand-off into that stage: add handoff = { ... = \"pull\" }"),
                }
            }
            Some(_) => ck.fail(
                format!("{p}.poll_every_hours.{stage}"),
                "the first stage's entry is set by `release`",
            ),
            None => ck.fail(
                format!("{p}.poll_every_hours.{stage}"),
                format!(
                    "`{stage}` names no stage{}; stages are: {}",
                    suggest(stage, stages),
                    stages.join(", ")
                ),
            ),
        }
    }
    if let Some(h) = pf.replenish_every_hours {
        if !(h.is_finite() && (h == 0.0 || h >= MIN_REPLENISH_H)) {
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
    if let Some(l) = pf.system_wip_limit {
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
    if pf.no_system_wip_limit == Some(true) {
        if pf.system_wip_limit.is_some() {
            ck.fail(
                format!("{p}.no_system_wip_limit"),
                "contradicts system_wip_limit in the same policy; keep one of the two.",
            );
        }
        pol.system_wip_limit = None;
    }
    if let Some(b) = pf.stage_limits {
        pol.stage_limits = b;
    }
    if let Some(s) = pf.selection {
        pol.selection = match s {
            SelectionKind::OldestFirst => Selection::OldestFirst,
            SelectionKind::RightmostFirst => Selection::RightmostFirst,
        };
    }
    let mut sw = pol.swarming.unwrap_or(Swarming {
        pairing_efficiency: 0.7,
        max_per_card: 2,
    });
    if let Some(e) = pf.pairing_efficiency {
        if !(e > 0.0 && e <= 1.0) {
            ck.fail(
                format!("{p}.pairing_efficiency"),
                format!("must be above 0 and at most 1 (1 means no loss from pairing); got {e}."),
            );
        }
        sw.pairing_efficiency = e;
    }
    if let Some(n) = pf.max_per_card {
        if !(2..=MAX_SWARM as u32).contains(&n) {
            ck.fail(
                format!("{p}.max_per_card"),
                format!("must be 2 to {} people; got {n}.", MAX_SWARM),
            );
        }
        sw.max_per_card = n;
    }
    match pf.swarming {
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
            ("pairing_efficiency", pf.pairing_efficiency.is_some()),
            ("max_per_card", pf.max_per_card.is_some()),
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

/// Checks an arrival rate given in cards per `unit_weeks` weeks; returns cards per hour.
fn rate(ck: &mut Checker, path: &str, v: f64, per_week: f64) -> Option<f64> {
    let unit = if per_week == 1.0 {
        "cards per week"
    } else {
        "cards per hour"
    };
    if !ck.positive(path, v, unit) {
        return None;
    }
    let weekly = v * per_week;
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

/// Resource guards on a scenario that is otherwise valid: refuses runs whose single replication
/// would overflow a counter, exhaust memory or not finish in any reasonable time.
fn guard(sc: &Scenario, ck: &mut Checker) {
    let m = &sc.model;
    let arrivals = limits::expected_arrivals(m);
    if arrivals.is_finite() && arrivals > MAX_CARDS_PER_REP {
        ck.fail(
            "arrivals",
            format!(
                "about {} cards would arrive in one replication (rate x horizon plus backlog), \
                 beyond the limit of {}; lower the rate or shorten run.horizon_weeks.",
                limits::big(arrivals),
                limits::big(MAX_CARDS_PER_REP)
            ),
        );
        return;
    }
    if arrivals.is_infinite() {
        // An unlimited backlog: the team takes what it can. A stage that takes no time lets
        // cards pass without end at one instant.
        for s in 0..m.stages.len() {
            let cap = limits::stage_capacity(m, s);
            if cap > MAX_CARDS_PER_REP {
                ck.fail(
                    format!("stages[{s}].effort"),
                    format!(
                        "with process = \"unlimited\" the team would take {} cards through stage \
                         `{}` in one replication (its effort's mean is {} hours), beyond the limit \
                         of {}; give the stage an effort with a mean well above 0.",
                        limits::big(cap),
                        m.stages[s].name,
                        m.stages[s].effort.mean(),
                        limits::big(MAX_CARDS_PER_REP)
                    ),
                );
                return;
            }
        }
    }
    let e = estimate_work(sc, u64::from(sc.settings.replications));
    if e.events_per_rep.is_nan() || e.events_per_rep > MAX_EVENTS_PER_REP {
        ck.fail(
            "run.horizon_weeks",
            format!(
                "one replication would take about {} simulation events, beyond the limit of {} \
                 (hours of computing each); shorten run.horizon_weeks, lower the arrival rate, \
                 use fewer people or replenish less often.",
                limits::big(e.events_per_rep),
                limits::big(MAX_EVENTS_PER_REP)
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_scenario_loads() {
        let s = load_str(REFERENCE, REFERENCE_NAME).unwrap();
        assert!(s.model.people.len() >= 6 && s.model.people.len() <= 8);
        assert!(s.model.stages.len() >= 3 && s.model.stages.len() <= 4);
    }

    #[test]
    fn range_helpers_report_what_is_right() {
        let mut ck = Checker {
            text: "[x]\np = 1.5\ns = -1\n",
            problems: Vec::new(),
        };
        assert!(ck.probability("x.p", 0.25));
        assert!(!ck.probability("x.p", 1.5));
        assert!(!ck.probability("x.p", f64::NAN));
        assert!(ck.nonneg("x.s", 0.0, "hours"));
        assert!(!ck.nonneg("x.s", -1.0, "hours"));
        assert!(!ck.nonneg("x.s", f64::INFINITY, "hours"));
        let p = &ck.problems[0];
        assert_eq!(p.at, Some((2, 5)));
        assert!(
            p.message.contains("between 0 and 1; got 1.5."),
            "{}",
            p.message
        );
        assert_eq!(ck.problems[2].at, Some((3, 5)));
        assert!(ck.problems[2].message.contains("at least 0 (hours)"));
    }

    #[test]
    fn positions_are_in_characters_and_never_panic() {
        let text = "é = 1\nname = \"ü\"";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 2), (1, 2)); // after the two-byte é
        assert_eq!(line_col(text, 1), (1, 1)); // inside é: rounded down
        assert_eq!(line_col(text, 1000), (2, 11));
        assert_eq!(locate("[team]\n", "team.x[.y"), Some((1, 1)));
        assert_eq!(locate("", "a[0"), None);
    }

    #[test]
    fn problems_carry_path_and_position() {
        let text = "[arrivals]\nprocess = \"poisson\"\nrate_per_week = -2\n[[stages]]\nname = \"a\"\neffort = { dist = \"constant\", value = 1 }\n[team.x]\nskills = { b = 1.0 }\n";
        let e = load_str(text, "t.toml").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("t.toml:3:17: `arrivals.rate_per_week`"),
            "{msg}"
        );
        assert!(msg.contains("skill `b` names no stage"), "{msg}");
        assert!(
            msg.contains("nobody on the team can work stage `a`"),
            "{msg}"
        );
    }
}
