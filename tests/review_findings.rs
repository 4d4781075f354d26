//! Review findings: each test pins one engine bug found in review (it failed before its fix).

use flowsim::engine::{Trace, Workspace, simulate_audited};
use flowsim::metrics::M;
use flowsim::policy::Policy;
use flowsim::rng::Streams;
use flowsim::scenario::{Scenario, load_str};

fn load(text: &str) -> Scenario {
    load_str(text, "review.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn policy<'a>(sc: &'a Scenario, name: &str) -> &'a Policy {
    sc.policies.iter().find(|p| p.name == name).unwrap()
}

fn run_one(sc: &Scenario, p: &Policy, rep: u64) -> flowsim::metrics::RepResult {
    let mut ws = Workspace::default();
    simulate_audited(&sc.model, p, Streams::new(sc.settings.seed, rep), &mut ws)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Overtime is work done outside normal hours. A person whose planned-overtime day is
/// extended but who has nothing to do at the end of their normal hours must go home then:
/// idle hours after the normal end are not overtime.
#[test]
fn idle_person_with_planned_overtime_goes_home_at_normal_end() {
    // One developer, one big card whose input is missing for longer than the horizon: push
    // plans it, sees 100 h of load against 40 h and plans 2 h of overtime a day, but the card
    // blocks at once and the developer has nothing else to do.
    let sc = load(
        r#"
name = "idle-overtime"
[run]
horizon_weeks = 1
seed = 3
policies = ["push"]
[arrivals]
process = "none"
initial_backlog = 1
[disruptions.missing_input]
probability = 1.0
delay = { dist = "constant", value = 10000.0 }
[[stages]]
name = "work"
effort = { dist = "constant", value = 100.0 }
[team.dev]
count = 1
skills = { work = 1.0 }
max_overtime_h_per_day = 2
"#,
    );
    let r = run_one(&sc, policy(&sc, "push"), 0);
    assert_eq!(r.get(M::Utilisation), Some(0.0), "nobody can work");
    let ot = r.get(M::OvertimeH).unwrap();
    assert_eq!(ot, 0.0, "{ot} h of overtime counted while idle");
}
