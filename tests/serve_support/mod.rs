//! Helpers for the `flowsim serve` tests: start the real binary on loopback, a small blocking
//! HTTP/1.1 client (for the server and for chromedriver), and the command line's own numbers to
//! compare with.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A `flowsim serve` process on a free loopback port; stopped when dropped.
pub struct Served {
    /// The process.
    pub child: Child,
    /// `http://127.0.0.1:PORT/`.
    pub url: String,
}

impl Served {
    /// Starts `flowsim serve --listen 127.0.0.1:0 ARGS...` and reads the address it prints.
    pub fn start(args: &[&str]) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_flowsim"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start flowsim serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let at = line
            .find("http://")
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        let url = line[at..].split_whitespace().next().unwrap().to_string();
        Served { child, url }
    }

    /// `host:port`.
    pub fn addr(&self) -> String {
        self.url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string()
    }

    /// A request to the server; returns the status and the body.
    pub fn call(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        http(&self.addr(), method, path, body)
    }

    /// The server's resident memory high-water mark (kB), from /proc.
    pub fn peak_rss_kb(&self) -> Option<u64> {
        proc_status_kb(self.child.id(), "VmHWM:")
    }

    /// Sends SIGINT (Ctrl-C), as a terminal would.
    pub fn interrupt(&self) {
        let ok = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -INT failed");
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A field of `/proc/PID/status` in kB.
pub fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// One HTTP/1.1 request with `Connection: close`; returns the status and the body.
pub fn http(addr: &str, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    try_http(addr, method, path, body).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// Like [`http`], but returns transport failures.
pub fn try_http(
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Result<(u16, String), String> {
    let mut s = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let body = body.unwrap_or("");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).map_err(|e| e.to_string())?;
    // A server may answer (e.g. 413) before reading a large body and close: keep the answer.
    let _ = s.write_all(body.as_bytes());
    // Read the head, then exactly the body the head announces (some servers keep the
    // connection open whatever `Connection: close` says).
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let split = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!("connection closed after {} bytes", raw.len()));
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut rest = raw[split + 4..].to_vec();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("bad status line in {head:?}"))?;
    let lower = head.to_ascii_lowercase();
    let length = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    let chunked = lower.contains("transfer-encoding: chunked");
    loop {
        let done = match length {
            Some(n) => rest.len() >= n,
            None if chunked => rest.windows(5).any(|w| w == b"0\r\n\r\n"),
            None => false,
        };
        if done {
            break;
        }
        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        rest.extend_from_slice(&buf[..n]);
    }
    if let Some(n) = length {
        rest.truncate(n);
    }
    if chunked {
        rest = unchunk(&rest);
    }
    Ok((status, String::from_utf8_lossy(&rest).to_string()))
}

fn unchunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&b[..eol]).to_string();
        let size =
            usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = eol + 2;
        out.extend_from_slice(&b[start..(start + size).min(b.len())]);
        b = &b[(start + size + 2).min(b.len())..];
    }
}

/// Parses JSON or fails the test with the text.
pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Runs `flowsim ARGS --out TMP --no-charts -q` and returns summary.csv's means by
/// (policy, metric); undefined means are left out.
pub fn cli_means(args: &[String]) -> BTreeMap<(String, String), f64> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_flowsim"))
        .args(args)
        .arg("--out")
        .arg(&out)
        .args(["--no-charts", "-q"])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "flowsim {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let (p, m, mean) = (col("policy"), col("metric"), col("mean"));
    let mut out = BTreeMap::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        if let Ok(v) = f[mean].parse::<f64>() {
            out.insert((f[p].to_string(), f[m].to_string()), v);
        }
    }
    out
}

/// The arguments of a command line shown by the page (`flowsim run ...`), without `flowsim`.
pub fn command_args(command: &str) -> Vec<String> {
    let words: Vec<String> = command.split_whitespace().map(String::from).collect();
    assert_eq!(words[0], "flowsim", "{command}");
    assert!(
        words.iter().all(|w| !w.contains('\'')),
        "quoted words: {command}"
    );
    words[1..].to_vec()
}

/// A free loopback port (bound and released; good enough for a test).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
