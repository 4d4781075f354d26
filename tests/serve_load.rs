//! A load test of `flowsim serve` on loopback: a bounded burst of concurrent requests (runs
//! with changing values from several pages, the page itself, the controls, bad and oversized
//! bodies). Every request must get an answer, the server must stay responsive (a page request
//! right after the burst is answered at once), and its memory must stay bounded. Prints the
//! figures: requests sent and answered, answers by status, the slowest answer, peak memory.

mod serve_support;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serve_support::{Served, try_http};

const REQUESTS: usize = 200;

/// One request's number, its status (or why none came) and how long the answer took.
type Answer = (usize, Result<u16, String>, Duration);
const CONCURRENT: usize = 16;

#[test]
fn a_burst_of_concurrent_requests_is_answered_within_bounds() {
    let server = Served::start(&["--reps", "50"]);
    let addr = server.addr();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Answer>> = Mutex::new(Vec::new());
    let peak_sampled = AtomicUsize::new(0);
    let done = std::sync::atomic::AtomicBool::new(false);
    let pid = server.child.id();
    let big = format!(
        r#"{{"client":"big","gen":1,"reps":5,"pad":"{}"}}"#,
        "x".repeat(100_000)
    );
    let t = Instant::now();
    std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                if let Some(kb) = serve_support::proc_status_kb(pid, "VmRSS:") {
                    peak_sampled.fetch_max(kb as usize, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        let workers: Vec<_> = (0..CONCURRENT)
            .map(|w| {
                let (addr, next, results, big) = (&addr, &next, &results, &big);
                s.spawn(move || {
                    let mut generation = 0;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= REQUESTS {
                            break;
                        }
                        generation += 1;
                        let body;
                        let (method, path, body) = match i % 10 {
                            0..=5 => {
                                // A page dragging a slider: runs with values that differ
                                // from request to request (so the server's cache of recent
                                // results rarely answers).
                                body = format!(
                                    r#"{{"client":"page{w}","gen":{generation},"reps":{},"values":{{"wip.test":{},"people.developer":{}}}}}"#,
                                    [5, 10, 20][i % 3],
                                    1 + i % 12,
                                    1 + (i / 12) % 6
                                );
                                ("POST", "/api/run", Some(body.as_str()))
                            }
                            6 => ("GET", "/", None),
                            7 => ("GET", "/api/scenario", None),
                            8 => ("POST", "/api/run", Some("{\"client\": 1")),
                            _ => ("POST", "/api/run", Some(big.as_str())),
                        };
                        let t = Instant::now();
                        let r = try_http(addr, method, path, body).map(|(st, _)| st);
                        results.lock().unwrap().push((i, r, t.elapsed()));
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
    });
    let wall = t.elapsed();
    let results = results.into_inner().unwrap();
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    let mut slowest = Duration::ZERO;
    for (i, r, d) in &results {
        let key = match r {
            Ok(st) => st.to_string(),
            Err(e) => format!("no answer ({e})"),
        };
        *by_status.entry(key).or_default() += 1;
        slowest = slowest.max(*d);
        if let Ok(st) = r {
            let ok: &[u16] = match i % 10 {
                0..=5 => &[200, 409, 503],
                6 | 7 => &[200],
                8 => &[400],
                _ => &[413],
            };
            assert!(ok.contains(st), "request {i}: status {st}");
        }
    }
    let answered = results.iter().filter(|(_, r, _)| r.is_ok()).count();
    // Responsive right after the burst.
    let t = Instant::now();
    let (st, _) = try_http(&addr, "GET", "/api/scenario", None).unwrap();
    let after = t.elapsed();
    let peak = server.peak_rss_kb().unwrap_or(0);
    println!(
        "load: {} requests sent by {CONCURRENT} clients at once, {answered} answered in {:.2} s; by status: {by_status:?}; slowest answer {:.0} ms; a page request right after: {:.1} ms; server peak RSS {:.1} MiB (VmHWM; sampled VmRSS peak {:.1} MiB)",
        results.len(),
        wall.as_secs_f64(),
        slowest.as_secs_f64() * 1000.0,
        after.as_secs_f64() * 1000.0,
        peak as f64 / 1024.0,
        peak_sampled.load(Ordering::Relaxed) as f64 / 1024.0,
    );
    assert_eq!(results.len(), REQUESTS);
    assert_eq!(answered, REQUESTS, "{by_status:?}");
    assert_eq!(st, 200);
    assert!(after < Duration::from_secs(2), "{after:?}");
    assert!(slowest < Duration::from_secs(30), "{slowest:?}");
    assert!(peak < 256 * 1024, "peak RSS {peak} kB");
}

/// More pages at once than the run queue holds, each with its own values: the extra ones are
/// told "busy" (503) at once instead of piling up, and the server answers everyone.
#[test]
fn runs_beyond_the_queue_are_refused_as_busy_not_piled_up() {
    const PAGES: usize = 48;
    let server = Served::start(&[]);
    let addr = server.addr();
    let t = Instant::now();
    let statuses: Vec<(u16, Duration)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..PAGES)
            .map(|w| {
                let addr = &addr;
                s.spawn(move || {
                    let body = format!(
                        r#"{{"client":"room{w}","gen":1,"reps":60,"values":{{"wip.test":{},"people.developer":{}}}}}"#,
                        1 + w % 12,
                        1 + w / 12
                    );
                    let t = Instant::now();
                    let (st, _) = try_http(addr, "POST", "/api/run", Some(&body)).unwrap();
                    (st, t.elapsed())
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = statuses.iter().filter(|(s, _)| *s == 200).count();
    let busy: Vec<Duration> = statuses
        .iter()
        .filter(|(s, _)| *s == 503)
        .map(|(_, d)| *d)
        .collect();
    let slowest_busy = busy.iter().max().copied().unwrap_or_default();
    println!(
        "queue: {PAGES} pages asked for a 60-replication run at once: {ok} ran, {} were told busy (slowest busy answer {:.0} ms), all answered in {:.2} s; server peak RSS {:.1} MiB",
        busy.len(),
        slowest_busy.as_secs_f64() * 1000.0,
        t.elapsed().as_secs_f64(),
        server.peak_rss_kb().unwrap_or(0) as f64 / 1024.0
    );
    assert_eq!(ok + busy.len(), PAGES, "{statuses:?}");
    assert!(!busy.is_empty(), "the queue did not fill: {statuses:?}");
    assert!(ok <= flowsim::serve::QUEUE + 1 + PAGES / 4, "{ok} ran");
}
