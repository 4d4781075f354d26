//! The engine's invariants on random small scenarios (issue 2).
//!
//! Proptest generates scenario files (1-4 stages with random efforts and WIP limits, teams of
//! mixed skills and speeds, working calendars or 24/7, Poisson, batch or unlimited arrivals,
//! backlog caps, sickness) and runs each under pull, flow (with and without swarming, with a
//! continuous or daily cadence), push and a hybrid (polling or push hand-off, deployments that
//! break), with random disruptions (missing inputs, blockers, rework, failing deployments,
//! classes of service, multitasking costs, estimation error), with `simulate_audited`: after every event the engine
//! checks that every card is in exactly one place, that no stage, system or personal WIP limit
//! is exceeded, that nobody works more than they are present or outside their day, and that the
//! clock never goes back. Going through the TOML text also exercises the scenario validation.

use std::fmt::Write;

use flowsim::engine::{Workspace, simulate_audited};
use flowsim::rng::Streams;
use flowsim::scenario::load_str;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct StageGen {
    effort: u8,
    mean: f64,
    wip_limit: Option<u32>,
}

#[derive(Debug, Clone)]
struct RoleGen {
    count: u32,
    skills: Vec<(usize, f64)>,
    wip_limit: u32,
    sick: bool,
}

#[derive(Debug, Clone)]
struct Gen {
    stages: Vec<StageGen>,
    roles: Vec<RoleGen>,
    always_on: bool,
    hours_per_day: u32,
    days_per_week: u32,
    arrivals: u8,
    rate_per_week: f64,
    initial_backlog: u32,
    max_backlog: Option<u32>,
    system_wip: u32,
    cadence_h: f64,
    pairing: f64,
    max_per_card: u32,
    seed: u64,
    /// Which disruptions and extra mechanisms are on, one bit each.
    extras: u16,
}

fn stage() -> impl Strategy<Value = StageGen> {
    (0u8..5, 0.5f64..12.0, proptest::option::of(1u32..5)).prop_map(|(effort, mean, wip_limit)| {
        StageGen {
            effort,
            mean,
            wip_limit,
        }
    })
}

fn role(n_stages: usize) -> impl Strategy<Value = RoleGen> {
    (
        1u32..4,
        proptest::collection::vec((0..n_stages, 0.3f64..1.5), 1..=n_stages),
        1u32..4,
        any::<bool>(),
    )
        .prop_map(|(count, skills, wip_limit, sick)| RoleGen {
            count,
            skills,
            wip_limit,
            sick,
        })
}

fn scenario() -> impl Strategy<Value = Gen> {
    (1usize..=4)
        .prop_flat_map(|n| {
            (
                proptest::collection::vec(stage(), n),
                proptest::collection::vec(role(n), 1..=4),
                (any::<bool>(), 4u32..=10, 3u32..=7),
                (
                    0u8..3,
                    1.0f64..40.0,
                    0u32..12,
                    proptest::option::of(0u32..8),
                ),
                (1u32..12, prop_oneof![Just(0.0), Just(8.0), Just(24.0)]),
                (0.3f64..=1.0, 2u32..=4, any::<u64>()),
                any::<u16>(),
            )
        })
        .prop_map(|(stages, roles, cal, arr, flow, misc, extras)| Gen {
            stages,
            roles,
            always_on: cal.0,
            hours_per_day: cal.1,
            days_per_week: cal.2,
            arrivals: arr.0,
            rate_per_week: arr.1,
            initial_backlog: arr.2,
            max_backlog: arr.3,
            system_wip: flow.0,
            cadence_h: flow.1,
            pairing: misc.0,
            max_per_card: misc.1,
            seed: misc.2,
            extras,
        })
}

fn toml(g: &Gen) -> String {
    let mut t = String::new();
    writeln!(t, "name = \"random\"").unwrap();
    writeln!(
        t,
        "[run]\nhorizon_weeks = 10\nwarmup_weeks = 1\nseed = {}",
        g.seed % 1_000_000
    )
    .unwrap();
    writeln!(
        t,
        "policies = [\"pull\", \"flow\", \"swarm\", \"push\", \"hybrid\"]\n[calendar]"
    )
    .unwrap();
    if g.always_on {
        writeln!(t, "mode = \"24/7\"").unwrap();
    } else {
        writeln!(
            t,
            "mode = \"working\"\nhours_per_day = {}\ndays_per_week = {}",
            g.hours_per_day, g.days_per_week
        )
        .unwrap();
    }
    writeln!(t, "[arrivals]").unwrap();
    match g.arrivals {
        0 => writeln!(
            t,
            "process = \"poisson\"\nrate_per_week = {}",
            g.rate_per_week
        ),
        1 => writeln!(
            t,
            "process = \"batch\"\nbatch_size = {}",
            (g.rate_per_week as u32).max(1)
        ),
        _ => writeln!(t, "process = \"unlimited\""),
    }
    .unwrap();
    writeln!(t, "initial_backlog = {}", g.initial_backlog).unwrap();
    if let (Some(cap), true) = (g.max_backlog, g.arrivals < 2) {
        writeln!(t, "max_backlog = {cap}").unwrap();
    }
    let on = |bit: u16| g.extras & (1 << bit) != 0;
    let last = g.stages.len() - 1;
    if on(0) {
        writeln!(t, "[disruptions]\nhandover_cost_h = 0.5\nmissing_input = {{ probability = 0.3, delay = {{ dist = \"exponential\", mean = 10 }} }}").unwrap();
        if on(1) {
            writeln!(t, "blockers = {{ chance_per_day = 0.1, duration = {{ dist = \"uniform\", min = 1, max = 12 }} }}").unwrap();
        }
    } else if on(1) {
        writeln!(t, "[disruptions]\nblockers = {{ chance_per_day = 0.1, duration = {{ dist = \"uniform\", min = 1, max = 12 }} }}").unwrap();
    }
    if on(2) {
        writeln!(t, "[classes]\nexpedite_rate_per_week = 1.0\nfixed_date_share = 0.3\ndue_in_weeks = {{ dist = \"uniform\", min = 1, max = 3 }}").unwrap();
    }
    if on(3) {
        writeln!(t, "[multitasking]\nmodel = \"weinberg\"").unwrap();
    } else if on(4) {
        writeln!(
            t,
            "[multitasking]\nmodel = \"switch_cost\"\nswitch_cost_h = 0.5"
        )
        .unwrap();
    }
    if on(5) {
        writeln!(t, "[estimates]\nbias = 0.7\nspread = 0.4").unwrap();
    }
    for (i, s) in g.stages.iter().enumerate() {
        let m = s.mean;
        let effort = match s.effort {
            0 => format!("{{ dist = \"exponential\", mean = {m} }}"),
            1 => format!("{{ dist = \"constant\", value = {m} }}"),
            2 => format!("{{ dist = \"lognormal\", mean = {m}, sd = {} }}", m * 0.8),
            3 => format!(
                "{{ dist = \"uniform\", min = {}, max = {} }}",
                m / 2.0,
                m * 1.5
            ),
            _ => format!("{{ dist = \"erlang\", k = 3, mean = {m} }}"),
        };
        writeln!(t, "[[stages]]\nname = \"s{i}\"\neffort = {effort}").unwrap();
        if let Some(l) = s.wip_limit {
            writeln!(t, "wip_limit = {l}").unwrap();
        }
        if i == last && on(6) {
            writeln!(
                t,
                "rework = {{ probability = 0.2, to = \"s0\", effort_share = 0.5 }}"
            )
            .unwrap();
        } else if i == last && on(7) {
            writeln!(t, "deployment = {{ failure_probability = 0.2, fix_in = \"s0\", rollback_effort = {{ dist = \"uniform\", min = 1, max = 4 }} }}").unwrap();
        }
    }
    for (r, role) in g.roles.iter().enumerate() {
        let mut skills: Vec<(usize, f64)> = role.skills.clone();
        // Everyone's stages cover the board: role r also works stage r mod n.
        skills.push((r % g.stages.len(), 1.0));
        skills.sort_by_key(|s| s.0);
        skills.dedup_by_key(|s| s.0);
        let list: Vec<String> = skills.iter().map(|(s, v)| format!("s{s} = {v}")).collect();
        writeln!(
            t,
            "[team.r{r}]\ncount = {}\nskills = {{ {} }}\nwip_limit = {}",
            role.count,
            list.join(", "),
            role.wip_limit
        )
        .unwrap();
        if role.sick {
            writeln!(t, "sick_chance_per_day = 0.05").unwrap();
        }
    }
    // Stages no role reached get a generalist.
    let all: Vec<String> = (0..g.stages.len()).map(|s| format!("s{s} = 0.7")).collect();
    writeln!(t, "[team.generalist]\nskills = {{ {} }}", all.join(", ")).unwrap();
    writeln!(
        t,
        "[policies.flow]\nsystem_wip_limit = {}\nreplenish_every_hours = {}\nswarming = false",
        g.system_wip, g.cadence_h
    )
    .unwrap();
    writeln!(
        t,
        "[policies.swarm]\npreset = \"flow\"\nsystem_wip_limit = {}\nreplenish_every_hours = {}\n\
         swarming = true\npairing_efficiency = {}\nmax_per_card = {}",
        g.system_wip, g.cadence_h, g.pairing, g.max_per_card
    )
    .unwrap();
    // A hybrid: pull release, the last hand-off pushed or pulled on a poll, deployments break.
    writeln!(
        t,
        "[policies.hybrid]\npreset = \"pull\"\nfailed_deploy = \"break\""
    )
    .unwrap();
    if last > 0 {
        if on(8) {
            writeln!(t, "handoff = {{ s{last} = \"push\" }}").unwrap();
        } else {
            writeln!(t, "poll_every_hours = {{ s{last} = 12 }}").unwrap();
        }
    }
    if on(9) {
        writeln!(t, "on_block = \"wait\"").unwrap();
    }
    t
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_on_random_scenarios(g in scenario()) {
        let text = toml(&g);
        let sc = load_str(&text, "random.toml")
            .unwrap_or_else(|e| panic!("generated scenario does not load: {e}\n{text}"));
        let mut ws = Workspace::default();
        for p in &sc.policies {
            for rep in 0..2 {
                let r = simulate_audited(&sc.model, p, Streams::new(sc.settings.seed, rep), &mut ws);
                prop_assert!(r.is_ok(), "policy {} rep {rep}: {}\n{text}", p.name, r.unwrap_err());
            }
        }
    }
}
