//! Command-line changes to a scenario: `--set path=value` and the value lists of
//! `flowsim sweep --vary path=values`.
//!
//! Overrides edit the TOML document, not the loaded model, so an overridden value goes through
//! exactly the same parsing and validation as one written in the file: there is one set of
//! rules, and its error messages apply to both.

use toml::{Table, Value};

/// Maximum number of values a `--vary` range may expand to.
pub const MAX_VALUES: usize = 10_000;

/// A bad `--set` or `--vary`, with what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OverrideError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, OverrideError> {
    Err(OverrideError(msg.into()))
}

/// Parses a value as TOML (number, boolean, string, array, inline table); anything that is not
/// valid TOML is taken as a plain string, so `--set name=my-team` needs no quotes.
pub fn parse_value(text: &str) -> Value {
    let text = text.trim();
    match format!("v = {text}").parse::<Table>() {
        Ok(mut t) => t.remove("v").unwrap_or_else(|| Value::String(text.into())),
        Err(_) => Value::String(text.into()),
    }
}

/// One step of a path: a key, or an element of an array of tables by index or by `name`.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

fn parse_path(path: &str) -> Result<Vec<Step>, OverrideError> {
    let mut steps = Vec::new();
    for seg in path.split('.') {
        let (key, rest) = match seg.find('[') {
            Some(i) => (&seg[..i], &seg[i..]),
            None => (seg, ""),
        };
        if key.is_empty() && rest.is_empty() {
            return err(format!(
                "`{path}` has an empty part; write dotted keys such as `team.tester.count` or `stages.test.wip_limit`"
            ));
        }
        if !key.is_empty() {
            steps.push(Step::Key(key.to_string()));
        }
        let mut rest = rest;
        while !rest.is_empty() {
            let close = rest.find(']').filter(|_| rest.starts_with('['));
            let Some(close) = close else {
                return err(format!(
                    "`{path}`: brackets must hold an index, as in `stages[1].wip_limit`"
                ));
            };
            match rest[1..close].parse::<usize>() {
                Ok(i) => steps.push(Step::Index(i)),
                Err(_) => {
                    return err(format!(
                        "`{path}`: `{}` is not an index; use `stages[1]` or the stage's name, `stages.test`",
                        &rest[..=close]
                    ));
                }
            }
            rest = &rest[close + 1..];
        }
    }
    Ok(steps)
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

/// In an array of tables, the index of the element with index `key` or whose `name` is `key`.
fn find_in_array(a: &[Value], key: &str, so_far: &str) -> Result<usize, OverrideError> {
    if let Ok(i) = key.parse::<usize>() {
        let n = a.len();
        if i < n {
            return Ok(i);
        }
        return err(format!(
            "`{so_far}` has {n} entries (0 to {}); there is no entry {i}",
            n.saturating_sub(1)
        ));
    }
    let names: Vec<&str> = a
        .iter()
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .collect();
    match a
        .iter()
        .position(|v| v.get("name").and_then(Value::as_str) == Some(key))
    {
        Some(i) => Ok(i),
        None => err(format!(
            "`{so_far}` has no entry named `{key}`{}; the names are: {}",
            crate::scenario::did_you_mean(key, &names),
            if names.is_empty() {
                "(none)".into()
            } else {
                names.join(", ")
            }
        )),
    }
}

/// Applies one `path=value` assignment to scenario text and returns the new text.
///
/// The path is dotted (`team.tester.count`, `run.horizon_weeks`); an entry of an array of
/// tables is addressed by its `name` (`stages.test.wip_limit`) or its index (`stages[2]` or
/// `stages.2`). Missing tables and keys are created, so a field left to its default can be
/// set; a key the file format does not have (`run.horizon_weks`), or a new role or policy
/// whose name is close to an existing one (`team.testr.count`), is refused with a "did you
/// mean". `path=` with nothing after `=` removes the key (or the array entry), so that the
/// default applies again or another form can replace it. The value is parsed as TOML, falling
/// back to a string. Comments and layout of the original text are not kept (the text is
/// re-serialised).
///
/// # Errors
/// A malformed assignment, a path through something that is not a table, an unknown field or
/// entry name, a key to remove that is not there, or scenario text that is not TOML.
pub fn apply_set(text: &str, assignment: &str) -> Result<String, OverrideError> {
    apply_set_at(text, assignment).map(|(t, _)| t)
}

/// [`apply_set`], also returning the path it changed as the loader's messages write it
/// (`stages[2].wip_limit`, entries by index).
///
/// # Errors
/// As [`apply_set`].
pub fn apply_set_at(text: &str, assignment: &str) -> Result<(String, String), OverrideError> {
    let Some((path, value)) = assignment.split_once('=') else {
        return err(format!(
            "--set `{assignment}` needs the form path=value, e.g. --set team.tester.count=3 \
             (or path= to remove a key)"
        ));
    };
    let path = path.trim();
    let steps = parse_path(path)?;
    if steps.is_empty() {
        return err(format!("--set `{assignment}` has no path before `=`"));
    }
    let mut doc: Table = text.parse().map_err(|e: toml::de::Error| {
        OverrideError(format!(
            "the scenario is not valid TOML, so --set cannot be applied: {}",
            e.message().trim()
        ))
    })?;
    let remove = value.trim().is_empty();
    let value = parse_value(value);
    let mut root = Value::Table(std::mem::take(&mut doc));
    let mut cur = &mut root;
    let mut so_far = String::new();
    // The steps so far as the schema sees them (keys, and entries by name or index).
    let mut schema_steps: Vec<String> = Vec::new();
    let last = steps.len() - 1;
    for (i, step) in steps.iter().enumerate() {
        let here = so_far.clone();
        cur = match (cur, step) {
            (Value::Table(t), Step::Key(k)) => {
                so_far = if so_far.is_empty() {
                    k.clone()
                } else {
                    format!("{so_far}.{k}")
                };
                if !t.contains_key(k) {
                    if remove && i == last {
                        let names: Vec<&str> = t.keys().map(String::as_str).collect();
                        return err(format!(
                            "--set {path}=: there is no `{so_far}` to remove{}",
                            crate::scenario::did_you_mean(k, &names)
                        ));
                    }
                    check_new_key(t, &schema_steps, k, &here, path)?;
                }
                schema_steps.push(k.clone());
                if i == last {
                    if remove {
                        t.remove(k);
                    } else {
                        t.insert(k.clone(), value);
                    }
                    break;
                }
                t.entry(k.clone())
                    .or_insert_with(|| Value::Table(Table::new()))
            }
            (Value::Array(a), step) => {
                let key = match step {
                    Step::Key(k) => k.clone(),
                    Step::Index(j) => j.to_string(),
                };
                let j = find_in_array(a, &key, &here)?;
                so_far = format!("{so_far}[{j}]");
                schema_steps.push(key);
                if i == last {
                    if remove {
                        a.remove(j);
                    } else {
                        a[j] = value;
                    }
                    break;
                }
                &mut a[j]
            }
            (other, _) => {
                let what = if here.is_empty() { "the file" } else { &here };
                return err(format!(
                    "--set {path}: `{what}` is {}, so it has no field `{}`",
                    describe(other),
                    match step {
                        Step::Key(k) => k.clone(),
                        Step::Index(j) => format!("[{j}]"),
                    }
                ));
            }
        };
    }
    let Value::Table(t) = root else {
        unreachable!("the root stays a table")
    };
    toml::to_string(&t)
        .map(|text| (text, so_far))
        .map_err(|e| OverrideError(format!("--set {path}: {e}")))
}

/// Refuses a new key `k` in table `t` (at `schema_steps`, written `here`) when the file format
/// has no such field, or when it would create a role or policy whose name is close to one the
/// table has: a typo would otherwise silently add a new entry.
fn check_new_key(
    t: &Table,
    schema_steps: &[String],
    k: &str,
    here: &str,
    path: &str,
) -> Result<(), OverrideError> {
    use crate::scenario::{AllowedKeys, allowed_keys, did_you_mean};
    let steps: Vec<&str> = schema_steps.iter().map(String::as_str).collect();
    let where_ = if here.is_empty() {
        "the top level".to_string()
    } else {
        format!("`{here}`")
    };
    match allowed_keys(&steps) {
        AllowedKeys::Fields(fields) if !fields.contains(&k) => err(format!(
            "--set {path}: {where_} has no field `{k}`{}; its fields are: {}",
            did_you_mean(k, &fields),
            fields.join(", ")
        )),
        AllowedKeys::Names => {
            let mut names: Vec<&str> = t.keys().map(String::as_str).collect();
            if here == "policies" {
                names.extend(crate::scenario::PRESET_POLICIES);
            }
            let hint = did_you_mean(k, &names);
            if hint.is_empty() || names.contains(&k) {
                Ok(())
            } else {
                err(format!(
                    "--set {path}: {where_} has no `{k}`{hint}; --set would create a new \
                     one. To add `{k}` on purpose, write it in the scenario file"
                ))
            }
        }
        _ => Ok(()),
    }
}

/// Applies several assignments in order.
///
/// # Errors
/// The first assignment that fails.
pub fn apply_all(text: &str, assignments: &[String]) -> Result<String, OverrideError> {
    apply_all_at(text, assignments).map(|(t, _)| t)
}

/// [`apply_all`], also returning the path each assignment changed (see [`apply_set_at`]).
///
/// # Errors
/// The first assignment that fails.
pub fn apply_all_at(
    text: &str,
    assignments: &[String],
) -> Result<(String, Vec<String>), OverrideError> {
    let mut t = text.to_string();
    let mut paths = Vec::new();
    for a in assignments {
        let (next, p) = apply_set_at(&t, a)?;
        t = next;
        paths.push(p);
    }
    Ok((t, paths))
}

fn decimals(s: &str) -> usize {
    s.split_once('.').map_or(0, |(_, d)| d.len())
}

/// Expands the values of a `--vary`: a list `1,2,4` (any TOML values, or plain words), or an
/// inclusive range `1..10` or `1..10:2` (start, end, step; decimals allowed: `0.5..2:0.25`).
/// Values come back as TOML literals, ready for [`apply_set`]; integer ranges stay integers.
///
/// # Errors
/// An empty list, a malformed range, a step that is not above zero, an end below the start,
/// or more than [`MAX_VALUES`] values.
pub fn parse_values(spec: &str) -> Result<Vec<String>, OverrideError> {
    let spec = spec.trim();
    if let Some((a, rest)) = spec.split_once("..") {
        let (b, step) = match rest.split_once(':') {
            Some((b, s)) => (b.trim(), Some(s.trim())),
            None => (rest.trim(), None),
        };
        let a = a.trim();
        let bad = || {
            OverrideError(format!(
                "`{spec}` is not a range; write start..end or start..end:step with numbers, e.g. 1..10 or 1..10:2 (both ends included)"
            ))
        };
        let x0: f64 = a.parse().map_err(|_| bad())?;
        let x1: f64 = b.parse().map_err(|_| bad())?;
        let dx: f64 = step.map_or(Ok(1.0), str::parse).map_err(|_| bad())?;
        if !(x0.is_finite() && x1.is_finite() && dx.is_finite()) {
            return Err(bad());
        }
        if dx <= 0.0 {
            return err(format!("`{spec}`: the step must be above 0"));
        }
        if x1 < x0 {
            return err(format!(
                "`{spec}`: the end is below the start; write the smaller number first"
            ));
        }
        let count = ((x1 - x0) / dx * (1.0 + 1e-12) + 1e-9).floor() as usize + 1;
        if count > MAX_VALUES {
            return err(format!(
                "`{spec}` expands to {count} values; at most {MAX_VALUES} are allowed, use a larger step"
            ));
        }
        let dp = decimals(a).max(decimals(step.unwrap_or("1")));
        let all_int = [Some(a), Some(b), step]
            .iter()
            .flatten()
            .all(|s| s.parse::<i64>().is_ok());
        return Ok((0..count)
            .map(|i| {
                let x = x0 + i as f64 * dx;
                if all_int {
                    format!("{}", x.round() as i64)
                } else {
                    format!("{x:.prec$}", prec = dp.max(1))
                }
            })
            .collect());
    }
    let values: Vec<String> = spec
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if values.is_empty() {
        return err(format!(
            "`{spec}` holds no values; write a list such as 1,2,4 or a range such as 1..10:2"
        ));
    }
    Ok(values)
}

/// Splits a `--vary PATH=VALUES` into the path and its expanded values.
///
/// # Errors
/// No `=`, an empty path, or bad values.
pub fn parse_vary(spec: &str) -> Result<(String, Vec<String>), OverrideError> {
    let Some((path, values)) = spec.split_once('=') else {
        return err(format!(
            "--vary `{spec}` needs the form path=values, e.g. --vary stages.test.wip_limit=1..6"
        ));
    };
    let path = path.trim();
    if path.is_empty() {
        return err(format!("--vary `{spec}` has no path before `=`"));
    }
    parse_path(path)?;
    Ok((path.to_string(), parse_values(values)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"
name = "t"
[run]
horizon_weeks = 10
[[stages]]
name = "dev"
effort = { dist = "constant", value = 1.0 }
[[stages]]
name = "test"
effort = { dist = "constant", value = 2.0 }
wip_limit = 3
[team.tester]
count = 1
skills = { test = 1.0 }
"#;

    /// The value at a dotted path in `text`; a number indexes an array (`stages.1.wip_limit`).
    fn value_at(text: &str, path: &str) -> Value {
        let mut v = Value::Table(text.parse::<Table>().unwrap());
        for seg in path.split('.') {
            v = match seg.parse::<usize>() {
                Ok(i) => v[i].clone(),
                Err(_) => v[seg].clone(),
            };
        }
        v
    }

    #[test]
    fn sets_nested_and_named_fields() {
        let t = apply_set(DOC, "team.tester.count=3").unwrap();
        assert_eq!(value_at(&t, "team.tester.count"), Value::Integer(3));
        let t = apply_set(DOC, "stages.test.wip_limit=2").unwrap();
        assert_eq!(value_at(&t, "stages.1.wip_limit"), Value::Integer(2));
        // A missing key is created, by name or by index.
        let t = apply_set(DOC, "stages[0].wip_limit=4").unwrap();
        assert_eq!(value_at(&t, "stages.0.wip_limit"), Value::Integer(4));
        let t = apply_set(DOC, "run.horizon_weeks=26.5").unwrap();
        assert_eq!(value_at(&t, "run.horizon_weeks"), Value::Float(26.5));
        // Missing tables are created.
        let t = apply_set(DOC, "calendar.mode=24/7").unwrap();
        assert_eq!(value_at(&t, "calendar.mode"), Value::String("24/7".into()));
        // Everything else is untouched.
        assert_eq!(value_at(&t, "stages.1.wip_limit"), Value::Integer(3));
    }

    #[test]
    fn values_parse_as_toml_then_strings() {
        assert_eq!(parse_value("3"), Value::Integer(3));
        assert_eq!(parse_value("2.5"), Value::Float(2.5));
        assert_eq!(parse_value("true"), Value::Boolean(true));
        assert_eq!(parse_value("\"x y\""), Value::String("x y".into()));
        assert_eq!(parse_value("pull"), Value::String("pull".into()));
        assert_eq!(
            parse_value("[\"a\", \"b\"]"),
            Value::Array(vec![Value::String("a".into()), Value::String("b".into())])
        );
        let t = apply_set(DOC, r#"stages.dev.effort={dist="exponential", mean=2}"#).unwrap();
        assert_eq!(
            value_at(&t, "stages.0.effort.dist"),
            Value::String("exponential".into())
        );
    }

    #[test]
    fn bad_assignments_say_what_to_do() {
        for (text, assignment, says) in [
            (DOC, "team.tester.count", "path=value"),
            (DOC, "stages.qa.wip_limit=2", "dev, test"),
            (DOC, "stages[7].wip_limit=2", "no entry 7"),
            (DOC, "name.x=2", "is a string"),
            (DOC, "a..b=2", "empty part"),
            ("not toml [", "a=1", "not valid TOML"),
        ] {
            let e = apply_set(text, assignment).unwrap_err();
            assert!(e.0.contains(says), "{assignment}: {e}");
        }
    }

    #[test]
    fn ranges_and_lists_expand() {
        assert_eq!(parse_values("1,2,4").unwrap(), ["1", "2", "4"]);
        assert_eq!(parse_values("1..4").unwrap(), ["1", "2", "3", "4"]);
        assert_eq!(parse_values("1..10:3").unwrap(), ["1", "4", "7", "10"]);
        assert_eq!(parse_values("1..10:2").unwrap(), ["1", "3", "5", "7", "9"]);
        assert_eq!(parse_values("0.1..0.3:0.1").unwrap(), ["0.1", "0.2", "0.3"]);
        assert_eq!(
            parse_values("0.5..2:0.5").unwrap(),
            ["0.5", "1.0", "1.5", "2.0"]
        );
        assert_eq!(parse_values("3..3").unwrap(), ["3"]);
        assert!(parse_values("5..1").is_err());
        assert!(parse_values("1..5:0").is_err());
        assert!(parse_values("1..5:-1").is_err());
        assert!(parse_values("a..5").is_err());
        assert!(parse_values("1..1000000").is_err());
        assert!(parse_values(" , ").is_err());
        let (p, v) = parse_vary("stages.test.wip_limit=1..3").unwrap();
        assert_eq!(p, "stages.test.wip_limit");
        assert_eq!(v, ["1", "2", "3"]);
        assert!(parse_vary("nothing").is_err());
    }
}
