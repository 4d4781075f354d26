//! What is wrong with a scenario file, said so that a person can fix it: each problem with its
//! field's dotted path, its line and column, and a sentence; and the `Checker` that the
//! per-table builders report through, with the range checks they share.

use std::fmt;

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
pub(super) fn line_col(text: &str, pos: usize) -> (usize, usize) {
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
pub(super) fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
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

/// Collects the problems the per-table builders find, locating each in the text.
pub(super) struct Checker<'t> {
    text: &'t str,
    /// The folder data files are relative to (the scenario file's).
    base: Option<std::path::PathBuf>,
    /// The problems so far, in the order found.
    pub(super) problems: Vec<Problem>,
    /// The data files read, in the order read.
    pub(super) data_files: Vec<super::DataFile>,
}

impl<'t> Checker<'t> {
    /// A checker for problems in `text`.
    pub(super) fn new(text: &'t str) -> Self {
        Checker {
            text,
            base: None,
            problems: Vec::new(),
            data_files: Vec::new(),
        }
    }

    /// A checker whose data files are relative to `base`.
    pub(super) fn with_base(mut self, base: Option<std::path::PathBuf>) -> Self {
        self.base = base;
        self
    }

    /// The folder data files are relative to, if any.
    pub(super) fn base(&self) -> Option<&std::path::Path> {
        self.base.as_deref()
    }

    /// Records a data file read successfully: `written` as the scenario gives it, its bytes'
    /// SHA-256 from `path` (so a result names the exact history it replayed).
    pub(super) fn read_data_file(&mut self, written: &str, path: &std::path::Path) {
        use sha2::{Digest, Sha256};
        if self.data_files.iter().any(|d| d.path == written) {
            return;
        }
        if let Ok(bytes) = std::fs::read(path) {
            let d = Sha256::digest(&bytes);
            self.data_files.push(super::DataFile {
                path: written.to_string(),
                sha256: d.iter().map(|b| format!("{b:02x}")).collect(),
            });
        }
    }

    /// Reports a problem of the field at `path`, located where the text has it.
    pub(super) fn fail(&mut self, path: impl Into<String>, message: impl Into<String>) {
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
    pub(super) fn fail_at(
        &mut self,
        path: impl Into<String>,
        at_path: &str,
        message: impl Into<String>,
    ) {
        let at = locate(self.text, at_path);
        self.problems.push(Problem {
            path: path.into(),
            at,
            message: message.into(),
        });
    }

    /// Checks that `v` is a probability; false (and a problem) when not.
    pub(super) fn probability(&mut self, path: &str, v: f64) -> bool {
        if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
            self.fail(
                path,
                format!("is a probability and must lie between 0 and 1; got {v}."),
            );
            return false;
        }
        true
    }

    /// Checks that `v` is finite and at least 0 (in `unit`); false (and a problem) when not.
    pub(super) fn nonneg(&mut self, path: &str, v: f64, unit: &str) -> bool {
        if !(v.is_finite() && v >= 0.0) {
            self.fail(
                path,
                format!("must be a number of at least 0 ({unit}); got {v}."),
            );
            return false;
        }
        true
    }

    /// Checks that `v` is finite and above 0 (in `unit`); false (and a problem) when not.
    pub(super) fn positive(&mut self, path: &str, v: f64, unit: &str) -> bool {
        if !v.is_finite() || v <= 0.0 {
            self.fail(
                path,
                format!("must be a finite number above 0 ({unit}); got {v}."),
            );
            return false;
        }
        true
    }

    /// Checks that `name` is usable (see [`valid_name`]); `what` says what it names in the
    /// message (`name`, `role name`, ...).
    pub(super) fn usable_name(&mut self, path: impl Into<String>, name: &str, what: &str) -> bool {
        if valid_name(name) {
            return true;
        }
        self.fail(
            path,
            format!("`{name}` is not a usable {what}: use 1 to 64 letters, digits, `_` or `-`."),
        );
        false
    }
}

/// The message for a reference to a stage that does not exist, with a "did you mean".
pub(super) fn names_no_stage(name: &str, stages: &[&str]) -> String {
    format!(
        "`{name}` names no stage{}; stages are: {}",
        suggest(name, stages),
        stages.join(", ")
    )
}

/// ` (did you mean `x`?)` when one of `options` is close to `word`, else nothing.
pub(super) fn suggest(word: &str, options: &[&str]) -> String {
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

/// Whether `name` can name a scenario, stage, role or policy (it may end up in file names).
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Turns the TOML parser's terse message into a sentence that says what to do.
pub(super) fn syntax_message(raw: &str, near: Option<&str>) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_helpers_report_what_is_right() {
        let mut ck = Checker::new("[x]\np = 1.5\ns = -1\n");
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
}
