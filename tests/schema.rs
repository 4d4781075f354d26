//! `flowsim schema` (issue 19): the JSON Schema of the scenario format, generated from the
//! loader's own declarations, accepts every shipped scenario and refuses what the loader
//! refuses for its shape (an unknown or misspelt field, a wrong type, a word not in a
//! keyword's list, a missing required field); `flowsim check` takes folders like `run`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn flowsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_flowsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// The schema as the binary prints it.
fn schema() -> serde_json::Value {
    let o = flowsim(&["schema"]);
    assert!(o.status.success());
    serde_json::from_slice(&o.stdout).expect("flowsim schema prints JSON")
}

fn as_json(toml_text: &str) -> serde_json::Value {
    let v: toml::Value = toml::from_str(toml_text).unwrap();
    serde_json::to_value(v).unwrap()
}

fn shipped() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files = Vec::new();
    for dir in [root.clone(), root.join("validation")] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "toml") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_shipped_scenario_validates_against_the_schema() {
    let schema = schema();
    let v = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let files = shipped();
    assert!(files.len() >= 20, "{files:?}");
    for f in files {
        let doc = as_json(&std::fs::read_to_string(&f).unwrap());
        let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", f.display());
    }
}

/// What the loader refuses for its shape, the schema refuses too (so an editor underlines it).
#[test]
fn the_schema_refuses_what_the_loader_refuses() {
    let schema = schema();
    let v = jsonschema::validator_for(&schema).unwrap();
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/small-team.toml"),
    )
    .unwrap();
    assert!(v.is_valid(&as_json(&base)));
    let cases = [
        // A misspelt field in [run].
        ("[run]\n", "[run]\nsed = 1\n"),
        // A word the keyword does not know.
        ("process = \"poisson\"", "process = \"poison\""),
        // A string where a number belongs.
        ("rate_per_week = 8", "rate_per_week = \"8\""),
        // A distribution with a parameter of another distribution.
        ("dist = \"lognormal\"", "dist = \"exponential\""),
    ];
    for (from, to) in cases {
        assert!(base.contains(from), "{from}");
        let bad = base.replacen(from, to, 1);
        assert!(!v.is_valid(&as_json(&bad)), "the schema accepts {to}");
        let loaded = flowsim::scenario::load_str(&bad, "bad");
        assert!(loaded.is_err(), "the loader accepts {to}");
    }
    // A required field left out.
    let mut doc = as_json(&base);
    doc.as_object_mut().unwrap().remove("arrivals");
    assert!(!v.is_valid(&doc));
}

/// Every field of the schema has a description (the loader's hint, with an example).
#[test]
fn every_field_has_a_description() {
    fn walk(v: &serde_json::Value, at: &str, missing: &mut Vec<String>) {
        if let Some(props) = v.get("properties").and_then(|p| p.as_object()) {
            for (k, p) in props {
                if p.get("description").is_none() && p.get("const").is_none() {
                    missing.push(format!("{at}.{k}"));
                }
                walk(p, &format!("{at}.{k}"), missing);
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(inner) = v.get(key).filter(|x| x.is_object()) {
                walk(inner, at, missing);
            }
        }
        if let Some(alts) = v.get("oneOf").and_then(|a| a.as_array()) {
            for a in alts {
                walk(a, at, missing);
            }
        }
    }
    let mut missing = Vec::new();
    walk(&schema(), "", &mut missing);
    assert!(missing.is_empty(), "{missing:?}");
}

#[test]
fn check_takes_folders_like_run() {
    let o = flowsim(&["check", "scenarios"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("ok: scenarios/small-team.toml"), "{out}");
    // A folder with no scenario in it is an error, not a silent success.
    let dir = tempfile::tempdir().unwrap();
    let o = flowsim(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("holds no .toml scenario files"),
        "{o:?}"
    );
}
