//! `f64`s as text without loss (their bits in hexadecimal), for the states of [`ExactSum`] and
//! [`QuantileSketch`] that shards hand to `merge`.
//!
//! [`ExactSum`]: super::ExactSum
//! [`QuantileSketch`]: super::QuantileSketch

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

pub(super) fn hex_list(xs: &[f64]) -> String {
    xs.iter()
        .map(|&x| f64_to_hex(x))
        .collect::<Vec<_>>()
        .join(",")
}

pub(super) fn parse_hex_list(s: &str) -> Result<Vec<f64>, String> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    s.split(',').map(f64_from_hex).collect()
}
