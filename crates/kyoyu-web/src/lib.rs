//! kyoyu over HTTP: the JSON API (`/api/v1`, with its OpenAPI document), the server-rendered
//! Japanese web UI, health and metrics. This crate knows HTTP and nothing below it does; it
//! turns credentials into an `Actor` and hands every request to the core.

mod api;
mod auth;
mod client;
mod error;
mod json;
mod metrics;
mod misp;
mod pdf;
mod taxii;
mod text_guard;
pub mod tls;

pub use documents_cli::{advisory_pdf, report_pdf};
/// The path and methods of every UI page and form action, from the table the router is built
/// from (the UI route matrix test reads it).
pub use ui::paths as ui_paths;

/// Whether PDF output would work with this `pdf_chromium` setting (`kyoyu doctor`).
pub fn pdf_available(configured: Option<&str>) -> bool {
    pdf::Renderer::new(configured).available()
}

/// PDF output for the command line (the same renderer as the API).
mod documents_cli {
    use kyoyu_core::documents::Download;
    use kyoyu_domain::policy::Actor;
    use kyoyu_domain::{AdvisoryId, ReportId};

    use crate::AppState;

    /// A report edition as PDF, as `actor` sees it; the error in Japanese.
    pub async fn report_pdf(
        state: &AppState,
        actor: &Actor,
        id: ReportId,
        edition: Option<u32>,
    ) -> Result<Download, String> {
        crate::api::documents::report_pdf_file(state, actor, id, edition)
            .await
            .map_err(|e| e.message)
    }

    /// An advisory as PDF, as `actor` sees it; the error in Japanese.
    pub async fn advisory_pdf(
        state: &AppState,
        actor: &Actor,
        id: AdvisoryId,
    ) -> Result<Download, String> {
        crate::api::documents::advisory_pdf_file(state, actor, id)
            .await
            .map_err(|e| e.message)
    }
}
mod ui;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue};
use kyoyu_core::Core;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use metrics::Metrics;

/// HTTP-level settings.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Show the demo banner on every page.
    pub demo: bool,
    /// Mark cookies `Secure` (behind TLS).
    pub cookie_secure: bool,
    /// Reverse proxies whose `Forwarded`/`X-Forwarded-For` name the client (addresses or
    /// networks). From anyone else those headers are ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `/metrics` answers a caller presenting this bearer token.
    pub metrics_token: Option<String>,
    /// `/metrics` answers requests straight from this machine (loopback, not forwarded). With
    /// this off and no token, it is public.
    pub metrics_loopback: bool,
    /// Largest JSON body accepted.
    pub max_json_bytes: usize,
    /// Largest attachment accepted (413 above it).
    pub max_attachment_bytes: usize,
    /// The password of the zip a sample is served in.
    pub sample_zip_password: String,
    /// Headless Chromium for PDF output: a command on `PATH` or a path; `None` looks for
    /// `chromium`, `chromium-browser` or `google-chrome`. Without one, PDFs answer 503.
    pub pdf_chromium: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            demo: false,
            cookie_secure: false,
            trusted_proxies: Vec::new(),
            metrics_token: None,
            metrics_loopback: true,
            max_json_bytes: 1024 * 1024,
            max_attachment_bytes: 20 * 1024 * 1024,
            sample_zip_password: "infected".to_owned(),
            pdf_chromium: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub core: Core,
    pub config: Arc<WebConfig>,
    pub metrics: Arc<Metrics>,
    pub(crate) pdf: Arc<pdf::Renderer>,
}

impl AppState {
    pub fn new(core: Core, config: WebConfig) -> AppState {
        let pdf = pdf::Renderer::new(config.pdf_chromium.as_deref());
        AppState {
            core,
            config: Arc::new(config),
            metrics: Arc::new(Metrics::new()),
            pdf: Arc::new(pdf),
        }
    }
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api::routes(state.config.max_attachment_bytes);
    // The generated part once; what this server's configuration and reference data say is
    // added on each request (an administrator may add a sector while it runs).
    let openapi = Arc::new(serde_json::to_value(&openapi).unwrap_or_default());
    let doc_core = state.core.clone();
    let security = [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        (
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    ];
    let mut app = Router::new()
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let doc = api::contract::finish(openapi.as_ref().clone(), &doc_core);
                async move { axum::Json(doc) }
            }),
        )
        .merge(metrics::routes())
        .merge(taxii::routes())
        .merge(misp::routes())
        .merge(ui::routes(state.config.max_attachment_bytes))
        .fallback(error::fallback)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            text_guard::reject_nul,
        ))
        .layer(axum::middleware::from_fn(error::json_errors_for_api))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(DefaultBodyLimit::max(state.config.max_json_bytes))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(TraceLayer::new_for_http());
    for (name, value) in security {
        app = app.layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    // Pages and JSON may carry Amber or Red content: no cache keeps a copy. (Style sheets and
    // scripts set their own caching.)
    app = app.layer(SetResponseHeaderLayer::if_not_present(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ));
    if state.config.cookie_secure {
        // Served over TLS (the setting that marks cookies Secure says so): browsers keep to
        // HTTPS for a year.
        app = app.layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    app.with_state(state)
}

/// Serves HTTPS with `certs` until `shutdown` completes, then lets in-flight requests finish.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    certs: &std::sync::Arc<tls::TlsCerts>,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), tls::TlsError> {
    use axum::serve::ListenerExt;
    // `tap_io` gives the TLS listener axum's connect-info for its `SocketAddr` peers.
    let listener = tls::TlsListener::new(listener, certs)?.tap_io(|_| {});
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .map_err(|e| tls::TlsError::io(&e))
}

/// Serves until `shutdown` completes, then lets in-flight requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
