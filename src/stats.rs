//! Estimates across replications: means with Student-t intervals, percentiles in bounded memory,
//! and paired differences between policies.
//!
//! Everything here is online (one pass, bounded memory) so that an experiment's memory does not
//! grow with its number of replications, and is fed in replication order so that results are
//! the same bytes whatever the thread count.

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

/// A sum of floating-point numbers that is exact until the final rounding (Shewchuk's
/// algorithm, as Python's `math.fsum`): the result is the correctly rounded true sum, so it
/// does not depend on the order of the terms nor on how they were split and merged. Shards of
/// an experiment merged in any order give the same bits as one sequential run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExactSum {
    /// Non-overlapping partial sums, increasing in magnitude; their exact sum is the total.
    partials: Vec<f64>,
}

impl ExactSum {
    /// Adds a finite term (non-finite terms are ignored).
    pub fn add(&mut self, mut x: f64) {
        if !x.is_finite() {
            return;
        }
        let mut i = 0;
        for j in 0..self.partials.len() {
            let mut y = self.partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                self.partials[i] = lo;
                i += 1;
            }
            x = hi;
        }
        self.partials.truncate(i);
        self.partials.push(x);
    }

    /// Adds every term of another sum.
    pub fn merge(&mut self, other: &ExactSum) {
        for &p in &other.partials {
            self.add(p);
        }
    }

    /// The correctly rounded sum.
    pub fn value(&self) -> f64 {
        let p = &self.partials;
        let mut n = p.len();
        if n == 0 {
            return 0.0;
        }
        n -= 1;
        let mut hi = p[n];
        let mut lo = 0.0;
        while n > 0 {
            let x = hi;
            let y = p[n - 1];
            n -= 1;
            hi = x + y;
            let yr = hi - x;
            lo = y - yr;
            if lo != 0.0 {
                break;
            }
        }
        // Round half-way cases correctly, as fsum does.
        if n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0)) {
            let y = lo * 2.0;
            let x = hi + y;
            if y == x - hi {
                hi = x;
            }
        }
        hi
    }
}

/// An `f64` as 16 hexadecimal digits of its bits: lossless, whatever the value.
pub fn f64_to_hex(x: f64) -> String {
    format!("{:016x}", x.to_bits())
}

/// Reads what [`f64_to_hex`] wrote.
///
/// # Errors
/// Not 16 hexadecimal digits.
pub fn f64_from_hex(s: &str) -> Result<f64, String> {
    if s.len() != 16 {
        return Err(format!("`{s}` is not 16 hexadecimal digits"));
    }
    u64::from_str_radix(s, 16)
        .map(f64::from_bits)
        .map_err(|_| format!("`{s}` is not 16 hexadecimal digits"))
}

fn hex_list(xs: &[f64]) -> String {
    xs.iter()
        .map(|&x| f64_to_hex(x))
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_hex_list(s: &str) -> Result<Vec<f64>, String> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    s.split(',').map(f64_from_hex).collect()
}

impl ExactSum {
    /// The state as text (the partial sums' bits in hexadecimal, comma-separated), lossless:
    /// [`ExactSum::decode`] gives back a sum with the same exact value.
    pub fn encode(&self) -> String {
        hex_list(&self.partials)
    }

    /// Reads what [`ExactSum::encode`] wrote.
    ///
    /// # Errors
    /// A malformed number or a non-finite partial.
    pub fn decode(s: &str) -> Result<Self, String> {
        let mut sum = ExactSum::default();
        for x in parse_hex_list(s)? {
            if !x.is_finite() {
                return Err("a partial sum is not finite".into());
            }
            sum.add(x);
        }
        Ok(sum)
    }
}

/// Replications kept exactly before a [`QuantileSketch`] switches to buckets.
pub const SKETCH_EXACT: usize = 1024;
/// Relative accuracy of a [`QuantileSketch`] once it uses buckets: a reported percentile lies
/// within this share of the value of an observation whose rank is the one asked for.
pub const SKETCH_ALPHA: f64 = 0.005;
/// Magnitudes below this (in the metric's unit) are counted as zero by a bucketed sketch.
const SKETCH_MIN: f64 = 1e-9;

/// Percentiles across replications in bounded memory.
///
/// The first [`SKETCH_EXACT`] observations are kept exactly and percentiles are computed from
/// them by linear interpolation (type 7, as R and numpy do), so ordinary runs report exact
/// percentiles. Past that, the sketch moves every value into logarithmic buckets (the scheme of
/// DDSketch, Masson et al. 2019): bucket `i` holds magnitudes in `(g^(i-1), g^i]` with
/// `g = (1 + a) / (1 - a)`, `a =` [`SKETCH_ALPHA`], one bucket array for positive values and one
/// for negative ones, plus a count of zeros. A percentile is then the representative value of
/// the bucket holding the nearest-rank observation, within `a` relative error of it. Memory is
/// bounded by the range of magnitudes seen (about 2,770 buckets per sign for 12 decades), not by
/// the number of observations. Counts are integers, so the result does not depend on the order
/// of the observations once bucketed.
#[derive(Debug, Clone, Default)]
pub struct QuantileSketch {
    exact: Vec<f64>,
    bucketed: bool,
    pos: Buckets,
    neg: Buckets,
    zeros: u64,
    n: u64,
}

/// Dense counts over a contiguous range of bucket indices.
#[derive(Debug, Clone, Default)]
struct Buckets {
    offset: i32,
    counts: Vec<u64>,
}

impl Buckets {
    fn add(&mut self, i: i32) {
        self.add_n(i, 1);
    }
    fn add_n(&mut self, i: i32, c: u64) {
        if self.counts.is_empty() {
            self.offset = i;
            self.counts.push(0);
        } else if i < self.offset {
            let grow = (self.offset - i) as usize;
            let mut v = vec![0; grow];
            v.extend_from_slice(&self.counts);
            self.counts = v;
            self.offset = i;
        } else if i >= self.offset + self.counts.len() as i32 {
            self.counts.resize((i - self.offset) as usize + 1, 0);
        }
        self.counts[(i - self.offset) as usize] += c;
    }
    fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

fn gamma() -> f64 {
    (1.0 + SKETCH_ALPHA) / (1.0 - SKETCH_ALPHA)
}

fn bucket_index(magnitude: f64) -> i32 {
    (magnitude.ln() / gamma().ln()).ceil() as i32
}

fn bucket_value(i: i32) -> f64 {
    let g = gamma();
    2.0 * g.powi(i) / (g + 1.0)
}

impl QuantileSketch {
    /// Adds one observation; non-finite values are ignored.
    pub fn push(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        self.n += 1;
        if self.bucketed {
            self.bucket(x);
            return;
        }
        self.exact.push(x);
        if self.exact.len() > SKETCH_EXACT {
            self.bucketed = true;
            for x in std::mem::take(&mut self.exact) {
                self.bucket(x);
            }
        }
    }

    fn bucket(&mut self, x: f64) {
        if x.abs() < SKETCH_MIN {
            self.zeros += 1;
        } else if x > 0.0 {
            self.pos.add(bucket_index(x));
        } else {
            self.neg.add(bucket_index(-x));
        }
    }

    /// Adds every observation of another sketch. The result is the same as pushing them one
    /// by one, in any order: exact values are sorted before use, bucket counts are integers.
    pub fn merge(&mut self, other: &QuantileSketch) {
        if !self.bucketed && !other.bucketed && self.exact.len() + other.exact.len() <= SKETCH_EXACT
        {
            self.exact.extend_from_slice(&other.exact);
            self.n += other.n;
            return;
        }
        if !self.bucketed {
            self.bucketed = true;
            for x in std::mem::take(&mut self.exact) {
                self.bucket(x);
            }
        }
        self.n += other.n;
        if other.bucketed {
            self.zeros += other.zeros;
            for (b, o) in [(&mut self.pos, &other.pos), (&mut self.neg, &other.neg)] {
                for (j, &c) in o.counts.iter().enumerate() {
                    if c > 0 {
                        b.add_n(o.offset + j as i32, c);
                    }
                }
            }
        } else {
            for &x in &other.exact {
                self.bucket(x);
            }
        }
    }

    /// Observations so far.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// Whether the sketch still holds every observation exactly.
    pub fn is_exact(&self) -> bool {
        !self.bucketed
    }

    /// The `p` quantile (0..=1); `None` without observations.
    pub fn quantile(&self, p: f64) -> Option<f64> {
        if self.n == 0 {
            return None;
        }
        if !self.bucketed {
            let mut s = self.exact.clone();
            s.sort_by(f64::total_cmp);
            return percentile_sorted(&s, p);
        }
        // Nearest rank (0-based) of the observation asked for.
        let rank = ((self.n - 1) as f64 * p.clamp(0.0, 1.0)).round() as u64;
        let mut seen = 0u64;
        // Negative values, most negative first: highest magnitude bucket first.
        for (j, &c) in self.neg.counts.iter().enumerate().rev() {
            seen += c;
            if seen > rank {
                return Some(-bucket_value(self.neg.offset + j as i32));
            }
        }
        seen += self.zeros;
        if seen > rank {
            return Some(0.0);
        }
        for (j, &c) in self.pos.counts.iter().enumerate() {
            seen += c;
            if seen > rank {
                return Some(bucket_value(self.pos.offset + j as i32));
            }
        }
        debug_assert_eq!(self.neg.total() + self.zeros + self.pos.total(), self.n);
        None
    }

    /// The state as one line of text, lossless (values as hexadecimal bits):
    /// `n=N exact=X,X,..` while exact, `n=N zeros=Z pos=OFFSET:C,C,.. neg=OFFSET:C,C,..` once
    /// bucketed. [`QuantileSketch::decode`] gives back a sketch with the same quantiles and
    /// the same merges.
    pub fn encode(&self) -> String {
        if !self.bucketed {
            return format!("n={} exact={}", self.n, hex_list(&self.exact));
        }
        let b = |x: &Buckets| {
            let c: Vec<String> = x.counts.iter().map(u64::to_string).collect();
            format!("{}:{}", x.offset, c.join(","))
        };
        format!(
            "n={} zeros={} pos={} neg={}",
            self.n,
            self.zeros,
            b(&self.pos),
            b(&self.neg)
        )
    }

    /// Reads what [`QuantileSketch::encode`] wrote, checking that the counts add up.
    ///
    /// # Errors
    /// Malformed text or inconsistent counts, in words.
    pub fn decode(s: &str) -> Result<Self, String> {
        let mut q = QuantileSketch::default();
        let mut n = None;
        for field in s.split_whitespace() {
            let (key, value) = field
                .split_once('=')
                .ok_or_else(|| format!("`{field}` is not KEY=VALUE"))?;
            let count = |v: &str| {
                v.parse::<u64>()
                    .map_err(|_| format!("`{v}` in {key} is not a count"))
            };
            let buckets = |v: &str| -> Result<Buckets, String> {
                let (off, counts) = v
                    .split_once(':')
                    .ok_or_else(|| format!("{key}=`{v}` is not OFFSET:COUNTS"))?;
                let offset: i32 = off
                    .parse()
                    .map_err(|_| format!("`{off}` in {key} is not a bucket index"))?;
                let counts = if counts.is_empty() {
                    Vec::new()
                } else {
                    counts
                        .split(',')
                        .map(count)
                        .collect::<Result<Vec<_>, _>>()?
                };
                // Real indices stay within a few thousand of zero (magnitudes 1e-9..1e300).
                if offset.abs() > 1_000_000 || counts.len() > 1_000_000 {
                    return Err(format!("{key}: bucket range out of bounds"));
                }
                Ok(Buckets { offset, counts })
            };
            match key {
                "n" => n = Some(count(value)?),
                "exact" => q.exact = parse_hex_list(value)?,
                "zeros" => {
                    q.bucketed = true;
                    q.zeros = count(value)?;
                }
                "pos" => q.pos = buckets(value)?,
                "neg" => q.neg = buckets(value)?,
                _ => return Err(format!("unknown field `{key}`")),
            }
        }
        q.n = n.ok_or("the count n= is missing")?;
        if q.bucketed {
            let total = q
                .zeros
                .checked_add(q.pos.total())
                .and_then(|t| t.checked_add(q.neg.total()));
            if !q.exact.is_empty() || total != Some(q.n) {
                return Err(format!("bucket counts do not add up to n={}", q.n));
            }
        } else if q.exact.len() as u64 != q.n
            || q.exact.len() > SKETCH_EXACT
            || q.exact.iter().any(|x| !x.is_finite())
        {
            return Err(format!(
                "n={} does not match {} exact finite values (at most {SKETCH_EXACT})",
                q.n,
                q.exact.len()
            ));
        }
        Ok(q)
    }

    /// Bytes held on the heap (for tests of bounded memory).
    pub fn heap_bytes(&self) -> usize {
        self.exact.capacity() * 8 + (self.pos.counts.capacity() + self.neg.counts.capacity()) * 8
    }
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
    /// Deterministic pseudo-random uniforms for tests (SplitMix64).
    fn uniforms(n: usize, seed: u64) -> Vec<f64> {
        (0..n as u64)
            .map(|i| (crate::rng::mix64(seed ^ i) >> 11) as f64 / (1u64 << 53) as f64)
            .collect()
    }

    #[test]
    fn sketch_is_exact_for_small_samples() {
        let xs = uniforms(500, 1);
        let mut q = QuantileSketch::default();
        xs.iter().for_each(|&x| q.push(x));
        let mut s = xs.clone();
        s.sort_by(f64::total_cmp);
        assert!(q.is_exact());
        for p in [0.0, 0.05, 0.5, 0.95, 1.0] {
            assert_eq!(q.quantile(p), percentile_sorted(&s, p));
        }
    }

    #[test]
    fn sketch_stays_within_its_relative_accuracy() {
        // Mixed signs, zeros, and magnitudes over six decades: 200,000 observations.
        let n = 200_000;
        let xs: Vec<f64> = uniforms(n, 2)
            .iter()
            .zip(uniforms(n, 3))
            .map(|(&u, v)| {
                if u < 0.05 {
                    0.0
                } else {
                    let mag = 10f64.powf(v * 6.0 - 3.0);
                    if u < 0.3 { -mag } else { mag }
                }
            })
            .collect();
        let mut q = QuantileSketch::default();
        xs.iter().for_each(|&x| q.push(x));
        assert!(!q.is_exact());
        assert_eq!(q.n(), n as u64);
        let mut s = xs.clone();
        s.sort_by(f64::total_cmp);
        for p in [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99] {
            let got = q.quantile(p).unwrap();
            let rank = ((n - 1) as f64 * p).round() as usize;
            let want = s[rank];
            assert!(
                (got - want).abs() <= SKETCH_ALPHA * want.abs() + 1e-12,
                "p{p}: sketch {got}, exact {want}"
            );
        }
        // Bounded memory: far less than the observations themselves.
        assert!(q.heap_bytes() < 8 * 6000, "{} bytes", q.heap_bytes());
    }

    #[test]
    fn sketch_memory_does_not_grow_with_observations() {
        let mut a = QuantileSketch::default();
        let mut b = QuantileSketch::default();
        for (i, &u) in uniforms(1_000_000, 4).iter().enumerate() {
            let x = 50.0 + 10.0 * (u - 0.5);
            if i < 20_000 {
                a.push(x);
            }
            b.push(x);
        }
        assert!(b.heap_bytes() <= a.heap_bytes() + 64);
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

    #[test]
    fn exact_sum_ignores_order_and_splitting() {
        let xs: Vec<f64> = uniforms(5000, 6)
            .iter()
            .enumerate()
            .map(|(i, u)| (u - 0.5) * 10f64.powi((i % 17) as i32 - 8))
            .collect();
        let mut a = ExactSum::default();
        xs.iter().for_each(|&x| a.add(x));
        let mut b = ExactSum::default();
        xs.iter().rev().for_each(|&x| b.add(x));
        let (mut c1, mut c2, mut c3) = (
            ExactSum::default(),
            ExactSum::default(),
            ExactSum::default(),
        );
        for (i, &x) in xs.iter().enumerate() {
            [&mut c1, &mut c2, &mut c3][i % 3].add(x);
        }
        let mut c: ExactSum = c3;
        c.merge(&c1);
        c.merge(&c2);
        assert_eq!(a.value().to_bits(), b.value().to_bits());
        assert_eq!(a.value().to_bits(), c.value().to_bits());
        // Exact where naive summation is not.
        let mut s = ExactSum::default();
        for x in [1e16, 1.0, -1e16, 1.0] {
            s.add(x);
        }
        assert_eq!(s.value(), 2.0);
        assert_eq!(ExactSum::default().value(), 0.0);
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

    #[test]
    fn merged_sketches_equal_one_sketch() {
        for n in [300, 3000] {
            let xs: Vec<f64> = uniforms(n, 7).iter().map(|u| (u - 0.2) * 100.0).collect();
            let mut one = QuantileSketch::default();
            xs.iter().for_each(|&x| one.push(x));
            let mut parts = vec![QuantileSketch::default(); 7];
            for (i, &x) in xs.iter().enumerate() {
                parts[i % 7].push(x);
            }
            let mut merged = QuantileSketch::default();
            for p in parts.iter().rev() {
                merged.merge(p);
            }
            assert_eq!(merged.n(), one.n());
            for p in [0.0, 0.05, 0.5, 0.95, 1.0] {
                assert_eq!(merged.quantile(p), one.quantile(p), "n {n} p {p}");
            }
        }
    }
}
