//! Probability distributions for efforts and durations, in hours.

use crate::rng::Stream;
use rand::RngExt;
use rand::distr::Distribution;
use rand_distr::{Exp, Gamma, LogNormal, Triangular, Uniform};
use std::sync::Arc;

/// A distribution of a non-negative duration in hours.
#[derive(Debug, Clone)]
pub enum Dist {
    /// Always the same value.
    Constant(f64),
    /// Uniform between `min` and `max`.
    Uniform {
        /// Sampler.
        d: Uniform<f64>,
        /// Lower bound (hours).
        min: f64,
        /// Upper bound (hours).
        max: f64,
    },
    /// Triangular with `min`, `mode`, `max`.
    Triangular {
        /// Sampler.
        d: Triangular<f64>,
        /// Mean (hours).
        mean: f64,
    },
    /// Exponential with the given mean.
    Exponential {
        /// Sampler.
        d: Exp<f64>,
        /// Mean (hours).
        mean: f64,
    },
    /// Lognormal given its own mean and standard deviation (not those of the underlying normal).
    LogNormal {
        /// Sampler.
        d: LogNormal<f64>,
        /// Mean (hours).
        mean: f64,
        /// Standard deviation (hours).
        sd: f64,
    },
    /// Gamma with shape k and the given mean (Erlang when k is a whole number).
    Gamma {
        /// Sampler.
        d: Gamma<f64>,
        /// Mean (hours).
        mean: f64,
        /// Shape parameter k.
        shape: f64,
    },
    /// The team's own numbers: each draw is one of `values`, each equally likely (a bootstrap
    /// of the observed sample).
    Empirical {
        /// The observed values (hours), at least one.
        values: Arc<[f64]>,
        /// Their mean (hours).
        mean: f64,
        /// Their variance (hours squared, population form).
        var: f64,
    },
}

/// Why a distribution's parameters cannot hold.
pub type DistError = String;

impl Dist {
    /// A constant; must be finite and non-negative.
    pub fn constant(v: f64) -> Result<Self, DistError> {
        check_nonneg("value", v)?;
        Ok(Dist::Constant(v))
    }
    /// Uniform on [min, max].
    pub fn uniform(min: f64, max: f64) -> Result<Self, DistError> {
        check_nonneg("min", min)?;
        check_nonneg("max", max)?;
        if max < min {
            return Err(format!("max ({max}) must not be below min ({min})"));
        }
        let d = Uniform::new_inclusive(min, max).map_err(|e| e.to_string())?;
        Ok(Dist::Uniform { d, min, max })
    }
    /// Triangular with mode between min and max.
    pub fn triangular(min: f64, mode: f64, max: f64) -> Result<Self, DistError> {
        check_nonneg("min", min)?;
        check_nonneg("mode", mode)?;
        check_nonneg("max", max)?;
        if !(min <= mode && mode <= max) || min == max {
            return Err(format!(
                "need min <= mode <= max with min < max (got min {min}, mode {mode}, max {max})"
            ));
        }
        let d = Triangular::new(min, max, mode).map_err(|e| e.to_string())?;
        Ok(Dist::Triangular {
            d,
            mean: (min + mode + max) / 3.0,
        })
    }
    /// Exponential with the given mean (> 0).
    pub fn exponential(mean: f64) -> Result<Self, DistError> {
        check_pos("mean", mean)?;
        let d = Exp::new(1.0 / mean).map_err(|e| e.to_string())?;
        Ok(Dist::Exponential { d, mean })
    }
    /// Lognormal with the given mean (> 0) and standard deviation (> 0).
    pub fn lognormal(mean: f64, sd: f64) -> Result<Self, DistError> {
        check_pos("mean", mean)?;
        check_pos("sd", sd)?;
        let s2 = (1.0 + (sd / mean).powi(2)).ln();
        let mu = mean.ln() - s2 / 2.0;
        let d = LogNormal::new(mu, s2.sqrt()).map_err(|e| e.to_string())?;
        Ok(Dist::LogNormal { d, mean, sd })
    }
    /// Gamma with shape k (> 0) and the given mean (> 0); Erlang-k when k is whole.
    pub fn gamma(shape: f64, mean: f64) -> Result<Self, DistError> {
        if !(shape.is_finite() && shape > 0.0 && shape <= 1e6) {
            return Err(format!(
                "shape must be above 0 and at most 1e6 (got {shape})"
            ));
        }
        check_pos("mean", mean)?;
        let d = Gamma::new(shape, mean / shape).map_err(|e| e.to_string())?;
        Ok(Dist::Gamma { d, mean, shape })
    }

    /// The empirical distribution of observed values (at least one, each finite, at least 0
    /// and at most `MAX_HOURS`).
    pub fn empirical(values: &[f64]) -> Result<Self, DistError> {
        if values.is_empty() {
            return Err("an empirical distribution needs at least one value".into());
        }
        for (i, &v) in values.iter().enumerate() {
            check_nonneg(&format!("value {}", i + 1), v)?;
        }
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        Ok(Dist::Empirical {
            values: values.into(),
            mean,
            var,
        })
    }

    /// Draws one value (hours, never negative, always finite: a draw that overflows is held
    /// at `MAX_HOURS`).
    #[inline]
    pub fn sample(&self, rng: &mut Stream) -> f64 {
        let x = match self {
            Dist::Constant(v) => *v,
            Dist::Uniform { d, .. } => d.sample(rng),
            Dist::Triangular { d, .. } => d.sample(rng),
            Dist::Exponential { d, .. } => d.sample(rng),
            Dist::LogNormal { d, .. } => d.sample(rng),
            Dist::Gamma { d, .. } => d.sample(rng),
            Dist::Empirical { values, .. } => values[rng.random_range(0..values.len())],
        };
        if (0.0..=MAX_HOURS).contains(&x) {
            x
        } else if x > MAX_HOURS {
            MAX_HOURS
        } else {
            0.0
        }
    }

    /// The distribution's mean (hours).
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Constant(v) => *v,
            Dist::Uniform { min, max, .. } => (min + max) / 2.0,
            Dist::Triangular { mean, .. }
            | Dist::Exponential { mean, .. }
            | Dist::LogNormal { mean, .. }
            | Dist::Gamma { mean, .. }
            | Dist::Empirical { mean, .. } => *mean,
        }
    }

    /// Squared coefficient of variation (variance / mean squared); 0 for a zero mean.
    pub fn scv(&self) -> f64 {
        let m = self.mean();
        if m == 0.0 {
            return 0.0;
        }
        let var = match self {
            Dist::Constant(_) => 0.0,
            Dist::Uniform { min, max, .. } => (max - min).powi(2) / 12.0,
            Dist::Triangular { .. } => return f64::NAN,
            Dist::Exponential { mean, .. } => mean * mean,
            Dist::LogNormal { sd, .. } => sd * sd,
            Dist::Gamma { mean, shape, .. } => mean * mean / shape,
            Dist::Empirical { var, .. } => *var,
        };
        var / (m * m)
    }
}

/// The longest duration a distribution may describe (hours; about 114,000 years).
pub const MAX_HOURS: f64 = 1e9;

fn check_nonneg(name: &str, v: f64) -> Result<(), DistError> {
    check_hours(name, v, true)
}

fn check_pos(name: &str, v: f64) -> Result<(), DistError> {
    check_hours(name, v, false)
}

/// Checks a parameter in hours: finite, at most `MAX_HOURS`, and at least 0 (`zero_ok`) or
/// above 0.
fn check_hours(name: &str, v: f64, zero_ok: bool) -> Result<(), DistError> {
    let (in_range, bound) = if zero_ok {
        (v >= 0.0, ">= 0")
    } else {
        (v > 0.0, "> 0")
    };
    if !v.is_finite() || !in_range {
        return Err(format!("{name} must be a finite number {bound} (got {v})"));
    }
    if v > MAX_HOURS {
        return Err(format!(
            "{name} must be at most {MAX_HOURS:e} hours (got {v})"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{StreamKind, Streams};

    fn sample_mean(d: &Dist, n: usize) -> f64 {
        let mut r = Streams::new(7, 0).stream(StreamKind::Card, 0);
        (0..n).map(|_| d.sample(&mut r)).sum::<f64>() / n as f64
    }

    #[test]
    fn means_match_parameters() {
        // 200k draws: the standard error of the mean is below 0.5% of it for these shapes.
        for d in [
            Dist::exponential(3.0).unwrap(),
            Dist::lognormal(4.0, 2.0).unwrap(),
            Dist::gamma(3.0, 5.0).unwrap(),
            Dist::uniform(1.0, 3.0).unwrap(),
            Dist::triangular(1.0, 2.0, 6.0).unwrap(),
        ] {
            let m = sample_mean(&d, 200_000);
            assert!((m / d.mean() - 1.0).abs() < 0.02, "{d:?}: {m}");
        }
    }

    #[test]
    fn empirical_draws_only_observed_values_with_their_mean() {
        let obs = [2.0, 3.0, 5.0, 8.0, 13.0, 4.0, 6.0];
        let d = Dist::empirical(&obs).unwrap();
        let n = 100_000;
        let mut r = Streams::new(11, 0).stream(StreamKind::Card, 0);
        let draws: Vec<f64> = (0..n).map(|_| d.sample(&mut r)).collect();
        assert!(draws.iter().all(|x| obs.contains(x)));
        // Mean within 4 standard errors of the sample's own mean.
        let m = draws.iter().sum::<f64>() / n as f64;
        let se = (d.scv() * d.mean() * d.mean() / n as f64).sqrt();
        assert!((m - d.mean()).abs() < 4.0 * se, "{m} vs {}", d.mean());
        assert!(Dist::empirical(&[]).is_err());
        assert!(Dist::empirical(&[1.0, -2.0]).is_err());
    }

    #[test]
    fn rejects_impossible_parameters() {
        assert!(Dist::exponential(-1.0).is_err());
        assert!(Dist::lognormal(1.0, -1.0).is_err());
        assert!(Dist::uniform(3.0, 1.0).is_err());
        assert!(Dist::triangular(1.0, 5.0, 3.0).is_err());
        assert!(Dist::gamma(0.0, 1.0).is_err());
        assert!(Dist::constant(f64::NAN).is_err());
    }
}
