//! The loader never panics on mutated or random scenario text, and a scenario that loads runs
//! (briefly) without panicking, hanging, or producing NaN or infinity.
//!
//! Mutations start from the shipped scenarios: byte flips, deleted, duplicated and swapped lines,
//! and numbers in value positions replaced by awkward ones (huge, negative, zero, tiny, NaN,
//! infinity, beyond 64 bits). Plain random text is thrown in too. The case count is fixed, so
//! the test's time is bounded (well under a second of test time in release; about 15% of the
//! mutated scenarios still load and are run).

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use flowsim::engine::{Workspace, simulate};
use flowsim::model::HOURS_PER_WEEK;
use flowsim::rng::Streams;
use flowsim::scenario::{self, Scenario};
use proptest::prelude::*;

/// Awkward replacements for a number.
const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "-0.0",
    "1e-300",
    "5e-324",
    "1e300",
    "1.7976931348623157e308",
    "nan",
    "+inf",
    "-inf",
    "9223372036854775807",
    "-9223372036854775808",
    "99999999999999999999",
    "4294967295",
    "4294967296",
    "1e9",
    "1e6",
    "0.5",
    "3",
    "24",
    "\"7\"",
    "true",
    "[1, 2]",
    "{ a = 1 }",
];

fn seeds() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the byte at (index mod len) with this byte.
    FlipByte(usize, u8),
    /// Delete line (index mod lines).
    DeleteLine(usize),
    /// Duplicate line (index mod lines).
    DuplicateLine(usize),
    /// Swap two lines.
    SwapLines(usize, usize),
    /// Replace the (index mod count)-th number in a value position with `NUMBERS[k]`.
    Number(usize, usize),
    /// Replace that number with a random float's text.
    RandomNumber(usize, f64),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::FlipByte(i, b)),
        1 => any::<usize>().prop_map(Mutation::DeleteLine),
        1 => any::<usize>().prop_map(Mutation::DuplicateLine),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        8 => (any::<usize>(), 0..NUMBERS.len()).prop_map(|(i, k)| Mutation::Number(i, k)),
        4 => (any::<usize>(), any::<f64>()).prop_map(|(i, v)| Mutation::RandomNumber(i, v)),
        4 => (any::<usize>(), 0.0..100.0f64).prop_map(|(i, v)| Mutation::RandomNumber(i, v)),
    ]
}

/// Byte ranges of numbers that follow `= ` (value positions).
fn number_spans(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i + 2 < b.len() {
        if b[i] == b'=' && b[i + 1] == b' ' && (b[i + 2].is_ascii_digit() || b[i + 2] == b'-') {
            let start = i + 2;
            let mut end = start;
            while end < b.len() && !matches!(b[end], b' ' | b',' | b'}' | b']' | b'\n' | b'#') {
                end += 1;
            }
            spans.push((start, end));
            i = end;
        } else {
            i += 1;
        }
    }
    spans
}

fn apply(text: &str, m: &Mutation) -> String {
    let lines: Vec<&str> = text.lines().collect();
    match *m {
        Mutation::FlipByte(i, byte) => {
            let mut bytes = text.as_bytes().to_vec();
            if !bytes.is_empty() {
                let k = i % bytes.len();
                bytes[k] = byte;
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Mutation::DeleteLine(i) if !lines.is_empty() => {
            let k = i % lines.len();
            let mut l = lines.clone();
            l.remove(k);
            l.join("\n")
        }
        Mutation::DuplicateLine(i) if !lines.is_empty() => {
            let k = i % lines.len();
            let mut l = lines.clone();
            l.insert(k, lines[k]);
            l.join("\n")
        }
        Mutation::SwapLines(a, b) if !lines.is_empty() => {
            let mut l = lines.clone();
            let n = l.len();
            l.swap(a % n, b % n);
            l.join("\n")
        }
        Mutation::Number(i, k) => replace_number(text, i, NUMBERS[k]),
        Mutation::RandomNumber(i, v) => {
            let shown = if v.is_nan() {
                "nan".to_string()
            } else if v.is_infinite() {
                if v > 0.0 { "inf".into() } else { "-inf".into() }
            } else {
                format!("{v:e}")
            };
            replace_number(text, i, &shown)
        }
        _ => text.to_string(),
    }
}

fn replace_number(text: &str, i: usize, with: &str) -> String {
    let spans = number_spans(text);
    if spans.is_empty() {
        return text.to_string();
    }
    let (s, e) = spans[i % spans.len()];
    format!("{}{with}{}", &text[..s], &text[e..])
}

/// Runs a loaded scenario briefly: horizon cut to 3 weeks, 2 replications of every policy, in
/// a thread with a deadline. Returns a description of anything wrong.
fn short_run(mut sc: Scenario) -> Result<(), String> {
    let m = &mut sc.model;
    m.horizon_h = m.horizon_h.min(3.0 * HOURS_PER_WEEK);
    m.warmup_h = m.warmup_h.min(0.5 * m.horizon_h);
    // A run the guards allow can still be long (a billion cards is allowed, not quick): those
    // are skipped here; the guards themselves are tested in the bad-scenario suite.
    let e = scenario::estimate_work(&sc, 2);
    if e.events > 2e6 || e.bytes_per_worker > 2e8 {
        return Ok(());
    }
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let outcome = std::panic::catch_unwind(|| {
            let mut ws = Workspace::default();
            for rep in 0..2 {
                for p in &sc.policies {
                    let r = simulate(&sc.model, p, Streams::new(sc.settings.seed, rep), &mut ws);
                    if let Some(v) = r.values.iter().flatten().find(|v| !v.is_finite()) {
                        return Err(format!("policy {}: metric value {v}", p.name));
                    }
                    if let Some(v) = r.weekly.iter().find(|v| !v.is_finite()) {
                        return Err(format!("policy {}: weekly value {v}", p.name));
                    }
                }
            }
            Ok(())
        });
        let _ = tx.send(outcome.unwrap_or_else(|_| Err("the engine panicked".into())));
    });
    rx.recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|_| Err("the run did not finish within 20 s (a hang?)".into()))
}

fn check_text(text: &str) -> Result<(), TestCaseError> {
    let loaded = std::panic::catch_unwind(|| scenario::load_str(text, "fuzz.toml"));
    let loaded = loaded.map_err(|_| TestCaseError::fail(format!("loader panicked on:\n{text}")))?;
    match loaded {
        Ok(sc) => {
            if let Ok(path) = std::env::var("FLOWSIM_FUZZ_DUMP") {
                let _ = std::fs::write(path, text);
            }
            short_run(sc).map_err(|e| TestCaseError::fail(format!("{e}\non:\n{text}")))
        }
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(msg.starts_with("fuzz.toml: "), "{}", msg);
            prop_assert!(!e.problems.is_empty());
            Ok(())
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 500,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_scenarios_never_panic_hang_or_produce_nan(
        which in any::<usize>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let seeds = seeds();
        let mut text = seeds[which % seeds.len()].clone();
        for m in &mutations {
            text = apply(&text, m);
        }
        check_text(&text)?;
    }

    #[test]
    fn random_text_never_panics(text in "\\PC{0,300}") {
        check_text(&text)?;
    }

    #[test]
    fn toml_shaped_noise_never_panics(
        parts in prop::collection::vec(
            prop::sample::select(vec![
                "[run]\n", "[arrivals]\n", "[[stages]]\n", "[team.a]\n", "[policies.flow]\n",
                "process = \"poisson\"\n", "process = \"unlimited\"\n", "rate_per_week = 8\n",
                "name = \"a\"\n", "effort = { dist = \"constant\", value = 1 }\n",
                "effort = { dist = \"gamma\", shape = 1e-300, mean = 1 }\n",
                "skills = { a = 1.0 }\n", "count = 3\n", "wip_limit = 1\n",
                "system_wip_limit = 1\n", "horizon_weeks = 2\n", "replications = 1\n",
                "[calendar]\n", "mode = \"24/7\"\n", "hours_per_day = 24\n", "= ", "[", "\"",
                "{", "}", "\n", "nan", "1e308", "-3",
            ]),
            0..40,
        ),
    ) {
        let text: String = parts.concat();
        check_text(&text)?;
    }
}

/// The mutations really produce loadable variants often enough for the run half to matter.
#[test]
fn some_mutations_still_load() {
    let seeds = seeds();
    let mut loaded = 0;
    for (i, k) in (0..40).zip((0..NUMBERS.len()).cycle()) {
        let text = apply(&seeds[i % seeds.len()], &Mutation::Number(i * 7, k));
        if scenario::load_str(&text, "x.toml").is_ok() {
            loaded += 1;
        }
    }
    assert!(loaded >= 5, "{loaded}");
}
