//! One load run with `wrk` (Debian's package), a standard HTTP load generator in C: fixed
//! connections for a fixed time, with the latency distribution (`--latency`).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

/// What one run measured.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Load {
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub requests: u64,
    /// Answers that were not 2xx/3xx, and socket errors: both must be zero.
    pub non_2xx: u64,
    pub socket_errors: u64,
}

fn millis(v: &str) -> Option<f64> {
    let v = v.trim();
    let (num, unit) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic())?);
    let n: f64 = num.parse().ok()?;
    Some(match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => return None,
    })
}

/// Parses wrk's report.
pub fn parse(out: &str) -> Load {
    let mut l = Load::default();
    for line in out.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("Requests/sec:") {
            l.requests_per_second = v.trim().parse().unwrap_or(0.0);
        } else if let Some(v) = line.strip_prefix("50%") {
            l.p50_ms = millis(v).unwrap_or(0.0);
        } else if let Some(v) = line.strip_prefix("99%") {
            l.p99_ms = millis(v).unwrap_or(0.0);
        } else if let Some(v) = line.strip_prefix("Non-2xx or 3xx responses:") {
            l.non_2xx = v.trim().parse().unwrap_or(0);
        } else if let Some(v) = line.strip_prefix("Socket errors:") {
            l.socket_errors = v
                .split(',')
                .filter_map(|p| p.split_whitespace().last()?.parse::<u64>().ok())
                .sum();
        } else if line.contains("requests in") {
            l.requests = line
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
        }
    }
    l
}

/// Loads `url` with `connections` for `seconds`, with a bearer token and, for a POST, a Lua
/// script of wrk's.
pub fn run(
    url: &str,
    token: Option<&str>,
    connections: u32,
    seconds: u64,
    script: Option<&Path>,
) -> anyhow::Result<Load> {
    let mut cmd = Command::new("wrk");
    cmd.args([
        "-t2",
        &format!("-c{connections}"),
        &format!("-d{seconds}s"),
        "--latency",
        "--timeout",
        "10s",
    ]);
    if let Some(t) = token {
        cmd.args(["-H", &format!("Authorization: Bearer {t}")]);
    }
    if let Some(s) = script {
        cmd.arg("-s").arg(s);
    }
    cmd.arg(url);
    let out = cmd
        .output()
        .context("wrk is needed for the benchmark (apt-get install wrk)")?;
    if !out.status.success() {
        bail!("wrk failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(parse(&String::from_utf8_lossy(&out.stdout)))
}

/// A wrk script that POSTs `body` as JSON with a bearer token.
pub fn post_script(path: &Path, body: &str, token: &str) -> anyhow::Result<()> {
    let script = format!(
        "wrk.method = \"POST\"\nwrk.body = [==[{body}]==]\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"Authorization\"] = \"Bearer {token}\"\n"
    );
    std::fs::write(path, script)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_wrk_report_is_read() {
        let out = "Running 2s test @ http://127.0.0.1:1/healthz
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   420.12us  100.00us   5.00ms   90.00%
  Latency Distribution
     50%  401.00us
     75%  500.00us
     90%  600.00us
     99%    1.20ms
  38000 requests in 2.00s, 5.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:  19000.50
Transfer/sec:      2.50MB
";
        let l = parse(out);
        assert_eq!(l.requests_per_second, 19000.5);
        assert!((l.p50_ms - 0.401).abs() < 1e-9);
        assert!((l.p99_ms - 1.2).abs() < 1e-9);
        assert_eq!((l.requests, l.non_2xx, l.socket_errors), (38000, 7, 3));
    }
}
