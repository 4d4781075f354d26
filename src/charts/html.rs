//! `report.html`: one self-contained file with the whole story of a run, for people who will
//! not open a CSV. Inline SVG and CSS only: no network, no JavaScript, no external files
//! needed (the PNG and SVG files are linked for download, not needed to read it). Every piece
//! of text from the folder is HTML-escaped.

use std::fmt::Write;

use super::data::{DiffRow, RunData, Stat};
use super::layout::replications_per_policy;
use super::style::{fmt_num, hex, policy_colours};
use super::{ChartKind, Drawn};

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// How to read each chart, in one or two sentences (also the README's wording).
pub fn how_to_read(kind: &ChartKind) -> &'static str {
    match kind {
        ChartKind::Dashboard => {
            "The tiles give each policy's means over all replications; the four charts are the full-size throughput, start-to-done, WIP and idle-time charts in miniature, in the same colours. The throughput panel overlays the policies' bands for one or two policies, and draws a line per policy with its own marker and dash for three or more."
        }
        ChartKind::Throughput => {
            "One panel per policy on a shared axis: the coloured line is the mean week, the shaded band where 90% of replications fall, and the dark grey line with dots is replication 1 alone, the run chart one real board would show (the dashboard overlays the bands of one or two policies, lines beyond that). A higher band delivers more; a wider band is less predictable; a single board's bad week inside the band is noise."
        }
        ChartKind::Overtime => {
            "Hours worked beyond normal hours per person per week: the line is the mean over replications (overtime is often zero in most runs and large in a few), the band where 90% of replications fall. A policy without overtime lies flat on zero."
        }
        ChartKind::Idle => {
            "Hours per week a present person had nothing they could work on, by cause, with 95% intervals; the causes add up to the idle total. Starved: no card anywhere they could work; for release: the policy holds work until its next plan, replenishment or poll; elsewhere: cards they could do sit in colleagues' queues; blocked: no room downstream; on input: their own cards wait on missing input or a blocker; skill mismatch: work waits that they cannot do. The cause tells a team what to change."
        }
        ChartKind::StartToDone => {
            "Start to done runs from the first hour of work on a card to done, the same event under every policy. For each statistic of a run's start-to-done times (mean, 50th, 85th, 95th percentile), the bar spans the 5th to 95th percentile of that statistic across replications and the thick line marks its median. The 85th percentile is the usual forecast: 85% of cards finish within it. Lower and shorter is faster and more predictable."
        }
        ChartKind::Cfd => {
            "One panel per policy over the last 12 weeks (`--cfd-weeks N` on `run`, `sweep` and `chart`), done counted from the window's start. Bands top to bottom: backlog, ready (committed but not started: flow's ready column, push's planned queues), each stage in board order, done; every card is in exactly one band, so the top is the cards arrived. The thickness of a band is the cards in it; the horizontal gap between a band's top and the top of done is roughly how long a card takes. A band that keeps widening is a queue in front of a bottleneck; parallel edges mean a stable flow."
        }
        ChartKind::Wip => {
            "Committed cards not yet done, week by week: the median line of each policy with its own marker and dash (no shaded bands, which blend into grey). A line that keeps climbing means work is started faster than it is finished; by Little's law more WIP at the same throughput means longer lead times."
        }
        ChartKind::CardTimes(_) => {
            "Every card finished after warm-up, from all replications: a bar is the share of cards that took that long. Half the cards took no longer than the 50% line, 85% no longer than the 85% line: \"85% of cards are done within D working days\" is the service-level expectation to give. Times are in working days of the scenario's calendar, hours in brackets; a wide, long-tailed shape is an unpredictable process."
        }
        ChartKind::Deployments => {
            "The four key delivery measures that a pipeline adds: successful deployments per week (higher is better), the share of deployments that failed and had to be fixed or rolled back, and the mean time to restore service after a failure (lower is better). Bars are means over replications with 95% intervals."
        }
        ChartKind::Sweep(_) => {
            "How the metric responds to the varied parameter (named in words: \"system WIP limit (flow)\"): one line per policy (the mean) with a marker at each point and its 95% confidence band; a two-parameter sweep has one panel per value of the second, all on one y axis. A metric that is zero at every point (overtime in a flow-only sweep) gets no chart. Where bands do not overlap the policies clearly differ; a WIP-limit sweep of cycle time often shows a U-shape."
        }
    }
}

const CSS: &str = "nav.toc{background:#f7f7f7;border:1px solid #e3e3e3;padding:.6em 1.2em;margin:1em 0}nav.toc h2{margin:.2em 0;border:0;font-size:1.2em}nav.toc ul{margin:.3em 0;padding-left:1.2em;columns:2}nav.toc a{color:#0072b2}
.scroll{overflow-x:auto;max-width:100%}
body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;color:#222;max-width:1280px;margin:2em auto;padding:0 1.5em;line-height:1.45}
h1{font-size:2.2em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:2px solid #ddd;padding-bottom:.2em}
.meta{color:#555}.desc{font-size:1.2em}
ul.headlines li{margin:.3em 0}
table{border-collapse:collapse;font-size:.95em;margin:1em 0}table.sweep{font-size:.8em;width:100%;table-layout:fixed}table.sweep th{font-weight:600}table.sweep th,table.sweep td{padding:.3em .35em;overflow-wrap:anywhere}
td.m{overflow-wrap:anywhere}
th,td{border-bottom:1px solid #e3e3e3;padding:.35em .7em;text-align:right;vertical-align:top}
th{background:#f4f4f4}td.m,th.m{text-align:left}td .ci{display:block;color:#666;font-size:.85em}
figure{margin:2em 0}figure svg{width:100%;height:auto;border:1px solid #eee}
figcaption{color:#333;margin-top:.4em}figcaption a{color:#0072b2}
pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:1em;overflow-x:auto;font-size:.9em}
.swatch{display:inline-block;width:.9em;height:.9em;border-radius:2px;margin-right:.3em;vertical-align:-.1em}";

/// Headline metrics of the sentences: metric, words, and whether to speak in percent.
const HEADLINES: [(&str, &str, bool); 7] = [
    ("throughput_per_week", "cards finished per week", true),
    ("lead_time_mean_h", "mean lead time", true),
    (
        "start_to_done_p85_h",
        "85th-percentile start-to-done time",
        true,
    ),
    ("wip_mean", "work in progress", true),
    (
        "overtime_h_per_person_week",
        "overtime (h per person per week)",
        false,
    ),
    (
        "idle_h_per_person_week",
        "idle time, every cause (h per person per week)",
        false,
    ),
    (
        "blocked_h_per_person_week",
        "idle time blocked by no room downstream (h per person per week)",
        false,
    ),
];

fn signed_pct(x: f64) -> String {
    let p = x * 100.0;
    let s = if p.abs() >= 10.0 {
        format!("{p:+.0}%")
    } else {
        format!("{p:+.1}%")
    };
    s.replace('-', "−")
}

fn signed(x: f64) -> String {
    let s = fmt_num(Some(x));
    if x > 0.0 {
        format!("+{s}")
    } else {
        s.replace('-', "−")
    }
}

/// A headline sentence from a paired difference, or `None` when it has no interval.
pub fn sentence(r: &DiffRow, what: &str, relative: bool) -> Option<String> {
    let (est, lo, hi, f): (f64, f64, f64, fn(f64) -> String) = if relative {
        let (a, l, h) = r.rel?;
        (a, l, h, signed_pct)
    } else {
        (r.stat.mean?, r.stat.ci95_low?, r.stat.ci95_high?, signed)
    };
    let ci = format!("95% CI {} to {}", f(lo), f(hi));
    Some(if lo <= 0.0 && hi >= 0.0 {
        if est == 0.0 && lo == 0.0 && hi == 0.0 {
            format!("identical {what}")
        } else {
            format!("no clear difference in {what} ({ci})")
        }
    } else {
        format!("{what} {} ({ci})", f(est))
    })
}

fn swatch(c: plotters::style::RGBColor) -> String {
    format!(
        "<span class=\"swatch\" style=\"background:{}\"></span>",
        hex(c)
    )
}

/// Makes a plotters SVG scale with the page: adds a `viewBox` when it has none.
fn inline_svg(svg: &str) -> String {
    let svg = svg.trim_start();
    let svg = match svg.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or(svg, |(_, r)| r.trim_start()),
        None => svg,
    };
    if svg.contains("viewBox") {
        return svg.to_string();
    }
    let attr = |name: &str| -> Option<String> {
        let head = &svg[..svg.find('>')?];
        let i = head.find(&format!(" {name}=\""))? + name.len() + 3;
        let j = head[i..].find('"')? + i;
        Some(head[i..j].to_string())
    };
    match (attr("width"), attr("height")) {
        (Some(w), Some(h)) => svg.replacen("<svg ", &format!("<svg viewBox=\"0 0 {w} {h}\" "), 1),
        _ => svg.to_string(),
    }
}

/// A table cell: the mean, with its 95% confidence interval below when defined.
fn mean_cell(s: &Stat) -> String {
    let ci = match (s.ci95_low, s.ci95_high) {
        (Some(l), Some(h)) => format!(
            "<span class=\"ci\">{} to {}</span>",
            fmt_num(Some(l)),
            fmt_num(Some(h))
        ),
        _ => String::new(),
    };
    format!("{}{ci}", fmt_num(s.mean))
}

/// The contents list: the sections, then every chart by its title.
fn contents(d: &RunData, charts: &[Drawn]) -> String {
    let mut items = Vec::new();
    if d.differences
        .iter()
        .any(|r| HEADLINES.iter().any(|(m, _, _)| *m == r.metric))
    {
        items.push(("headlines".to_string(), "Headlines".to_string()));
    }
    if !d.summary.is_empty() {
        items.push(("summary".into(), "Summary table".into()));
    }
    if d.sweep.is_some() {
        items.push(("sweep".into(), "Sweep table".into()));
    }
    for c in charts {
        items.push((c.kind.stem(), c.title.clone()));
    }
    items.push(("scenario".into(), "Scenario".into()));
    let mut h = String::from("<nav class=\"toc\" id=\"contents\">\n<h2>Contents</h2>\n<ul>\n");
    for (id, title) in items {
        let _ = writeln!(
            h,
            "<li><a href=\"#{}\">{}</a></li>",
            escape(&id),
            escape(&title)
        );
    }
    h.push_str("</ul>\n</nav>\n");
    h
}

/// The whole report.
pub fn report(d: &RunData, charts: &[Drawn]) -> String {
    let colours = policy_colours(&d.policies);
    let colour_of = |p: &str| {
        d.policies
            .iter()
            .position(|x| x == p)
            .map_or(String::new(), |i| swatch(colours[i]))
    };
    let mut h = String::new();
    let name = escape(&d.scenario);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>flowsim report: {name}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n<h1>{name}</h1>\n"
    );
    if let Some(desc) = &d.description {
        let _ = writeln!(h, "<p class=\"desc\">{}</p>", escape(desc));
    }
    let mut meta = Vec::new();
    if d.is_sweep() {
        meta.push("parameter sweep".to_string());
    }
    meta.extend(replications_per_policy(d));
    if let Some(s) = d.manifest.seed {
        meta.push(format!("seed {s}"));
    }
    if !d.manifest.overrides.is_empty() {
        meta.push(format!("overrides: {}", d.manifest.overrides.join(", ")));
    }
    if let Some(s) = &d.sweep {
        for (i, p) in s.params.iter().enumerate() {
            let mut values: Vec<&str> = Vec::new();
            for r in &s.rows {
                if let Some(v) = r.values.get(i)
                    && !values.contains(&v.as_str())
                {
                    values.push(v);
                }
            }
            meta.push(format!(
                "varied: {} ({p}) = {}",
                super::sweep::param_words(p),
                values.join(", ")
            ));
        }
    }
    if let Some(v) = &d.manifest.version {
        meta.push(format!("flowsim {v}"));
    }
    let policies: Vec<String> = d
        .policies
        .iter()
        .map(|p| format!("{}{}", colour_of(p), escape(p)))
        .collect();
    let _ = writeln!(
        h,
        "<p class=\"meta\">{}<br>Policies: {}</p>",
        escape(&meta.join(" · ")),
        policies.join(", ")
    );
    h.push_str(&contents(d, charts));

    // Headlines from the paired differences.
    let mut lines = Vec::new();
    for r in &d.differences {
        if let Some((_, what, rel)) = HEADLINES.iter().find(|(m, _, _)| *m == r.metric)
            && let Some(s) = sentence(r, what, *rel)
        {
            lines.push(format!(
                "<li>{}<b>{}</b> compared with {}: {}.</li>",
                colour_of(&r.policy),
                escape(&r.policy),
                escape(&r.baseline),
                escape(&s)
            ));
        }
    }
    if !lines.is_empty() {
        let _ = writeln!(
            h,
            "<h2 id=\"headlines\">Headlines</h2>\n<p>Paired differences: every policy saw the same random arrivals, efforts and absences in each replication.</p>\n<ul class=\"headlines\">\n{}\n</ul>",
            lines.join("\n")
        );
    }

    if !d.summary.is_empty() {
        let _ = writeln!(
            h,
            "<h2 id=\"summary\">Summary</h2>\n<p>Mean over replications, with its 95% confidence interval below; – where undefined.</p>\n<div class=\"scroll\"><table class=\"summary\">\n<thead><tr><th class=\"m\">metric</th><th class=\"m\">unit</th>{}</tr></thead>\n<tbody>",
            d.policies
                .iter()
                .map(|p| format!("<th>{}{}</th>", colour_of(p), escape(p)))
                .collect::<String>()
        );
        let mut metrics: Vec<(&str, &str)> = Vec::new();
        for r in &d.summary {
            if !metrics.iter().any(|(m, _)| *m == r.metric) {
                metrics.push((&r.metric, &r.unit));
            }
        }
        for (m, unit) in metrics {
            let _ = write!(
                h,
                "<tr><td class=\"m\">{}</td><td class=\"m\">{}</td>",
                escape(m),
                escape(unit)
            );
            for p in &d.policies {
                let cell = d.stat(p, m).map_or("–".to_string(), |r| mean_cell(&r.stat));
                let _ = write!(h, "<td>{cell}</td>");
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody>\n</table></div>\n");
    }

    if let Some(s) = &d.sweep {
        let metrics = super::sweep::metrics(s);
        let _ = writeln!(
            h,
            "<h2 id=\"sweep\">Sweep</h2>\n<p>Mean at each point, with its 95% confidence interval below.</p>\n<div class=\"scroll\"><table class=\"summary sweep\">\n<thead><tr><th>point</th>{}<th class=\"m\">policy</th>{}</tr></thead>\n<tbody>",
            s.params
                .iter()
                .map(|p| format!(
                    "<th class=\"m\" title=\"{}\">{}</th>",
                    escape(p),
                    escape(&super::sweep::param_words(p))
                ))
                .collect::<String>(),
            metrics
                .iter()
                .map(|m| {
                    let unit = s
                        .rows
                        .iter()
                        .find(|r| r.metric == *m)
                        .map_or("", |r| r.unit.as_str());
                    format!(
                        "<th title=\"{}\">{}<br>({})</th>",
                        escape(m),
                        escape(super::sweep::words(m)),
                        escape(unit)
                    )
                })
                .collect::<String>()
        );
        let mut keys: Vec<(u32, &Vec<String>, &str)> = Vec::new();
        for r in &s.rows {
            if !keys.iter().any(|k| k.0 == r.point && k.2 == r.policy) {
                keys.push((r.point, &r.values, &r.policy));
            }
        }
        for (point, values, policy) in keys {
            let _ = write!(h, "<tr><td>{point}</td>");
            for v in values {
                let _ = write!(h, "<td class=\"m\">{}</td>", escape(v));
            }
            let _ = write!(
                h,
                "<td class=\"m\">{}{}</td>",
                colour_of(policy),
                escape(policy)
            );
            for m in &metrics {
                let cell = s
                    .rows
                    .iter()
                    .find(|r| r.point == point && r.policy == policy && r.metric == *m)
                    .map_or("–".to_string(), |r| mean_cell(&r.stat));
                let _ = write!(h, "<td>{cell}</td>");
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody>\n</table></div>\n");
    }

    if !charts.is_empty() {
        h.push_str("<h2 id=\"charts\">Charts</h2>\n");
    }
    for c in charts {
        let stem = c.kind.stem();
        let _ = writeln!(
            h,
            "<figure id=\"{id}\">\n{svg}\n<figcaption><b>{title}.</b> {how} <a href=\"charts/{id}.png\">charts/{id}.png</a> · <a href=\"charts/{id}.svg\">charts/{id}.svg</a></figcaption>\n</figure>",
            id = escape(&stem),
            svg = inline_svg(&c.svg),
            title = escape(&c.title),
            how = escape(how_to_read(&c.kind)),
        );
    }

    h.push_str("<h2 id=\"scenario\">Scenario</h2>\n");
    match &d.scenario_text {
        Some(t) => {
            let _ = writeln!(
                h,
                "<p>The scenario text as simulated (after any <code>--set</code> overrides).</p>\n<pre>{}</pre>",
                escape(t)
            );
        }
        None => h.push_str(
            "<p>This output folder does not hold the scenario text (scenario.toml).</p>\n",
        ),
    }
    h.push_str("</body>\n</html>\n");
    h
}

/// The `report.html` of a `forecast` or `levers` folder: the answer as the terminal gave it
/// (`answer.txt`), the chart (`charts/<stem>.svg`, where drawn) and the table of `csv_name`
/// in full, from the folder's own files (so `flowsim chart DIR` can rebuild it).
///
/// # Errors
/// The CSV file cannot be read.
pub fn standalone_report(
    dir: &std::path::Path,
    title: &str,
    csv_name: &str,
    chart_stem: &str,
) -> Result<String, String> {
    use crate::output::files;
    let read = |p: std::path::PathBuf| std::fs::read_to_string(&p).ok();
    let answer = read(dir.join(files::ANSWER)).unwrap_or_default();
    let svg = read(dir.join(files::CHARTS).join(format!("{chart_stem}.svg")));
    let csv_path = dir.join(csv_name);
    let mut rdr = csv::Reader::from_path(&csv_path)
        .map_err(|e| format!("{}: cannot read: {e}", csv_path.display()))?;
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| format!("{}: {e}", csv_path.display()))?
        .iter()
        .map(escape)
        .collect();
    let mut rows = String::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| format!("{}: {e}", csv_path.display()))?;
        rows.push_str("<tr>");
        for cell in rec.iter() {
            let shown = match cell.parse::<f64>() {
                Ok(x) if cell.contains('.') => fmt_num(Some(x)),
                _ => cell.to_string(),
            };
            let _ = write!(rows, "<td>{}</td>", escape(&shown));
        }
        rows.push_str("</tr>\n");
    }
    let name = escape(title);
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>flowsim report: {name}</title>\n<style>\n{CSS}\n.wide{{overflow-x:auto}}\n</style>\n</head>\n<body>\n<h1>{name}</h1>\n<nav class=\"toc\"><h2>Contents</h2><ul><li><a href=\"#answer\">Answer</a></li>{}<li><a href=\"#table\">Table ({})</a></li></ul></nav>\n",
        if svg.is_some() {
            "<li><a href=\"#chart\">Chart</a></li>"
        } else {
            ""
        },
        escape(csv_name)
    );
    let _ = write!(
        h,
        "<h2 id=\"answer\">Answer</h2>\n<pre>{}</pre>\n",
        escape(answer.trim_end())
    );
    if let Some(svg) = svg {
        let _ = write!(
            h,
            "<h2 id=\"chart\">Chart</h2>\n<figure>{}</figure>\n",
            inline_svg(&svg)
        );
    }
    let _ = write!(
        h,
        "<h2 id=\"table\">Table</h2>\n<p>Every row of <code>{}</code>; the file keeps full precision.</p>\n<div class=\"wide\"><table>\n<thead><tr>{}</tr></thead>\n<tbody>\n{rows}</tbody>\n</table></div>\n</body>\n</html>\n",
        escape(csv_name),
        header
            .iter()
            .map(|c| format!("<th>{c}</th>"))
            .collect::<String>()
    );
    Ok(h)
}

#[cfg(test)]
mod tests {
    #[test]
    fn html_is_escaped() {
        assert_eq!(
            super::escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }
}
