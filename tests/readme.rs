//! The README's scenario example must stay a valid scenario.

#[test]
fn readme_scenario_example_loads() {
    let readme = include_str!("../README.md");
    let start = readme.find("```toml\n").expect("a toml example") + 8;
    let len = readme[start..].find("```").expect("closed block");
    let text = &readme[start..start + len];
    let sc = flowsim::scenario::load_str(text, "README.md").unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = sc.policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["push", "pull", "flow", "hybrid"]);
    // And it runs.
    let mut ws = flowsim::engine::Workspace::default();
    for p in &sc.policies {
        flowsim::engine::simulate_audited(&sc.model, p, flowsim::rng::Streams::new(1, 0), &mut ws)
            .unwrap_or_else(|e| panic!("{}: {e}", p.name));
    }
}
