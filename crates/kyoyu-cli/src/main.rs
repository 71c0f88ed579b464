//! The `kyoyu` binary: parses the command line and configuration, opens the one storage backend
//! (the only place that chooses one), and runs the server or an administrative command.

mod admin;
mod backup;
mod bench;
mod config;
mod doctor;
mod documents;
mod serve;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use kyoyu_core::{Core, CoreConfig, SystemClock};
use kyoyu_store::Store;

use kyoyu_domain::messages::ja;

use crate::config::FileConfig;

#[derive(Parser)]
#[command(
    name = "kyoyu",
    version,
    about = "kyoyu（共有）— 重要インフラ情報共有システム"
)]
struct Cli {
    /// Data directory (SQLite database, kyoyu.toml, attachments).
    #[arg(
        long,
        global = true,
        env = "KYOYU_DATA_DIR",
        default_value = "./kyoyu-data"
    )]
    data_dir: PathBuf,
    /// Database URL: postgres://… for PostgreSQL; default is SQLite in the data directory.
    #[arg(long, global = true, env = "KYOYU_DATABASE")]
    database: Option<String>,
    /// Log as JSON lines.
    #[arg(long, global = true, env = "KYOYU_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (web UI, JSON API, metrics).
    Serve(serve::ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Administration: organisations, users, tokens, reference data.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Forms and lists as files: the Excel 様式, PDF, CSV, STIX 2.1, a MISP feed (as the user
    /// of an API token).
    #[command(subcommand)]
    Export(documents::ExportCommand),
    /// A filled Excel 様式 or a STIX 2.1 bundle as a draft (as the user of an API token).
    #[command(subcommand)]
    Import(documents::ImportCommand),
    /// A consistent copy of the whole database (attachments and audit log included) in one
    /// file, taken while the service runs.
    Backup(backup::BackupArgs),
    /// Put a backup in place of the database (stop the service first), then check its census
    /// and audit chain.
    Restore(backup::RestoreArgs),
    /// Check this deployment — configuration, data directory, database, mail, TLS, PDF — and
    /// say in Japanese what is wrong (exit code 1 when something is).
    Doctor(doctor::DoctorArgs),
    /// Measure: generate a corpus, start the service on it, load it with wrk, and print each
    /// figure beside its baseline (see docs/PERFORMANCE.md).
    Bench(bench::BenchArgs),
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain of the whole audit log; fails naming the first bad record.
    Verify,
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn open_core(cli: &Cli, file: &FileConfig, core_config: CoreConfig) -> anyhow::Result<Core> {
    let url = config::database_url(cli.database.as_deref(), file, &cli.data_dir);
    let store = Store::open(&url)
        .await
        .with_context(|| ja("cli.db_open_failed", &[("db", &config::redact(&url))]))?;
    store
        .migrate()
        .await
        .context(ja("cli.migrate_failed", &[]))?;
    Ok(Core::new(store, Arc::new(SystemClock), core_config).await?)
}

fn core_config(file: &FileConfig, args: Option<&serve::ServeArgs>) -> CoreConfig {
    let d = CoreConfig::default();
    let mut notify = d.notify.clone();
    notify.smtp_url = args
        .and_then(|a| a.smtp_url.clone())
        .or_else(|| file.smtp_url.clone());
    if let Some(from) = args
        .and_then(|a| a.mail_from.clone())
        .or_else(|| file.mail_from.clone())
    {
        notify.from = from;
    }
    if let Some(base) = args
        .and_then(|a| a.base_url.clone())
        .or_else(|| file.base_url.clone())
    {
        notify.base_url = base;
    }
    CoreConfig {
        notify,
        session_hours: file.session_hours.unwrap_or(d.session_hours),
        max_failed_logins: file.max_failed_logins.unwrap_or(d.max_failed_logins),
        lockout_minutes: file.lockout_minutes.unwrap_or(d.lockout_minutes),
        login_failures_per_minute: file
            .login_failures_per_minute
            .unwrap_or(d.login_failures_per_minute),
        max_token_days: file.max_token_days.unwrap_or(d.max_token_days),
        require_admin_totp: args.is_some_and(|a| a.require_admin_totp)
            || file.require_admin_totp.unwrap_or(d.require_admin_totp),
        min_password_len: file.min_password_len.unwrap_or(d.min_password_len),
        session_cache_seconds: file
            .session_cache_seconds
            .unwrap_or(d.session_cache_seconds),
        list_cache_seconds: args
            .and_then(|a| a.list_cache_seconds)
            .or(file.list_cache_seconds)
            .unwrap_or(d.list_cache_seconds),
        stats_min_cell: file.stats_min_cell.unwrap_or(d.stats_min_cell),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}", ja("cli.error", &[("detail", &format!("{e:#}"))]));
            std::process::ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    if let Command::Bench(args) = &cli.command {
        // The harness keeps its own data directories; it needs none of the global options.
        init_logging(cli.log_json);
        return bench::run(args).await;
    }
    config::ensure_dir(&cli.data_dir)?;
    let file = match (FileConfig::load(&cli.data_dir), &cli.command) {
        (Ok(file), _) => file,
        // The doctor says what is wrong with the file as one of its findings.
        (Err(e), Command::Doctor(_)) => {
            println!(
                "{} {}: {e:#}",
                ja("doctor.fail", &[]),
                ja("doctor.topic_config", &[])
            );
            return Ok(std::process::ExitCode::from(1));
        }
        (Err(e), _) => return Err(e),
    };
    init_logging(cli.log_json || file.log_json.unwrap_or(false));
    match &cli.command {
        Command::Serve(args) => serve::serve(&cli, &file, args).await,
        Command::Bench(_) => unreachable!("dispatched above"),
        Command::Doctor(args) => Ok(doctor::doctor(&cli, &file, args).await),
        Command::Migrate => {
            open_core(&cli, &file, core_config(&file, None)).await?;
            println!("{}", ja("cli.migrated", &[]));
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Admin(cmd) => {
            let core = open_core(&cli, &file, core_config(&file, None)).await?;
            admin::admin(&core, cmd).await?;
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Export(cmd) => {
            let core = open_core(&cli, &file, core_config(&file, None)).await?;
            documents::export(&core, cmd, file.pdf_chromium.clone()).await?;
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Import(cmd) => {
            let core = open_core(&cli, &file, core_config(&file, None)).await?;
            documents::import(&core, cmd).await?;
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Backup(args) => {
            let url = config::database_url(cli.database.as_deref(), &file, &cli.data_dir);
            backup::backup(&url, args).await?;
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Restore(args) => {
            let url = config::database_url(cli.database.as_deref(), &file, &cli.data_dir);
            let restored = backup::restore(&url, args).await?;
            if let Some(kept) = &restored.kept {
                println!(
                    "{}",
                    ja("backup.kept", &[("file", &kept.display().to_string())])
                );
            }
            // A backup of an older kyoyu is brought up to this one's schema here.
            let core = open_core(&cli, &file, core_config(&file, None)).await?;
            match core.audit_verify().await? {
                Ok(n) => {
                    let c = &restored.census;
                    println!(
                        "{}",
                        ja(
                            "backup.restored",
                            &[
                                ("db", &config::redact(&url)),
                                ("reports", &c.reports.to_string()),
                                ("advisories", &c.advisories.to_string()),
                                ("files", &c.files.to_string()),
                                ("audit", &n.to_string()),
                            ]
                        )
                    );
                    Ok(std::process::ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!(
                        "{}",
                        ja("backup.audit_failed", &[("detail", &e.to_string())])
                    );
                    Ok(std::process::ExitCode::from(2))
                }
            }
        }
        Command::Audit(AuditCommand::Verify) => {
            let core = open_core(&cli, &file, core_config(&file, None)).await?;
            match core.audit_verify().await? {
                Ok(n) => {
                    println!("{}", ja("cli.audit_ok", &[("n", &n.to_string())]));
                    Ok(std::process::ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("{}", ja("cli.audit_failed", &[("detail", &e.to_string())]));
                    Ok(std::process::ExitCode::from(2))
                }
            }
        }
    }
}
