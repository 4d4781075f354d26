//! Means across replications with their Student-t intervals: one sample ([`Welford`]) and
//! paired samples of two policies ([`Paired`]), both in one pass and constant memory.

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::QuantileSketch;

/// Running mean and variance (Welford), exact in one pass.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Welford {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Welford {
    /// Adds one observation.
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }
    /// Observations so far.
    pub fn n(&self) -> u64 {
        self.n
    }
    /// The mean, if any observation.
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then_some(self.mean)
    }
    /// Sample variance (n - 1 denominator), if at least two observations.
    pub fn variance(&self) -> Option<f64> {
        (self.n > 1).then(|| self.m2 / (self.n - 1) as f64)
    }
    /// Two-sided confidence interval for the mean at `level` (e.g. 0.95), Student-t.
    pub fn interval(&self, level: f64) -> Option<(f64, f64)> {
        let var = self.variance()?;
        let h = t_quantile(self.n - 1, 0.5 + level / 2.0) * (var / self.n as f64).sqrt();
        Some((self.mean - h, self.mean + h))
    }
}

/// The `p` quantile of Student's t with `df` degrees of freedom.
pub fn t_quantile(df: u64, p: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df as f64)
        .expect("df >= 1")
        .inverse_cdf(p)
}

/// Paired observations `(x, y)` of a baseline and a contender in the same replication: the
/// difference `y - x` and the ratio of means `mean(y) / mean(x)`, each with a Student-t interval.
///
/// Because both come from the same random numbers (common random numbers), the variance of the
/// difference is `var(x) + var(y) - 2 cov(x, y)`, usually far below that of two independent
/// samples: that is what makes paired comparisons tight.
#[derive(Debug, Clone, Default)]
pub struct Paired {
    /// The differences `y - x`, one per replication where both are defined.
    pub diff: Welford,
    /// Percentiles of the differences.
    pub diff_sketch: QuantileSketch,
    n: u64,
    mean_x: f64,
    mean_y: f64,
    m2_x: f64,
    m2_y: f64,
    c_xy: f64,
}

impl Paired {
    /// The differences summarised like a metric: count, mean, 95% interval and percentiles
    /// (the interval columns of `differences.csv` and `sweep_differences.csv`).
    pub fn summary(&self) -> super::Summary {
        super::Summary {
            n: self.diff.n(),
            mean: self.diff.mean(),
            ci95: self.diff.interval(0.95),
            p05: self.diff_sketch.quantile(0.05),
            p50: self.diff_sketch.quantile(0.50),
            p95: self.diff_sketch.quantile(0.95),
        }
    }

    /// Adds one replication's pair.
    pub fn push(&mut self, x: f64, y: f64) {
        let d = y - x;
        self.diff.push(d);
        self.diff_sketch.push(d);
        self.n += 1;
        let n = self.n as f64;
        let dx = x - self.mean_x;
        self.mean_x += dx / n;
        let dy = y - self.mean_y;
        self.mean_y += dy / n;
        self.m2_x += dx * (x - self.mean_x);
        self.m2_y += dy * (y - self.mean_y);
        self.c_xy += dx * (y - self.mean_y);
    }

    /// The relative difference `mean(y) / mean(x) - 1` with its two-sided interval at `level`,
    /// by the delta method for a ratio of means: `se = sd(y - r x) / (sqrt(n) |mean(x)|)`.
    /// `None` with fewer than two pairs or a baseline mean of zero.
    pub fn relative(&self, level: f64) -> Option<(f64, f64, f64)> {
        if self.n < 2 || self.mean_x == 0.0 {
            return None;
        }
        let n = self.n as f64;
        let r = self.mean_y / self.mean_x;
        let var = (self.m2_y + r * r * self.m2_x - 2.0 * r * self.c_xy) / (n - 1.0);
        let se = var.max(0.0).sqrt() / (n.sqrt() * self.mean_x.abs());
        let h = t_quantile(self.n - 1, 0.5 + level / 2.0) * se;
        Some((r - 1.0, r - 1.0 - h, r - 1.0 + h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::test_data::uniforms;

    #[test]
    fn t_quantiles_match_tables() {
        assert!((t_quantile(9, 0.975) - 2.262).abs() < 1e-3);
        assert!((t_quantile(1000, 0.975) - 1.962).abs() < 1e-3);
    }

    #[test]
    fn welford_matches_two_pass() {
        let xs = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        let mut w = Welford::default();
        xs.iter().for_each(|&x| w.push(x));
        let m = xs.iter().sum::<f64>() / 8.0;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 7.0;
        assert!((w.mean().unwrap() - m).abs() < 1e-12);
        assert!((w.variance().unwrap() - v).abs() < 1e-12);
    }

    #[test]
    fn paired_relative_difference_matches_ratio_of_means() {
        let xs = uniforms(1000, 5);
        let mut p = Paired::default();
        for &x in &xs {
            p.push(10.0 + x, 11.0 + 1.1 * x); // y = 1.1 x' exactly: relative +10%
        }
        let (r, lo, hi) = p.relative(0.95).unwrap();
        assert!((r - 0.1).abs() < 1e-12, "{r}");
        assert!(lo <= r && r <= hi && hi - lo < 1e-9, "{lo}..{hi}");
        let (dlo, dhi) = p.diff.interval(0.95).unwrap();
        assert!(dlo < p.diff.mean().unwrap() && p.diff.mean().unwrap() < dhi);
        assert_eq!(Paired::default().relative(0.95), None);
    }
}
