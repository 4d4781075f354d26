//! Estimates across replications: means with Student-t intervals, and percentiles.

use statrs::distribution::{ContinuousCDF, StudentsT};

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

/// Percentile `p` (0..=1) of sorted data by linear interpolation between order statistics
/// (type 7, the default of R and numpy).
pub fn percentile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// A metric summarised across replications.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Replications where the metric was defined.
    pub n: u64,
    /// Mean.
    pub mean: Option<f64>,
    /// 95% Student-t interval for the mean.
    pub ci95: Option<(f64, f64)>,
    /// 5th, 50th and 95th percentiles across replications.
    pub p05: Option<f64>,
    /// Median across replications.
    pub p50: Option<f64>,
    /// 95th percentile across replications.
    pub p95: Option<f64>,
}

impl Summary {
    /// Summarises values (order does not matter).
    pub fn of(values: &[f64]) -> Self {
        let mut w = Welford::default();
        values.iter().for_each(|&v| w.push(v));
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        Summary {
            n: w.n(),
            mean: w.mean(),
            ci95: w.interval(0.95),
            p05: percentile_sorted(&sorted, 0.05),
            p50: percentile_sorted(&sorted, 0.50),
            p95: percentile_sorted(&sorted, 0.95),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn percentiles_interpolate() {
        let s = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile_sorted(&s, 0.5), Some(3.0));
        assert_eq!(percentile_sorted(&s, 0.25), Some(2.0));
        assert_eq!(percentile_sorted(&[], 0.5), None);
    }
}
