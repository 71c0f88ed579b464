//! The report list with its filters (public without a session: released White reports), the
//! inbox boxes and follow-up tracking, each a page of the core's cursor-paginated lists.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyoyu_core::Session;
use kyoyu_core::reports::{InboxBox, ReportFilter, ReportSummary};
use kyoyu_domain::ReportId;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{MaybePageAuth, PageAuth};
use crate::ui::widgets::{
    Opt, edition_label, sector_opts, show_time, t_ja, tlp_opts, urlencode, waited,
};
use crate::ui::{Chrome, JA, L, Visitor, core_error_page, error_page, render};

pub struct Row {
    pub id: ReportId,
    pub number: String,
    pub tlp_code: String,
    pub tlp_label: String,
    pub sector: String,
    pub title: String,
    pub edition: String,
    pub updated: String,
    pub follow_up: String,
}

fn rows(items: Vec<ReportSummary>, now: chrono::DateTime<chrono::Utc>) -> Vec<Row> {
    items
        .into_iter()
        .map(|s| Row {
            id: s.id,
            number: s
                .number
                .unwrap_or_else(|| t_ja("report.number_pending").to_owned()),
            tlp_code: s.tlp.code().to_owned(),
            tlp_label: s.tlp.label().to_owned(),
            sector: s.sector_name,
            title: s.title,
            edition: format!(
                "{}{}",
                edition_label(s.edition),
                if s.state == "draft" {
                    t_ja("common.draft_suffix")
                } else {
                    ""
                }
            ),
            updated: show_time(&s.updated_at),
            follow_up: s
                .waiting_since
                .as_deref()
                .map(|w| waited(w, now))
                .unwrap_or_default(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "report_list.html")]
struct ListTpl {
    l: L,
    chrome: Chrome,
    heading: String,
    show_new: bool,
    show_filters: bool,
    tabs: Vec<(String, String, bool)>,
    sectors: Vec<Opt>,
    tlps: Vec<Opt>,
    q: String,
    sector: String,
    tlp: String,
    rows: Vec<Row>,
    next_url: Option<String>,
    /// The list as CSV, with the same filters (the report list only).
    csv_url: Option<String>,
}

fn can_file(s: &Session) -> bool {
    use kyoyu_domain::Role;
    [Role::Operator, Role::Ceptoar, Role::SectorMinistry]
        .iter()
        .any(|r| s.actor.has_role(*r))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    sector: String,
    tlp: String,
    cursor: String,
}

impl ListQuery {
    /// The filter the list page applies (the CSV download applies the same).
    pub fn filter(&self) -> ReportFilter {
        ReportFilter {
            sector: Some(self.sector.clone()).filter(|s| !s.is_empty()),
            tlp: self.tlp.parse().ok(),
            q: Some(self.q.clone()).filter(|s| !s.trim().is_empty()),
            cursor: self.cursor.parse().ok(),
            limit: Some(50),
            ..Default::default()
        }
    }

    /// The same filter as query parameters, for links.
    pub fn params(&self) -> String {
        format!(
            "q={}&sector={}&tlp={}",
            urlencode(&self.q),
            urlencode(&self.sector),
            urlencode(&self.tlp)
        )
    }
}

/// The report list; without a session, the public list of released White reports.
pub async fn list(
    State(state): State<AppState>,
    auth: MaybePageAuth,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let filter = q.filter();
    let page = match state.core.list_reports(&auth.actor(), &filter).await {
        Ok(p) => std::sync::Arc::unwrap_or_clone(p),
        Err(e) => return core_error_page(e),
    };
    let next_url = page
        .next_cursor
        .map(|c| format!("/reports?{}&cursor={c}", q.params()));
    let csv_url = format!("/reports/export.csv?{}", q.params());
    let tpl = ListTpl {
        l: JA,
        chrome: Chrome::for_visitor(&state, auth.session.as_ref(), "reports").await,
        heading: t_ja("nav.reports").to_owned(),
        show_new: auth.session.as_ref().is_some_and(can_file),
        show_filters: true,
        tabs: inbox_tabs(None),
        sectors: sector_opts(&state),
        tlps: tlp_opts(),
        q: q.q,
        sector: q.sector,
        tlp: q.tlp,
        rows: rows(page.items, state.core.now()),
        next_url,
        csv_url: Some(csv_url),
    };
    render(StatusCode::OK, &tpl)
}

fn inbox_tabs(current: Option<InboxBox>) -> Vec<(String, String, bool)> {
    [
        (InboxBox::ToForward, "to_forward", "report.box_to_forward"),
        (InboxBox::Received, "received", "report.box_received"),
        (InboxBox::Sent, "sent", "report.box_sent"),
        (InboxBox::Drafts, "drafts", "report.box_drafts"),
    ]
    .into_iter()
    .map(|(b, code, key)| {
        (
            t_ja(key).to_owned(),
            format!("/inbox?box={code}"),
            current == Some(b),
        )
    })
    .chain(std::iter::once((
        t_ja("report.follow_ups").to_owned(),
        "/follow-ups".to_owned(),
        false,
    )))
    .collect()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BoxQuery {
    #[serde(rename = "box")]
    pub which: String,
    cursor: String,
}

pub async fn inbox(
    State(state): State<AppState>,
    auth: PageAuth,
    q: Result<Query<BoxQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let which =
        match crate::api::reports::inbox_box(Some(q.which.as_str()).filter(|w| !w.is_empty())) {
            Ok(w) => w,
            Err(e) => return error_page(e.status(), &e.message),
        };
    let cursor = q.cursor.parse().ok().map(ReportId);
    let page = match state
        .core
        .inbox(&auth.session, which, cursor, Some(100))
        .await
    {
        Ok(i) => std::sync::Arc::unwrap_or_clone(i),
        Err(e) => return core_error_page(e),
    };
    let tpl = ListTpl {
        l: JA,
        chrome: Chrome::for_session(&state, &auth.session, "inbox").await,
        heading: t_ja("report.inbox").to_owned(),
        show_new: can_file(&auth.session),
        show_filters: false,
        tabs: inbox_tabs(Some(which)),
        sectors: Vec::new(),
        tlps: Vec::new(),
        q: String::new(),
        sector: String::new(),
        tlp: String::new(),
        rows: rows(page.items, state.core.now()),
        next_url: page
            .next_cursor
            .map(|c| format!("/inbox?box={}&cursor={c}", urlencode(&q.which))),
        csv_url: Some(format!("/inbox/export.csv?box={}", urlencode(&q.which))),
    };
    render(StatusCode::OK, &tpl)
}

pub async fn follow_ups(
    State(state): State<AppState>,
    auth: PageAuth,
    q: Result<Query<BoxQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let cursor = Some(q.cursor.as_str()).filter(|c| !c.is_empty());
    let page = match state
        .core
        .follow_ups(&auth.session, cursor, Some(100))
        .await
    {
        Ok(i) => std::sync::Arc::unwrap_or_clone(i),
        Err(e) => return core_error_page(e),
    };
    let mut tabs = inbox_tabs(None);
    if let Some(last) = tabs.last_mut() {
        last.2 = true;
    }
    let tpl = ListTpl {
        l: JA,
        chrome: Chrome::for_session(&state, &auth.session, "inbox").await,
        heading: t_ja("report.follow_ups").to_owned(),
        show_new: false,
        show_filters: false,
        tabs,
        sectors: Vec::new(),
        tlps: Vec::new(),
        q: String::new(),
        sector: String::new(),
        tlp: String::new(),
        rows: rows(page.items, state.core.now()),
        next_url: page
            .next_cursor
            .map(|c| format!("/follow-ups?cursor={}", urlencode(&c))),
        csv_url: Some("/follow-ups/export.csv".to_owned()),
    };
    render(StatusCode::OK, &tpl)
}
