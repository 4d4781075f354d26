//! Scenario files: TOML text -> plain serde structs -> checked `Model` and `Policy` values.
//!
//! Parsing is strict (unknown fields are errors) and validation collects every problem it finds
//! before failing, each with the field's path and, where the text has it, its line and column.
//!
//! Loading runs in four passes, each reporting every problem it finds:
//! 1. a recoverable TOML parse (syntax errors, duplicate keys);
//! 2. a walk of the parsed document against the schema (`walk.rs`: unknown fields with a
//!    "did you mean", wrong types, missing fields, integers out of range), which prunes what it
//!    can so the later passes still run;
//! 3. serde into the plain structs, one module per table of the file format;
//! 4. semantic checks into `Model` and `Policy` (ranges, structure), table by table in `build`,
//!    then the resource guard (`estimate.rs`).
//!
//! Each table's module declares the table once (`file_table!`, `keywords!` in `schema.rs`):
//! the serde struct and the schema walk's field list come from the same lines.

#[macro_use]
mod schema;

mod arrivals;
mod calendar;
mod classes;
mod data;
mod disruptions;
mod effort;
mod estimate;
mod json_schema;
mod policies;
mod problems;
mod run;
mod stages;
mod team;
mod walk;

use std::collections::BTreeMap;

use serde::Deserialize;

pub use estimate::{Estimate, estimate_work};
pub use json_schema::json_schema;
pub use problems::{Problem, ScenarioError};

use crate::model::{ArrivalProcess, HOURS_PER_WEEK, Model};
use crate::policy::Policy;
use arrivals::ArrivalsFile;
use calendar::CalendarFile;
use classes::{ClassesFile, EstimatesFile};
use disruptions::{AbsenceFile, DisruptionsFile};
use policies::PolicyFile;
use problems::{Checker, line_col, syntax_message};
use run::RunFile;
use stages::StageFile;
use team::{MultitaskingFile, RoleFile};

/// The reference scenario shipped in the binary (`flowsim run` with no file runs it).
pub const REFERENCE: &str = include_str!("../../scenarios/small-team.toml");
/// The reference scenario's file name, for messages.
pub const REFERENCE_NAME: &str = "scenarios/small-team.toml";

file_table! {
    /// A whole scenario file.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct ScenarioFile {
        /// The scenario's name (default: the file's stem).
        optional name: Option<String> => "the scenario's name, e.g. name = \"small-team\"",
        /// Free text.
        #[serde(default)]
        optional description: String => "free text, e.g. description = \"...\"",
        #[serde(default)]
        optional run: RunFile => "a [run] table",
        #[serde(default)]
        optional calendar: CalendarFile => "a [calendar] table",
        required arrivals: ArrivalsFile => "an [arrivals] table, e.g. [arrivals] process = \"poisson\", rate_per_week = 8",
        required stages: Vec<StageFile> => "a list of [[stages]] tables, each with name and effort",
        required team: BTreeMap<String, RoleFile> => "[team.ROLE] tables, e.g. [team.dev] count = 2, skills = { work = 1.0 }",
        #[serde(default)]
        optional policies: BTreeMap<String, PolicyFile> => "[policies.NAME] tables",
        #[serde(default)]
        optional estimates: EstimatesFile => "an [estimates] table",
        #[serde(default)]
        optional disruptions: DisruptionsFile => "a [disruptions] table",
        #[serde(default)]
        optional classes: ClassesFile => "a [classes] table",
        #[serde(default)]
        optional multitasking: MultitaskingFile => "a [multitasking] table",
        #[serde(default)]
        optional absences: Vec<AbsenceFile> => "a list of [[absences]] tables",
    }
}

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
    /// The data files it read (replayed history, empirical efforts), in the order read.
    pub data_files: Vec<DataFile>,
}

/// A data file a scenario read, as `manifest.json` records it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DataFile {
    /// The path as the scenario gives it (relative to the scenario file).
    pub path: String,
    /// SHA-256 (hex) of the file's bytes when it was read.
    pub sha256: String,
}

/// What the file format allows as keys of the table at a dotted path (`team.tester`,
/// `stages.test`): the steps are keys, with an array's element (index or name) and a map's
/// entry (a role, a policy) as one step each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedKeys {
    /// A table with these fields.
    Fields(Vec<&'static str>),
    /// A table of names the user chooses (`team`, `policies`, a role's `skills`).
    Names,
    /// Not known from the path alone (a distribution's parameters depend on its `dist`), or
    /// not a table.
    Unknown,
}

/// The keys the file format allows at `steps` (see [`AllowedKeys`]).
pub fn allowed_keys(steps: &[&str]) -> AllowedKeys {
    use schema::Ty;
    let root = Ty::Table(ScenarioFile::FIELDS);
    let mut ty = &root;
    for step in steps {
        ty = match ty {
            Ty::Table(fields) => match fields.iter().find(|f| f.name == *step) {
                Some(f) => &f.ty,
                None => return AllowedKeys::Unknown,
            },
            Ty::Map(inner) | Ty::Array(inner) => inner,
            _ => return AllowedKeys::Unknown,
        };
    }
    match ty {
        Ty::Table(fields) => AllowedKeys::Fields(fields.iter().map(|f| f.name).collect()),
        Ty::Map(_) => AllowedKeys::Names,
        _ => AllowedKeys::Unknown,
    }
}

/// The policy names a scenario may use without defining them (the presets).
pub const PRESET_POLICIES: [&str; 3] = crate::policy::PRESETS;

/// ` (did you mean `x`?)` when one of `options` is close to `word`, else nothing.
pub fn did_you_mean(word: &str, options: &[&str]) -> String {
    problems::suggest(word, options)
}

/// The line and column of the field at a dotted path (`stages[1].wip_limit`) in `text`, or of
/// the deepest part of the path the text has; `None` when it has none of it.
pub fn position_of(text: &str, path: &str) -> Option<(usize, usize)> {
    problems::locate(text, path)
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
    let walk = walk::check(&mut doc, ScenarioFile::FIELDS, syntax.is_empty());
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
                // Data files are relative to the scenario file (the working directory for the
                // built-in scenario).
                let base = (origin != REFERENCE_NAME)
                    .then(|| {
                        std::path::Path::new(origin)
                            .parent()
                            .map(std::path::Path::to_path_buf)
                    })
                    .flatten();
                let mut ck = Checker::new(text).with_base(base);
                let built = build(file, &mut ck, text, origin);
                if ck.problems.is_empty() && problems.is_empty() {
                    estimate::guard(&built, &mut ck);
                }
                problems.append(&mut ck.problems);
                scenario = Some(built);
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

/// Checks the file table by table, in the order their problems have always been reported, and
/// builds the scenario (which is only used when no problem was found).
fn build(f: ScenarioFile, ck: &mut Checker, text: &str, origin: &str) -> Scenario {
    f.run.check(ck);
    let calendar = f.calendar.build(ck);
    let arrivals = f.arrivals.build(&calendar, ck);
    let stages = stages::build(&f.stages, ck);
    let stage_names: Vec<&str> = f.stages.iter().map(|s| s.name.as_str()).collect();
    let mut people = team::build(
        &f.team,
        &calendar,
        f.calendar.hours_per_day,
        &stage_names,
        ck,
    );
    disruptions::add_absences(&f.absences, &mut people, ck);
    let estimates = f.estimates.build(ck);
    let disruptions = f.disruptions.build(ck);
    let classes = f.classes.build(ck);
    let multitasking = f.multitasking.build(ck);
    let fix_in: Vec<Option<usize>> = stages
        .iter()
        .map(|s| s.deployment.as_ref().map(|d| d.fix_in))
        .collect();
    let policies = policies::build(
        f.run.policies.as_deref(),
        &f.policies,
        &policies::Board {
            stage_names: &stage_names,
            fix_in: &fix_in,
            team_size: people.len(),
            unlimited_backlog: matches!(arrivals.process, ArrivalProcess::Unlimited),
            first_stage_limit: stages.first().and_then(|s| s.wip_limit),
        },
        ck,
    );
    let r = &f.run;
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
        arrivals,
        stages,
        people,
        estimates,
        disruptions,
        classes,
        multitasking,
        change_metrics: policies
            .iter()
            .any(|p| p.gitops.iter().any(Option::is_some)),
    };
    ck.usable_name("name", &model.name, "scenario name");
    Scenario {
        model,
        policies,
        settings: RunSettings {
            replications: r.replications,
            seed: r.seed,
        },
        source: text.to_string(),
        origin: origin.to_string(),
        data_files: ck.data_files.clone(),
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
