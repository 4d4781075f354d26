//! Percentiles across replications in bounded memory: exact up to [`SKETCH_EXACT`] values,
//! then logarithmic buckets of relative accuracy [`SKETCH_ALPHA`], mergeable in any order.

use super::hex::{hex_list, parse_hex_list};
use super::percentile_sorted;

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
        self.into_buckets();
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

    /// Moves every exact value into buckets now, as the sketch does by itself past
    /// [`SKETCH_EXACT`] observations. A sketch that will be merged into more than
    /// [`SKETCH_EXACT`] observations in all ends in the same state either way (bucket counts
    /// are integers), so a shard may hand its part over bucketed, which is far smaller.
    pub fn into_buckets(&mut self) {
        if !self.bucketed {
            self.bucketed = true;
            for x in std::mem::take(&mut self.exact) {
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

    /// The `ps` quantiles, each as [`QuantileSketch::quantile`] gives it, sorting the exact
    /// values once.
    pub fn quantiles<const N: usize>(&self, ps: [f64; N]) -> [Option<f64>; N] {
        if self.n == 0 || self.bucketed {
            return ps.map(|p| self.quantile(p));
        }
        let mut s = self.exact.clone();
        s.sort_by(f64::total_cmp);
        ps.map(|p| percentile_sorted(&s, p))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::test_data::uniforms;

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

    #[test]
    fn parts_handed_over_bucketed_merge_to_one_sketch() {
        let xs: Vec<f64> = uniforms(3000, 8).iter().map(|u| (u - 0.3) * 50.0).collect();
        let mut one = QuantileSketch::default();
        xs.iter().for_each(|&x| one.push(x));
        let mut merged = QuantileSketch::default();
        for chunk in xs.chunks(500) {
            let mut part = QuantileSketch::default();
            chunk.iter().for_each(|&x| part.push(x));
            part.into_buckets();
            let part = QuantileSketch::decode(&part.encode()).unwrap();
            merged.merge(&part);
        }
        assert_eq!(merged.n(), one.n());
        assert!(!merged.is_exact());
        for p in [0.0, 0.01, 0.05, 0.5, 0.95, 0.99, 1.0] {
            assert_eq!(merged.quantile(p), one.quantile(p), "p {p}");
        }
    }
}
