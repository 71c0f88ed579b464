//! The workloads, each against the service started on its corpus, each figure beside the
//! baseline measured in the same run.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use kyoyu_domain::messages::ja;
use serde_json::{Value, json};

use super::corpus::{self, Corpus, Recipe};
use super::report::{Report, Row, Target};
use super::server::Server;
use super::{BackendName, BenchArgs, Workload, wrk};

/// Connections of the read load (W2) and of the submit load (W1).
pub(super) const READERS: u32 = 8;
const WRITERS: u32 = 16;

/// The two W2 callers: an operator's sharing contact (the most common reader, whose scope is
/// its own sector and organisation) and NISC (who sees the most).
const W2_USERS: [&str; 2] = [
    "op-finance-1-contact@demo.example",
    "nisc-contact@demo.example",
];

fn form(text: &str) -> anyhow::Result<Value> {
    let mut f: Value = serde_json::from_str(text)?;
    if let Some(o) = f.as_object_mut() {
        o.remove("_comment");
    }
    Ok(f)
}

fn fig5() -> anyhow::Result<Value> {
    form(include_str!("../../../../fixtures/report-fig5.json"))
}

fn fig8() -> anyhow::Result<Value> {
    form(include_str!("../../../../fixtures/advisory-fig8.json"))
}

fn generator_row(backend: BackendName, threads: usize, c: &Corpus) -> Option<Row> {
    let g = c.generated.as_ref()?;
    if g.threads == 0 {
        return None;
    }
    let rate = g.threads as f64 / g.thread_seconds.max(1e-9);
    let row = Row::new(
        backend.code(),
        threads,
        "generate.threads_per_second".into(),
        ja("bench.generate", &[]),
    )
    .value(rate, "threads/s");
    // The target is SQLite's (the embedded default); PostgreSQL's rate is shown beside it.
    Some(match backend {
        BackendName::Sqlite => row.target(Target::AtLeast { value: 20_000.0 }),
        BackendName::Postgres => row,
    })
}

fn ready_row(backend: BackendName, threads: usize, s: &Server) -> Row {
    Row::new(
        backend.code(),
        threads,
        "start.readyz_seconds".into(),
        ja("bench.ready", &[]),
    )
    .value(s.ready_seconds, "s")
    .target(Target::AtMost { value: 1.0 })
}

pub(super) fn load_errors(l: &wrk::Load) -> u64 {
    l.non_2xx + l.socket_errors
}

/// W2 then W1 on a corpus of `threads`.
pub async fn on_corpus(
    args: &BenchArgs,
    backend: BackendName,
    threads: usize,
    report: &mut Report,
) -> anyhow::Result<()> {
    println!(
        "{}",
        ja(
            "bench.section",
            &[
                ("backend", backend.code()),
                ("threads", &threads.to_string())
            ]
        )
    );
    let corpus = corpus::prepare(args, backend, Recipe::Threads(threads)).await?;
    if let Some(row) = generator_row(backend, threads, &corpus) {
        report.push(row);
    }
    // On SQLite list pages are replayed while nothing changes (see core's list_cache); the
    // second run measures the query itself, page after page.
    let runs: &[bool] = match backend {
        BackendName::Sqlite => &[true, false],
        BackendName::Postgres => &[false],
    };
    for (i, &cache) in runs.iter().enumerate() {
        let log = args.work_dir.join(format!(
            "serve-{}-t{threads}{}.log",
            backend.code(),
            if cache { "" } else { "-uncached" }
        ));
        let server =
            Server::start(&corpus.data_dir, corpus.database.as_deref(), &log, cache).await?;
        if i == 0 {
            report.push(ready_row(backend, threads, &server));
        }
        let outcome = async {
            if args.workloads.contains(&Workload::W2) {
                w2(args, backend, threads, &server, cache, report).await?;
            }
            // W1 comes last: the reports it files stay in the corpus, newest of all, and not
            // yet visible to NISC, so a list read after it would first walk past them.
            let last = i + 1 == runs.len() || !args.workloads.contains(&Workload::W2);
            // W3 reads no cache: once, on the last run, before W1 adds reports.
            if last && args.workloads.contains(&Workload::W3) {
                super::w3::w3(args, backend, threads, &server, report).await?;
            }
            if last && args.workloads.contains(&Workload::W5) {
                super::w5::w5(args, backend, threads, &corpus, &server, report).await?;
            }
            if last && args.workloads.contains(&Workload::W1) {
                w1(args, backend, threads, &corpus, &server, report).await?;
            }
            anyhow::Ok(())
        }
        .await;
        let locked = server.locked_in_log();
        server.stop();
        outcome?;
        if locked > 0 {
            report.push(
                Row::new(
                    backend.code(),
                    threads,
                    "log.database_locked".into(),
                    ja("bench.locked", &[]),
                )
                .value(locked as f64, "")
                .errors(locked),
            );
        }
        if !args.workloads.contains(&Workload::W2) {
            break;
        }
    }
    Ok(())
}

async fn w2(
    args: &BenchArgs,
    backend: BackendName,
    threads: usize,
    server: &Server,
    cache: bool,
    report: &mut Report,
) -> anyhow::Result<()> {
    // Figures of the cached service are `w2.…`; of the query itself, `w2_uncached.…`.
    let (prefix, suffix) = if cache {
        ("w2", String::new())
    } else {
        ("w2_uncached", ja("bench.uncached", &[]))
    };
    let healthz = wrk::run(
        &format!("{}/healthz", server.base),
        None,
        READERS,
        args.duration,
        None,
    )?;
    report.push(
        Row::new(
            backend.code(),
            threads,
            format!("{prefix}.healthz"),
            format!("{}{suffix}", ja("bench.healthz", &[])),
        )
        .value(healthz.requests_per_second, "req/s")
        .latency(healthz.p50_ms, healthz.p99_ms)
        .errors(load_errors(&healthz)),
    );
    let p99_ms = match backend {
        BackendName::Sqlite => 20.0,
        BackendName::Postgres => 30.0,
    };
    let pages = [
        ("first_page", "/api/v1/reports", "bench.first_page"),
        (
            "severity",
            "/api/v1/reports?severity=alert",
            "bench.severity_page",
        ),
        (
            "cause",
            "/api/v1/reports?cause=vulnerability",
            "bench.cause_page",
        ),
    ];
    for email in W2_USERS {
        let token = server.login(email).await?;
        let who = email.trim_end_matches("@demo.example");
        for (id, path, label) in pages {
            // A page that answers nothing would measure nothing.
            let page = server.get(path, &token).await?;
            let items = page["items"].as_array().map_or(0, Vec::len);
            if threads > 0 && items == 0 {
                bail!("{path} as {email} answered no items");
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
                    format!("{prefix}.{id}.{who}"),
                    format!("{}{suffix}", ja(label, &[("who", who)])),
                )
                .value(load.requests_per_second, "req/s")
                .latency(load.p50_ms, load.p99_ms)
                .baseline(healthz.requests_per_second)
                .target(Target::Served { p99_ms, ratio: 0.5 })
                .errors(load_errors(&load)),
            );
        }
    }
    report.push(
        Row::new(
            backend.code(),
            threads,
            format!("{prefix}.peak_rss_mib"),
            format!("{}{suffix}", ja("bench.peak_rss", &[])),
        )
        .value(server.peak_rss_mib(), "MiB")
        .target(Target::AtMost { value: 200.0 }),
    );
    Ok(())
}

async fn w1(
    args: &BenchArgs,
    backend: BackendName,
    threads: usize,
    corpus: &Corpus,
    server: &Server,
    report: &mut Report,
) -> anyhow::Result<()> {
    let token = server.login("op-finance-1-contact@demo.example").await?;
    let body = json!({
        "form": fig5()?,
        "route": { "to": "ceptoar-finance", "anonymize": true },
        "submit": true,
    });
    let text = serde_json::to_string(&body)?;
    // One submit first: the load must measure accepted reports, not rejections.
    let thread = server.post("/api/v1/reports", &token, &body).await?;
    if thread["id"].as_i64().is_none() {
        bail!("the fig5 submit answered {thread}");
    }
    // The baseline: the same bytes as durable one-row transactions on the same disk (SQLite:
    // a database file beside the corpus; PostgreSQL: the same database). The disk's fsync time
    // of a virtual machine drifts by a factor of several within minutes, so the baseline runs
    // both before and after kyoyu's load and the figure compares with their mean.
    let before = baseline(args, backend, corpus, &text).await?;
    let script = args.work_dir.join("w1-submit.lua");
    wrk::post_script(&script, &text, &token)?;
    let load = wrk::run(
        &format!("{}/api/v1/reports", server.base),
        None,
        WRITERS,
        args.duration,
        Some(&script),
    )?;
    let after = baseline(args, backend, corpus, &text).await?;
    for (id, key, rate) in [
        ("w1.baseline.before", "bench.submit_baseline_before", before),
        ("w1.baseline.after", "bench.submit_baseline_after", after),
    ] {
        report.push(Row::new(backend.code(), threads, id.into(), ja(key, &[])).value(rate, "tx/s"));
    }
    let baseline = (before + after) / 2.0;
    let ratio = match backend {
        BackendName::Sqlite => 0.5,
        BackendName::Postgres => 0.3,
    };
    report.push(
        Row::new(
            backend.code(),
            threads,
            "w1.submit".into(),
            ja("bench.submit", &[]),
        )
        .value(load.requests_per_second, "reports/s")
        .latency(load.p50_ms, load.p99_ms)
        .baseline(baseline)
        .target(Target::RatioAtLeast { ratio })
        .errors(load_errors(&load)),
    );
    Ok(())
}

/// Raw durable inserts of `text` by a minimal program, transactions per second.
async fn baseline(
    args: &BenchArgs,
    backend: BackendName,
    corpus: &Corpus,
    text: &str,
) -> anyhow::Result<f64> {
    let url = match backend {
        BackendName::Sqlite => format!("sqlite:{}", args.work_dir.join("baseline.db").display()),
        BackendName::Postgres => corpus.url(),
    };
    let rate = kyoyu_store::bench::durable_insert_baseline(
        &url,
        text,
        WRITERS as usize,
        Duration::from_secs(args.duration),
    )
    .await?;
    if backend == BackendName::Sqlite {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(args.work_dir.join(format!("baseline.db{suffix}")));
        }
    }
    Ok(rate)
}

/// An organisation as `GET /api/v1/orgs` lists it.
struct Org {
    code: String,
    roles: Vec<String>,
}

fn orgs(list: &Value) -> Vec<Org> {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    list.as_array()
        .or_else(|| list["items"].as_array())
        .map(|a| {
            a.iter()
                .map(|o| Org {
                    code: o["code"].as_str().unwrap_or_default().to_owned(),
                    roles: strings(&o["roles"]),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn offered(advisory: &Value) -> Vec<String> {
    advisory["actions"]["forward_to"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| o["code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// W4: NISC publishes a Green advisory to every ministry for all its sectors; each ministry
/// forwards it to its sectors' CEPTOARs, each CEPTOAR to all its members — every operator of
/// the world. Each step is one request that answers when it has committed.
pub async fn w4(args: &BenchArgs, backend: BackendName, report: &mut Report) -> anyhow::Result<()> {
    let recipe = Recipe::World {
        operators: args.w4_operators,
        users: args.w4_users_per_org,
    };
    println!(
        "{}",
        ja(
            "bench.section_w4",
            &[
                ("backend", backend.code()),
                ("operators", &args.w4_operators.to_string()),
                (
                    "users",
                    &(args.w4_operators * args.w4_users_per_org).to_string()
                )
            ]
        )
    );
    let corpus = corpus::prepare(args, backend, recipe).await?;
    let log = args
        .work_dir
        .join(format!("serve-{}-w4.log", backend.code()));
    let server = Server::start(&corpus.data_dir, corpus.database.as_deref(), &log, true).await?;
    let outcome = publish_to_everyone(args, backend, &server, report).await;
    let locked = server.locked_in_log();
    server.stop();
    outcome?;
    if locked > 0 {
        report.push(
            Row::new(
                backend.code(),
                0,
                "log.database_locked".into(),
                ja("bench.locked", &[]),
            )
            .value(locked as f64, "")
            .errors(locked),
        );
    }
    Ok(())
}

/// `code`'s sharing contact forwards the advisory at `path` to every organisation it is offered
/// that `pick` wants; answers whom, and the seconds the forward took.
async fn forward(
    server: &Server,
    path: &str,
    code: &str,
    pick: impl Fn(&str) -> bool,
) -> anyhow::Result<(Vec<String>, f64)> {
    let token = server
        .login(&format!("{code}-contact@demo.example"))
        .await?;
    let adv = server.get(path, &token).await?;
    let to: Vec<String> = offered(&adv).into_iter().filter(|c| pick(c)).collect();
    if to.is_empty() {
        return Ok((to, 0.0));
    }
    let t = Instant::now();
    server
        .post(&format!("{path}/forward"), &token, &json!({ "to": to }))
        .await?;
    Ok((to, t.elapsed().as_secs_f64()))
}

async fn publish_to_everyone(
    args: &BenchArgs,
    backend: BackendName,
    server: &Server,
    report: &mut Report,
) -> anyhow::Result<()> {
    let nisc = server.login("nisc-contact@demo.example").await?;
    let all = orgs(&server.get("/api/v1/orgs", &nisc).await?);
    let ministries: Vec<&Org> = all
        .iter()
        .filter(|o| o.roles.iter().any(|r| r == "sector_ministry"))
        .collect();
    let ceptoars: BTreeSet<&str> = all
        .iter()
        .filter(|o| o.roles.iter().any(|r| r == "ceptoar"))
        .map(|o| o.code.as_str())
        .collect();
    let operators = all
        .iter()
        .filter(|o| o.roles.iter().any(|r| r == "operator"))
        .count();
    // Every ministry, for every sector in its jurisdiction (from the reference data).
    let sectors = server.get("/api/v1/sectors", &nisc).await?;
    let mut jurisdiction: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for s in sectors.as_array().into_iter().flatten() {
        if let (Some(m), Some(code)) = (s["ministry"].as_str(), s["code"].as_str()) {
            jurisdiction.entry(m).or_default().push(code);
        }
    }
    let mut f = fig8()?;
    f["recipients"] = jurisdiction
        .iter()
        .map(|(m, sectors)| json!({ "ministry": m, "sectors": sectors }))
        .collect();
    f["exercise"] = json!(true);
    let draft = server
        .post("/api/v1/advisories", &nisc, &json!({ "form": f }))
        .await?;
    let id = draft["id"].as_i64().context("advisory id")?;
    let path = format!("/api/v1/advisories/{id}");
    let started = Instant::now();
    server
        .post(&format!("{path}/publish"), &nisc, &json!({}))
        .await?;
    let publish = started.elapsed().as_secs_f64();
    let mut slowest = 0f64;
    let mut reached: BTreeSet<String> = BTreeSet::new();
    for m in &ministries {
        let (to, secs) = forward(server, &path, &m.code, |c| ceptoars.contains(c)).await?;
        slowest = slowest.max(secs);
        reached.extend(to);
    }
    for c in &ceptoars {
        let (to, secs) = forward(server, &path, c, |c| !ceptoars.contains(c)).await?;
        slowest = slowest.max(secs);
        reached.extend(to);
    }
    let total = started.elapsed().as_secs_f64();
    let operators_reached = reached
        .iter()
        .filter(|c| !ceptoars.contains(c.as_str()))
        .count();
    // Someone at the far end must have it in their inbox.
    let far = server.login("gen-op-0-0@gen.example").await?;
    let inbox = server
        .get("/api/v1/advisories?delivered=true", &far)
        .await?;
    let delivered = inbox["items"]
        .as_array()
        .is_some_and(|a| a.iter().any(|i| i["id"].as_i64() == Some(id)));
    let users = args.w4_operators * args.w4_users_per_org;
    let b = backend.code();
    report.push(
        Row::new(
            b,
            0,
            "w4.publish_seconds".into(),
            ja("bench.w4_publish", &[]),
        )
        .value(publish, "s")
        .target(Target::AtMost { value: 2.0 }),
    );
    report.push(
        Row::new(
            b,
            0,
            "w4.slowest_forward_seconds".into(),
            ja("bench.w4_forward", &[]),
        )
        .value(slowest, "s")
        .target(Target::AtMost { value: 2.0 }),
    );
    report.push(
        Row::new(
            b,
            0,
            "w4.everyone_seconds".into(),
            ja("bench.w4_total", &[("users", &users.to_string())]),
        )
        .value(total, "s"),
    );
    report.push(
        Row::new(
            b,
            0,
            "w4.operators_reached".into(),
            ja("bench.w4_reached", &[]),
        )
        .value(operators_reached as f64, "")
        .target(Target::AtLeast {
            value: operators as f64,
        })
        .errors(u64::from(!delivered) + (operators - operators_reached.min(operators)) as u64),
    );
    Ok(())
}
