//! The figures of one harness run: a table on the terminal, the same as JSON in a file.

use std::path::Path;

use kyoyu_domain::messages::ja;
use serde::Serialize;

use super::BenchArgs;

/// What a figure must meet.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// The value must not exceed this.
    AtMost { value: f64 },
    /// The value must reach this.
    AtLeast { value: f64 },
    /// p99 at most `p99_ms` and the value at least `ratio` of the baseline.
    Served { p99_ms: f64, ratio: f64 },
    /// The value at least `ratio` of the baseline.
    RatioAtLeast { ratio: f64 },
    /// p99 at most `p99_ms` (the baseline is shown beside it).
    P99AtMost { p99_ms: f64 },
}

impl Target {
    fn met(self, r: &Row) -> bool {
        match self {
            Target::AtMost { value } => r.value <= value,
            Target::AtLeast { value } => r.value >= value,
            Target::Served { p99_ms, ratio } => {
                r.p99_ms.is_some_and(|p| p <= p99_ms) && r.ratio.is_some_and(|x| x >= ratio)
            }
            Target::RatioAtLeast { ratio } => r.ratio.is_some_and(|x| x >= ratio),
            // No answer within the run is no latency at all, not a good one.
            Target::P99AtMost { p99_ms } => r.value > 0.0 && r.p99_ms.is_some_and(|p| p <= p99_ms),
        }
    }

    fn text(self, unit: &str) -> String {
        match self {
            Target::AtMost { value } => format!("≤ {} {unit}", num(value)),
            Target::AtLeast { value } => format!("≥ {} {unit}", num(value)),
            Target::Served { p99_ms, ratio } => {
                format!("p99 ≤ {} ms, ≥ {:.0} %", num(p99_ms), ratio * 100.0)
            }
            Target::RatioAtLeast { ratio } => format!("≥ {:.0} %", ratio * 100.0),
            Target::P99AtMost { p99_ms } => format!("p99 ≤ {} ms", num(p99_ms)),
        }
    }
}

/// One figure.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub backend: &'static str,
    /// Report threads in the corpus (for W4, in its world).
    pub threads: usize,
    /// A stable identifier, e.g. `w2.first_page.op-finance-1-contact`.
    pub id: String,
    /// What a person reads in the table.
    pub label: String,
    pub value: f64,
    pub unit: &'static str,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// The baseline measured in the same run, in the same unit.
    pub baseline: Option<f64>,
    pub ratio: Option<f64>,
    pub target: Option<Target>,
    pub met: Option<bool>,
    /// Answers that were not 2xx, socket errors, "database is locked" in the log.
    pub errors: u64,
}

impl Row {
    pub fn new(backend: &'static str, threads: usize, id: String, label: String) -> Row {
        Row {
            backend,
            threads,
            id,
            label,
            value: 0.0,
            unit: "",
            p50_ms: None,
            p99_ms: None,
            baseline: None,
            ratio: None,
            target: None,
            met: None,
            errors: 0,
        }
    }

    pub fn value(mut self, value: f64, unit: &'static str) -> Row {
        self.value = value;
        self.unit = unit;
        self
    }

    pub fn latency(mut self, p50_ms: f64, p99_ms: f64) -> Row {
        self.p50_ms = Some(p50_ms);
        self.p99_ms = Some(p99_ms);
        self
    }

    pub fn baseline(mut self, baseline: f64) -> Row {
        self.baseline = Some(baseline);
        self.ratio = (baseline > 0.0).then(|| self.value / baseline);
        self
    }

    pub fn target(mut self, target: Target) -> Row {
        self.met = Some(target.met(&self));
        self.target = Some(target);
        self
    }

    pub fn errors(mut self, errors: u64) -> Row {
        self.errors = errors;
        self
    }
}

fn num(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[derive(Serialize)]
struct Machine {
    cpus: usize,
    cpu_model: String,
    kernel: String,
    memory_mib: u64,
}

fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    Machine {
        cpus: std::thread::available_parallelism().map_or(1, usize::from),
        cpu_model: cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
            .unwrap_or_default(),
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_owned(),
        memory_mib: meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(0, |kib| kib / 1024),
    }
}

#[derive(Serialize)]
struct Settings {
    quick: bool,
    sizes: Vec<usize>,
    backends: Vec<super::BackendName>,
    duration_seconds: u64,
    seed: u64,
    w4_operators: usize,
    w4_users_per_org: usize,
}

#[derive(Serialize)]
pub struct Report {
    version: &'static str,
    started_at: String,
    machine: Machine,
    settings: Settings,
    rows: Vec<Row>,
}

impl Report {
    pub fn new(args: &BenchArgs) -> Report {
        Report {
            version: env!("CARGO_PKG_VERSION"),
            started_at: kyoyu_store::ts(kyoyu_core::Clock::now(&kyoyu_core::SystemClock)),
            machine: machine(),
            settings: Settings {
                quick: args.quick,
                sizes: args.sizes.clone(),
                backends: args.backends.clone(),
                duration_seconds: args.duration,
                seed: args.seed,
                w4_operators: args.w4_operators,
                w4_users_per_org: args.w4_users_per_org,
            },
            rows: Vec::new(),
        }
    }

    /// Adds a figure and shows it at once (a full run takes a while).
    pub fn push(&mut self, row: Row) {
        println!("  {}", line(&row));
        self.rows.push(row);
    }

    /// The cost of the first page at the largest corpus against the smallest, per backend and
    /// user: the ratio of their requests per second under the same load.
    pub fn derive_scaling(&mut self) {
        let sizes: Vec<usize> = self.settings.sizes.clone();
        let (Some(&small), Some(&large)) = (sizes.first(), sizes.last()) else {
            return;
        };
        if small == large {
            return;
        }
        let mut derived = Vec::new();
        for prefix in ["w2", "w2_uncached"] {
            let first = format!("{prefix}.first_page.");
            for r in self
                .rows
                .iter()
                .filter(|r| r.threads == large && r.id.starts_with(&first) && r.value > 0.0)
            {
                let Some(base) = self
                    .rows
                    .iter()
                    .find(|b| b.backend == r.backend && b.threads == small && b.id == r.id)
                else {
                    continue;
                };
                let who = r.id.trim_start_matches(&first);
                let mut label = ja(
                    "bench.first_page_cost",
                    &[("small", &small.to_string()), ("who", who)],
                );
                if prefix == "w2_uncached" {
                    label.push_str(&ja("bench.uncached", &[]));
                }
                derived.push(
                    Row::new(
                        r.backend,
                        large,
                        format!("{prefix}.first_page_cost_vs_{small}.{who}"),
                        label,
                    )
                    .value(base.value / r.value, "×")
                    .target(Target::AtMost { value: 1.5 }),
                );
            }
        }
        for row in derived {
            self.push(row);
        }
    }

    pub fn errors(&self) -> u64 {
        self.rows.iter().map(|r| r.errors).sum()
    }

    pub fn missed(&self) -> usize {
        self.rows.iter().filter(|r| r.met == Some(false)).count()
    }

    pub fn print(&self) {
        println!();
        println!("{}", ja("bench.table_header", &[]));
        for r in &self.rows {
            println!("{}", line(r));
        }
    }

    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        std::fs::write(path, serde_json::to_string_pretty(self)?)?;
        Ok(())
    }
}

/// `text` padded with spaces to `width` terminal columns (a kanji takes two).
fn pad(text: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

fn line(r: &Row) -> String {
    let opt = |v: Option<f64>| v.map(num).unwrap_or_else(|| "-".into());
    let verdict = match r.met {
        Some(true) => "OK",
        Some(false) => "NG",
        None => "-",
    };
    format!(
        "{:<8} {:>9} | {} | {:>9} {:<6} | p50 {:>7} p99 {:>7} | {} {:>9} | {:>6} | {:<22} {} | {}",
        r.backend,
        r.threads,
        pad(&r.label, 60),
        num(r.value),
        r.unit,
        opt(r.p50_ms),
        opt(r.p99_ms),
        ja("bench.baseline", &[]),
        opt(r.baseline),
        r.ratio
            .map(|x| format!("{:.0}%", x * 100.0))
            .unwrap_or_else(|| "-".into()),
        r.target.map(|t| t.text(r.unit)).unwrap_or_default(),
        verdict,
        ja("bench.errors", &[("n", &r.errors.to_string())]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_served_target_needs_both_the_latency_and_the_share_of_healthz() {
        let row = |p99: f64, rps: f64| {
            Row::new("sqlite", 10, "w2.x".into(), "x".into())
                .value(rps, "req/s")
                .latency(1.0, p99)
                .baseline(1000.0)
                .target(Target::Served {
                    p99_ms: 20.0,
                    ratio: 0.5,
                })
        };
        assert_eq!(row(19.0, 600.0).met, Some(true));
        assert_eq!(row(21.0, 600.0).met, Some(false));
        assert_eq!(row(19.0, 400.0).met, Some(false));
    }
}
