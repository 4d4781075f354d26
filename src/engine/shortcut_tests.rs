//! The engine's shortcuts are savings, not changes: every shipped scenario, under each of its
//! policies, gives the same results with a shortcut switched off as with it on.

use super::Workspace;
use super::state::Sim;
use crate::metrics::RepResult;
use crate::rng::Streams;
use crate::scenario::{Scenario, load_file};
use std::path::PathBuf;

/// Every scenario shipped in `scenarios/` and `scenarios/validation/`.
fn shipped() -> Vec<(PathBuf, Scenario)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["scenarios", "scenarios/validation"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        for p in files {
            let sc = load_file(&p).unwrap_or_else(|e| panic!("{e}"));
            out.push((p, sc));
        }
    }
    out
}

fn run(sc: &Scenario, p: usize, rep: u64, mut set: impl FnMut(&mut Sim)) -> RepResult {
    let mut ws = Workspace {
        audit: rep == 0,
        ..Workspace::default()
    };
    let mut sim = Sim::new(&sc.model, &sc.policies[p], Streams::new(11, rep), &mut ws);
    set(&mut sim);
    sim.run().unwrap_or_else(|e| panic!("{e}"));
    sim.finish()
}

fn assert_same(a: &RepResult, b: &RepResult, what: &str) {
    assert_eq!(a.values, b.values, "{what}: metrics");
    assert_eq!(a.weekly, b.weekly, "{what}: weekly series");
    assert_eq!(a.card_times, b.card_times, "{what}: card times");
    assert_eq!(a.events, b.events, "{what}: events");
}

/// A standard arrival queued behind a card the backlog already gives next, on a settled
/// board, needs no dispatch (`Sim::backlog_has_next`).
#[test]
fn quiet_arrivals_change_nothing() {
    let mut skipped = 0;
    for (path, sc) in shipped() {
        for p in 0..sc.policies.len() {
            for rep in 0..2 {
                let what = format!(
                    "{} under {}, rep {rep}",
                    path.display(),
                    sc.policies[p].name
                );
                let off = run(&sc, p, rep, |s| s.quiet_arrivals = false);
                let on = run(&sc, p, rep, |_| {});
                assert_same(&off, &on, &what);
                skipped += 1;
            }
        }
    }
    assert!(skipped > 100, "{skipped} runs compared");
}

/// A standard card waiting in the backlog draws its attributes only when it leaves it, where
/// nothing reads them before (`Sim::new_card`): the same values from the same stream.
#[test]
fn lazy_draws_change_nothing() {
    let mut lazy = 0;
    for (path, sc) in shipped() {
        for p in 0..sc.policies.len() {
            for rep in 0..2 {
                let what = format!(
                    "{} under {}, rep {rep}",
                    path.display(),
                    sc.policies[p].name
                );
                let mut was_lazy = false;
                let eager = run(&sc, p, rep, |s| s.lazy_draws = false);
                let on = run(&sc, p, rep, |s| was_lazy = s.lazy_draws);
                assert_same(&eager, &on, &what);
                lazy += usize::from(was_lazy);
            }
        }
    }
    assert!(lazy > 50, "{lazy} runs drew lazily");
}
