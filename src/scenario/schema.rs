//! The scenario file's shape, walked over the parsed TOML before serde sees it.
//!
//! Why this exists: serde stops at the first problem and its messages name neither the field's
//! path nor what would be right. This walk visits the whole document, reports *every* unknown
//! key (with a "did you mean"), wrong type, missing field and out-of-range integer with its span
//! and dotted path, and prunes what it can (unknown keys, badly typed optional fields) so that
//! serde and the semantic checks can still run on the rest and report their problems in the
//! same message.
//!
//! The schema below mirrors the serde structs in `scenario.rs` field by field. When you add a
//! field there, add it here too: the test `schema_matches_serde_structs` fails until you do.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::suggest;

/// The type a field expects.
pub(super) enum Ty {
    /// Any string.
    Str,
    /// One of these strings.
    Enum(&'static [&'static str]),
    /// A number: a TOML integer or float (`nan` and `inf` pass here; range checks come later).
    Float,
    /// A whole number from 0 to `max`.
    UInt(u64),
    /// `true` or `false`.
    Bool,
    /// A table with these fields (unknown keys are errors).
    Table(&'static [Field]),
    /// A table whose keys are names chosen by the user; every value has this type.
    Map(&'static Ty),
    /// An array whose items have this type.
    Array(&'static Ty),
    /// A table whose `tag` field picks one of the variants' field lists.
    Tagged {
        /// The selecting field (`dist`).
        tag: &'static str,
        /// Variant name and its other fields.
        variants: &'static [(&'static str, &'static [Field])],
    },
}

/// One field of a table.
pub(super) struct Field {
    /// Key as written in the file.
    pub name: &'static str,
    /// Expected type.
    pub ty: Ty,
    /// Whether the field must be present.
    pub required: bool,
    /// What the field means, with an example: completes "expected ..." messages.
    pub hint: &'static str,
}

const fn req(name: &'static str, ty: Ty, hint: &'static str) -> Field {
    Field {
        name,
        ty,
        required: true,
        hint,
    }
}

const fn opt(name: &'static str, ty: Ty, hint: &'static str) -> Field {
    Field {
        name,
        ty,
        required: false,
        hint,
    }
}

const U32: Ty = Ty::UInt(u32::MAX as u64);
/// TOML integers are signed 64-bit; a `u64` field can hold what TOML can write.
const U64: Ty = Ty::UInt(i64::MAX as u64);

/// Process kinds, as `ProcessKind` spells them.
pub(super) const PROCESSES: &[&str] = &["poisson", "batch", "none", "unlimited"];
/// Calendar modes, as `CalendarMode` spells them.
pub(super) const MODES: &[&str] = &["working", "24/7"];
/// Release kinds, as `ReleaseKind` spells them.
pub(super) const RELEASES: &[&str] = &["on_pull", "cadence", "plan"];
/// Hand-off kinds, as `HandoffKind` spells them.
pub(super) const HANDOFFS: &[&str] = &["push", "pull"];
/// Overtime rules, as `OvertimeKind` spells them.
pub(super) const OVERTIMES: &[&str] = &["none", "to_plan", "fixed_date_at_risk"];
/// Reactions to a blocked card, as `OnBlockKind` spells them.
pub(super) const ON_BLOCKS: &[&str] = &["switch", "wait"];
pub(super) const FAILED_DEPLOYS: &[&str] = &["break", "keep_last_good"];
/// Multitasking models, as `MultitaskingModel` spells them.
pub(super) const MULTITASKING_MODELS: &[&str] = &["none", "switch_cost", "weinberg"];
/// Selection kinds, as `SelectionKind` spells them.
pub(super) const SELECTIONS: &[&str] = &["oldest_first", "rightmost_first"];

const RUN: &[Field] = &[
    opt(
        "horizon_weeks",
        Ty::Float,
        "the simulated time in weeks, e.g. horizon_weeks = 52",
    ),
    opt(
        "warmup_weeks",
        Ty::Float,
        "leading weeks left out of the statistics, e.g. warmup_weeks = 4",
    ),
    opt(
        "replications",
        U32,
        "replications per policy, e.g. replications = 200",
    ),
    opt("seed", U64, "the master seed, e.g. seed = 2026"),
    opt(
        "policies",
        Ty::Array(&Ty::Str),
        "the policies to compare, e.g. policies = [\"pull\", \"flow\"]",
    ),
];

const CALENDAR: &[Field] = &[
    opt("mode", Ty::Enum(MODES), "\"working\" or \"24/7\""),
    opt(
        "hours_per_day",
        Ty::Float,
        "normal working hours a day, e.g. hours_per_day = 8",
    ),
    opt(
        "days_per_week",
        U32,
        "working days a week, e.g. days_per_week = 5",
    ),
    opt(
        "day_start_h",
        Ty::Float,
        "when a working day starts, in hours after midnight, e.g. day_start_h = 9",
    ),
];

const ARRIVALS: &[Field] = &[
    req(
        "process",
        Ty::Enum(PROCESSES),
        "how cards arrive, e.g. process = \"poisson\"",
    ),
    opt(
        "rate_per_week",
        Ty::Float,
        "cards per week, e.g. rate_per_week = 8",
    ),
    opt(
        "rate_per_hour",
        Ty::Float,
        "cards per hour, e.g. rate_per_hour = 0.2",
    ),
    opt("batch_size", U32, "cards per batch, e.g. batch_size = 10"),
    opt(
        "period_weeks",
        Ty::Float,
        "weeks between batches, e.g. period_weeks = 2",
    ),
    opt(
        "initial_backlog",
        U32,
        "cards waiting at the start, e.g. initial_backlog = 10",
    ),
    opt(
        "max_backlog",
        U32,
        "the most cards the backlog holds, e.g. max_backlog = 50",
    ),
];

const MEAN: &str = "the mean, e.g. mean = 4";
const SD: &str = "the standard deviation, e.g. sd = 2";
const MIN: &str = "the least value, e.g. min = 1";
const MAX: &str = "the most value, e.g. max = 8";
const EFFORT: Ty = Ty::Tagged {
    tag: "dist",
    variants: &[
        (
            "constant",
            &[req("value", Ty::Float, "the value, e.g. value = 4")],
        ),
        (
            "uniform",
            &[req("min", Ty::Float, MIN), req("max", Ty::Float, MAX)],
        ),
        (
            "triangular",
            &[
                req("min", Ty::Float, MIN),
                req("mode", Ty::Float, "the most likely value, e.g. mode = 3"),
                req("max", Ty::Float, MAX),
            ],
        ),
        ("exponential", &[req("mean", Ty::Float, MEAN)]),
        (
            "lognormal",
            &[req("mean", Ty::Float, MEAN), req("sd", Ty::Float, SD)],
        ),
        (
            "gamma",
            &[
                req("shape", Ty::Float, "the shape k, e.g. shape = 2"),
                req("mean", Ty::Float, MEAN),
            ],
        ),
        (
            "erlang",
            &[
                req("k", U32, "the number of phases, e.g. k = 3"),
                req("mean", Ty::Float, MEAN),
            ],
        ),
    ],
};

const REWORK: &[Field] = &[
    req(
        "probability",
        Ty::Float,
        "the chance a card fails this stage's check, e.g. probability = 0.1",
    ),
    req(
        "to",
        Ty::Str,
        "the earlier stage a failed card goes back to, e.g. to = \"development\"",
    ),
    opt(
        "effort_share",
        Ty::Float,
        "the share of the first effort that rework takes, e.g. effort_share = 0.5",
    ),
];

const DEPLOYMENT: &[Field] = &[
    req(
        "failure_probability",
        Ty::Float,
        "the chance a deployment fails, e.g. failure_probability = 0.15",
    ),
    req(
        "fix_in",
        Ty::Str,
        "the stage a failed change goes back to, e.g. fix_in = \"build\"",
    ),
    opt(
        "fix_effort_share",
        Ty::Float,
        "the share of the first effort the fix takes, e.g. fix_effort_share = 0.5",
    ),
    req(
        "rollback_effort",
        EFFORT,
        "work to roll a broken environment back, e.g. rollback_effort = { dist = \"uniform\", min = 2, max = 6 }",
    ),
];

const STAGE: &[Field] = &[
    req("name", Ty::Str, "the stage's name, e.g. name = \"test\""),
    req(
        "effort",
        EFFORT,
        "e.g. effort = { dist = \"lognormal\", mean = 6, sd = 3 }",
    ),
    opt(
        "wip_limit",
        U32,
        "cards in this stage at most, e.g. wip_limit = 3",
    ),
    opt(
        "rework",
        Ty::Table(REWORK),
        "e.g. rework = { probability = 0.1, to = \"development\" }",
    ),
    opt(
        "deployment",
        Ty::Table(DEPLOYMENT),
        "e.g. deployment = { failure_probability = 0.15, fix_in = \"build\", rollback_effort = { dist = \"constant\", value = 2 } }",
    ),
];

const ROLE: &[Field] = &[
    opt("count", U32, "people in this role, e.g. count = 2"),
    req(
        "skills",
        Ty::Map(&Ty::Float),
        "stages this role works with a speed factor, e.g. skills = { test = 1.0 }",
    ),
    opt(
        "hours_per_day",
        Ty::Float,
        "this role's hours a day, e.g. hours_per_day = 6",
    ),
    opt(
        "wip_limit",
        U32,
        "cards a person holds at once, e.g. wip_limit = 2",
    ),
    opt(
        "max_overtime_h_per_day",
        Ty::Float,
        "overtime hours a day at most, e.g. max_overtime_h_per_day = 2",
    ),
    opt(
        "sick_chance_per_day",
        Ty::Float,
        "the daily chance of falling sick, e.g. sick_chance_per_day = 0.01",
    ),
    opt(
        "sick_days",
        EFFORT,
        "how long a sickness lasts in days, e.g. sick_days = { dist = \"exponential\", mean = 3 }",
    ),
    opt(
        "joins_week",
        Ty::Float,
        "the week this role joins the team, e.g. joins_week = 8",
    ),
];

const POLICY: &[Field] = &[
    opt(
        "preset",
        Ty::Str,
        "the preset it starts from, e.g. preset = \"flow\"",
    ),
    opt(
        "release",
        Ty::Enum(RELEASES),
        "how work enters, e.g. release = \"cadence\"",
    ),
    opt(
        "replenish_every_hours",
        Ty::Float,
        "hours between replenishments, e.g. replenish_every_hours = 24",
    ),
    opt(
        "system_wip_limit",
        U32,
        "cards in the system at most, e.g. system_wip_limit = 12",
    ),
    opt(
        "no_system_wip_limit",
        Ty::Bool,
        "true to remove the preset's system limit",
    ),
    opt(
        "stage_limits",
        Ty::Bool,
        "whether stage WIP limits are honoured, e.g. stage_limits = true",
    ),
    opt(
        "selection",
        Ty::Enum(SELECTIONS),
        "which card a free person takes first, e.g. selection = \"rightmost_first\"",
    ),
    opt(
        "swarming",
        Ty::Bool,
        "whether free people help cards in progress, e.g. swarming = true",
    ),
    opt(
        "pairing_efficiency",
        Ty::Float,
        "share of summed speed a pair delivers, e.g. pairing_efficiency = 0.7",
    ),
    opt(
        "max_per_card",
        U32,
        "most people on one card, e.g. max_per_card = 2",
    ),
    opt(
        "planning_period_weeks",
        U32,
        "weeks between plans, e.g. planning_period_weeks = 2",
    ),
    opt(
        "planning_factor",
        Ty::Float,
        "the share of estimated capacity committed, e.g. planning_factor = 1.0",
    ),
    opt(
        "overtime",
        Ty::Enum(OVERTIMES),
        "when people work overtime, e.g. overtime = \"to_plan\"",
    ),
    opt(
        "readiness_check",
        Ty::Bool,
        "whether missing input is checked when a card is pulled, e.g. readiness_check = true",
    ),
    opt(
        "detection_probability",
        Ty::Float,
        "the chance the readiness check finds missing input, e.g. detection_probability = 0.8",
    ),
    opt(
        "on_block",
        Ty::Enum(ON_BLOCKS),
        "what a person does when their card blocks, e.g. on_block = \"switch\"",
    ),
    opt(
        "emergency_after_days",
        U32,
        "days a sick person's cards wait before reassignment, e.g. emergency_after_days = 2",
    ),
    opt(
        "failed_deploy",
        Ty::Enum(FAILED_DEPLOYS),
        "what a failed deployment does to its environment, e.g. failed_deploy = \"keep_last_good\"",
    ),
    opt(
        "handoff",
        Ty::Map(&Ty::Enum(HANDOFFS)),
        "push or pull into each stage, e.g. handoff = { deploy = \"pull\" }",
    ),
    opt(
        "poll_every_hours",
        Ty::Map(&Ty::Float),
        "hours between pulls into each stage, e.g. poll_every_hours = { deploy = 24 }",
    ),
];

const ESTIMATES: &[Field] = &[
    opt(
        "bias",
        Ty::Float,
        "the factor estimates are off by on average, e.g. bias = 0.8",
    ),
    opt(
        "spread",
        Ty::Float,
        "the spread of the estimation error, e.g. spread = 0.3",
    ),
    opt(
        "min_remaining_share",
        Ty::Float,
        "e.g. min_remaining_share = 0.1",
    ),
];

const MISSING_INPUT: &[Field] = &[
    req(
        "probability",
        Ty::Float,
        "the chance a card lacks its input, e.g. probability = 0.2",
    ),
    req(
        "delay",
        EFFORT,
        "how long the input takes to arrive, e.g. delay = { dist = \"exponential\", mean = 16 }",
    ),
    opt(
        "answerers",
        U32,
        "people who answer input requests in working hours (delay is then their work per answer), e.g. answerers = 1",
    ),
];

const BLOCKERS: &[Field] = &[
    req(
        "chance_per_day",
        Ty::Float,
        "the daily chance a card in progress blocks, e.g. chance_per_day = 0.05",
    ),
    req(
        "duration",
        EFFORT,
        "how long a block lasts, e.g. duration = { dist = \"exponential\", mean = 8 }",
    ),
];

const DISRUPTIONS: &[Field] = &[
    opt(
        "handover_cost_h",
        Ty::Float,
        "hours lost when a card changes hands, e.g. handover_cost_h = 2",
    ),
    opt(
        "missing_input",
        Ty::Table(MISSING_INPUT),
        "a [disruptions.missing_input] table",
    ),
    opt(
        "blockers",
        Ty::Table(BLOCKERS),
        "a [disruptions.blockers] table",
    ),
    opt(
        "fatigue_per_overtime_hour",
        Ty::Float,
        "e.g. fatigue_per_overtime_hour = 0.002",
    ),
    opt("fatigue_window_days", U32, "e.g. fatigue_window_days = 10"),
];

const CLASSES: &[Field] = &[
    opt(
        "expedite_rate_per_week",
        Ty::Float,
        "expedite cards per week, e.g. expedite_rate_per_week = 0.5",
    ),
    opt(
        "fixed_date_share",
        Ty::Float,
        "the share of cards with a due date, e.g. fixed_date_share = 0.1",
    ),
    opt(
        "due_in_weeks",
        EFFORT,
        "when a fixed-date card is due, e.g. due_in_weeks = { dist = \"uniform\", min = 2, max = 6 }",
    ),
];

const MULTITASKING: &[Field] = &[
    opt(
        "model",
        Ty::Enum(MULTITASKING_MODELS),
        "e.g. model = \"weinberg\"",
    ),
    opt(
        "switch_cost_h",
        Ty::Float,
        "hours lost per switch, e.g. switch_cost_h = 0.25",
    ),
];

const ABSENCE: &[Field] = &[
    req(
        "person",
        Ty::Str,
        "who is away, e.g. person = \"developer-2\"",
    ),
    req(
        "from_week",
        Ty::Float,
        "the week the absence starts, e.g. from_week = 10",
    ),
    opt(
        "weeks",
        Ty::Float,
        "how long, e.g. weeks = 2 (leave it out for someone leaving the team)",
    ),
];

/// The whole file.
pub(super) const ROOT: &[Field] = &[
    opt(
        "name",
        Ty::Str,
        "the scenario's name, e.g. name = \"small-team\"",
    ),
    opt(
        "description",
        Ty::Str,
        "free text, e.g. description = \"...\"",
    ),
    opt("run", Ty::Table(RUN), "a [run] table"),
    opt("calendar", Ty::Table(CALENDAR), "a [calendar] table"),
    req(
        "arrivals",
        Ty::Table(ARRIVALS),
        "an [arrivals] table, e.g. [arrivals] process = \"poisson\", rate_per_week = 8",
    ),
    req(
        "stages",
        Ty::Array(&Ty::Table(STAGE)),
        "a list of [[stages]] tables, each with name and effort",
    ),
    req(
        "team",
        Ty::Map(&Ty::Table(ROLE)),
        "[team.ROLE] tables, e.g. [team.dev] count = 2, skills = { work = 1.0 }",
    ),
    opt(
        "policies",
        Ty::Map(&Ty::Table(POLICY)),
        "[policies.NAME] tables",
    ),
    opt("estimates", Ty::Table(ESTIMATES), "an [estimates] table"),
    opt(
        "disruptions",
        Ty::Table(DISRUPTIONS),
        "a [disruptions] table",
    ),
    opt("classes", Ty::Table(CLASSES), "a [classes] table"),
    opt(
        "multitasking",
        Ty::Table(MULTITASKING),
        "a [multitasking] table",
    ),
    opt(
        "absences",
        Ty::Array(&Ty::Table(ABSENCE)),
        "a list of [[absences]] tables",
    ),
];

/// A problem the walk found: a byte span, a path and a message.
pub(super) struct Found {
    pub span: std::ops::Range<usize>,
    pub path: String,
    pub message: String,
}

/// What the walk learnt about a document.
pub(super) struct Walk {
    /// Every problem, in visiting order.
    pub found: Vec<Found>,
    /// True when a problem could not be pruned away, so serde cannot build the structs.
    pub fatal: bool,
    /// Whether to report missing required fields (off when the text had syntax errors: the
    /// field may be on a line the parser could not read).
    pub report_missing: bool,
}

impl Walk {
    fn push(&mut self, span: std::ops::Range<usize>, path: &str, message: String) {
        self.found.push(Found {
            span,
            path: path.to_string(),
            message,
        });
    }
}

/// Walks the document against `ROOT`, pruning what can be pruned.
pub(super) fn check(doc: &mut Spanned<DeTable<'_>>, report_missing: bool) -> Walk {
    let mut w = Walk {
        found: Vec::new(),
        fatal: false,
        report_missing,
    };
    let span = doc.span();
    table(&mut w, doc.get_mut(), span, ROOT, "", "");
    w
}

fn join(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_string()
    } else {
        format!("{base}.{key}")
    }
}

/// What a TOML value is, for "found ..." messages.
fn describe(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(s) => {
            let mut shown: String = s.chars().take(40).collect();
            if shown.len() < s.len() {
                shown.push('…');
            }
            format!("the string \"{}\"", shown.escape_debug())
        }
        DeValue::Integer(i) => format!("the whole number {i}"),
        DeValue::Float(f) => format!("the number {f}"),
        DeValue::Boolean(b) => format!("the boolean {b}"),
        DeValue::Datetime(d) => format!("the date-time {d}"),
        DeValue::Array(_) => "a list".to_string(),
        DeValue::Table(_) => "a table".to_string(),
    }
}

fn expected(ty: &Ty) -> String {
    match ty {
        Ty::Str => "a string".into(),
        Ty::Enum(opts) => format!(
            "one of {}",
            opts.iter()
                .map(|o| format!("\"{o}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Ty::Float => "a number".into(),
        Ty::UInt(_) => "a whole number".into(),
        Ty::Bool => "true or false".into(),
        Ty::Table(_) | Ty::Tagged { .. } => "a table".into(),
        Ty::Map(_) => "a table of named entries".into(),
        Ty::Array(_) => "a list".into(),
    }
}

/// Parses a TOML integer's digits (any radix) as i128; `None` when out of even that range.
fn integer(i: &toml::de::DeInteger<'_>) -> Option<i128> {
    i128::from_str_radix(i.as_str(), i.radix()).ok()
}

/// Checks one value; returns false when it does not fit (the caller decides whether to prune).
fn value(w: &mut Walk, v: &mut Spanned<DeValue<'_>>, ty: &Ty, path: &str, hint: &str) -> bool {
    let span = v.span();
    let wrong = |w: &mut Walk, v: &DeValue<'_>| {
        let hint = if hint.is_empty() {
            String::new()
        } else {
            format!(" ({hint})")
        };
        w.push(
            span.clone(),
            path,
            format!(
                "expected {}{hint}, but found {}.",
                expected(ty),
                describe(v)
            ),
        );
        false
    };
    match (ty, v.get_mut()) {
        (Ty::Str, DeValue::String(_)) => true,
        (Ty::Enum(opts), DeValue::String(s)) => {
            if opts.contains(&s.as_ref()) {
                true
            } else {
                let s = s.to_string();
                w.push(
                    span,
                    path,
                    format!(
                        "\"{}\" is not a valid choice{}; use one of: {}.",
                        s.escape_debug(),
                        suggest(&s, opts),
                        opts.join(", ")
                    ),
                );
                false
            }
        }
        (Ty::Float, DeValue::Float(_)) => true,
        (Ty::Float, DeValue::Integer(i)) => match integer(i).and_then(|n| i64::try_from(n).ok()) {
            Some(_) => true,
            None => {
                let shown = i.to_string();
                w.push(
                    span,
                    path,
                    format!("{shown} is too large for a TOML integer; write it as a float (e.g. 1e20) if you really mean it."),
                );
                false
            }
        },
        (Ty::UInt(max), DeValue::Integer(i)) => match integer(i) {
            Some(n) if n >= 0 && n <= *max as i128 => true,
            Some(n) if n < 0 => {
                w.push(
                    span,
                    path,
                    format!("must be a whole number 0 or more; got {n}."),
                );
                false
            }
            _ => {
                let shown = i.to_string();
                w.push(
                    span,
                    path,
                    format!("{shown} is too large; the most this field can hold is {max}."),
                );
                false
            }
        },
        (Ty::UInt(_), DeValue::Float(f)) => {
            let shown = f.to_string();
            w.push(
                span,
                path,
                format!("must be a whole number without a decimal point ({hint}); got {shown}."),
            );
            false
        }
        (Ty::Bool, DeValue::Boolean(_)) => true,
        (Ty::Table(fields), DeValue::Table(t)) => table(w, t, span, fields, path, path),
        (Ty::Map(inner), DeValue::Table(t)) => {
            let mut ok = true;
            for (k, item) in t.iter_mut() {
                let p = join(path, k.get_ref());
                // Map values cannot be pruned: a missing role or skill changes the meaning.
                if !value(w, item, inner, &p, "") {
                    w.fatal = true;
                    ok = false;
                }
            }
            ok
        }
        (Ty::Array(inner), DeValue::Array(a)) => {
            let mut ok = true;
            for (i, item) in a.iter_mut().enumerate() {
                if !value(w, item, inner, &format!("{path}[{i}]"), "") {
                    w.fatal = true;
                    ok = false;
                }
            }
            ok
        }
        (Ty::Tagged { tag, variants }, DeValue::Table(t)) => {
            tagged(w, t, span, tag, variants, path)
        }
        (_, other) => wrong(w, other),
    }
}

fn tagged(
    w: &mut Walk,
    t: &mut DeTable<'_>,
    span: std::ops::Range<usize>,
    tag: &str,
    variants: &[(&str, &[Field])],
    path: &str,
) -> bool {
    let names: Vec<&str> = variants.iter().map(|(n, _)| *n).collect();
    let Some((_, tv)) = t.iter().find(|(k, _)| k.get_ref().as_ref() == tag) else {
        w.push(
            span,
            path,
            format!(
                "needs `{tag}` to say which distribution it is: one of {}.",
                names.join(", ")
            ),
        );
        w.fatal = true;
        return false;
    };
    let tv_span = tv.span();
    let Some(chosen) = tv.get_ref().as_str().map(str::to_string) else {
        let found = describe(tv.get_ref());
        w.push(
            tv_span,
            &join(path, tag),
            format!(
                "expected the name of a distribution ({}), but found {found}.",
                names.join(", ")
            ),
        );
        w.fatal = true;
        return false;
    };
    let Some((_, fields)) = variants.iter().find(|(n, _)| *n == chosen) else {
        w.push(
            tv_span,
            &join(path, tag),
            format!(
                "\"{}\" is not a distribution flowsim knows{}; use one of: {}.",
                chosen.escape_debug(),
                suggest(&chosen, &names),
                names.join(", ")
            ),
        );
        w.fatal = true;
        return false;
    };
    // Check the variant's fields; the tag itself is a known key.
    let tag_field = Field {
        name: tag_name(tag),
        ty: Ty::Str,
        required: true,
        hint: "",
    };
    let with_tag: Vec<&Field> = std::iter::once(&tag_field).chain(fields.iter()).collect();
    let ok = fields_of(
        w,
        t,
        span,
        &with_tag,
        path,
        &format!("a {chosen} distribution"),
    );
    if !ok {
        // Effort is required and its parameters too: nothing to fall back on.
        w.fatal = true;
    }
    ok
}

/// The tag's name as a `'static` string (the schema only has `dist`).
fn tag_name(tag: &str) -> &'static str {
    match tag {
        "dist" => "dist",
        _ => "tag",
    }
}

fn table(
    w: &mut Walk,
    t: &mut DeTable<'_>,
    span: std::ops::Range<usize>,
    fields: &[Field],
    path: &str,
    what: &str,
) -> bool {
    let refs: Vec<&Field> = fields.iter().collect();
    let what = if what.is_empty() {
        "the top level".to_string()
    } else if what.contains('[') {
        format!("`{what}`")
    } else {
        format!("[{what}]")
    };
    fields_of(w, t, span, &refs, path, &what)
}

/// Checks a table's keys against `fields`: unknown keys, missing required fields, and each
/// value's type. Unknown keys and badly typed optional fields are removed from the table.
fn fields_of(
    w: &mut Walk,
    t: &mut DeTable<'_>,
    span: std::ops::Range<usize>,
    fields: &[&Field],
    path: &str,
    what: &str,
) -> bool {
    let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
    let mut ok = true;
    let mut prune: Vec<String> = Vec::new();
    for (k, v) in t.iter_mut() {
        let key: &str = k.get_ref();
        let p = join(path, key);
        match fields.iter().find(|f| f.name == key) {
            None => {
                w.push(
                    k.span(),
                    &p,
                    format!(
                        "unknown field `{}` in {what}{}; valid fields here are: {}.",
                        key.escape_debug(),
                        suggest(key, &names),
                        names.join(", ")
                    ),
                );
                prune.push(key.to_string());
            }
            Some(f) => {
                if !value(w, v, &f.ty, &p, f.hint) {
                    if f.required {
                        w.fatal = true;
                        ok = false;
                    } else {
                        prune.push(key.to_string());
                    }
                }
            }
        }
    }
    for key in prune {
        t.remove(key.as_str());
    }
    for f in fields {
        if f.required && !t.contains_key(f.name) {
            w.fatal = true;
            ok = false;
            if w.report_missing {
                let p = join(path, f.name);
                w.push(
                    span.clone(),
                    &p,
                    format!("{what} needs the field `{}`: {}.", f.name, f.hint),
                );
            }
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::super::ScenarioFile;
    use super::*;

    /// The backticked names after "expected" in a serde message.
    fn expected_names(message: &str) -> Vec<String> {
        let tail = &message[message.find("expected").expect(message)..];
        tail.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    }

    fn sorted(mut v: Vec<String>) -> Vec<String> {
        v.sort();
        v
    }

    fn names(fields: &[Field]) -> Vec<String> {
        sorted(fields.iter().map(|f| f.name.to_string()).collect())
    }

    const BASE: &str = r#"
@ROOT
[run]
@RUN
[calendar]
@CAL
[arrivals]
process = "poisson"
rate_per_week = 1
@ARR
[[stages]]
name = "a"
effort = { dist = "constant", value = 1 @EFF }
@STAGE
[team.x]
skills = { a = 1.0 }
@ROLE
[policies.flow]
@POL
[estimates]
@EST
[disruptions]
@DIS
[disruptions.missing_input]
probability = 0.1
delay = { dist = "constant", value = 1 }
@MISS
[disruptions.blockers]
chance_per_day = 0.1
duration = { dist = "constant", value = 1 }
@BLK
[classes]
@CLS
[multitasking]
@MT
[[absences]]
person = "x"
from_week = 1
@ABS
[[stages]]
name = "b"
effort = { dist = "constant", value = 1 }
rework = { probability = 0.1, to = "a" @REW }
deployment = { failure_probability = 0.1, fix_in = "a", rollback_effort = { dist = "constant", value = 1 } @DEP }
"#;

    const MARKERS: [&str; 17] = [
        "@ROOT", "@RUN", "@CAL", "@ARR", "@STAGE", "@ROLE", "@POL", "@EFF", "@EST", "@DIS",
        "@MISS", "@BLK", "@CLS", "@MT", "@ABS", "@REW", "@DEP",
    ];

    fn with_unknown_at(marker: &str) -> String {
        let mut text = BASE.to_string();
        for m in MARKERS {
            let with = match (m == marker, m == "@EFF" || m == "@REW" || m == "@DEP") {
                (true, true) => ", zzz_unknown = 1",
                (true, false) => "zzz_unknown = 1",
                _ => "",
            };
            text = text.replace(m, with);
        }
        text
    }

    fn serde_error(text: &str) -> String {
        toml::from_str::<ScenarioFile>(text)
            .map(|_| ())
            .expect_err(text)
            .message()
            .to_string()
    }

    #[test]
    fn base_text_deserializes() {
        toml::from_str::<ScenarioFile>(&with_unknown_at("")).unwrap();
    }

    /// When a serde struct gains a field, this test names the schema table that must gain it.
    #[test]
    fn schema_matches_serde_structs() {
        for (marker, fields) in [
            ("@ROOT", ROOT),
            ("@RUN", RUN),
            ("@CAL", CALENDAR),
            ("@ARR", ARRIVALS),
            ("@STAGE", STAGE),
            ("@ROLE", ROLE),
            ("@POL", POLICY),
            ("@EST", ESTIMATES),
            ("@DIS", DISRUPTIONS),
            ("@MISS", MISSING_INPUT),
            ("@BLK", BLOCKERS),
            ("@CLS", CLASSES),
            ("@MT", MULTITASKING),
            ("@ABS", ABSENCE),
            ("@REW", REWORK),
            ("@DEP", DEPLOYMENT),
        ] {
            let msg = serde_error(&with_unknown_at(marker));
            assert_eq!(
                sorted(expected_names(&msg)),
                names(fields),
                "schema for {marker} differs from the serde struct: {msg}"
            );
        }
        // Effort: the variants, and each variant's fields.
        let Ty::Tagged { variants, .. } = &EFFORT else {
            panic!("effort is tagged")
        };
        let text = with_unknown_at("").replace("\"constant\"", "\"zzz\"");
        let msg = serde_error(&text);
        assert_eq!(
            sorted(expected_names(&msg)),
            sorted(variants.iter().map(|(n, _)| n.to_string()).collect()),
            "{msg}"
        );
        for (variant, fields) in *variants {
            let params: String = fields.iter().map(|f| format!(", {} = 1", f.name)).collect();
            let effort = format!("{{ dist = \"{variant}\"{params}, zzz_unknown = 1 }}");
            let text = with_unknown_at("").replace("{ dist = \"constant\", value = 1  }", &effort);
            let msg = serde_error(&text);
            assert_eq!(
                sorted(expected_names(&msg)),
                names(fields),
                "effort {variant}: {msg}"
            );
        }
        // The enums' spellings.
        for (line, replacement, list) in [
            ("process = \"poisson\"", "process = \"zzz\"", PROCESSES),
            ("@CAL", "mode = \"zzz\"", MODES),
            ("@POL", "release = \"zzz\"", RELEASES),
            ("@POL", "selection = \"zzz\"", SELECTIONS),
            ("@POL", "overtime = \"zzz\"", OVERTIMES),
            ("@POL", "on_block = \"zzz\"", ON_BLOCKS),
            ("@POL", "failed_deploy = \"zzz\"", FAILED_DEPLOYS),
            ("@POL", "handoff = { a = \"zzz\" }", HANDOFFS),
            ("@MT", "model = \"zzz\"", MULTITASKING_MODELS),
        ] {
            let text = BASE.replace(line, replacement);
            let text = with_unknown_at_text(&text);
            let msg = serde_error(&text);
            assert_eq!(
                sorted(expected_names(&msg)),
                sorted(list.iter().map(|s| s.to_string()).collect()),
                "{replacement}: {msg}"
            );
        }
    }

    fn with_unknown_at_text(text: &str) -> String {
        let mut text = text.to_string();
        for m in MARKERS {
            text = text.replace(m, "");
        }
        text
    }

    /// A TOML value of type `ty` (inline), for the "every field" document.
    fn sample(ty: &Ty) -> Vec<String> {
        match ty {
            Ty::Str => vec!["\"a\"".into()],
            Ty::Enum(opts) => opts.iter().map(|o| format!("\"{o}\"")).collect(),
            Ty::Float => vec!["1.5".into(), "2".into()],
            Ty::UInt(_) => vec!["3".into()],
            Ty::Bool => vec!["true".into()],
            Ty::Table(fields) => vec![inline(fields, &[])],
            Ty::Map(inner) => vec![format!("{{ k = {} }}", sample(inner)[0])],
            Ty::Array(inner) => vec![format!("[{}]", sample(inner).join(", "))],
            Ty::Tagged { tag, variants } => variants
                .iter()
                .map(|(n, fields)| inline(fields, &[(tag, &format!("\"{n}\""))]))
                .collect(),
        }
    }

    fn inline(fields: &[Field], extra: &[(&str, &str)]) -> String {
        let mut parts: Vec<String> = extra.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        for f in fields {
            // A stage per effort variant: arrays list every sample.
            let v = match &f.ty {
                Ty::Array(inner) => format!("[{}]", {
                    let items: Vec<String> = match inner {
                        Ty::Table(fs) => fs
                            .iter()
                            .find(|f| matches!(f.ty, Ty::Tagged { .. }))
                            .map(|tagged| {
                                sample(&tagged.ty)
                                    .into_iter()
                                    .map(|e| inline(fs, &[(tagged.name, &e)]))
                                    .collect()
                            })
                            .unwrap_or_else(|| sample(inner)),
                        _ => sample(inner),
                    };
                    items.join(", ")
                }),
                ty => sample(ty)[0].clone(),
            };
            if !extra.iter().any(|(k, _)| *k == f.name) {
                parts.push(format!("{} = {v}", f.name));
            }
        }
        format!("{{ {} }}", parts.join(", "))
    }

    /// Every field the schema accepts, with a value of the type it accepts, is accepted by serde.
    #[test]
    fn every_schema_field_deserializes() {
        let doc = inline(ROOT, &[]);
        let text = format!("doc = {doc}");
        let mut table: toml::Table = toml::from_str(&text).unwrap();
        let doc = toml::to_string(&table.remove("doc").unwrap()).unwrap();
        toml::from_str::<ScenarioFile>(&doc).unwrap_or_else(|e| panic!("{e}\n{doc}"));
        let (mut parsed, errors) = toml::de::DeTable::parse_recoverable(&doc);
        assert!(errors.is_empty());
        let walk = check(&mut parsed, true);
        assert!(
            walk.found.is_empty() && !walk.fatal,
            "{:?}",
            walk.found.iter().map(|f| &f.message).collect::<Vec<_>>()
        );
    }
}
