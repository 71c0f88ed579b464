//! W5: exchange — a TAXII client paging through every object of the reports collection as
//! NISC (`limit=1000` and `next`), and the bulk STIX export (`kyoyu export stix --all`) as NISC,
//! each in objects per second beside a baseline measured in the same run: serialising the same
//! objects in this process. The target is 20,000 objects/s for each.

use std::time::Instant;

use anyhow::{Context, bail};
use kyoyu_domain::messages::ja;
use serde_json::Value;

use super::BackendName;
use super::BenchArgs;
use super::corpus::Corpus;
use super::report::{Report, Row, Target};
use super::server::Server;

const W5_USER: &str = "nisc-contact@demo.example";
const REPORTS: &str = "2b7f0c5e-8a1d-4f3b-9c6e-1d2a3b4c5d6e";
const TARGET: f64 = 20_000.0;

/// Objects per second of serialising `objects` as one JSON text in this process.
fn serialising(objects: &[Value]) -> anyhow::Result<f64> {
    let started = Instant::now();
    let bytes = serde_json::to_vec(objects)?;
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    std::hint::black_box(bytes);
    Ok(objects.len() as f64 / secs)
}

pub async fn w5(
    _args: &BenchArgs,
    backend: BackendName,
    threads: usize,
    corpus: &Corpus,
    server: &Server,
    report: &mut Report,
) -> anyhow::Result<()> {
    let token = server.login(W5_USER).await?;
    let who = W5_USER.trim_end_matches("@demo.example");

    // A TAXII client's walk of the reports collection.
    let url = format!("{}/taxii2/api/collections/{REPORTS}/objects/", server.base);
    let mut objects: Vec<Value> = Vec::new();
    let mut next: Option<String> = None;
    let mut errors = 0;
    let started = Instant::now();
    loop {
        let mut req = server
            .http
            .get(&url)
            .bearer_auth(&token)
            .header("accept", "application/taxii+json;version=2.1")
            .query(&[("limit", "1000")]);
        if let Some(n) = &next {
            req = req.query(&[("next", n.as_str())]);
        }
        let res = req.send().await?;
        if !res.status().is_success() {
            errors += 1;
            break;
        }
        let mut page: Value = res.json().await?;
        if let Some(list) = page["objects"].as_array_mut() {
            objects.append(list);
        }
        next = page["next"].as_str().map(str::to_owned);
        if next.is_none() {
            break;
        }
    }
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    if threads > 0 && objects.is_empty() {
        bail!("the reports collection is empty for {W5_USER}");
    }
    report.push(
        Row::new(
            backend.code(),
            threads,
            format!("w5.taxii_paging.{who}"),
            ja(
                "bench.w5_taxii",
                &[("who", who), ("n", &objects.len().to_string())],
            ),
        )
        .value(objects.len() as f64 / secs, "objects/s")
        .baseline(serialising(&objects)?)
        .target(Target::AtLeast { value: TARGET })
        .errors(errors),
    );

    // The bulk export from the command line, on the same database while the service runs.
    let out = corpus.data_dir.join("w5-export.json");
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.arg("--data-dir").arg(&corpus.data_dir);
    if let Some(db) = &corpus.database {
        cmd.args(["--database", db]);
    }
    let started = Instant::now();
    let status = cmd
        .args(["export", "stix", "--all", "--token", &token, "-o"])
        .arg(&out)
        .env("RUST_LOG", "warn")
        .env_remove("KYOYU_DATABASE")
        .stdout(std::process::Stdio::null())
        .status()
        .context("kyoyu export stix")?;
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    let bundle: Value = serde_json::from_slice(&std::fs::read(&out)?)?;
    let exported = bundle["objects"].as_array().cloned().unwrap_or_default();
    report.push(
        Row::new(
            backend.code(),
            threads,
            format!("w5.bulk_export.{who}"),
            ja(
                "bench.w5_export",
                &[("who", who), ("n", &exported.len().to_string())],
            ),
        )
        .value(exported.len() as f64 / secs, "objects/s")
        .baseline(serialising(&exported)?)
        .target(Target::AtLeast { value: TARGET })
        .errors(u64::from(!status.success())),
    );
    Ok(())
}
