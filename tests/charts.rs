//! Charts and the HTML report, through the real binary in a temporary folder: every file is
//! written, PNGs decode and are not blank, SVGs hold their title and legend, the report is
//! self-contained, and `flowsim chart DIR` redraws the same SVG bytes.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::read;

const RUN_CHARTS: [&str; 9] = [
    "dashboard",
    "throughput",
    "lead_time_histogram",
    "cycle_time_histogram",
    "start_to_done",
    "wip",
    "idle",
    "overtime",
    "cfd",
];

fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/small-team.toml")
}

/// The flowsim binary, run in the package root.
fn flowsim() -> Command {
    common::flowsim(Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// Runs the reference scenario, shortened, into `out`.
fn tiny_run(out: &Path, extra: &[&str]) {
    let mut cmd = flowsim();
    cmd.arg("run")
        .arg(scenario())
        .args(["--reps", "3", "--quiet", "--set", "run.horizon_weeks=6"])
        .args(["--set", "run.warmup_weeks=1", "--out"])
        .arg(out)
        .args(extra);
    cmd.assert().success();
}

/// Decodes a PNG: (width, height, number of distinct pixel values).
fn png_info(path: &Path) -> (u32, u32, usize) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let decoder = png::Decoder::new(std::io::BufReader::new(file));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG pixel data");
    let bpp = info.color_type.samples() * (info.bit_depth as usize).div_ceil(8);
    let mut distinct = std::collections::BTreeSet::new();
    for px in buf[..info.buffer_size()].chunks(bpp) {
        distinct.insert(px.to_vec());
        if distinct.len() > 50 {
            break;
        }
    }
    (info.width, info.height, distinct.len())
}

/// An SVG that is well-formed enough: one root, balanced text elements.
fn check_svg(svg: &str, path: &Path) {
    let s = svg.trim();
    assert!(
        s.starts_with("<svg"),
        "{}: does not start with <svg",
        path.display()
    );
    assert!(
        s.ends_with("</svg>"),
        "{}: does not end with </svg>",
        path.display()
    );
    assert_eq!(
        s.matches("<text").count(),
        s.matches("</text>").count(),
        "{}: unbalanced <text>",
        path.display()
    );
    assert!(s.matches('<').count() == s.matches('>').count());
}

#[test]
fn a_run_writes_every_chart_and_a_self_contained_report() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    tiny_run(&out, &[]);
    let charts = out.join("charts");
    for stem in RUN_CHARTS {
        let png = charts.join(format!("{stem}.png"));
        let (w, h, distinct) = png_info(&png);
        assert_eq!((w, h), (1600, 900), "{stem}.png size");
        assert!(distinct > 5, "{stem}.png looks blank ({distinct} colours)");
        let svg_path = charts.join(format!("{stem}.svg"));
        let svg = read(&svg_path);
        check_svg(&svg, &svg_path);
    }
    // Titles and legends.
    let throughput = read(charts.join("throughput.svg"));
    assert!(throughput.contains("Throughput: cards finished per week"));
    for p in ["pull", "flow"] {
        assert!(throughput.contains(&format!("\n{p}\n")), "legend lacks {p}");
    }
    let cfd = read(charts.join("cfd.svg"));
    assert!(cfd.contains("development"));
    assert!(
        cfd.contains("ready (committed, not started)"),
        "the CFD's ready band"
    );
    for m in ["lead_time", "cycle_time"] {
        let svg = read(charts.join(format!("{m}_histogram.svg")));
        assert!(
            svg.contains("50%: ") && svg.contains("85%: "),
            "{m}: percentiles marked"
        );
        assert!(
            svg.contains("working days ("),
            "{m}: working days with hours"
        );
    }
    assert!(read(charts.join("idle.svg")).contains("starved"));
    assert!(read(charts.join("start_to_done.svg")).contains("85th percentile"));

    let report = read(out.join("report.html"));
    for stem in RUN_CHARTS {
        assert!(
            report.contains(&format!("charts/{stem}.svg")),
            "report lacks {stem}.svg"
        );
        assert!(
            report.contains(&format!("charts/{stem}.png")),
            "report lacks {stem}.png"
        );
        assert!(report.contains(&format!("<figure id=\"{stem}\">")));
    }
    assert_eq!(
        report.matches("<svg").count(),
        RUN_CHARTS.len(),
        "inline SVGs"
    );
    assert!(report.contains("<div class=\"scroll\"><table class=\"summary\">"));
    assert!(
        report.contains("<nav class=\"toc\" id=\"contents\">"),
        "contents list"
    );
    for stem in RUN_CHARTS {
        assert!(
            report.contains(&format!("<li><a href=\"#{stem}\">")),
            "contents lack {stem}"
        );
    }
    assert!(report.contains("throughput_per_week"));
    assert!(report.contains("Seven people, four stages"), "description");
    assert!(report.contains("[[stages]]"), "scenario text");
    assert!(!report.contains("<script"), "no JavaScript");
    assert!(
        !report.contains("src=\"http") && !report.contains("href=\"http"),
        "no network"
    );
    assert!(!report.contains("<link"), "no external stylesheet");
    assert!(out.join("scenario.toml").is_file());
}

#[test]
fn chart_dir_redraws_the_same_svg_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    tiny_run(&out, &[]);
    let before: Vec<(String, Vec<u8>)> = RUN_CHARTS
        .iter()
        .map(|s| {
            let p = out.join("charts").join(format!("{s}.svg"));
            (s.to_string(), std::fs::read(&p).unwrap())
        })
        .collect();
    let report_before = read(out.join("report.html"));
    std::fs::remove_dir_all(out.join("charts")).unwrap();
    std::fs::remove_file(out.join("report.html")).unwrap();
    flowsim().arg("chart").arg(&out).assert().success();
    for (stem, bytes) in before {
        let after = std::fs::read(out.join("charts").join(format!("{stem}.svg"))).unwrap();
        assert!(after == bytes, "{stem}.svg differs after `flowsim chart`");
        assert!(out.join("charts").join(format!("{stem}.png")).is_file());
    }
    assert_eq!(read(out.join("report.html")), report_before);
}

#[test]
fn no_charts_skips_drawing_and_chart_size_is_obeyed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    tiny_run(&out, &["--no-charts"]);
    assert!(!out.join("charts").exists());
    assert!(!out.join("report.html").exists());
    flowsim()
        .arg("chart")
        .arg(&out)
        .args(["--chart-size", "800x600"])
        .assert()
        .success();
    let (w, h, _) = png_info(&out.join("charts/dashboard.png"));
    assert_eq!((w, h), (800, 600));
    flowsim()
        .arg("chart")
        .arg(&out)
        .args(["--chart-size", "huge"])
        .assert()
        .code(2);
}

#[test]
fn a_folder_that_is_not_an_output_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    flowsim()
        .arg("chart")
        .arg(tmp.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "neither summary.csv nor sweep.csv",
        ));
}

#[test]
fn one_week_and_one_replication_draw_without_panicking() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    flowsim()
        .arg("run")
        .arg(scenario())
        .args(["--reps", "1", "--quiet", "--set", "run.horizon_weeks=1"])
        .args(["--set", "run.warmup_weeks=0", "--out"])
        .arg(&out)
        .assert()
        .success();
    for stem in RUN_CHARTS {
        let (_, _, distinct) = png_info(&out.join("charts").join(format!("{stem}.png")));
        assert!(distinct > 2, "{stem}.png blank");
    }
}

#[test]
fn odd_hand_written_folders_draw_without_panicking() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    // One policy, undefined metrics, a negative value, a non-numeric cell, no weekly.csv,
    // no manifest, and HTML in the names.
    std::fs::write(
        out.join("summary.csv"),
        "scenario,policy,metric,unit,mean,ci95_low,ci95_high,p05,p50,p95,reps,note\n\
         <b>odd</b>,solo,throughput_per_week,cards/week,,,,,,,0,undefined\n\
         <b>odd</b>,solo,cycle_time_p85_h,h,12,10,14,9,12,15,3,\n\
         <b>odd</b>,solo,starved_h_per_person_week,h/person/week,-1,x,,,,,3,\n",
    )
    .unwrap();
    std::fs::write(
        out.join("scenario.toml"),
        "name = \"odd\"\ndescription = \"</pre><script>alert(1)</script>\"\n",
    )
    .unwrap();
    flowsim().arg("chart").arg(out).assert().success();
    for stem in RUN_CHARTS {
        assert!(out.join("charts").join(format!("{stem}.png")).is_file());
    }
    let report = read(out.join("report.html"));
    assert!(!report.contains("<script>"), "scenario text escaped");
    assert!(report.contains("&lt;b&gt;odd&lt;/b&gt;"));
    // A weekly.csv with a single policy and a series that is all zero (no overtime).
    std::fs::write(
        out.join("weekly.csv"),
        "scenario,policy,week,series,unit,mean,p05,p50,p95,reps\n\
         odd,solo,1,overtime_h_per_person,h/person,0,0,0,0,3\n\
         odd,solo,2,overtime_h_per_person,h/person,0,0,0,0,3\n\
         odd,solo,1,cards_build,cards,1,0,1,2,3\n",
    )
    .unwrap();
    flowsim().arg("chart").arg(out).assert().success();
}

#[test]
fn a_sweep_draws_one_chart_per_headline_metric() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    flowsim()
        .arg("sweep")
        .arg(scenario())
        .args([
            "--vary",
            "stages.test.wip_limit=1,3",
            "--reps",
            "2",
            "--quiet",
        ])
        .args([
            "--set",
            "run.horizon_weeks=4",
            "--set",
            "run.warmup_weeks=1",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    for stem in [
        "sweep_throughput_per_week",
        "sweep_lead_time_mean_h",
        "sweep_wip_mean",
    ] {
        let (_, _, distinct) = png_info(&out.join("charts").join(format!("{stem}.png")));
        assert!(distinct > 5, "{stem}.png blank");
        let svg = read(out.join("charts").join(format!("{stem}.svg")));
        assert!(
            svg.contains("WIP limit of stage test") && !svg.contains("stages.test.wip_limit"),
            "{stem}: the axis names the parameter in words"
        );
    }
    let report = read(out.join("report.html"));
    assert!(report.contains("charts/sweep_throughput_per_week.svg"));
    assert!(report.contains("<h2 id=\"sweep\">Sweep</h2>"));
    // The header names the varied parameter and its values, not one point's override.
    assert!(report.contains("varied: WIP limit of stage test (stages.test.wip_limit) = "));
    assert!(!report.contains("overrides: stages.test.wip_limit"));
    assert!(!report.contains(", stages.test.wip_limit="));
}

#[test]
fn a_scenario_with_deployments_gets_the_deployment_panel_and_others_do_not() {
    let tmp = tempfile::tempdir().unwrap();
    let dep = tmp.path().join("dep");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/deployment-pipeline.toml");
    flowsim()
        .arg("run")
        .arg(path)
        .args(["--reps", "3", "--quiet", "--out"])
        .arg(&dep)
        .assert()
        .success();
    let svg = read(dep.join("charts/deployments.svg"));
    for words in [
        "deployment frequency",
        "change failure rate",
        "time to restore",
    ] {
        assert!(svg.contains(words), "deployment panel lacks {words}");
    }
    assert!(read(dep.join("report.html")).contains("<figure id=\"deployments\">"));
    let plain = tmp.path().join("plain");
    flowsim()
        .arg("run")
        .arg(scenario())
        .args([
            "--reps",
            "2",
            "--quiet",
            "--set",
            "run.horizon_weeks=6",
            "--set",
            "run.warmup_weeks=1",
            "--out",
        ])
        .arg(&plain)
        .assert()
        .success();
    assert!(!plain.join("charts/deployments.svg").exists());
}

#[test]
fn the_cfd_window_follows_cfd_weeks() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    flowsim()
        .arg("run")
        .arg(scenario())
        .args([
            "--reps",
            "2",
            "--quiet",
            "--set",
            "run.horizon_weeks=30",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    assert!(read(out.join("charts/cfd.svg")).contains("weeks 19 to 30 of 30"));
    flowsim()
        .arg("chart")
        .arg(&out)
        .args(["--cfd-weeks", "5"])
        .assert()
        .success();
    let cfd = read(out.join("charts/cfd.svg"));
    assert!(
        cfd.contains("weeks 26 to 30 of 30"),
        "the window is the last 5 weeks"
    );
    assert!(cfd.contains("done since week 25"));
}

/// A hand-written run folder with five long-named policies, large headline numbers and a long
/// description: the widest dashboard header a run can ask for.
fn five_long_policies(out: &Path) -> Vec<String> {
    let policies: Vec<String> = [
        "push-daily-no-overtime-strict",
        "pull_with_explicit_policies",
        "flow system wip limit twelve",
        "conservativepullerwithoutanyhyphens",
        "push",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut csv =
        String::from("scenario,policy,metric,unit,mean,ci95_low,ci95_high,p05,p50,p95,reps,note\n");
    for p in &policies {
        for (m, unit, v) in [
            ("throughput_per_week", "cards/week", "123.456"),
            ("lead_time_mean_h", "h", "88888.8"),
            ("start_to_done_p85_h", "h", "77777.7"),
            ("overtime_h_per_person_week", "h/person/week", "12.3456"),
        ] {
            csv.push_str(&format!("wide,{p},{m},{unit},{v},,,,,,3,\n"));
        }
    }
    std::fs::write(out.join("summary.csv"), csv).unwrap();
    std::fs::write(
        out.join("scenario.toml"),
        "name = \"wide\"\n\
         description = \"A description long enough that the subtitle cannot hold it whole: seven people, four stages, eight cards a week, push against pull against flow, with every mechanism switched on.\"\n\
         [calendar]\nmode = \"working\"\nhours_per_day = 8\ndays_per_week = 5\n",
    )
    .unwrap();
    policies
}

/// Every text of the dashboard's header fits where it stands, measured in the embedded
/// DejaVu Sans as the PNG draws it (a browser draws the SVG no wider): each tile line and
/// policy name inside its tile, lines of a tile apart, tiles apart and on the image, the
/// subtitle on the image without a dangling separator, for 5 long-named policies at three
/// chart sizes. `flowsim chart` draws the folder.
#[test]
fn dashboard_tile_text_fits_its_tile_with_five_long_policies() {
    use flowsim::charts::dashboard::{PlacedText, header};
    use flowsim::charts::style::Style;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let policies = five_long_policies(out);
    let d = flowsim::charts::data::load(out).unwrap();
    assert_eq!(d.policies, policies);
    for (w, h) in [(1600, 900), (1280, 720), (800, 450)] {
        let st = Style::new(flowsim::charts::ChartSize {
            width: w,
            height: h,
        });
        let hd = header(&d, &st, w).unwrap();
        let margin = st.px(Style::MARGIN) as i32;
        let right = |t: &PlacedText| t.x + t.width().unwrap() as i32;
        assert!(right(&hd.title) <= w as i32 - margin, "{w}x{h}: title");
        let sub = hd.subtitle.as_ref().expect("a subtitle");
        assert!(
            right(sub) <= w as i32 - margin,
            "{w}x{h}: subtitle `{}` wider than the image",
            sub.text
        );
        let trimmed = sub.text.trim_end();
        assert!(
            !trimmed.ends_with('·') && !trimmed.is_empty(),
            "{w}x{h}: subtitle `{}` ends in a separator",
            sub.text
        );
        assert_eq!(hd.tiles.len(), 5);
        for (k, t) in hd.tiles.iter().enumerate() {
            let (x0, y0, x1, y1) = t.rect;
            assert!(t.text_right <= x1, "{w}x{h}: padding inside the tile");
            assert!(
                x0 >= margin && x1 <= w as i32 - margin,
                "{w}x{h}: tile on image"
            );
            if let Some(next) = hd.tiles.get(k + 1) {
                assert!(x1 < next.rect.0, "{w}x{h}: tiles {k} and {} overlap", k + 1);
            }
            assert!(!t.name.is_empty() && t.lines.len() >= 4, "{w}x{h}: {t:?}");
            let texts: Vec<&PlacedText> = t.name.iter().chain(&t.lines).collect();
            for x in &texts {
                assert!(
                    x.x >= x0 && right(x) <= t.text_right,
                    "{w}x{h}: `{}` in tile {} is {} px wide, {} px more than the tile holds",
                    x.text,
                    t.policy,
                    x.width().unwrap(),
                    right(x) - t.text_right
                );
                assert!(
                    x.y >= y0 && x.y + x.size as i32 <= y1,
                    "{w}x{h}: `{}` below its tile",
                    x.text
                );
            }
            for (i, a) in texts.iter().enumerate() {
                for b in &texts[i + 1..] {
                    let apart_x = right(a) <= b.x || right(b) <= a.x;
                    let apart_y = a.y + a.size as i32 <= b.y || b.y + b.size as i32 <= a.y;
                    assert!(
                        apart_x || apart_y,
                        "{w}x{h}: `{}` and `{}` overlap in tile {}",
                        a.text,
                        b.text,
                        t.policy
                    );
                }
            }
            // Nothing is lost: the name and the numbers are all there.
            let joined: String = t.name.iter().map(|n| n.text.as_str()).collect();
            assert_eq!(
                joined.replace(' ', ""),
                t.policy.replace(' ', ""),
                "{w}x{h}: name"
            );
            let body: Vec<&str> = t.lines.iter().map(|l| l.text.as_str()).collect();
            let body = body.join(" ");
            for want in ["123 cards/week", "88889 h", "77778 h", "12.3 h/person/week"] {
                assert!(
                    body.contains(want),
                    "{w}x{h}: `{want}` missing from `{body}`"
                );
            }
        }
        assert!(
            hd.grid_top > hd.tiles[0].rect.3,
            "{w}x{h}: charts below tiles"
        );
        assert!(
            hd.grid_top < h as i32 / 2,
            "{w}x{h}: the charts keep half the image"
        );
    }
    flowsim().arg("chart").arg(out).assert().success();
    let (_, _, distinct) = png_info(&out.join("charts/dashboard.png"));
    assert!(distinct > 2, "dashboard.png blank");
}
