//! The `kyoyu` binary: parses the command line and configuration, opens the one storage backend
//! (the only place that chooses one), and runs the server or an administrative command.

mod config;

use std::collections::BTreeSet;
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use kyoyu_core::{Core, CoreConfig, NewOrgSpec, NewUserSpec, SystemClock, demo};
use kyoyu_domain::Role;
use kyoyu_domain::policy::Actor;
use kyoyu_store::Store;
use kyoyu_web::{AppState, WebConfig};

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
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Administration: organisations, users, tokens, reference data.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KYOYU_LISTEN")]
    listen: Option<String>,
    /// Create the demo world if missing (idempotent) and show the demo banner.
    #[arg(long, env = "KYOYU_DEMO")]
    demo: bool,
    /// Allow demo mode on a non-loopback address.
    #[arg(long)]
    demo_public: bool,
    /// Mark cookies Secure (when served over TLS).
    #[arg(long, env = "KYOYU_COOKIE_SECURE")]
    cookie_secure: bool,
    /// Require administrators to enrol TOTP before their admin rights take effect.
    #[arg(long, env = "KYOYU_REQUIRE_ADMIN_TOTP")]
    require_admin_totp: bool,
    /// SMTP server for notifications: smtp://host:25, smtp://host:587?tls=required, smtps://host:465.
    #[arg(long, env = "KYOYU_SMTP_URL")]
    smtp_url: Option<String>,
    /// Sender address of notification e-mails.
    #[arg(long, env = "KYOYU_MAIL_FROM")]
    mail_from: Option<String>,
    /// Public address of the service, for links in notifications.
    #[arg(long, env = "KYOYU_BASE_URL")]
    base_url: Option<String>,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Users.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Reference data (sectors, services, ministries).
    #[command(subcommand)]
    Reference(ReferenceCommand),
    /// Create the demo world (idempotent).
    Demo,
    /// Webhooks that receive an organisation's notifications (signed with HMAC-SHA256).
    #[command(subcommand)]
    Webhook(WebhookCommand),
}

#[derive(Subcommand)]
enum WebhookCommand {
    /// Add a webhook; the secret is read from standard input.
    Add {
        #[arg(long)]
        org: String,
        #[arg(long)]
        url: String,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Add an organisation.
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name_ja: String,
        #[arg(long, default_value = "")]
        name_en: String,
        /// Role code (repeatable): nisc, sector_ministry, ceptoar, operator, …
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Sector code (repeatable).
        #[arg(long = "sector")]
        sectors: Vec<String>,
        /// The reference-data ministry this organisation is (for sector ministries).
        #[arg(long)]
        ministry: Option<String>,
        /// CEPTOAR code it is a member of (repeatable).
        #[arg(long = "ceptoar")]
        ceptoars: Vec<String>,
    },
    /// Add an existing organisation to a CEPTOAR.
    AddMember {
        #[arg(long)]
        ceptoar: String,
        #[arg(long)]
        member: String,
    },
    /// List organisations.
    List,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        name: String,
        /// Organisation code (omit for an administrator without organisation).
        #[arg(long)]
        org: Option<String>,
        /// A sharing contact (窓口) of the organisation.
        #[arg(long)]
        contact: bool,
        /// A system administrator.
        #[arg(long)]
        admin: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issue an API token for a user; prints it once.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Days until it expires.
        #[arg(long)]
        days: Option<i64>,
    },
}

#[derive(Subcommand)]
enum ReferenceCommand {
    /// Print the reference data in force as TOML.
    Export,
    /// Replace the reference data with a TOML file (validated; history kept).
    Import { file: PathBuf },
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

fn core_config(file: &FileConfig, args: Option<&ServeArgs>) -> CoreConfig {
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
        require_admin_totp: args.is_some_and(|a| a.require_admin_totp)
            || file.require_admin_totp.unwrap_or(d.require_admin_totp),
        min_password_len: file.min_password_len.unwrap_or(d.min_password_len),
        session_cache_seconds: file
            .session_cache_seconds
            .unwrap_or(d.session_cache_seconds),
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
    config::ensure_dir(&cli.data_dir)?;
    let file = FileConfig::load(&cli.data_dir)?;
    init_logging(cli.log_json || file.log_json.unwrap_or(false));
    match &cli.command {
        Command::Serve(args) => serve(&cli, &file, args).await,
        Command::Migrate => {
            open_core(&cli, &file, core_config(&file, None)).await?;
            println!("{}", ja("cli.migrated", &[]));
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Admin(cmd) => {
            let core = open_core(&cli, &file, core_config(&file, None)).await?;
            admin(&core, cmd).await?;
            Ok(std::process::ExitCode::SUCCESS)
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

fn parse_roles(roles: &[String]) -> anyhow::Result<BTreeSet<Role>> {
    roles
        .iter()
        .map(|r| r.parse::<Role>().map_err(anyhow::Error::from))
        .collect()
}

async fn admin(core: &Core, cmd: &AdminCommand) -> anyhow::Result<()> {
    let system = Actor::System;
    match cmd {
        AdminCommand::Org(OrgCommand::Add {
            code,
            name_ja,
            name_en,
            roles,
            sectors,
            ministry,
            ceptoars,
        }) => {
            let spec = NewOrgSpec {
                code: code.clone(),
                name_ja: name_ja.clone(),
                name_en: name_en.clone(),
                roles: parse_roles(roles)?,
                sectors: sectors.iter().cloned().collect(),
                ministry: ministry.clone(),
                ceptoars: ceptoars.iter().cloned().collect(),
            };
            let id = core.create_org(&system, &spec).await?;
            println!(
                "{}",
                ja(
                    "cli.org_created",
                    &[("code", code), ("id", &id.to_string())]
                )
            );
        }
        AdminCommand::Org(OrgCommand::AddMember { ceptoar, member }) => {
            core.add_ceptoar_member(&system, ceptoar, member).await?;
            println!(
                "{}",
                ja(
                    "cli.member_added",
                    &[("member", member), ("ceptoar", ceptoar)]
                )
            );
        }
        AdminCommand::Org(OrgCommand::List) => {
            for o in core.list_orgs(&system).await? {
                let roles: Vec<&str> = o.roles.iter().map(|r| r.code()).collect();
                let sectors: Vec<&str> = o.sectors.iter().map(String::as_str).collect();
                println!(
                    "{}\t{}\t{}\t{}",
                    o.code,
                    o.name_ja,
                    roles.join(","),
                    sectors.join(",")
                );
            }
        }
        AdminCommand::User(UserCommand::Add {
            email,
            name,
            org,
            contact,
            admin,
        }) => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context(ja("cli.stdin_password", &[]))?;
            let spec = NewUserSpec {
                email: email.clone(),
                name: name.clone(),
                org: org.clone(),
                password: password.trim_end_matches(['\r', '\n']).to_owned(),
                is_contact: *contact,
                is_admin: *admin,
            };
            let id = core.create_user(&system, &spec).await?;
            println!(
                "{}",
                ja(
                    "cli.user_created",
                    &[("email", email), ("id", &id.to_string())]
                )
            );
        }
        AdminCommand::Token(TokenCommand::Add { email, name, days }) => {
            let t = core.create_token_for(&system, email, name, *days).await?;
            println!("{}", t.token);
            eprintln!("{}", ja("cli.token_issued", &[("id", &t.id.to_string())]));
        }
        AdminCommand::Reference(ReferenceCommand::Export) => print!("{}", core.reference_toml()),
        AdminCommand::Reference(ReferenceCommand::Import { file }) => {
            let text = std::fs::read_to_string(file).with_context(|| {
                ja(
                    "cli.file_unreadable",
                    &[("file", &file.display().to_string())],
                )
            })?;
            core.replace_reference(&system, &text).await?;
            println!("{}", ja("cli.reference_replaced", &[]));
        }
        AdminCommand::Webhook(WebhookCommand::Add { org, url }) => {
            let mut secret = String::new();
            std::io::stdin()
                .read_to_string(&mut secret)
                .context(ja("cli.stdin_secret", &[]))?;
            let id = core.add_webhook(&system, org, url, secret.trim()).await?;
            println!("{}", ja("cli.webhook_added", &[("id", &id.to_string())]));
        }
        AdminCommand::Demo => {
            let s = demo::ensure(core).await?;
            println!(
                "{}",
                ja(
                    "cli.demo_created",
                    &[
                        ("orgs", &s.orgs_created.to_string()),
                        ("users", &s.users_created.to_string())
                    ]
                )
            );
        }
    }
    Ok(())
}

async fn serve(
    cli: &Cli,
    file: &FileConfig,
    args: &ServeArgs,
) -> anyhow::Result<std::process::ExitCode> {
    let listen = args
        .listen
        .clone()
        .or_else(|| file.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let addr: SocketAddr = listen
        .parse()
        .with_context(|| ja("cli.bad_listen", &[("listen", &listen)]))?;
    if args.demo && !addr.ip().is_loopback() && !args.demo_public {
        bail!(ja("cli.demo_public", &[("addr", &addr.to_string())]));
    }
    let core = open_core(cli, file, core_config(file, Some(args))).await?;
    if args.demo {
        let s = demo::ensure(&core).await?;
        tracing::info!(
            orgs_created = s.orgs_created,
            users_created = s.users_created,
            "demo world ready"
        );
    }
    let defaults = WebConfig::default();
    let web = WebConfig {
        sample_zip_password: file
            .sample_zip_password
            .clone()
            .unwrap_or(defaults.sample_zip_password.clone()),
        max_attachment_bytes: file
            .max_attachment_bytes
            .unwrap_or(defaults.max_attachment_bytes),
        demo: args.demo,
        cookie_secure: args.cookie_secure || file.cookie_secure.unwrap_or(false),
        login_attempts_per_minute: file
            .login_attempts_per_minute
            .unwrap_or(WebConfig::default().login_attempts_per_minute),
        ..WebConfig::default()
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| ja("cli.cannot_listen", &[("addr", &addr.to_string())]))?;
    let bound = listener.local_addr()?;
    let db = config::redact(&config::database_url(
        cli.database.as_deref(),
        file,
        &cli.data_dir,
    ));
    println!(
        "{}",
        ja(
            "cli.started",
            &[("url", &format!("http://{bound}/")), ("db", &db)]
        )
    );
    if args.demo {
        println!("======================================================================");
        println!("{}", ja("cli.demo_banner", &[]));
        println!(
            "{}",
            ja(
                "cli.demo_login",
                &[("url", &format!("http://{bound}/login"))]
            )
        );
        println!(
            "   op-finance-1-contact@demo.example / {}",
            demo::DEMO_PASSWORD
        );
        println!("   nisc-contact@demo.example / {}", demo::DEMO_PASSWORD);
        println!(
            " API: curl -s -X POST http://{bound}/api/v1/auth/login -H 'Content-Type: application/json' \\"
        );
        println!(
            "        -d '{{\"email\":\"nisc-contact@demo.example\",\"password\":\"{}\"}}'",
            demo::DEMO_PASSWORD
        );
        println!("======================================================================");
    }
    tracing::info!(%bound, backend = core.backend().name(), "listening");
    let state = AppState::new(core.clone(), web);
    // The notification worker runs beside the server and stops with it.
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let worker = kyoyu_core::notify::Worker::new(core.clone())?;
    let worker = tokio::spawn(worker.run(async move {
        let _ = stop_rx.await;
    }));
    kyoyu_web::serve(listener, state, shutdown_signal()).await?;
    let _ = stop_tx.send(());
    let _ = worker.await;
    core.shutdown().await;
    tracing::info!("stopped");
    Ok(std::process::ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM: stop accepting, let in-flight requests finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down; finishing in-flight requests");
}
