//! Estimates across replications: means with Student-t intervals, percentiles in bounded memory,
//! and paired differences between policies.
//!
//! Everything here is online (one pass, bounded memory) so that an experiment's memory does not
//! grow with its number of replications, and is fed in replication order so that results are
//! the same bytes whatever the thread count.
//!
//! One file per estimator: [`Welford`] means, Student-t intervals and [`Paired`] differences
//! (`mean.rs`), the exactly rounded [`ExactSum`] (`exact_sum.rs`), the bounded-memory
//! [`QuantileSketch`] (`sketch.rs`), and the lossless hexadecimal text of their states
//! (`hex.rs`). This file holds what they share: type-7 percentiles and the [`Summary`] of a
//! metric.

mod exact_sum;
mod hex;
mod mean;
mod sketch;

pub use exact_sum::ExactSum;
pub use hex::{f64_from_hex, f64_to_hex};
pub use mean::{Paired, Welford, t_quantile};
pub use sketch::{QuantileSketch, SKETCH_ALPHA, SKETCH_EXACT};

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

/// Test data shared by the estimators' tests.
#[cfg(test)]
mod test_data {
    /// Deterministic pseudo-random uniforms for tests (SplitMix64).
    pub(crate) fn uniforms(n: usize, seed: u64) -> Vec<f64> {
        (0..n as u64)
            .map(|i| (crate::rng::mix64(seed ^ i) >> 11) as f64 / (1u64 << 53) as f64)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_data::uniforms;
    use super::*;

    #[test]
    fn percentiles_interpolate() {
        let s = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile_sorted(&s, 0.5), Some(3.0));
        assert_eq!(percentile_sorted(&s, 0.25), Some(2.0));
        assert_eq!(percentile_sorted(&[], 0.5), None);
    }

    #[test]
    fn encoded_state_round_trips_exactly() {
        for n in [0, 5, 1024, 1025, 4000] {
            let xs: Vec<f64> = uniforms(n, 8)
                .iter()
                .enumerate()
                .map(|(i, u)| if i % 9 == 0 { 0.0 } else { (u - 0.3) * 1e3 })
                .collect();
            let mut q = QuantileSketch::default();
            let mut s = ExactSum::default();
            for &x in &xs {
                q.push(x);
                s.add(x);
            }
            let q2 = QuantileSketch::decode(&q.encode()).unwrap();
            assert_eq!(q2.encode(), q.encode());
            let s2 = ExactSum::decode(&s.encode()).unwrap();
            assert_eq!(s2.value().to_bits(), s.value().to_bits());
            for p in [0.0, 0.05, 0.5, 0.95, 1.0] {
                assert_eq!(q2.quantile(p), q.quantile(p));
            }
        }
        for bad in [
            "",
            "n=2 exact=0000000000000000",
            "n=1 zeros=2 pos=0: neg=0:",
            "n=x",
        ] {
            assert!(QuantileSketch::decode(bad).is_err(), "{bad}");
        }
        assert!(ExactSum::decode("zz").is_err());
        assert_eq!(f64_from_hex(&f64_to_hex(-0.1)), Ok(-0.1));
    }
}
