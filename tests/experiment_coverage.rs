//! The 95% interval must cover the true mean about 95% of the time.
//!
//! The model has a known answer: cards arrive as a Poisson process at 50 a week, 24/7, and one
//! person finishes each in 0.0001 h, so `cards_finished` over one week is Poisson with mean 50
//! (a card arriving in the last 0.0001 h, which would be left unfinished, has probability
//! about 3e-5 per replication). A sweep over 300 seeds gives 300 independent experiments of
//! 20 replications each; the number whose interval covers 50 must lie in the central 99% of
//! Binomial(300, 0.95).

mod common;

use common::{flowsim, folder_with};

const POISSON: &str = r#"
name = "poisson-count"
[run]
horizon_weeks = 1
replications = 20
seed = 1
policies = ["pull"]
[calendar]
mode = "24/7"
[arrivals]
process = "poisson"
rate_per_week = 50
[[stages]]
name = "work"
effort = { dist = "constant", value = 0.0001 }
[team.worker]
count = 1
skills = { work = 1.0 }
"#;

/// Central `level` band of Binomial(n, p), from its exact cumulative distribution.
fn binomial_band(n: u64, p: f64, level: f64) -> (u64, u64) {
    let mut pmf = Vec::with_capacity(n as usize + 1);
    // log-space for stability.
    let ln_choose = |k: u64| -> f64 { (1..=k).map(|i| ((n - k + i) as f64 / i as f64).ln()).sum() };
    for k in 0..=n {
        pmf.push((ln_choose(k) + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln()).exp());
    }
    let tail = (1.0 - level) / 2.0;
    let mut cdf = 0.0;
    let mut lo = 0;
    for (k, q) in pmf.iter().enumerate() {
        cdf += q;
        if cdf > tail {
            lo = k as u64;
            break;
        }
    }
    let mut cdf = 0.0;
    let mut hi = n;
    for (k, q) in pmf.iter().enumerate().rev() {
        cdf += q;
        if cdf > tail {
            hi = k as u64;
            break;
        }
    }
    (lo, hi)
}

#[test]
fn intervals_cover_the_true_mean_95_percent_of_the_time() {
    let d = folder_with(&[("p.toml", POISSON)]);
    let experiments = 300;
    flowsim(d.path())
        .args(["sweep", "p.toml", "-q", "--out", "sw"])
        .args(["--vary", &format!("run.seed=1..{experiments}")])
        .assert()
        .success();
    let mut r = csv::Reader::from_path(d.path().join("sw/sweep.csv")).unwrap();
    let head = r.headers().unwrap().clone();
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let (metric, lo, hi, reps) = (
        col("metric"),
        col("ci95_low"),
        col("ci95_high"),
        col("reps"),
    );
    let mut covered = 0;
    let mut total = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        if &rec[metric] != "cards_finished" {
            continue;
        }
        assert_eq!(&rec[reps], "20");
        total += 1;
        let (a, b): (f64, f64) = (rec[lo].parse().unwrap(), rec[hi].parse().unwrap());
        if a <= 50.0 && 50.0 <= b {
            covered += 1;
        }
    }
    assert_eq!(total, experiments);
    let (blo, bhi) = binomial_band(experiments, 0.95, 0.99);
    assert!(
        (blo..=bhi).contains(&covered),
        "{covered} of {experiments} intervals cover the true mean; expected {blo}..={bhi}"
    );
}

#[test]
fn binomial_band_is_sane() {
    let (lo, hi) = binomial_band(300, 0.95, 0.99);
    assert!(lo < 285 && 285 < hi && hi <= 300, "{lo}..{hi}");
    assert!(lo >= 270, "{lo}");
}
