//! Charts 9 and 10, the lead-time and cycle-time histograms: how long cards took, card by card,
//! from `card_times.csv` (every card finished after warm-up in every replication, pooled), one
//! panel per policy on a shared axis, with the 50th and 85th percentiles marked.
//!
//! How to read it: a bar is the share of cards that took that long. Half the cards took no
//! longer than the 50th percentile line; 85% no longer than the 85th: "85% of cards are done
//! within D working days" is the service-level expectation coaches give. Times are in working
//! days of the scenario's calendar (calendar days round the clock), with hours in the labels:
//! a week of calendar hours (168) reads as far more work than five working days.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::DrawResult;
use super::data::{CardTimeRow, RunData};
use super::layout::{house_mesh, no_data, policy_frame, value_chart};
use super::style::{INK, Style, fmt_num, fmt_tick, policy_colours};

/// Which per-card time a histogram shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Arrival to done.
    Lead,
    /// Commitment to done.
    Cycle,
}

impl Measure {
    /// The `measure` column of `card_times.csv`.
    pub fn column(self) -> &'static str {
        match self {
            Measure::Lead => "lead_time",
            Measure::Cycle => "cycle_time",
        }
    }

    /// The chart's title.
    pub fn title(self) -> &'static str {
        match self {
            Measure::Lead => "Lead time of each card: arrival to done",
            Measure::Cycle => "Cycle time of each card: commitment to done",
        }
    }

    /// The file stem.
    pub fn stem(self) -> &'static str {
        match self {
            Measure::Lead => "lead_time_histogram",
            Measure::Cycle => "cycle_time_histogram",
        }
    }
}

/// The bins of one policy and measure, in time order: `(low_h, high_h, cards)`.
fn bins(d: &RunData, policy: &str, m: Measure) -> Vec<(f64, f64, f64)> {
    let mut v: Vec<(f64, f64, f64)> = d
        .card_times
        .iter()
        .filter(|r: &&CardTimeRow| r.policy == policy && r.measure == m.column())
        .map(|r| (r.low_h, r.high_h.max(r.low_h), r.cards.max(0.0)))
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v
}

/// The `p`-quantile (0 < p < 1) of pooled bins, interpolated within its bin; `None` without
/// cards.
pub fn quantile(bins: &[(f64, f64, f64)], p: f64) -> Option<f64> {
    let total: f64 = bins.iter().map(|b| b.2).sum();
    if total <= 0.0 {
        return None;
    }
    let want = p * total;
    let mut cum = 0.0;
    for &(lo, hi, n) in bins {
        if n > 0.0 && cum + n >= want {
            return Some(lo + (hi - lo) * ((want - cum) / n).clamp(0.0, 1.0));
        }
        cum += n;
    }
    bins.last().map(|b| b.1)
}

/// Spreads pooled bins over `n` equal display bins from 0 to `top` (uniform within a source
/// bin); what lies beyond `top` is returned apart. Shares of all cards.
fn rebin(bins: &[(f64, f64, f64)], top: f64, n: usize) -> (Vec<f64>, f64) {
    let total: f64 = bins.iter().map(|b| b.2).sum::<f64>().max(1e-12);
    let w = top / n as f64;
    let mut out = vec![0.0; n];
    let mut beyond = 0.0;
    for &(lo, hi, c) in bins {
        if lo >= top {
            beyond += c;
            continue;
        }
        let width = (hi - lo).max(1e-12);
        let first = ((lo / w) as usize).min(n - 1);
        for (i, slot) in out.iter_mut().enumerate().skip(first) {
            let (a, b) = (i as f64 * w, (i + 1) as f64 * w);
            if a >= hi {
                break;
            }
            let overlap = (hi.min(b) - lo.max(a)).max(0.0);
            *slot += c * overlap / width;
        }
        if hi > top {
            beyond += c * (hi - top) / width;
        }
    }
    (out.into_iter().map(|x| x / total).collect(), beyond / total)
}

/// "6.2 working days (149 h)", or hours alone when the calendar is unknown.
pub fn label_time(d: &RunData, h: f64) -> String {
    match d.days_per_hour {
        Some(per_h) => format!(
            "{} {} ({} h)",
            fmt_num(Some(h * per_h)),
            day_word(d),
            fmt_num(Some(h))
        ),
        None => format!("{} h", fmt_num(Some(h))),
    }
}

fn day_word(d: &RunData) -> &'static str {
    if d.round_the_clock {
        "days"
    } else {
        "working days"
    }
}

/// Draws the histogram of `m`.
///
/// # Errors
/// The drawing backend fails.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &RunData,
    st: &Style,
    m: Measure,
) -> DrawResult {
    let all: Vec<Vec<(f64, f64, f64)>> = d.policies.iter().map(|p| bins(d, p, m)).collect();
    let cards: Vec<f64> = all.iter().map(|b| b.iter().map(|x| x.2).sum()).collect();
    let sub = format!(
        "every card finished after warm-up, all replications pooled; bar = share of a policy's cards; dashed lines = 50th and 85th percentiles (half the cards took no longer than the first, 85% no longer than the second). Times in {} of the calendar.",
        if d.days_per_hour.is_some() {
            day_word(d)
        } else {
            "hours"
        }
    );
    let plot = policy_frame(area, st, d, m.title(), &sub)?;
    if cards.iter().all(|&c| c <= 0.0) {
        return no_data(
            &plot,
            st,
            "No per-card times in this output folder (card_times.csv is missing: flowsim versions before issue 17 did not write it, or no card finished).",
        );
    }
    // A shared axis up to the largest 98th percentile: the long tail is counted, not drawn.
    let top_h = all
        .iter()
        .filter_map(|b| quantile(b, 0.98))
        .fold(0.0f64, f64::max)
        .max(1e-6);
    let per = d.days_per_hour.unwrap_or(1.0);
    let top = top_h * per;
    let n_bins = 40;
    let colours = policy_colours(&d.policies);
    let np = d.policies.len();
    let panels = plot.split_evenly((np.max(1), 1));
    let shares: Vec<(Vec<f64>, f64)> = all
        .iter()
        .map(|b| {
            let scaled: Vec<(f64, f64, f64)> =
                b.iter().map(|&(l, h, c)| (l * per, h * per, c)).collect();
            rebin(&scaled, top, n_bins)
        })
        .collect();
    let y1 = shares
        .iter()
        .flat_map(|(s, _)| s.iter().copied())
        .fold(0.0f64, f64::max)
        .max(1e-6)
        * 100.0
        * 1.5;
    let unit = if d.days_per_hour.is_some() {
        day_word(d)
    } else {
        "hours"
    };
    for (k, panel) in panels.iter().enumerate().take(np) {
        let last = k + 1 == np;
        let (caption, body) = panel.split_vertically(st.px(Style::VALUE + 8.0));
        let mut builder = value_chart(&body, st, (0.0, y1))?;
        builder.x_label_area_size(if last {
            st.px(Style::TICK + Style::AXIS + 30.0)
        } else {
            st.px(Style::TICK + 12.0)
        });
        let mut chart = builder.build_cartesian_2d(0.0..top, 0.0..y1)?;
        let xlf = |v: &f64| fmt_tick(*v);
        let ylf = |v: &f64| format!("{}%", fmt_tick(*v));
        let x_desc = format!(
            "{} time ({unit})",
            if m == Measure::Lead { "lead" } else { "cycle" }
        );
        house_mesh(&mut chart.configure_mesh(), st)
            .x_desc(if last { x_desc.as_str() } else { "" })
            .y_desc("cards")
            .x_labels(12)
            .y_labels(4)
            .x_label_formatter(&xlf)
            .y_label_formatter(&ylf)
            .draw()?;
        let colour = colours[k];
        let w = top / n_bins as f64;
        chart.draw_series(shares[k].0.iter().enumerate().map(|(i, &s)| {
            Rectangle::new(
                [(i as f64 * w, 0.0), ((i as f64 + 1.0) * w, s * 100.0)],
                colour.mix(0.75).filled(),
            )
        }))?;
        let ink = st.font(Style::VALUE).color(&INK);
        let name = format!(
            "{}: {} cards{}",
            d.policies[k],
            fmt_num(Some(cards[k])),
            if shares[k].1 > 0.0005 {
                format!(", {}% beyond the axis", fmt_num(Some(shares[k].1 * 100.0)))
            } else {
                String::new()
            }
        );
        let (pw, _) = caption.dim_in_pixel();
        caption.draw_text(
            &name,
            &st.bold(Style::VALUE + 2.0)
                .color(&colour)
                .pos(Pos::new(HPos::Right, VPos::Top)),
            (pw as i32 - st.px(Style::MARGIN * 1.5) as i32, 0),
        )?;
        // The 50th percentile's label left of its line, the 85th's right of it, on one row
        // above the bars; near an edge a label turns inwards and takes a row of its own.
        let q50 = quantile(&all[k], 0.50).map(|q| q * per);
        let q85 = quantile(&all[k], 0.85).map(|q| q * per);
        // `true` = the label runs to the right of its line.
        let r50 = !q50.is_some_and(|x| x > top * 0.3);
        let r85 = q85.is_some_and(|x| x < top * 0.7);
        let clash = r50 == r85;
        for (p, q, anchor, row) in [
            (50, q50, r50, 0.0),
            (85, q85, r85, if clash { 1.0 } else { 0.0 }),
        ] {
            let Some(x) = q else {
                continue;
            };
            let dash = ShapeStyle {
                color: INK.to_rgba(),
                filled: false,
                stroke_width: st.px(2.5),
            };
            chart.draw_series(DashedLineSeries::new(
                [(x, 0.0), (x, y1 * 0.9)],
                st.px(10.0),
                st.px(6.0),
                dash,
            ))?;
            let pad = top * 0.006 * if anchor { 1.0 } else { -1.0 };
            let anchor = if anchor { HPos::Left } else { HPos::Right };
            let text = format!("{p}%: {}", label_time(d, x / per));
            chart.draw_series(std::iter::once(Text::new(
                text,
                (x + pad, y1 * (0.88 - 0.13 * row)),
                ink.clone().pos(Pos::new(anchor, VPos::Bottom)),
            )))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_within_bins() {
        let b = vec![(0.0, 10.0, 50.0), (10.0, 20.0, 50.0)];
        assert!((quantile(&b, 0.5).unwrap() - 10.0).abs() < 1e-9);
        assert!((quantile(&b, 0.75).unwrap() - 15.0).abs() < 1e-9);
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn rebinning_keeps_every_card() {
        let b = vec![(0.0, 3.0, 30.0), (3.0, 9.0, 60.0), (9.0, 30.0, 10.0)];
        let (s, beyond) = rebin(&b, 10.0, 5);
        let sum: f64 = s.iter().sum::<f64>() + beyond;
        assert!((sum - 1.0).abs() < 1e-9, "{sum}");
        assert!(beyond > 0.0);
    }
}
