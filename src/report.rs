//! Human-readable output: the side-by-side terminal table.

use crate::metrics::MetricInfo;
use crate::stats::Summary;

/// Formats a number for a table cell: 3 significant figures, or `-` when undefined.
pub fn cell(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(0.0) => "0".into(),
        Some(x) if x.abs() >= 100.0 => format!("{x:.0}"),
        Some(x) if x.abs() >= 10.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.2}"),
    }
}

/// A table with one row per metric and one column per policy: `mean ±half-width`.
pub fn table(cat: &[MetricInfo], policies: &[&str], s: &[Vec<Summary>]) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut head = vec!["metric".to_string(), "unit".to_string()];
    head.extend(policies.iter().map(|p| p.to_string()));
    rows.push(head);
    for (m, info) in cat.iter().enumerate() {
        let mut row = vec![info.name.clone(), info.unit.to_string()];
        for per in s {
            let x = per[m];
            let txt = match (x.mean, x.ci95) {
                (Some(mean), Some((lo, hi))) => {
                    format!("{} ±{}", cell(Some(mean)), cell(Some((hi - lo) / 2.0)))
                }
                (mean, _) => cell(mean),
            };
            row.push(txt);
        }
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        for (c, txt) in r.iter().enumerate() {
            if c < 2 {
                out.push_str(&format!("{txt:<w$}  ", w = widths[c]));
            } else {
                out.push_str(&format!("{txt:>w$}  ", w = widths[c]));
            }
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
        if i == 0 {
            out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
            out.push('\n');
        }
    }
    out
}
