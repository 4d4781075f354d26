//! The team's own data, read once at load time: a column of hours for an `empirical` effort,
//! and a history of card arrivals (dates or timestamps, with an optional class of service and
//! due date) for `process = "replay"`. Paths are relative to the scenario file. Every error
//! names the file, the line and what to change.

use std::path::{Path, PathBuf};

use crate::limits::MAX_REPLAY_CARDS;
use crate::model::{HOURS_PER_WEEK, ReplayCard, ReplayClass};

/// Where a relative data path is looked for: the scenario file's folder (or the working
/// directory for a scenario given as text).
pub(super) fn resolve(base: Option<&Path>, file: &str) -> PathBuf {
    let p = Path::new(file);
    match base {
        Some(b) if p.is_relative() => b.join(p),
        _ => p.to_path_buf(),
    }
}

fn open(path: &Path) -> Result<csv::Reader<std::fs::File>, String> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| {
            format!(
                "{}: cannot read the file ({e}); the path is relative to the scenario file",
                path.display()
            )
        })
}

/// The header's position of `name` (case-insensitive), or a message listing the columns.
fn column(path: &Path, headers: &csv::StringRecord, name: &str) -> Result<usize, String> {
    headers
        .iter()
        .position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            let have: Vec<&str> = headers.iter().collect();
            format!(
                "{}:1: no column `{name}` in the header line (it has: {}); name the column \
                 with `column = \"...\"` or rename it in the file",
                path.display(),
                have.join(", ")
            )
        })
}

fn line_of(rec: &csv::StringRecord) -> u64 {
    rec.position().map_or(0, csv::Position::line)
}

fn bad_row(path: &Path, e: &csv::Error) -> String {
    let line = e.position().map_or(0, csv::Position::line);
    format!(
        "{}:{line}: this line cannot be read as CSV ({e}); save the file as comma-separated \
         UTF-8 text",
        path.display()
    )
}

/// The numbers in column `name` of a CSV file (hours), skipping empty cells.
pub(super) fn read_hours(path: &Path, name: &str) -> Result<Vec<f64>, String> {
    let mut rdr = open(path)?;
    let headers = rdr.headers().map_err(|e| bad_row(path, &e))?.clone();
    let c = column(path, &headers, name)?;
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| bad_row(path, &e))?;
        let cell = rec.get(c).unwrap_or("");
        if cell.is_empty() {
            continue;
        }
        match cell.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => out.push(v),
            _ => {
                return Err(format!(
                    "{}:{}: `{cell}` in column `{name}` is not a number of hours; write hours \
                     as a number of at least 0, e.g. 6.5 (leave the cell empty to skip the row)",
                    path.display(),
                    line_of(&rec)
                ));
            }
        }
    }
    if out.is_empty() {
        return Err(format!(
            "{}: column `{name}` has no values; an empirical distribution needs at least one",
            path.display()
        ));
    }
    Ok(out)
}

/// Days from 1970-01-01 to a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Hours since 1970-01-01 00:00 of `2026-03-02`, `2026-03-02 14:30`, `2026-03-02T14:30:00`
/// (a trailing `Z` or offset is ignored: times are read as the team's local time). A date
/// without a time is `day_start_h` hours after its midnight (the start of its working day).
pub(super) fn parse_time(s: &str, day_start_h: f64) -> Option<f64> {
    let s = s.trim();
    let (date, time) = match s.find(['T', ' ']) {
        Some(i) => (&s[..i], Some(s[i + 1..].trim())),
        None => (s, None),
    };
    let mut parts = date.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days_in_month = days_from_civil(y + (m / 12), m % 12 + 1, 1) - days_from_civil(y, m, 1);
    if d > days_in_month || !(1900..=9999).contains(&y) {
        return None;
    }
    let mut hours = days_from_civil(y, m, d) as f64 * 24.0;
    if let Some(t) = time.filter(|t| !t.is_empty()) {
        let t = t.trim_end_matches('Z');
        let t = t.split(['+']).next()?;
        let mut hms = t.split(':');
        let h: u32 = hms.next()?.parse().ok()?;
        let mi: u32 = hms.next().map_or(Some(0), |x| x.parse().ok())?;
        let sec: f64 = hms.next().map_or(Some(0.0), |x| x.parse().ok())?;
        if h > 23 || mi > 59 || !(0.0..60.0).contains(&sec) {
            return None;
        }
        hours += h as f64 + mi as f64 / 60.0 + sec / 3600.0;
    } else {
        hours += day_start_h;
    }
    Some(hours)
}

/// A card history: each row one card, `created` (or `date_column`) its arrival, optional
/// `class` (standard, expedite, fixed-date) and `due` (a date; makes the card fixed-date).
/// Times are shifted so that the Monday 00:00 of the first arrival's week is t = 0 (the
/// simulated clock starts on a Monday), and sorted; a date without a time arrives at
/// `day_start_h` (the start of that working day), a due date without one is due then too.
pub(super) fn read_history(
    path: &Path,
    date_column: &str,
    day_start_h: f64,
) -> Result<Vec<ReplayCard>, String> {
    let mut rdr = open(path)?;
    let headers = rdr.headers().map_err(|e| bad_row(path, &e))?.clone();
    let c = column(path, &headers, date_column)?;
    let find = |n: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(n))
    };
    let class_c = find("class");
    let due_c = find("due");
    let mut rows: Vec<(f64, ReplayClass, Option<f64>)> = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| bad_row(path, &e))?;
        let line = line_of(&rec);
        let at = |msg: String| format!("{}:{line}: {msg}", path.display());
        let cell = rec.get(c).unwrap_or("");
        if cell.is_empty() && rec.iter().all(str::is_empty) {
            continue;
        }
        let t = parse_time(cell, day_start_h).ok_or_else(|| {
            at(format!(
                "`{cell}` in column `{date_column}` is not a date; write dates as YYYY-MM-DD, \
                 or timestamps as YYYY-MM-DD HH:MM (e.g. 2026-03-02 14:30)"
            ))
        })?;
        let mut class = match class_c.map_or("", |i| rec.get(i).unwrap_or("")) {
            "" => ReplayClass::Standard,
            x if x.eq_ignore_ascii_case("standard") => ReplayClass::Standard,
            x if x.eq_ignore_ascii_case("expedite") => ReplayClass::Expedite,
            x if x.eq_ignore_ascii_case("fixed-date") || x.eq_ignore_ascii_case("fixed_date") => {
                ReplayClass::FixedDate
            }
            x => {
                return Err(at(format!(
                    "`{x}` in column `class` is not a class of service; use standard, \
                     expedite or fixed-date (or leave it empty for standard)"
                )));
            }
        };
        let due = match due_c.map_or("", |i| rec.get(i).unwrap_or("")) {
            "" => None,
            x => {
                let d = parse_time(x, day_start_h).ok_or_else(|| {
                    at(format!(
                        "`{x}` in column `due` is not a date; write it as YYYY-MM-DD or leave \
                         it empty"
                    ))
                })?;
                if d < t {
                    return Err(at(format!(
                        "the due date {x} is before the card was created ({cell}); correct \
                         one of them"
                    )));
                }
                Some(d - t)
            }
        };
        match (class, due) {
            (ReplayClass::FixedDate, None) => {
                return Err(at(
                    "a fixed-date card needs a due date; fill in the `due` column".into(),
                ));
            }
            (ReplayClass::Expedite, Some(_)) => {
                return Err(at(
                    "an expedite card has no due date here; leave `due` empty or make the \
                     class fixed-date"
                        .into(),
                ));
            }
            (ReplayClass::Standard, Some(_)) => class = ReplayClass::FixedDate,
            _ => {}
        }
        rows.push((t, class, due));
        if rows.len() > MAX_REPLAY_CARDS {
            return Err(at(format!(
                "the history has more than {MAX_REPLAY_CARDS} cards; replay a shorter period"
            )));
        }
    }
    if rows.is_empty() {
        return Err(format!(
            "{}: the history has no cards; put one card per line under a header line with a \
             `{date_column}` column",
            path.display()
        ));
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    // 1970-01-01 was a Thursday: Monday 00:00 of the first card's week.
    let first_day = (rows[0].0 / 24.0).floor() as i64;
    let monday = first_day - (first_day + 3).rem_euclid(7);
    let origin = monday as f64 * 24.0;
    Ok(rows
        .into_iter()
        .map(|(t, class, due)| ReplayCard {
            at_h: t - origin,
            class,
            due_in_h: due.unwrap_or(f64::INFINITY),
        })
        .collect())
}

/// Whole weeks the history spans, from its first Monday to the week of its last card.
pub(super) fn history_weeks(cards: &[ReplayCard]) -> u32 {
    let last = cards.last().map_or(0.0, |c| c.at_h);
    (last / HOURS_PER_WEEK).floor() as u32 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_timestamps_parse() {
        assert_eq!(parse_time("1970-01-01", 0.0), Some(0.0));
        assert_eq!(parse_time("1970-01-01", 9.0), Some(9.0));
        assert_eq!(parse_time("1970-01-02 06:30", 9.0), Some(30.5));
        assert_eq!(parse_time("1970-01-02T06:30:00Z", 9.0), Some(30.5));
        assert_eq!(
            parse_time("2024-02-29", 0.0),
            Some(days_from_civil(2024, 2, 29) as f64 * 24.0)
        );
        for bad in ["2023-02-29", "02/03/2026", "2026-13-01", "2026-01-01 25:00"] {
            assert_eq!(parse_time(bad, 0.0), None, "{bad}");
        }
    }

    #[test]
    fn history_starts_on_the_monday_of_its_first_week() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.csv");
        // 2026-03-04 is a Wednesday.
        std::fs::write(
            &p,
            "id,Created,class,due\n1,2026-03-04,,\n2,2026-03-02 12:00,expedite,\n3,2026-03-09,,2026-03-20\n",
        )
        .unwrap();
        let h = read_history(&p, "created", 0.0).unwrap();
        assert_eq!(h.len(), 3);
        assert_eq!(h[0].at_h, 12.0);
        assert_eq!(h[0].class, ReplayClass::Expedite);
        assert_eq!(h[1].at_h, 48.0);
        assert_eq!(h[2].at_h, 168.0);
        assert_eq!(h[2].class, ReplayClass::FixedDate);
        assert_eq!(h[2].due_in_h, 11.0 * 24.0);
        assert_eq!(history_weeks(&h), 2);
    }

    #[test]
    fn bad_rows_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.csv");
        std::fs::write(&p, "created\n2026-03-02\n2026-3-x\n").unwrap();
        let e = read_history(&p, "created", 0.0).unwrap_err();
        assert!(e.contains("h.csv:3: `2026-3-x`"), "{e}");
        std::fs::write(&p, "hours\n3\nlots\n").unwrap();
        let e = read_hours(&p, "hours").unwrap_err();
        assert!(e.contains("h.csv:3: `lots`"), "{e}");
        let e = read_hours(&p, "dev").unwrap_err();
        assert!(e.contains("no column `dev`"), "{e}");
    }
}
