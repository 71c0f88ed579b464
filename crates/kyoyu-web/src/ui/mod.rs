//! The server-rendered Japanese web UI. Pages are askama templates (checked at compile time);
//! every label comes from the message catalogue through `L`; the one stylesheet is compiled into
//! the binary, so nothing is fetched from elsewhere (the service runs on closed networks).

mod account;
pub(crate) mod advisories;
mod chart;
mod documents;
mod notifications;
mod pages;
mod report_form;
pub(crate) mod reports;
mod risk;
mod routine;
mod saved_searches;
mod search;
mod statistics;
pub(crate) mod widgets;

use askama::Template;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use kyoyu_core::{CoreError, Session};
use kyoyu_domain::messages::{self, Locale};
use kyoyu_domain::policy::Actor;

use crate::AppState;
use crate::error::ApiError;

/// Labels for templates: `{{ l.t("nav.home") }}`.
#[derive(Clone, Copy)]
pub struct L(Locale);

impl L {
    pub fn t(&self, key: &str) -> &'static str {
        messages::t(self.0, key)
    }

    /// 「第N報」.
    pub fn edition(&self, n: impl std::fmt::Display) -> String {
        messages::fill(
            messages::t(self.0, "common.edition"),
            &[("n", &n.to_string())],
        )
    }
}

pub const JA: L = L(Locale::Ja);

/// What every page's frame needs.
pub struct Chrome {
    pub demo: bool,
    pub user: Option<UserBar>,
    pub csrf: String,
    pub active: &'static str,
    /// What waits for the visitor (read once per page: the badges and the home page use it).
    pub work: Option<kyoyu_core::workbench::Workbench>,
    /// The same, as menu badges.
    pub badges: Badges,
}

/// Counts shown beside menu entries ("" for none): reports to forward beside 受信箱,
/// advisories to acknowledge and scope requests to decide beside 情報提供.
#[derive(Default)]
pub struct Badges {
    pub inbox: String,
    pub advisories: String,
}

impl Badges {
    fn of(w: &kyoyu_core::workbench::Workbench) -> Badges {
        let show = |t: kyoyu_core::workbench::Tally| {
            if t.is_zero() {
                String::new()
            } else if t.more {
                format!("{}+", t.count)
            } else {
                t.count.to_string()
            }
        };
        let advisories = kyoyu_core::workbench::Tally {
            count: w.to_acknowledge.count + w.scope_requests.count,
            more: w.to_acknowledge.more,
        };
        Badges {
            inbox: show(w.to_forward),
            advisories: show(advisories),
        }
    }
}

pub struct UserBar {
    pub name: String,
    pub org: Option<String>,
}

impl Chrome {
    pub fn anonymous(state: &AppState) -> Chrome {
        Chrome {
            demo: state.config.demo,
            user: None,
            csrf: String::new(),
            active: "",
            work: None,
            badges: Badges::default(),
        }
    }

    /// The frame for a visitor who may not be signed in (public pages).
    pub async fn for_visitor(
        state: &AppState,
        s: Option<&Session>,
        active: &'static str,
    ) -> Chrome {
        match s {
            Some(s) => Chrome::for_session(state, s, active).await,
            None => Chrome {
                active,
                ..Chrome::anonymous(state)
            },
        }
    }

    pub async fn for_session(state: &AppState, s: &Session, active: &'static str) -> Chrome {
        let org = match s.org_id {
            Some(id) => state.core.org(&s.actor, id).await.ok().map(|o| o.name_ja),
            None => None,
        };
        // A count that cannot be read leaves the badge off; the page itself still renders.
        let work = match s.org_id {
            Some(_) => state.core.workbench(s).await.ok(),
            None => None,
        };
        let badges = work.as_ref().map(Badges::of).unwrap_or_default();
        Chrome {
            demo: state.config.demo,
            user: Some(UserBar {
                name: s.name.clone(),
                org,
            }),
            csrf: s.csrf.clone(),
            active,
            work,
            badges,
        }
    }
}

/// Whoever is looking at a page: a signed-in user, or (on public pages) anyone.
pub trait Visitor {
    fn session(&self) -> Option<&Session>;

    fn actor(&self) -> Actor {
        self.session()
            .map(|s| s.actor.clone())
            .unwrap_or(Actor::Anonymous)
    }
}

impl Visitor for crate::auth::PageAuth {
    fn session(&self) -> Option<&Session> {
        Some(&self.session)
    }
}

impl Visitor for crate::auth::MaybePageAuth {
    fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }
}

/// Renders a template, or a plain 500 page if rendering itself fails.
pub fn render(status: StatusCode, tpl: &impl Template) -> Response {
    match tpl.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html(messages::t(Locale::Ja, "error.internal").to_owned()),
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessageTpl {
    pub l: L,
    pub chrome: Chrome,
    pub heading: String,
    pub message: String,
    /// Itemised problems (e.g. of an uploaded form, by cell).
    pub details: Vec<String>,
}

/// A Japanese error page with the right status.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    error_page_with(status, message, Vec::new())
}

/// A Japanese error page listing `details` under the message.
pub fn error_page_with(status: StatusCode, message: &str, details: Vec<String>) -> Response {
    let tpl = MessageTpl {
        l: JA,
        chrome: Chrome {
            demo: false,
            user: None,
            csrf: String::new(),
            active: "",
            work: None,
            badges: Badges::default(),
        },
        heading: messages::t(Locale::Ja, "error_page.title").to_owned(),
        message: message.to_owned(),
        details,
    };
    render(status, &tpl)
}

/// The page for a use-case error: same status and message as the API would give.
pub fn core_error_page(e: CoreError) -> Response {
    let api = ApiError::from(e);
    let details = api.problems.iter().map(|p| p.to_string()).collect();
    error_page_with(api.status(), &api.message, details)
}

/// A file posted from a page: the CSRF-checked `kind` and `file` (name, content type, bytes),
/// within the attachment limit; otherwise the error page to answer with.
pub(crate) async fn page_upload(
    state: &AppState,
    auth: &crate::auth::PageAuth,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(String, String, String, Vec<u8>), Response> {
    let t_ja = |k: &str| messages::t(Locale::Ja, k);
    let bad = || error_page(StatusCode::BAD_REQUEST, t_ja("error.bad_request"));
    let too_large = || error_page(StatusCode::PAYLOAD_TOO_LARGE, t_ja("error.too_large"));
    let mut multipart = multipart.map_err(|_| bad())?;
    let (mut csrf, mut kind, mut file) = (String::new(), String::new(), None);
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(_) => return Err(bad()),
        };
        match field.name() {
            Some("_csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("kind") => kind = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or("attachment.bin").to_owned();
                let ct = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_owned();
                match field.bytes().await {
                    Ok(b) => file = Some((name, ct, b.to_vec())),
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                        return Err(too_large());
                    }
                    Err(_) => return Err(bad()),
                }
            }
            _ => {}
        }
    }
    if !crate::auth::csrf_ok(&auth.session.csrf, &csrf) {
        return Err(error_page(StatusCode::BAD_REQUEST, t_ja("error.csrf")));
    }
    let Some((name, ct, bytes)) = file else {
        return Err(error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &messages::fill(
                t_ja("error.field_required"),
                &[("field", t_ja("report.file"))],
            ),
        ));
    };
    if bytes.len() > state.config.max_attachment_bytes {
        return Err(too_large());
    }
    Ok((kind.trim().to_owned(), name, ct, bytes))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/kyoyu.css"),
    )
        .into_response()
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/kyoyu.js"),
    )
        .into_response()
}

/// One page or form action: its path, the methods it answers, its handlers.
pub(crate) type Route = (
    &'static str,
    &'static [&'static str],
    MethodRouter<AppState>,
);

const GET: &[&str] = &["GET"];
const POST: &[&str] = &["POST"];
const GET_POST: &[&str] = &["GET", "POST"];

/// Every page and form action of the UI. The router is built from this table and the route
/// matrix test reads it (through [`paths`]), so that no page ships outside the matrix.
fn table(max_upload_bytes: usize) -> Vec<Route> {
    let upload =
        || axum::extract::DefaultBodyLimit::max(max_upload_bytes.saturating_add(64 * 1024));
    vec![
        (
            "/advisories/{id}/attachments",
            POST,
            post(advisories::upload).layer(upload()),
        ),
        (
            "/advisories/{id}/attachments/{aid}",
            GET,
            get(advisories::download),
        ),
        (
            "/reports/{id}/attachments",
            POST,
            post(reports::upload).layer(upload()),
        ),
        (
            "/reports/import",
            POST,
            post(documents::import_report).layer(upload()),
        ),
        ("/static/kyoyu.css", GET, get(stylesheet)),
        ("/static/kyoyu.js", GET, get(script)),
        ("/reports/export.csv", GET, get(documents::reports_csv)),
        ("/inbox/export.csv", GET, get(documents::inbox_csv)),
        (
            "/follow-ups/export.csv",
            GET,
            get(documents::follow_ups_csv),
        ),
        (
            "/reports/{id}/export.xlsx",
            GET,
            get(documents::report_xlsx),
        ),
        ("/reports/{id}/export.pdf", GET, get(documents::report_pdf)),
        (
            "/reports/{id}/export.stix.json",
            GET,
            get(documents::report_stix),
        ),
        (
            "/advisories/{id}/export.stix.json",
            GET,
            get(documents::advisory_stix),
        ),
        (
            "/advisories/{id}/export.xlsx",
            GET,
            get(documents::advisory_xlsx),
        ),
        (
            "/advisories/{id}/export.pdf",
            GET,
            get(documents::advisory_pdf),
        ),
        ("/forms/{file}", GET, get(documents::blank_form)),
        (
            "/advisories/{id}/deliveries.csv",
            GET,
            get(documents::deliveries_csv),
        ),
        (
            "/reports/{id}/drill.csv",
            GET,
            get(documents::report_drill_csv),
        ),
        (
            "/advisories/{id}/drill.csv",
            GET,
            get(documents::advisory_drill_csv),
        ),
        (
            "/login",
            GET_POST,
            get(pages::login_page).post(pages::login_submit),
        ),
        ("/logout", POST, post(pages::logout)),
        ("/", GET, get(pages::home)),
        ("/orgs", GET, get(pages::orgs)),
        ("/routine", GET, get(routine::page)),
        ("/notifications", GET, get(notifications::page)),
        ("/reports", GET, get(reports::list)),
        (
            "/reports/new",
            GET_POST,
            get(reports::new_form).post(reports::create),
        ),
        ("/reports/{id}", GET, get(reports::thread)),
        ("/reports/{id}/print", GET, get(reports::print)),
        ("/reports/{id}/drill", GET, get(reports::drill)),
        (
            "/reports/{id}/forward",
            GET_POST,
            get(reports::forward_form).post(reports::forward),
        ),
        (
            "/reports/{id}/forward/edit",
            POST,
            post(reports::forward_edit),
        ),
        (
            "/reports/{id}/follow-up",
            GET_POST,
            get(reports::follow_up_form).post(reports::follow_up),
        ),
        (
            "/reports/{id}/draft",
            GET_POST,
            get(reports::draft_form).post(reports::save_draft),
        ),
        (
            "/reports/{id}/attachments/{aid}",
            GET,
            get(reports::download),
        ),
        ("/inbox", GET, get(reports::inbox)),
        ("/follow-ups", GET, get(reports::follow_ups)),
        ("/advisories", GET, get(advisories::list)),
        (
            "/advisories/new",
            GET_POST,
            get(advisories::new_form).post(advisories::create),
        ),
        ("/advisories/{id}", GET, get(advisories::view)),
        (
            "/advisories/{id}/edit",
            GET_POST,
            get(advisories::edit_form).post(advisories::update),
        ),
        ("/advisories/{id}/publish", POST, post(advisories::publish)),
        (
            "/advisories/{id}/follow-up",
            GET_POST,
            get(advisories::follow_up_form).post(advisories::follow_up),
        ),
        (
            "/advisories/{id}/scope-requests",
            POST,
            post(advisories::request_scope),
        ),
        ("/advisories/{id}/forward", POST, post(advisories::forward)),
        ("/advisories/{id}/ack", POST, post(advisories::ack)),
        (
            "/advisories/{id}/inquiries",
            POST,
            post(advisories::inquire),
        ),
        ("/advisories/{id}/drill", GET, get(advisories::drill)),
        ("/advisories/{id}/print", GET, get(advisories::print)),
        ("/scope-requests", GET, get(advisories::scope_requests)),
        (
            "/scope-requests/{id}/decision",
            POST,
            post(advisories::decide),
        ),
        ("/search", GET, get(search::page)),
        ("/search/save", POST, post(saved_searches::save)),
        ("/search/saved", GET, get(saved_searches::list)),
        ("/search/saved/{id}", GET, get(saved_searches::open)),
        (
            "/search/saved/{id}/delete",
            POST,
            post(saved_searches::delete),
        ),
        ("/statistics", GET, get(statistics::statistics)),
        (
            "/statistics/export.csv",
            GET,
            get(statistics::statistics_csv),
        ),
        ("/risk", GET, get(risk::register)),
        (
            "/risk/criteria",
            GET_POST,
            get(risk::criteria_page).post(risk::add_criteria),
        ),
        ("/risk/report", GET, get(risk::report)),
        ("/risk/risks.csv", GET, get(risk::register_csv)),
        ("/risk/risks.xlsx", GET, get(risk::register_xlsx)),
        ("/risk/risks", POST, post(risk::create)),
        (
            "/risk/risks/{id}",
            GET_POST,
            get(risk::risk_page).post(risk::update),
        ),
        ("/risk/risks/{id}/reviews", POST, post(risk::link_advisory)),
        ("/risk/reviews/{id}/close", POST, post(risk::close_review)),
        ("/risk/assets", POST, post(risk::add_asset)),
        ("/risk/issues", POST, post(risk::add_issue)),
        ("/account", GET, get(account::page)),
        ("/account/password", POST, post(account::password)),
        ("/account/totp/begin", POST, post(account::totp_begin)),
        ("/account/totp/enable", POST, post(account::totp_enable)),
        ("/account/totp/disable", POST, post(account::totp_disable)),
        ("/account/tokens", POST, post(account::create_token)),
        ("/account/notifications", POST, post(account::notifications)),
        (
            "/account/tokens/{id}/revoke",
            POST,
            post(account::revoke_token),
        ),
    ]
}

pub fn routes(max_upload_bytes: usize) -> Router<AppState> {
    table(max_upload_bytes)
        .into_iter()
        .fold(Router::new(), |router, (path, _, handlers)| {
            router.route(path, handlers)
        })
}

/// The path and methods of every UI route, as the router has them.
pub fn paths() -> Vec<(&'static str, &'static [&'static str])> {
    table(0)
        .into_iter()
        .map(|(path, methods, _)| (path, methods))
        .collect()
}

#[cfg(test)]
mod tests {
    /// Every `l.t("…")` key used in a template exists in the Japanese catalogue.
    #[test]
    fn every_template_label_is_in_the_catalogue() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for part in text.split("l.t(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                assert!(
                    kyoyu_domain::messages::has(kyoyu_domain::messages::Locale::Ja, key),
                    "missing label {key}"
                );
                checked += 1;
            }
        }
        assert!(checked > 50, "only {checked} labels found");
    }
}
