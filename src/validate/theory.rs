//! The closed forms flowsim is checked against, computed here from their formulas: M/M/1,
//! Erlang C, Pollaczek–Khinchine, M/M/1/K, the practical worst case, exact Mean Value Analysis
//! and the Markov chain of a two-stage line with blocking. No analytic number is pasted.

/// Mean time in system of M/M/1: 1 / (mu - lambda). Needs lambda < mu.
pub fn mm1_time_in_system(lambda: f64, mu: f64) -> f64 {
    1.0 / (mu - lambda)
}

/// Erlang C: the probability that an arrival to M/M/c waits, for offered load `a` = lambda / mu
/// (erlangs) and `c` servers. Needs a < c. Computed by the stable Erlang B recursion
/// B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)), then C = c B / (c - a (1 - B)).
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    let c = c as f64;
    c * b / (c - a * (1.0 - b))
}

/// Mean time in system of M/M/c: C(c, a) / (c mu - lambda) + 1 / mu.
pub fn mmc_time_in_system(c: u32, lambda: f64, mu: f64) -> f64 {
    erlang_c(c, lambda / mu) / (c as f64 * mu - lambda) + 1.0 / mu
}

/// Mean time in system of M/G/1 by Pollaczek–Khinchine: `E[S] + lambda E[S²] / (2 (1 - rho))`,
/// given the service time's mean and squared coefficient of variation.
pub fn mg1_time_in_system(lambda: f64, mean_s: f64, scv_s: f64) -> f64 {
    let rho = lambda * mean_s;
    let es2 = mean_s * mean_s * (1.0 + scv_s);
    mean_s + lambda * es2 / (2.0 * (1.0 - rho))
}

/// The stationary distribution p_0..=p_K of M/M/1/K (truncated geometric).
pub fn mm1k_distribution(lambda: f64, mu: f64, k: u32) -> Vec<f64> {
    let rho = lambda / mu;
    let w: Vec<f64> = (0..=k).map(|n| rho.powi(n as i32)).collect();
    let total: f64 = w.iter().sum();
    w.iter().map(|x| x / total).collect()
}

/// Practical worst case throughput (per hour) of a CONWIP line at WIP `w`, with bottleneck
/// rate `rb` (per hour) and raw process time `t0` (hours): w / (W0 + w - 1) rb, W0 = rb t0.
pub fn pwc_throughput(w: u32, rb: f64, t0: f64) -> f64 {
    let w = w as f64;
    w / (rb * t0 + w - 1.0) * rb
}

/// Practical worst case cycle time (hours): T0 + (w - 1) / rb.
pub fn pwc_cycle_time(w: u32, rb: f64, t0: f64) -> f64 {
    t0 + (w as f64 - 1.0) / rb
}

/// Exact Mean Value Analysis of a closed network of single-server FCFS exponential stations
/// with mean service times `s` (hours) and `n` customers. Returns (throughput per hour, mean
/// cycle time in hours, mean queue length per station).
pub fn mva(s: &[f64], n: u32) -> (f64, f64, Vec<f64>) {
    let mut q = vec![0.0; s.len()];
    let mut x = 0.0;
    let mut ct = 0.0;
    for k in 1..=n {
        let r: Vec<f64> = s.iter().zip(&q).map(|(si, qi)| si * (1.0 + qi)).collect();
        ct = r.iter().sum::<f64>();
        x = k as f64 / ct;
        q = r.iter().map(|ri| x * ri).collect();
    }
    (x, ct, q)
}

/// Solves A x = b by Gaussian elimination with partial pivoting (A is n x n, row-major).
///
/// # Panics
/// If A is singular.
pub fn solve_dense(mut a: Vec<f64>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    assert_eq!(a.len(), n * n);
    for col in 0..n {
        let piv = (col..n)
            .max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))
            .expect("non-empty");
        assert!(a[piv * n + col].abs() > 1e-300, "singular matrix");
        if piv != col {
            for k in 0..n {
                a.swap(col * n + k, piv * n + k);
            }
            b.swap(col, piv);
        }
        for r in col + 1..n {
            let f = a[r * n + col] / a[col * n + col];
            if f != 0.0 {
                for k in col..n {
                    a[r * n + k] -= f * a[col * n + k];
                }
                b[r] -= f * b[col];
            }
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|k| a[r * n + k] * x[k]).sum();
        x[r] = (b[r] - s) / a[r * n + r];
    }
    x
}

/// Stationary distribution of a finite CTMC from its transitions `(from, to, rate)`: solves
/// pi Q = 0 with sum(pi) = 1, replacing the last balance equation by the normalisation.
pub fn ctmc_stationary(n: usize, transitions: &[(usize, usize, f64)]) -> Vec<f64> {
    // Row i of A is the balance of state i: sum_j pi_j Q(j, i) = 0, i.e. A = Q^T.
    let mut a = vec![0.0; n * n];
    for &(from, to, rate) in transitions {
        if from != to {
            a[to * n + from] += rate;
            a[from * n + from] -= rate;
        }
    }
    for k in 0..n {
        a[(n - 1) * n + k] = 1.0;
    }
    let mut b = vec![0.0; n];
    b[n - 1] = 1.0;
    solve_dense(a, b)
}

/// What the two-stage blocking line's Markov chain predicts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TwoStage {
    /// Mean cards in the system, backlog included.
    pub in_system: f64,
    /// Mean cards in the first stage (worked or finished and waiting for the second).
    pub first_stage: f64,
    /// Probability that an arrival finds the backlog full (is declined).
    pub p_declined: f64,
    /// Mean time in system of accepted cards (hours), by Little's law.
    pub time_in_system: f64,
}

/// Solves the two-stage pull line with blocking after service.
///
/// Poisson arrivals (`lambda`) join a backlog of at most `cap` cards (more are declined); one
/// person at stage 1 (exponential, rate `mu1`) works a card when stage 1 holds fewer than
/// `room1` cards (worked plus finished-waiting); one person at stage 2 (rate `mu2`) takes the
/// oldest finished card of stage 1 whenever idle. The state is (backlog n0, stage-1 person busy
/// p, finished cards waiting d, stage-2 person busy s); after every transition the instantaneous
/// moves are made (stage 2 takes a waiting card, stage 1 takes a backlog card), exactly as the
/// engine's dispatch does, so only settled states are kept.
pub fn two_stage_blocking(lambda: f64, mu1: f64, mu2: f64, room1: u32, cap: u32) -> TwoStage {
    type S = (u32, u32, u32, u32);
    let settle = |(mut n0, mut p, mut d, mut s): S| -> S {
        if s == 0 && d > 0 {
            s = 1;
            d -= 1;
        }
        if p == 0 && p + d < room1 && n0 > 0 {
            p = 1;
            n0 -= 1;
        }
        (n0, p, d, s)
    };
    let mut states: Vec<S> = Vec::new();
    for n0 in 0..=cap {
        for p in 0..=1 {
            for d in 0..=room1 - p {
                for s in 0..=1 {
                    let st = (n0, p, d, s);
                    if settle(st) == st {
                        states.push(st);
                    }
                }
            }
        }
    }
    let index = |st: S| states.iter().position(|&x| x == st).expect("settled state");
    let mut tr = Vec::new();
    for (i, &(n0, p, d, s)) in states.iter().enumerate() {
        if n0 < cap {
            tr.push((i, index(settle((n0 + 1, p, d, s))), lambda));
        }
        if p == 1 {
            tr.push((i, index(settle((n0, 0, d + 1, s))), mu1));
        }
        if s == 1 {
            tr.push((i, index(settle((n0, p, d, 0))), mu2));
        }
    }
    let pi = ctmc_stationary(states.len(), &tr);
    let mut r = TwoStage {
        in_system: 0.0,
        first_stage: 0.0,
        p_declined: 0.0,
        time_in_system: 0.0,
    };
    for (&(n0, p, d, s), &x) in states.iter().zip(&pi) {
        r.in_system += x * (n0 + p + d + s) as f64;
        r.first_stage += x * (p + d) as f64;
        if n0 == cap {
            r.p_declined += x;
        }
    }
    r.time_in_system = r.in_system / (lambda * (1.0 - r.p_declined));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_reduces_to_rho_for_one_server() {
        assert!((erlang_c(1, 0.7) - 0.7).abs() < 1e-12);
        // M/M/c time in system with c = 1 is M/M/1's.
        assert!((mmc_time_in_system(1, 0.8, 1.0) - 5.0).abs() < 1e-12);
    }

    #[test]
    fn erlang_c_matches_direct_sum() {
        // C(c, a) = (a^c / c!) (c / (c - a)) / (sum_{k<c} a^k / k! + (a^c / c!) c / (c - a)).
        let (c, a) = (4u32, 3.4f64);
        let fact = |n: u32| (1..=n).map(f64::from).product::<f64>();
        let tail = a.powi(c as i32) / fact(c) * c as f64 / (c as f64 - a);
        let head: f64 = (0..c).map(|k| a.powi(k as i32) / fact(k)).sum();
        assert!((erlang_c(c, a) - tail / (head + tail)).abs() < 1e-12);
    }

    #[test]
    fn pk_reduces_to_mm1_for_exponential() {
        assert!((mg1_time_in_system(0.8, 1.0, 1.0) - mm1_time_in_system(0.8, 1.0)).abs() < 1e-12);
    }

    #[test]
    fn mva_of_balanced_line_is_the_practical_worst_case() {
        for w in 1..=20 {
            let (th, ct, _) = mva(&[2.0; 4], w);
            assert!((th - pwc_throughput(w, 0.5, 8.0)).abs() < 1e-12);
            assert!((ct - pwc_cycle_time(w, 0.5, 8.0)).abs() < 1e-9);
        }
    }

    #[test]
    fn mm1k_chain_matches_truncated_geometric() {
        // A birth-death chain solved by the CTMC solver equals the closed form.
        let (lambda, mu, k) = (0.9, 1.0, 6u32);
        let mut tr = Vec::new();
        for n in 0..k as usize {
            tr.push((n, n + 1, lambda));
            tr.push((n + 1, n, mu));
        }
        let pi = ctmc_stationary(k as usize + 1, &tr);
        for (a, b) in pi.iter().zip(mm1k_distribution(lambda, mu, k)) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn two_stage_with_huge_room_is_two_mm1_queues() {
        // With ample room and a cap large enough to be never reached, the line is a tandem.
        let r = two_stage_blocking(0.3, 1.0, 1.0 / 1.1, 16, 24);
        let tandem = mm1_time_in_system(0.3, 1.0) + mm1_time_in_system(0.3, 1.0 / 1.1);
        assert!(r.p_declined < 1e-10);
        assert!((r.time_in_system - tandem).abs() < 1e-6, "{r:?}");
    }
}
