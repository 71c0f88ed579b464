//! W3: search as an operator's sharing contact — a known three-character word, a
//! two-character word (which no trigram index serves) and a faceted query narrowed by sector —
//! each loaded with `wrk` beside the W2 list's first page of the same caller, measured in the
//! same run: p99 at most 100 ms is the target.

use anyhow::bail;
use kyoyu_domain::messages::ja;

use super::BackendName;
use super::BenchArgs;
use super::report::{Report, Row, Target};
use super::server::Server;
use super::workloads::{READERS, load_errors};
use super::wrk;

/// The caller: the most common reader, whose scope is its own sector and the public items.
const W3_USER: &str = "op-finance-1-contact@demo.example";

/// `(id, query string, label key)`: percent-encoded 改ざん, 侵入, and VPN装置 in finance.
const QUERIES: [(&str, &str, &str); 3] = [
    (
        "known_word",
        "q=%E6%94%B9%E3%81%96%E3%82%93",
        "bench.w3_known_word",
    ),
    ("two_chars", "q=%E4%BE%B5%E5%85%A5", "bench.w3_two_chars"),
    (
        "faceted",
        "q=VPN%E8%A3%85%E7%BD%AE&sector=finance",
        "bench.w3_faceted",
    ),
];

pub async fn w3(
    args: &BenchArgs,
    backend: BackendName,
    threads: usize,
    server: &Server,
    report: &mut Report,
) -> anyhow::Result<()> {
    let token = server.login(W3_USER).await?;
    let who = W3_USER.trim_end_matches("@demo.example");
    // The baseline: the list's first page for the same caller, under the same load.
    let list = wrk::run(
        &format!("{}/api/v1/reports", server.base),
        Some(&token),
        READERS,
        args.duration,
        None,
    )?;
    report.push(
        Row::new(
            backend.code(),
            threads,
            format!("w3.list_baseline.{who}"),
            ja("bench.w3_list", &[("who", who)]),
        )
        .value(list.requests_per_second, "req/s")
        .latency(list.p50_ms, list.p99_ms)
        .errors(load_errors(&list)),
    );
    for (id, query, label) in QUERIES {
        let path = format!("/api/v1/search?{query}");
        // A search that finds nothing would measure nothing.
        let found = server.get(&path, &token).await?;
        if threads > 0 && found["total"].as_u64().unwrap_or(0) == 0 {
            bail!("{path} as {W3_USER} found nothing");
        }
        let load = wrk::run(
            &format!("{}{path}", server.base),
            Some(&token),
            READERS,
            args.duration,
            None,
        )?;
        report.push(
            Row::new(
                backend.code(),
                threads,
                format!("w3.{id}.{who}"),
                ja(label, &[("who", who)]),
            )
            .value(load.requests_per_second, "req/s")
            .latency(load.p50_ms, load.p99_ms)
            .baseline(list.requests_per_second)
            .target(Target::P99AtMost { p99_ms: 100.0 })
            .errors(load_errors(&load)),
        );
    }
    Ok(())
}
