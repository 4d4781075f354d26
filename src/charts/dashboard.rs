//! Chart 8, the one-page dashboard: the headline numbers of each policy and the four main
//! charts (throughput, start-to-done time, WIP, idle time by cause) on one 16:9 image for a slide.
//!
//! How to read it: the tiles give each policy's mean over all replications; the charts are the
//! full-size charts in miniature, with the same colours (one per policy, shown in the tiles).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::RunData;
use super::layout::{replications_per_policy, text_width};
use super::style::{INK, MUTED, Style, ensure_fonts, fmt_num, policy_colours};
use super::{ChartKind, DrawResult};

/// The charts in the grid, row by row.
pub const PANELS: [ChartKind; 4] = [
    ChartKind::Throughput,
    ChartKind::StartToDone,
    ChartKind::Wip,
    ChartKind::Idle,
];

/// The chart's title.
pub fn title(d: &RunData) -> String {
    format!("{}: how the ways of working compare", d.scenario)
}

/// The headline items of a tile: metric, label (empty for none), the value with `{}` for the
/// mean (`{t}` for a duration in working days with its hours). A value undefined in every
/// replication reads "undefined".
const TILE: [(&str, &str, &str); 5] = [
    ("throughput_per_week", "", "{} cards/week"),
    ("lead_time_mean_h", "lead time (mean)", "{t}"),
    ("start_to_done_p85_h", "start to done (85th pct)", "{t}"),
    ("overtime_h_per_person_week", "overtime", "{} h/person/week"),
    ("wip_mean", "WIP", "{} cards"),
];

/// One headline of a tile: a label ("lead time (mean)", empty for throughput) and its value
/// ("8.10 working days (272 h)"). On one line it reads "label: value"; where that is wider
/// than the tile, the label takes a line of its own and the value wraps below it, indented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileItem {
    /// What the value is, with its statistic; empty when the unit says it ("cards/week").
    pub label: String,
    /// The value with its unit, or "undefined".
    pub value: String,
}

impl TileItem {
    /// The item on one line.
    pub fn line(&self) -> String {
        if self.label.is_empty() {
            self.value.clone()
        } else {
            format!("{}: {}", self.label, self.value)
        }
    }
}

/// The headline items of a policy's tile: at most four, from the metrics the folder holds.
pub fn tile_items(d: &RunData, policy: &str) -> Vec<TileItem> {
    TILE.iter()
        .filter_map(|(m, label, value)| {
            let r = d.stat(policy, m)?;
            let value = match r.stat.mean {
                // Durations read in working days (hours in brackets), as managers read them.
                Some(v) if value.contains("{t}") => {
                    value.replace("{t}", &super::times::label_time(d, v))
                }
                Some(v) => value.replace("{}", &fmt_num(Some(v))),
                None => "undefined".to_string(),
            };
            Some(TileItem {
                label: label.to_string(),
                value,
            })
        })
        .take(4)
        .collect()
}

/// A piece of text as the dashboard places it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedText {
    /// The text.
    pub text: String,
    /// Left edge (pixels).
    pub x: i32,
    /// Top edge (pixels).
    pub y: i32,
    /// Font size (pixels, as plotters takes it).
    pub size: u32,
    /// Bold (the title and policy names).
    pub bold: bool,
}

impl PlacedText {
    /// The text's style in the house font.
    pub fn style(&self) -> TextStyle<'static> {
        let weight = if self.bold {
            FontStyle::Bold
        } else {
            FontStyle::Normal
        };
        TextStyle::from(("sans-serif", self.size as f64, weight).into_font()).color(&INK)
    }

    /// Width in pixels in the embedded DejaVu Sans ([`text_width`]).
    ///
    /// # Errors
    /// The font cannot be read.
    pub fn width(&self) -> DrawResult<u32> {
        text_width(&self.text, &self.style())
    }
}

/// One policy's tile as laid out: its box and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileBox {
    /// The policy.
    pub policy: String,
    /// Left, top, right and bottom edges (pixels).
    pub rect: (i32, i32, i32, i32),
    /// The right edge every text of the tile stays left of (the tile's edge less its padding).
    pub text_right: i32,
    /// The policy's name, on one line or broken after hyphens where the tile is narrow.
    pub name: Vec<PlacedText>,
    /// The headline lines.
    pub lines: Vec<PlacedText>,
}

/// Where the dashboard's header puts its text: the title, the subtitle and a tile per policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The title.
    pub title: PlacedText,
    /// The subtitle (replications, seed, the scenario's description, what the numbers are), one
    /// line, the description shortened with an ellipsis where the whole is too wide.
    pub subtitle: Option<PlacedText>,
    /// The tiles, left to right.
    pub tiles: Vec<TileBox>,
    /// Top of the tiles (pixels).
    pub tiles_top: i32,
    /// Top of the grid of charts below the tiles (pixels).
    pub grid_top: i32,
}

/// Separator between the subtitle's parts.
const SEP: &str = " · ";

/// The subtitle's closing note.
const NOTE: &str = "numbers: means over all replications";

/// The subtitle that fits `max_w` pixels in `style`: replications, seed, the description and
/// the note; where that is too wide the description is cut after a word and ends in "…", or
/// left out; never a dangling separator.
fn subtitle(d: &RunData, style: &TextStyle, max_w: u32) -> DrawResult<String> {
    let mut head = Vec::new();
    head.extend(replications_per_policy(d));
    if let Some(s) = d.manifest.seed {
        head.push(format!("seed {s}"));
    }
    let join = |desc: Option<&str>| {
        let mut parts: Vec<&str> = head.iter().map(String::as_str).collect();
        parts.extend(desc.filter(|s| !s.is_empty()));
        parts.push(NOTE);
        parts.join(SEP)
    };
    let desc = d.description.as_deref().map(str::trim).unwrap_or("");
    let full = join(Some(desc));
    if text_width(&full, style)? <= max_w {
        return Ok(full);
    }
    let words: Vec<&str> = desc.split_whitespace().collect();
    for k in (1..words.len()).rev() {
        let cut = words[..k]
            .join(" ")
            .trim_end_matches([',', ';', ':', '.', '-', '(', '·'])
            .to_string();
        if cut.is_empty() {
            continue;
        }
        let s = join(Some(&format!("{cut}…")));
        if text_width(&s, style)? <= max_w {
            return Ok(s);
        }
    }
    ellipsize(&join(None), style, max_w)
}

/// `text` cut short with "…" to fit `max_w` pixels (after a word where one fits), never ending
/// in a separator.
fn ellipsize(text: &str, style: &TextStyle, max_w: u32) -> DrawResult<String> {
    if text_width(text, style)? <= max_w {
        return Ok(text.to_string());
    }
    let chars: Vec<char> = text.chars().collect();
    for k in (1..chars.len()).rev() {
        let cut: String = chars[..k].iter().collect();
        let cut = cut.trim_end_matches([' ', ',', ';', ':', '.', '·', '(']);
        if cut.is_empty() {
            continue;
        }
        let s = format!("{cut}…");
        if text_width(&s, style)? <= max_w {
            return Ok(s);
        }
    }
    Ok("…".into())
}

/// Greedy word wrap of `text` into lines no wider than `max_w` pixels; `None` when a single
/// word is wider.
fn wrap_words(text: &str, style: &TextStyle, max_w: u32) -> DrawResult<Option<Vec<String>>> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if text_width(word, style)? > max_w {
            return Ok(None);
        }
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if !line.is_empty() && text_width(&candidate, style)? > max_w {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    Ok(Some(lines))
}

/// Breaks `text` into lines no wider than `max_w` pixels at any character (the last resort,
/// so that nothing is clipped); each line holds at least one character.
fn break_chars(text: &str, style: &TextStyle, max_w: u32) -> DrawResult<Vec<String>> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for c in text.chars() {
        let candidate = format!("{line}{c}");
        if !line.is_empty() && text_width(&candidate, style)? > max_w {
            lines.push(std::mem::replace(&mut line, c.to_string()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    Ok(lines)
}

/// The lines of one tile item in `max_w` pixels: "label: value" when it fits, else the label
/// with its colon, then the value wrapped (`(text, indented)`); `None` when a word is wider
/// than the room.
fn item_lines(
    item: &TileItem,
    style: &TextStyle,
    max_w: u32,
    indent: u32,
    may_wrap: bool,
) -> DrawResult<Option<Vec<(String, bool)>>> {
    let one = item.line();
    if text_width(&one, style)? <= max_w {
        return Ok(Some(vec![(one, false)]));
    }
    if !may_wrap {
        return Ok(None);
    }
    let mut out = Vec::new();
    let value_w = if item.label.is_empty() {
        max_w
    } else {
        match wrap_words(&format!("{}:", item.label), style, max_w)? {
            Some(ls) => out.extend(ls.into_iter().map(|l| (l, false))),
            None => return Ok(None),
        }
        max_w.saturating_sub(indent).max(1)
    };
    match wrap_words(&item.value, style, value_w)? {
        Some(ls) => out.extend(ls.into_iter().map(|l| (l, !item.label.is_empty()))),
        None => return Ok(None),
    }
    Ok(Some(out))
}

/// A policy's name in lines no wider than `max_w` pixels: whole where it fits, else broken
/// after hyphens, underscores or spaces, else at any character.
fn name_lines(name: &str, style: &TextStyle, max_w: u32) -> DrawResult<Vec<String>> {
    if text_width(name, style)? <= max_w {
        return Ok(vec![name.to_string()]);
    }
    let mut pieces: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in name.chars() {
        cur.push(c);
        if matches!(c, '-' | '_' | ' ') {
            pieces.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        pieces.push(cur);
    }
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for piece in pieces {
        let candidate = format!("{line}{piece}");
        if text_width(candidate.trim_end(), style)? <= max_w {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(line.trim_end().to_string());
        }
        if text_width(piece.trim_end(), style)? <= max_w {
            line = piece;
        } else {
            let mut parts = break_chars(piece.trim_end(), style, max_w)?;
            line = parts.pop().unwrap_or_default();
            lines.extend(parts);
        }
    }
    if !line.trim_end().is_empty() {
        lines.push(line.trim_end().to_string());
    }
    Ok(lines)
}

/// How the tiles' headlines are set: font size, one or two columns, and each tile's lines per
/// column (`(text, indented)`).
type TileText = (u32, usize, Vec<Vec<Vec<(String, bool)>>>);

/// Lays out the headlines of every tile: two columns in wide tiles where every line fits
/// unbroken; else one column at the largest size from `base` down to `min` where every item
/// fits, wrapping an item onto a second line (label, then value) where needed; at `min` size
/// words too wide are broken at any character. Never clipped.
fn set_tile_text(
    items: &[Vec<TileItem>],
    st: &Style,
    (base, min): (f64, f64),
    inner_w: u32,
) -> DrawResult<TileText> {
    let col_gap = st.px(16.0);
    let indent = st.px(14.0);
    let split = |lines: Vec<Vec<(String, bool)>>, cols: usize| -> Vec<Vec<(String, bool)>> {
        let per_col = lines.len().div_ceil(cols).max(1);
        lines
            .chunks(per_col)
            .map(|c| c.iter().flatten().cloned().collect())
            .collect()
    };
    // Two columns: only where the tile is wide and nothing needs a second line.
    if inner_w > st.px(600.0) {
        let size = st.px(base);
        let style = st.font(base);
        let col_w = (inner_w.saturating_sub(col_gap) / 2).max(1);
        let mut tiles = Vec::new();
        for its in items {
            let mut lines = Vec::new();
            for it in its {
                match item_lines(it, &style, col_w, indent, false)? {
                    Some(l) => lines.push(l),
                    None => break,
                }
            }
            if lines.len() < its.len() {
                break;
            }
            tiles.push(split(lines, 2));
        }
        if tiles.len() == items.len() {
            return Ok((size, 2, tiles));
        }
    }
    let mut s = base;
    loop {
        let style = st.font(s);
        let last = s - 1.0 < min;
        let mut tiles = Vec::new();
        let mut complete = true;
        'tiles: for its in items {
            let mut lines = Vec::new();
            for it in its {
                match item_lines(it, &style, inner_w, indent, true)? {
                    Some(l) => lines.extend(l),
                    None if last => {
                        // The last resort: break inside words.
                        for l in break_chars(&it.line(), &style, inner_w)? {
                            lines.push((l, false));
                        }
                    }
                    None => {
                        complete = false;
                        break 'tiles;
                    }
                }
            }
            tiles.push(vec![lines]);
        }
        if complete {
            return Ok((st.px(s), 1, tiles));
        }
        s -= 1.0;
    }
}

/// Lays out the dashboard's header for a chart `w` pixels wide: the title, the subtitle and a
/// tile per policy whose every line fits its tile in the embedded DejaVu Sans (the widest font
/// flowsim is drawn in: the PNG uses it at a larger em than a browser draws the SVG).
///
/// # Errors
/// The embedded font cannot be read.
pub fn header(d: &RunData, st: &Style, w: u32) -> DrawResult<Header> {
    ensure_fonts()?;
    let m = st.px(Style::MARGIN) as i32;
    let max_w = (w as i32 - 2 * m).max(1) as u32;
    let mut y = st.px(16.0) as i32;
    let tstyle = st.bold(36.0);
    let title = PlacedText {
        text: ellipsize(&title(d), &tstyle, max_w)?,
        x: m,
        y,
        size: st.px(36.0),
        bold: true,
    };
    y += st.px(36.0 * 1.25) as i32;
    let sstyle = st.font(20.0);
    let subtitle = Some(PlacedText {
        text: subtitle(d, &sstyle, max_w)?,
        x: m,
        y,
        size: st.px(20.0),
        bold: false,
    });
    y += st.px(20.0 * 1.5) as i32;
    let tiles_top = y;
    // Tiles: one per policy.
    let np = d.policies.len().max(1);
    let base = if np > 4 { 17.0 } else { 21.0 };
    let name_base = base + 5.0;
    let gap = st.px(14.0) as i32;
    let tile_w = ((w as i32 - 2 * m - gap * (np as i32 - 1)) / np as i32).max(1);
    let pad_l = st.px(20.0) as i32;
    let pad_r = st.px(10.0) as i32;
    let inner_w = (tile_w - pad_l - pad_r).max(1) as u32;
    let items: Vec<Vec<TileItem>> = d.policies.iter().map(|p| tile_items(d, p)).collect();
    let (size, cols, text) = set_tile_text(&items, st, (base, 13.0), inner_w)?;
    let line_h = (size as f64 * 1.3).round() as i32;
    let name_size = st.px(name_base);
    let nstyle = st.bold(name_base);
    let names: Vec<Vec<String>> = d
        .policies
        .iter()
        .map(|p| name_lines(p, &nstyle, inner_w))
        .collect::<DrawResult<_>>()?;
    let name_lines_n = names.iter().map(Vec::len).max().unwrap_or(1).max(1) as i32;
    let name_h = (name_size as f64 * 1.15).round() as i32;
    let rows = text
        .iter()
        .flat_map(|cols| cols.iter().map(Vec::len))
        .max()
        .unwrap_or(4)
        .max(1) as i32;
    let top_pad = st.px(8.0) as i32;
    let body_top = top_pad + name_lines_n * name_h + (name_size as f64 * 0.25).round() as i32;
    let tile_h = body_top + rows * line_h + st.px(10.0) as i32;
    let col_w = (inner_w as i32 - st.px(16.0) as i32) / 2 + st.px(16.0) as i32;
    let indent = st.px(14.0) as i32;
    let mut tiles = Vec::new();
    for (k, p) in d.policies.iter().enumerate() {
        let x0 = m + k as i32 * (tile_w + gap);
        let tx = x0 + pad_l;
        let name = names[k]
            .iter()
            .enumerate()
            .map(|(i, t)| PlacedText {
                text: t.clone(),
                x: tx,
                y: y + top_pad + i as i32 * name_h,
                size: name_size,
                bold: true,
            })
            .collect();
        let mut lines = Vec::new();
        for (c, col) in text[k].iter().enumerate() {
            let cx = tx + if cols == 2 { c as i32 * col_w } else { 0 };
            for (r, (t, indented)) in col.iter().enumerate() {
                lines.push(PlacedText {
                    text: t.clone(),
                    x: cx + if *indented { indent } else { 0 },
                    y: y + body_top + r as i32 * line_h,
                    size,
                    bold: false,
                });
            }
        }
        tiles.push(TileBox {
            policy: p.clone(),
            rect: (x0, y, x0 + tile_w, y + tile_h),
            text_right: x0 + tile_w - pad_r,
            name,
            lines,
        });
    }
    let tiles_h = if d.policies.is_empty() {
        st.px(base * 1.5) as i32
    } else {
        tile_h
    };
    Ok(Header {
        title,
        subtitle,
        tiles,
        tiles_top,
        grid_top: tiles_top + tiles_h + st.px(8.0) as i32,
    })
}

/// Draws the dashboard.
///
/// # Errors
/// The drawing backend fails.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &RunData,
    st: &Style,
) -> DrawResult {
    area.fill(&WHITE)?;
    let (w, _) = area.dim_in_pixel();
    let h = header(d, st, w)?;
    area.draw_text(&h.title.text, &h.title.style(), (h.title.x, h.title.y))?;
    if let Some(s) = &h.subtitle {
        area.draw_text(&s.text, &s.style().color(&MUTED), (s.x, s.y))?;
    }
    let colours = policy_colours(&d.policies);
    for (t, c) in h.tiles.iter().zip(colours) {
        let (x0, y0, x1, y1) = t.rect;
        area.draw(&Rectangle::new([(x0, y0), (x1, y1)], c.mix(0.08).filled()))?;
        area.draw(&Rectangle::new(
            [(x0, y0), (x0 + st.px(8.0) as i32, y1)],
            c.filled(),
        ))?;
        for n in &t.name {
            area.draw_text(&n.text, &n.style().color(&c), (n.x, n.y))?;
        }
        for l in &t.lines {
            area.draw_text(&l.text, &l.style(), (l.x, l.y))?;
        }
    }
    if d.policies.is_empty() {
        let m = st.px(Style::MARGIN) as i32;
        area.draw_text(
            "no policies in this output folder",
            &st.font(21.0)
                .color(&MUTED)
                .pos(Pos::new(HPos::Left, VPos::Top)),
            (m, h.tiles_top),
        )?;
    }
    let (_, grid) = area.split_vertically(h.grid_top.max(0) as u32);
    let cells = grid.split_evenly((2, 2));
    let panel = st.panel(0.66);
    for (kind, cell) in PANELS.iter().zip(&cells) {
        kind.draw(cell, d, &panel)?;
    }
    Ok(())
}
