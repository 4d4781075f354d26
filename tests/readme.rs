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

/// The README's example is a team that keeps up with its demand (issue 16): every policy
/// finishes about what arrives, with no Little's-law warning, and it is not named like the
/// reference scenario.
#[test]
fn readme_scenario_example_keeps_up() {
    let readme = include_str!("../README.md");
    let start = readme.find("```toml\n").expect("a toml example") + 8;
    let len = readme[start..].find("```").expect("closed block");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("example.toml"), &readme[start..start + len]).unwrap();
    let sc = flowsim::scenario::load_file(&dir.path().join("example.toml")).unwrap();
    assert_ne!(sc.model.name, "small-team");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_flowsim"))
        .args([
            "run",
            "example.toml",
            "--reps",
            "60",
            "--no-charts",
            "--out",
            "o",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}");
    assert!(!out.contains("Little's law is off"), "{out}");
    let summary = std::fs::read_to_string(dir.path().join("o/summary.csv")).unwrap();
    // 5 regular and 0.5 expedite cards arrive a week.
    for line in summary
        .lines()
        .filter(|l| l.contains(",throughput_per_week,"))
    {
        let mean: f64 = line.split(',').nth(4).unwrap().parse().unwrap();
        assert!(mean > 0.95 * 5.5, "{line}");
    }
}
