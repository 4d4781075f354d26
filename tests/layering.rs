//! The layering of ARCHITECTURE.md, enforced: every top-level module of `src/` may name only
//! the modules listed for it below (through `use crate::...` or a `crate::...` path anywhere in
//! its code). A new import across a forbidden boundary (say the engine reaching into
//! `scenario` or `output`) fails this test with the file and the line. Unit tests are exempt
//! (a `tests.rs` or `*_tests.rs` file, or what follows `#[cfg(test)]` in a file): a test may
//! build its model with the scenario loader without the engine depending on it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each top-level module and the modules it may import, lowest layer first. A module missing
/// from this table fails the test: a new module must take its place in the layering.
const ALLOWED: &[(&str, &[&str])] = &[
    // Foundations: no domain knowledge.
    ("limits", &[]),
    ("rng", &[]),
    ("error", &[]),
    ("interrupt", &[]),
    ("stats", &["rng"]),
    ("dist", &["rng"]),
    // The validated domain.
    ("model", &["dist", "limits"]),
    ("policy", &["limits", "model"]),
    ("metrics", &["model"]),
    // One replication: pure computation over the domain, no I/O.
    (
        "engine",
        &["dist", "limits", "metrics", "model", "policy", "rng"],
    ),
    // Text in: scenario files and overrides build the domain, never run it.
    (
        "scenario",
        &["dist", "limits", "metrics", "model", "policy", "rng"],
    ),
    ("overrides", &["scenario"]),
    // Many replications, aggregated.
    (
        "experiment",
        &[
            "engine", "limits", "metrics", "model", "policy", "rng", "scenario", "stats",
        ],
    ),
    (
        "guard",
        &[
            "experiment",
            "limits",
            "metrics",
            "model",
            "policy",
            "scenario",
            "stats",
        ],
    ),
    (
        "validate",
        &[
            "dist",
            "engine",
            "experiment",
            "limits",
            "metrics",
            "model",
            "policy",
            "rng",
            "scenario",
            "stats",
        ],
    ),
    // The managers' questions: a forecast from traced runs, levers as variants of the text.
    (
        "forecast",
        &["engine", "limits", "model", "rng", "scenario"],
    ),
    (
        "levers",
        &["experiment", "metrics", "overrides", "scenario", "stats"],
    ),
    // Files out, and what reads only files.
    (
        "output",
        &[
            "error",
            "experiment",
            "limits",
            "metrics",
            "model",
            "scenario",
            "stats",
        ],
    ),
    ("charts", &["error", "output"]),
    (
        "report",
        &["experiment", "metrics", "output", "scenario", "stats"],
    ),
    (
        "shard",
        &[
            "error",
            "experiment",
            "limits",
            "metrics",
            "output",
            "report",
            "scenario",
            "stats",
        ],
    ),
    // The live page: runs experiments for a browser, beside the commands.
    (
        "serve",
        &[
            "charts",
            "error",
            "experiment",
            "guard",
            "model",
            "overrides",
            "policy",
            "report",
            "scenario",
            "stats",
        ],
    ),
    // The command line: argument definitions, then the commands that use everything below.
    ("cli", &["charts", "guard"]),
    (
        "commands",
        &[
            "charts",
            "cli",
            "error",
            "experiment",
            "forecast",
            "guard",
            "interrupt",
            "levers",
            "limits",
            "metrics",
            "model",
            "output",
            "overrides",
            "policy",
            "report",
            "scenario",
            "serve",
            "shard",
            "stats",
            "validate",
        ],
    ),
    // The Python extension module (`--features python`): the command line, called in-process.
    ("python", &["cli", "commands", "error"]),
];

fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    first.trim_end_matches(".rs").to_string()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The modules a file names as `crate::NAME`, with the line of each, comments aside.
/// Handles grouped imports (`use crate::{a, b::c}`) across lines.
fn imports(text: &str) -> Vec<(String, usize)> {
    let code: String = text
        .lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let line_at = |i: usize| code[..i].matches('\n').count() + 1;
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(k) = code[from..].find("crate::") {
        let at = from + k;
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level names of the group: split at commas outside nested braces.
            let mut depth = 0;
            let mut name = String::new();
            let mut names = Vec::new();
            let mut fresh = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.push(std::mem::take(&mut name));
                        fresh = true;
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 && fresh && (c.is_ascii_alphanumeric() || c == '_') {
                    name.push(c);
                } else if depth == 0 && !name.is_empty() && !(c.is_ascii_alphanumeric() || c == '_')
                {
                    fresh = false;
                }
            }
            names.push(name);
            for n in names.into_iter().filter(|n| !n.is_empty()) {
                out.push((n, line_at(at)));
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.push((name, line_at(at)));
        }
        from = at + "crate::".len();
    }
    out
}

#[test]
fn every_module_imports_only_what_its_layer_allows() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut problems = Vec::new();
    for f in &files {
        let module = module_of(&src, f);
        if module == "lib" || module == "main" {
            continue;
        }
        let Some((_, allowed)) = ALLOWED.iter().find(|(m, _)| *m == module) else {
            problems.push(format!(
                "src/{module}: not in this test's layering table; give it a place in ALLOWED and in ARCHITECTURE.md"
            ));
            continue;
        };
        if f.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n == "tests.rs" || n.ends_with("_tests.rs"))
        {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (name, line) in imports(text) {
            if name == module || !modules.contains(&name) || allowed.contains(&name.as_str()) {
                continue;
            }
            problems.push(format!(
                "{}:{line}: `{module}` imports `{name}`, which its layer may not use",
                f.strip_prefix(src.parent().unwrap()).unwrap().display()
            ));
        }
    }
    problems.sort();
    problems.dedup();
    assert!(
        problems.is_empty(),
        "layering broken (see ARCHITECTURE.md):\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_import_scanner_sees_grouped_and_inline_paths() {
    let text = "use crate::model::{A, B};\nuse crate::{\n    engine::{self, X},\n    scenario,\n};\n// crate::output in a comment\nfn f() { crate::stats::mean(); }\n";
    let got: Vec<String> = imports(text).into_iter().map(|(n, _)| n).collect();
    assert_eq!(got, ["model", "engine", "scenario", "stats"]);
}
