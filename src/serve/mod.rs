//! `flowsim serve`: a live page for a workshop. Controls for the levers people argue about,
//! push, pull and flow side by side, re-run on every change.
//!
//! Why it exists: in front of a room, "what if the WIP limit were 4?" should be a slider, not a
//! command, a `--force` re-run and a browser refresh.
//!
//! How it is built:
//! - HTTP is `tiny_http` (synchronous, a handful of small dependencies, no async runtime): a few
//!   handler threads answer the page and its files (embedded with `include_str!`: nothing is
//!   loaded from the internet) and check run requests; one runner thread simulates, one run
//!   at a time, on a rayon pool built once.
//! - A run goes through the same `--set` overrides, validation and experiment as `flowsim run`,
//!   so the page's numbers are the command line's for the same values, seed and replications
//!   (the page shows that command line).
//! - Every request is bounded: the body ([`MAX_BODY`]), the replications, the horizon and the
//!   predicted work (`api`), the queue of runs ([`QUEUE`]; beyond it, 503 "busy"). A newer run
//!   request from the same page (its `client` and a higher `generation`) supersedes the older ones:
//!   a waiting one is answered 409 at once, a running one stops within a replication.
//! - Bad input gets a JSON `{"error": ...}` with a 4xx status, never a crash; nothing is written
//!   to disk.
//! - Ctrl-C (the flag of [`crate::interrupt`]) stops the server within a fraction of a second.
//!
//! The HTTP API (JSON in and out; errors are `{"error": "..."}` with a 4xx status):
//!
//! | request | answer |
//! |---|---|
//! | `GET /`, `/page.js`, `/page.css` | the page |
//! | `GET /api/scenario` | name, seed, horizon, `controls` (id, group, label, override `paths`, `value`, `min`, `max`, `step`), `available_policies`, `colours`, `policies`, `full_reps`, `drag_reps`, `max_reps` |
//! | `POST /api/run` `{"client", "gen", "reps", "values": {id: number}, "policies": [..], "pin": {"values", "policies"}}` | 200: `reps`, `seed`, `policies`, `set` (the `--set` assignments), `command` (the equivalent `flowsim run`), `metrics` (every metric: `mean`, `lo`, `hi` per policy), `headlines`, `weekly` (mean, p05, p95 and replication 1 per week for throughput, WIP, overtime and idle causes), `compare` (with `pin`: paired differences per policy and key metric), `gen`, `elapsed_ms`; 409 `{"superseded": true}`; 400 bad values; 413 body too large; 503 busy |

mod api;
mod controls;

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub use api::{DRAG_REPS, MAX_EVENTS, MAX_HORIZON_WEEKS, MAX_REPS};
pub use controls::Control;

use crate::error::Error;

/// The largest request body accepted (bytes).
pub const MAX_BODY: usize = 16 * 1024;
/// Run requests waiting for the runner at most; more are answered 503.
pub const QUEUE: usize = 16;
/// Threads answering HTTP requests.
const HANDLERS: usize = 4;
/// Finished results kept (answers and per-replication key metrics; bounded by the horizon and
/// replication limits to a few MiB in all).
const CACHE: usize = 8;
/// Pages whose latest request number is remembered.
const CLIENTS: usize = 256;
/// How often threads look at the stop flag.
const TICK: Duration = Duration::from_millis(100);

const PAGE: &str = include_str!("page.html");
const SCRIPT: &str = include_str!("page.js");
const STYLE: &str = include_str!("page.css");

/// How to serve.
#[derive(Debug, Clone)]
pub struct Options {
    /// Address to bind, e.g. `127.0.0.1:8080` (port 0: any free port).
    pub listen: String,
    /// Replications of a full run (default: the scenario's, at most [`MAX_REPS`]).
    pub full_reps: Option<u32>,
    /// Simulation threads (default: all cores).
    pub threads: Option<usize>,
}

/// A bound server, ready to run.
pub struct Server {
    http: tiny_http::Server,
    url: String,
    base: api::Base,
    pool: rayon::ThreadPool,
}

/// A run request handed to the runner.
struct Job {
    request: tiny_http::Request,
    client: String,
    generation: u64,
    current: api::Prepared,
    pin: Option<api::Prepared>,
}

/// What the threads share.
struct Shared {
    /// Set on Ctrl-C: everyone stops.
    shutdown: AtomicBool,
    /// Each page's newest request number, and when it was seen (for eviction).
    latest: Mutex<BTreeMap<String, (u64, u64)>>,
    /// The run under way: its page, number and stop flag.
    running: Mutex<Option<(String, u64, Arc<AtomicBool>)>>,
    /// Counter for `latest`'s ages.
    tick: std::sync::atomic::AtomicU64,
}

impl Server {
    /// Loads the scenario and binds the address.
    ///
    /// # Errors
    /// A bad scenario or `--reps` (bad input), or an address that cannot be bound.
    pub fn start(text: &str, origin: &str, options: &Options) -> Result<Self, Error> {
        let builtin =
            origin == crate::scenario::REFERENCE_NAME && text == crate::scenario::REFERENCE;
        let base =
            api::Base::new(text, origin, builtin, options.full_reps).map_err(Error::bad_input)?;
        let http = tiny_http::Server::http(options.listen.as_str()).map_err(|e| {
            Error::bad_input(format!(
                "cannot listen on {}: {e}; give another address with --listen (port 0 picks a free one)",
                options.listen
            ))
        })?;
        let url = match http.server_addr().to_ip() {
            Some(a) if a.ip().is_unspecified() => format!(
                "http://127.0.0.1:{}/ (and this machine's address on the network, port {})",
                a.port(),
                a.port()
            ),
            Some(a) => format!("http://{a}/"),
            None => format!("http://{}/", options.listen),
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(options.threads.unwrap_or(0))
            .thread_name(|i| format!("flowsim-sim-{i}"))
            .build()
            .map_err(|e| Error::failed(format!("cannot start the simulation threads: {e}")))?;
        Ok(Server {
            http,
            url,
            base,
            pool,
        })
    }

    /// The page's address, for the terminal.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The scenario's name.
    pub fn scenario_name(&self) -> &str {
        &self.base.scenario.model.name
    }

    /// Serves until `stop` is set (Ctrl-C), then returns once every thread has finished.
    ///
    /// # Errors
    /// None today; the signature leaves room for a server that fails.
    pub fn run(self, stop: &AtomicBool) -> Result<(), Error> {
        let shared = Shared {
            shutdown: AtomicBool::new(false),
            latest: Mutex::new(BTreeMap::new()),
            running: Mutex::new(None),
            tick: std::sync::atomic::AtomicU64::new(0),
        };
        let (tx, rx) = sync_channel::<Job>(QUEUE);
        std::thread::scope(|s| {
            s.spawn(|| runner(&self, &shared, rx));
            for _ in 0..HANDLERS {
                let tx = tx.clone();
                let (server, shared) = (&self, &shared);
                s.spawn(move || handler(server, shared, &tx));
            }
            drop(tx);
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
            }
            shared.shutdown.store(true, Ordering::SeqCst);
            if let Some((_, _, flag)) = &*lock(&shared.running) {
                flag.store(true, Ordering::SeqCst);
            }
            self.http.unblock();
        });
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Answers requests until shutdown.
fn handler(server: &Server, shared: &Shared, tx: &SyncSender<Job>) {
    while !shared.shutdown.load(Ordering::Relaxed) {
        match server.http.recv_timeout(TICK) {
            Ok(Some(request)) => {
                // A bug must not take a handler thread down: the request, dropped unanswered,
                // gets a 500 from tiny_http, and the thread serves on.
                let routed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    route(server, shared, tx, request);
                }));
                if routed.is_err() {
                    eprintln!(
                        "flowsim serve: a request failed unexpectedly (see above); still serving"
                    );
                }
            }
            Ok(None) => {}
            Err(_) => break,
        }
    }
}

fn respond(request: tiny_http::Request, status: u16, content_type: &str, body: String) {
    let headers = [
        ("Content-Type", content_type),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ];
    let mut response = tiny_http::Response::from_string(body).with_status_code(status);
    for (k, v) in headers {
        if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
            response.add_header(h);
        }
    }
    // The page may have gone; nothing to do about it.
    let _ = request.respond(response);
}

fn respond_json(request: tiny_http::Request, status: u16, v: &Value) {
    respond(request, status, "application/json", v.to_string());
}

fn error(request: tiny_http::Request, status: u16, message: impl Into<String>) {
    respond_json(request, status, &json!({ "error": message.into() }));
}

/// Routes one request: the page and its files, the scenario, runs.
fn route(server: &Server, shared: &Shared, tx: &SyncSender<Job>, mut request: tiny_http::Request) {
    use tiny_http::Method::{Get, Head, Post};
    let path = request.url().split('?').next().unwrap_or("").to_string();
    let method = request.method().clone();
    match (method, path.as_str()) {
        (Get | Head, "/") => respond(request, 200, "text/html; charset=utf-8", PAGE.into()),
        (Get | Head, "/page.js") => respond(
            request,
            200,
            "text/javascript; charset=utf-8",
            SCRIPT.into(),
        ),
        (Get | Head, "/page.css") => {
            respond(request, 200, "text/css; charset=utf-8", STYLE.into());
        }
        (Get | Head, "/api/scenario") => respond_json(request, 200, &server.base.describe()),
        (Post, "/api/run") => {
            let body = match read_body(&mut request) {
                Ok(b) => b,
                Err((status, m)) => return error(request, status, m),
            };
            match accept(server, shared, &body) {
                Ok((client, generation, current, pin)) => {
                    let job = Job {
                        request,
                        client,
                        generation,
                        current,
                        pin,
                    };
                    match tx.try_send(job) {
                        Ok(()) => {}
                        Err(TrySendError::Full(job)) => error(
                            job.request,
                            503,
                            format!(
                                "busy: {QUEUE} runs are already waiting; try again in a moment"
                            ),
                        ),
                        Err(TrySendError::Disconnected(job)) => {
                            error(job.request, 503, "the server is stopping");
                        }
                    }
                }
                Err(m) => error(request, 400, m),
            }
        }
        (_, "/" | "/page.js" | "/page.css" | "/api/scenario" | "/api/run") => {
            error(request, 405, format!("{path} does not take this method"));
        }
        _ => error(request, 404, format!("nothing at {path}")),
    }
}

/// Reads a request body of at most [`MAX_BODY`] bytes.
fn read_body(request: &mut tiny_http::Request) -> Result<String, (u16, String)> {
    let too_big = || {
        (
            413,
            format!("the request body is larger than {MAX_BODY} bytes"),
        )
    };
    if request.body_length().is_some_and(|n| n > MAX_BODY) {
        return Err(too_big());
    }
    let mut buf = Vec::new();
    request
        .as_reader()
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| (400, format!("cannot read the request body: {e}")))?;
    if buf.len() > MAX_BODY {
        return Err(too_big());
    }
    String::from_utf8(buf).map_err(|_| (400, "the request body is not UTF-8 text".into()))
}

type Accepted = (String, u64, api::Prepared, Option<api::Prepared>);

/// Checks a run request, notes it as its page's newest and stops the page's older run.
fn accept(server: &Server, shared: &Shared, body: &str) -> Result<Accepted, String> {
    let req: api::RunRequest =
        serde_json::from_str(body).map_err(|e| format!("the request is not a valid run: {e}"))?;
    if req.client.is_empty() || req.client.len() > 64 {
        return Err("`client` must be 1 to 64 characters".into());
    }
    let current = server.base.prepare(&req.settings(), req.reps)?;
    let pin = match &req.pin {
        Some(p) => Some(
            server
                .base
                .prepare(p, req.reps)
                .map_err(|e| format!("the pinned result: {e}"))?,
        ),
        None => None,
    };
    {
        let mut latest = lock(&shared.latest);
        let t = shared.tick.fetch_add(1, Ordering::Relaxed);
        let newest = latest
            .get(&req.client)
            .is_none_or(|&(g, _)| req.generation > g);
        if newest {
            latest.insert(req.client.clone(), (req.generation, t));
            if latest.len() > CLIENTS {
                let oldest = latest
                    .iter()
                    .min_by_key(|(_, (_, t))| *t)
                    .map(|(k, _)| k.clone());
                if let Some(k) = oldest {
                    latest.remove(&k);
                }
            }
        }
    }
    if let Some((client, generation, flag)) = &*lock(&shared.running)
        && *client == req.client
        && *generation < req.generation
    {
        flag.store(true, Ordering::SeqCst);
    }
    Ok((req.client, req.generation, current, pin))
}

/// Whether a newer request of the same page has arrived.
fn superseded(shared: &Shared, client: &str, generation: u64) -> bool {
    lock(&shared.latest)
        .get(client)
        .is_some_and(|&(g, _)| g > generation)
}

/// A finished result as the server keeps it: its answer (without a comparison) and what a
/// comparison needs (a few kilobytes; the whole aggregates, with a percentile sketch per week
/// and series, are dropped once answered).
#[derive(Clone)]
struct Done {
    answer: Arc<Value>,
    kept: Arc<api::Kept>,
}

/// Recent results (by [`api::Prepared::key`]), oldest first: a value moved back, a pin, or the
/// same change from another page is answered without simulating again.
type Cache = Vec<(String, Done)>;

/// The result of a configuration: from the cache, or simulated (and kept). `None` when `stop`
/// ended the simulation.
fn result(
    server: &Server,
    cache: &mut Cache,
    p: &api::Prepared,
    stop: &AtomicBool,
) -> Option<Done> {
    if let Some(i) = cache.iter().position(|(k, _)| *k == p.key) {
        let entry = cache.remove(i);
        let done = entry.1.clone();
        cache.push(entry);
        return Some(done);
    }
    let o = api::simulate(&p.scenario, &server.pool, stop)?;
    let done = Done {
        answer: Arc::new(api::answer(&server.base, p, &o)),
        kept: Arc::new(o.kept()),
    };
    if cache.len() == CACHE {
        cache.remove(0);
    }
    cache.push((p.key.clone(), done.clone()));
    Some(done)
}

/// Runs the queued requests one at a time until every handler has gone.
fn runner(server: &Server, shared: &Shared, rx: Receiver<Job>) {
    let mut cache = Cache::new();
    for job in rx {
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_job(server, shared, &mut cache, job);
        }));
        if ran.is_err() {
            *lock(&shared.running) = None;
            eprintln!("flowsim serve: a run failed unexpectedly (see above); still serving");
        }
    }
}

/// Answers one run request: superseded, or run (with its pinned comparison).
fn run_job(server: &Server, shared: &Shared, cache: &mut Cache, job: Job) {
    if shared.shutdown.load(Ordering::Relaxed) {
        error(job.request, 503, "the server is stopping");
        return;
    }
    if superseded(shared, &job.client, job.generation) {
        respond_json(
            job.request,
            409,
            &json!({"superseded": true, "gen": job.generation}),
        );
        return;
    }
    let flag = Arc::new(AtomicBool::new(false));
    *lock(&shared.running) = Some((job.client.clone(), job.generation, flag.clone()));
    // A newer request may have come between the check above and this run's registration.
    if superseded(shared, &job.client, job.generation) {
        flag.store(true, Ordering::SeqCst);
    }
    let started = Instant::now();
    let current = result(server, cache, &job.current, &flag);
    let pinned = match (&job.pin, &current) {
        (Some(p), Some(_)) => result(server, cache, p, &flag).map(Some),
        _ => Some(None),
    };
    *lock(&shared.running) = None;
    match (current, pinned) {
        (Some(now), Some(pin)) => {
            let mut v = (*now.answer).clone();
            if let (Some(p), Some(pin)) = (&job.pin, pin) {
                v["compare"] = api::compare(p, &pin.kept, &now.kept);
            }
            v["gen"] = json!(job.generation);
            v["elapsed_ms"] = json!(started.elapsed().as_secs_f64() * 1000.0);
            respond_json(job.request, 200, &v);
        }
        _ => respond_json(
            job.request,
            409,
            &json!({"superseded": true, "gen": job.generation}),
        ),
    }
}
