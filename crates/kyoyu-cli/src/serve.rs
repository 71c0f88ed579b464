//! `kyoyu serve`: the web service and the notification worker, until Ctrl-C or SIGTERM.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use clap::Args;
use kyoyu_core::demo;
use kyoyu_domain::messages::ja;
use kyoyu_web::{AppState, WebConfig};

use crate::config::{self, FileConfig};
use crate::{Cli, core_config, open_core};

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KYOYU_LISTEN")]
    pub listen: Option<String>,
    /// Create the demo world if missing (idempotent) and show the demo banner.
    #[arg(long, env = "KYOYU_DEMO")]
    pub demo: bool,
    /// Allow demo mode on a non-loopback address.
    #[arg(long)]
    pub demo_public: bool,
    /// Mark cookies Secure (when served over TLS).
    #[arg(long, env = "KYOYU_COOKIE_SECURE")]
    pub cookie_secure: bool,
    /// Require administrators to enrol TOTP before their admin rights take effect.
    #[arg(long, env = "KYOYU_REQUIRE_ADMIN_TOTP")]
    pub require_admin_totp: bool,
    /// SMTP server for notifications: smtp://host:25, smtp://host:587?tls=required, smtps://host:465.
    #[arg(long, env = "KYOYU_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Sender address of notification e-mails.
    #[arg(long, env = "KYOYU_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Public address of the service, for links in notifications.
    #[arg(long, env = "KYOYU_BASE_URL")]
    pub base_url: Option<String>,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key); SIGHUP reads both again.
    #[arg(long, env = "KYOYU_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "KYOYU_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// Seconds a list page is replayed to the same caller while nothing changed (SQLite; 0
    /// turns it off).
    #[arg(long, env = "KYOYU_LIST_CACHE_SECONDS")]
    pub list_cache_seconds: Option<u64>,
}

pub async fn serve(
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
    let tls = match (
        args.tls_cert.clone().or_else(|| file.tls_cert.clone()),
        args.tls_key.clone().or_else(|| file.tls_key.clone()),
    ) {
        (Some(cert), Some(key)) => Some(kyoyu_web::tls::TlsCerts::load(&cert, &key)?),
        (None, None) => None,
        _ => bail!(ja("tls.both", &[])),
    };
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
        pdf_chromium: file.pdf_chromium.clone(),
        // Served over TLS, by kyoyu or by a proxy: Secure cookies and HSTS.
        cookie_secure: tls.is_some() || args.cookie_secure || file.cookie_secure.unwrap_or(false),
        trusted_proxies: config::trusted_proxies(file)?,
        metrics_token: file.metrics_token.clone().filter(|t| !t.is_empty()),
        metrics_loopback: file.metrics_loopback.unwrap_or(defaults.metrics_loopback),
        ..WebConfig::default()
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| ja("cli.cannot_listen", &[("addr", &addr.to_string())]))?;
    let bound = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let db = config::redact(&config::database_url(
        cli.database.as_deref(),
        file,
        &cli.data_dir,
    ));
    println!(
        "{}",
        ja(
            "cli.started",
            &[("url", &format!("{scheme}://{bound}/")), ("db", &db)]
        )
    );
    if args.demo {
        println!("======================================================================");
        println!("{}", ja("cli.demo_banner", &[]));
        println!(
            "{}",
            ja(
                "cli.demo_login",
                &[("url", &format!("{scheme}://{bound}/login"))]
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
    // Saved searches are run again as their owners every five minutes.
    let (searches_tx, searches_rx) = tokio::sync::oneshot::channel::<()>();
    let searches = tokio::spawn(core.clone().run_saved_searches(
        std::time::Duration::from_secs(300),
        async move {
            let _ = searches_rx.await;
        },
    ));
    match &tls {
        Some(certs) => {
            let reloader = tokio::spawn(reload_on_hangup(certs.clone()));
            kyoyu_web::serve_tls(listener, certs, state, shutdown_signal()).await?;
            reloader.abort();
        }
        None => kyoyu_web::serve(listener, state, shutdown_signal()).await?,
    }
    let _ = stop_tx.send(());
    let _ = searches_tx.send(());
    let _ = worker.await;
    let _ = searches.await;
    core.shutdown().await;
    tracing::info!("stopped");
    Ok(std::process::ExitCode::SUCCESS)
}

/// SIGHUP: read the certificate and key again (a renewed certificate takes effect for new
/// connections; a broken one is refused and the old one stays).
async fn reload_on_hangup(certs: std::sync::Arc<kyoyu_web::tls::TlsCerts>) {
    #[cfg(unix)]
    {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hup.recv().await.is_some() {
            match certs.reload() {
                Ok(()) => tracing::info!("{}", ja("tls.reloaded", &[])),
                Err(e) => {
                    tracing::warn!("{}", ja("tls.reload_failed", &[("detail", &e.to_string())]))
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = certs;
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
