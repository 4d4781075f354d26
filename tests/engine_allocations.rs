//! The engine allocates nothing per event once its `Workspace` has grown (ARCHITECTURE.md):
//! a run twice as long makes exactly as many allocations, under every policy of scenarios
//! that exercise the planner, expedite and fixed-date cards, sickness, inputs and deployments.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use flowsim::engine::{Workspace, simulate};
use flowsim::model::Model;
use flowsim::policy::Policy;
use flowsim::rng::Streams;
use flowsim::scenario::load_str;

/// Counts the allocations made on the current thread.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // (`try_with`: an allocation during thread teardown is not counted.)
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every call is passed on to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's obligations are the system allocator's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by one replication of `model` under `policy` on a grown workspace.
fn allocations(model: &Model, policy: &Policy, ws: &mut Workspace) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    let r = simulate(model, policy, Streams::new(7, 0), ws);
    let after = ALLOCATIONS.with(Cell::get);
    drop(r);
    after - before
}

#[test]
fn a_longer_run_allocates_no_more() {
    for file in [
        "small-team",
        "hard-deadline",
        "flu-season",
        "missing-inputs",
        "deployment-pipeline",
        "weekly-commitments",
        "bottleneck-swarming",
        "everyday-friction",
    ] {
        let path = format!("{}/scenarios/{file}.toml", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("shipped scenario");
        let sc = load_str(&text, &path).expect("shipped scenario loads");
        let mut long = sc.model.clone();
        long.horizon_h = sc.model.horizon_h * 2.0;
        for policy in &sc.policies {
            let mut ws = Workspace::default();
            // Grow the workspace on the longer run (the shorter one is its prefix).
            simulate(&long, policy, Streams::new(7, 0), &mut ws);
            let short_n = allocations(&sc.model, policy, &mut ws);
            let long_n = allocations(&long, policy, &mut ws);
            assert_eq!(
                short_n, long_n,
                "{file} / {}: {short_n} allocations in {} h but {long_n} in {} h",
                policy.name, sc.model.horizon_h, long.horizon_h
            );
        }
    }
}
