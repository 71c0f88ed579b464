//! `kyoyu bench`: the benchmark harness. For each backend and corpus size it generates (or
//! reuses) a corpus, starts this binary as `kyoyu serve` on it, loads it with `wrk`, and prints
//! each figure beside the baseline measured in the same run — one table on the terminal, JSON
//! to a file. docs/PERFORMANCE.md says what each figure means and what bounds it.
//!
//! - W1: submitting the fig5 form on the anonymised route (16 connections) against durable
//!   single-row transactions of the same bytes on the same disk.
//! - W2: the first report-list page and two filtered pages as an operator's sharing contact and
//!   as NISC (8 connections) against `GET /healthz` under the same load; peak RSS.
//! - W3: search as an operator's sharing contact (a three-character word, a two-character word,
//!   a faceted query) against the W2 list's first page of the same caller.
//! - W4: publishing an advisory that reaches every operator of a world of 10,000 operator
//!   organisations and 50,000 users, through the ministries and CEPTOARs.
//! - W5: a TAXII client paging through the reports collection, and the bulk STIX export, in
//!   objects per second against serialising the same objects in-process.
//! - Start to `/readyz`, and the generator's rate.

mod corpus;
mod report;
mod server;
mod w3;
mod w5;
mod workloads;
mod wrk;

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use kyoyu_domain::messages::ja;

use self::report::Report;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendName {
    Sqlite,
    Postgres,
}

impl BackendName {
    fn code(self) -> &'static str {
        match self {
            BackendName::Sqlite => "sqlite",
            BackendName::Postgres => "postgres",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Serialize)]
pub enum Workload {
    W1,
    W2,
    W3,
    W4,
    W5,
}

#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// A run of seconds for CI: 1,000 threads, 2-second loads, a W4 world of 300 operators.
    /// Every answer is still checked; the targets are shown but only errors fail the run.
    #[arg(long)]
    pub quick: bool,
    /// Corpus sizes in report threads, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [10_000usize, 100_000])]
    pub sizes: Vec<usize>,
    /// Backends, comma-separated.
    #[arg(long, value_delimiter = ',', value_enum, default_values_t = [BackendName::Sqlite])]
    pub backends: Vec<BackendName>,
    /// A PostgreSQL server the harness may create its own databases on (`kyoyu_bench_…`).
    #[arg(
        long,
        env = "KYOYU_BENCH_PG",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub pg_url: String,
    /// Workloads, comma-separated.
    #[arg(long, value_delimiter = ',', value_enum, default_values_t = [Workload::W1, Workload::W2, Workload::W3, Workload::W4, Workload::W5])]
    pub workloads: Vec<Workload>,
    /// Seconds of each load run.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Where corpora are kept between runs (they are reused when they match), and logs.
    #[arg(long, default_value = "./kyoyu-bench")]
    pub work_dir: PathBuf,
    /// The JSON result file (default: bench.json in the work directory).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Seed of the generated corpora.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Operator organisations in the W4 world.
    #[arg(long, default_value_t = 10_000)]
    pub w4_operators: usize,
    /// Users per operator organisation in the W4 world.
    #[arg(long, default_value_t = 5)]
    pub w4_users_per_org: usize,
    /// Regenerate corpora even when a matching one is kept.
    #[arg(long)]
    pub fresh: bool,
    /// Also fail (exit status 3) when a figure misses its target.
    #[arg(long)]
    pub strict: bool,
}

impl BenchArgs {
    /// The settings in force: `--quick` replaces sizes, durations and the W4 world.
    fn effective(&self) -> BenchArgs {
        let mut a = self.clone();
        if a.quick {
            a.sizes = vec![1_000];
            a.duration = 2;
            a.w4_operators = 300;
        }
        a.sizes.sort_unstable();
        a.sizes.dedup();
        a
    }
}

pub async fn run(args: &BenchArgs) -> anyhow::Result<std::process::ExitCode> {
    let args = args.effective();
    std::fs::create_dir_all(&args.work_dir)?;
    let mut report = Report::new(&args);
    for &backend in &args.backends {
        for &threads in &args.sizes {
            let needs_corpus = args
                .workloads
                .iter()
                .any(|w| matches!(w, Workload::W1 | Workload::W2 | Workload::W3 | Workload::W5));
            if needs_corpus {
                workloads::on_corpus(&args, backend, threads, &mut report).await?;
            }
        }
        if args.workloads.contains(&Workload::W4) {
            workloads::w4(&args, backend, &mut report).await?;
        }
    }
    report.derive_scaling();
    report.print();
    let json = args
        .json
        .clone()
        .unwrap_or_else(|| args.work_dir.join("bench.json"));
    report.write_json(&json)?;
    println!(
        "{}",
        ja(
            "bench.json_written",
            &[("file", &json.display().to_string())]
        )
    );
    if report.errors() > 0 {
        eprintln!(
            "{}",
            ja(
                "bench.failed_errors",
                &[("n", &report.errors().to_string())]
            )
        );
        return Ok(std::process::ExitCode::from(2));
    }
    if args.strict && report.missed() > 0 {
        eprintln!(
            "{}",
            ja(
                "bench.failed_targets",
                &[("n", &report.missed().to_string())]
            )
        );
        return Ok(std::process::ExitCode::from(3));
    }
    Ok(std::process::ExitCode::SUCCESS)
}
