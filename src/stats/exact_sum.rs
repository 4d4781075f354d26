//! An exactly rounded floating-point sum that any split and merge order leaves bit for bit
//! the same: what lets shards of an experiment merge into the bytes of one sequential run.

use super::hex::{hex_list, parse_hex_list};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::test_data::uniforms;

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
}
